"""`newswatch classify` and `newswatch reclassify` end to end on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from factories import make_article

from crawler.cli import cli
from storage import articles, connect


def test_classify_jsonl_from_stdin() -> None:
    lines = "\n".join(
        json.dumps(x, ensure_ascii=False)
        for x in (
            {
                "title": "Meta phát hành Llama 4 mã nguồn mở",
                "text": "Mô hình ngôn ngữ lớn Llama 4 được công bố với trọng số mở trên Hugging Face.",
            },
            {
                "title": "Giá vàng tăng mạnh",
                "text": "Không ai ngờ giá vàng lại tăng nhanh như vậy.",
                "id": 7,
            },
        )
    )
    result = CliRunner().invoke(cli, ["classify", "-"], input=lines)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert out[0]["is_ai"] and out[0]["is_open_source_ai"] and out[0]["matched_terms"]
    assert not out[1]["is_ai"] and out[1]["id"] == 7


def test_classify_bad_line_is_reported(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text('{"title": "a", "text": "b"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["classify", str(data)])
    assert result.exit_code == 1 and "line 2" in result.output


def test_classify_bad_topics_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "topics.toml"
    bad.write_text("[scoring\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["classify", "--topics", str(bad)], input="")
    assert result.exit_code == 2 and str(bad) in result.output


def test_reclassify_reports_changes(db_path: Path) -> None:
    db = connect(db_path)
    stored = articles.upsert_article(
        db,
        make_article(
            title="Hugging Face công bố mô hình mở PhoGPT",
            text="Mô hình ngôn ngữ lớn tiếng Việt mã nguồn mở, trọng số mở, phát hành trên Hugging Face. "
            * 3,
        ),
    )
    db.close()
    result = CliRunner().invoke(cli, ["--db", str(db_path), "reclassify"])
    assert result.exit_code == 0, result.output
    assert "Reclassified 1 articles" in result.output and "1 became open-source AI" in result.output
    row = articles.get_article(connect(db_path), stored.id)
    assert row is not None and row["is_open_source_ai"] and row["topics_version"]
    again = CliRunner().invoke(cli, ["--db", str(db_path), "reclassify", "--dry-run"])
    assert "would change 0 AI labels and 0 open-source-AI labels" in again.output
