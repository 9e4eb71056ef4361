"""The command line as a user meets it: help texts, search/export/show, README coverage."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from factories import REPO_ROOT, make_article

from crawler.cli import cli
from crawler.cli.query import EXPORT_FIELDS
from crawler.config import load_sources, packaged_default
from crawler.models import Classification, TermMatch
from storage import articles, connect

REQUIRED_EXPORT_FIELDS = (
    "id",
    "url",
    "source",
    "title",
    "summary",
    "text",
    "authors",
    "published_at",
    "updated_at",
    "language",
    "is_ai",
    "is_open_source_ai",
    "ai_score",
    "open_source_ai_score",
    "matched_terms",
    "first_seen_at",
    "story_id",
    "duplicate_of",
)


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        out.append((full, command))
        if isinstance(command, click.Group):
            out.extend(all_commands(command, full + " "))
    return out


@pytest.fixture
def populated(db_path: Path) -> Path:
    db = connect(db_path)
    evidence = Classification(
        True, True, 6.5, 4.25, (TermMatch("mã nguồn mở", "title", 1, "open_source"),)
    )
    articles.upsert_article(db, make_article(), evidence)
    articles.upsert_article(
        db,
        make_article(
            url="https://mst.gov.vn/gia-vang-197260307080054340.htm",
            source="mst",
            title="Giá vàng hôm nay",
            summary=None,
            text="Không ai ngờ giá vàng tăng.",
            published_at=None,
        ),
    )
    db.close()
    return db_path


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_every_command_has_help() -> None:
    for name, command in all_commands(cli):
        assert command.help and len(command.help.strip()) > 20, f"{name} has no help text"
        result = invoke(*name.split(), "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_every_command_and_source_is_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for name, _ in all_commands(cli):
        assert f"newswatch {name}" in readme, f"README does not mention `newswatch {name}`"
    for source_id in load_sources(packaged_default("sources.toml")):
        assert f"`{source_id}`" in readme, f"README sources table lacks {source_id}"


def test_search_table_json_csv(populated: Path) -> None:
    table = invoke("--db", str(populated), "search", "nguon mo")
    assert table.exit_code == 0
    assert "Bộ Khoa học" in table.output and "trọng số [mở]" in table.output
    assert "https://vnexpress.net/bo-khoa-hoc" in table.output
    as_json = invoke("--db", str(populated), "search", "điện toán", "--format", "json")
    records = [json.loads(line) for line in as_json.output.splitlines()]
    assert len(records) == 1 and records[0]["source"] == "vnexpress" and "snippet" in records[0]
    as_csv = invoke("--db", str(populated), "search", "vang", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [r["source"] for r in rows] == ["mst"]


def test_search_no_results_and_hostile_query(populated: Path) -> None:
    result = invoke("--db", str(populated), "search", '"NEAR( title: *')
    assert result.exit_code == 0


def test_search_unknown_source_is_a_clear_error(populated: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(populated), "search", "x", "--source", "nope"])
    assert result.exit_code == 2 and "unknown source 'nope'" in result.output


def test_search_bad_date(populated: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--db", str(populated), "search", "x", "--since", "yesterday-ish"]
    )
    assert result.exit_code == 2 and "is not a date" in result.output


def test_export_jsonl_fields(populated: Path) -> None:
    result = invoke("--db", str(populated), "export")
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == 2
    for record in records:
        assert tuple(record)[: len(EXPORT_FIELDS)] == EXPORT_FIELDS
        assert set(REQUIRED_EXPORT_FIELDS) <= set(record)
    by_source = {r["source"]: r for r in records}
    vne = by_source["vnexpress"]
    assert vne["published_at"] == "2026-03-07T01:52:00+00:00"
    assert vne["is_open_source_ai"] is True and vne["open_source_ai_score"] == 4.25
    assert vne["matched_terms"] == [
        {"term": "mã nguồn mở", "field": "title", "count": 1, "topic": "open_source"}
    ]
    assert vne["authors"] == ["Lê Phương"]
    assert by_source["mst"]["published_at"] is None
    assert re.match(r"\d{4}-\d\d-\d\dT", vne["first_seen_at"])


def test_export_csv_and_filters(populated: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    result = invoke(
        "--db",
        str(populated),
        "export",
        "--format",
        "csv",
        "--topic",
        "open-source-ai",
        "-o",
        str(out),
    )
    assert "Exported 1 articles" in result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert tuple(rows[0]) == EXPORT_FIELDS and rows[0]["source"] == "vnexpress"
    assert json.loads(rows[0]["authors"]) == ["Lê Phương"]


def test_show_by_id_and_url(populated: Path) -> None:
    by_id = invoke("--db", str(populated), "show", "1")
    assert "mã nguồn mở (title ×1)" in by_id.output and "Lê Phương" in by_id.output
    by_url = invoke(
        "--db", str(populated), "show", make_article().url + "?utm_source=x", "--format", "json"
    )
    assert json.loads(by_url.output)["id"] == 1
    missing = CliRunner().invoke(cli, ["--db", str(populated), "show", "999"])
    assert missing.exit_code == 1 and "no stored article" in missing.output


def test_sources_and_status(populated: Path) -> None:
    result = invoke("--db", str(populated), "sources", "--format", "json")
    rows = {r["id"]: r for r in json.loads(result.output)}
    assert rows["vnexpress"]["articles"] == 1 and rows["mst"]["articles"] == 1
    status = invoke("--db", str(populated), "status")
    assert "2 articles" in status.output and "none yet" in status.output


def test_unusable_database_exit_3(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    result = CliRunner().invoke(cli, ["--db", str(bad), "status"])
    assert result.exit_code == 3 and "Traceback" not in result.output and str(bad) in result.output


def test_python_dash_m_crawler(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "crawler", "--help"], capture_output=True, text=True, check=True
    )
    assert "newswatch" in out.stdout
