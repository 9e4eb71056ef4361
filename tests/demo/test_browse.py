"""`newswatch browse`: the Datasette metadata, its canned queries, the real server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from corpus_db import build_corpus_db

from crawler import browse
from crawler.cli import cli
from crawler.replica.corpus import load_corpus

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CORPUS = {a.id: a for a in load_corpus()}


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("browse") / "demo.db"
    return path, build_corpus_db(path)


def run_canned(path: Path, name: str, **params: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(browse.CANNED_QUERIES[name]["sql"], params)]
    finally:
        conn.close()


# ---------------------------------------------------------------------- canned queries


@pytest.mark.parametrize(
    ("accented", "plain"),
    [("mã nguồn mở", "ma nguon mo"), ("điện toán", "dien toan"), ("Đề án 06", "de an 06")],
)
def test_search_is_diacritic_insensitive(corpus_db, accented: str, plain: str) -> None:
    path, _ = corpus_db
    with_marks = run_canned(path, "search", q=accented)
    assert with_marks, accented
    assert [r["id"] for r in with_marks] == [r["id"] for r in run_canned(path, "search", q=plain)]
    assert [r["id"] for r in with_marks] == [
        r["id"] for r in run_canned(path, "search", q=accented.upper())
    ]


def test_search_is_a_phrase_search_ranked_by_title_first(corpus_db) -> None:
    path, ids = corpus_db
    rows = run_canned(path, "search", q="nhận dạng tiếng nói")
    found = {r["id"] for r in rows}
    assert {ids["vietnamplus-speech-model"], ids["nhandan-speech-model-copy"]} <= found
    assert rows[0]["id"] in {ids["vietnamplus-speech-model"], ids["nhandan-speech-model-copy"]}
    # The words of a phrase apart from each other do not match it.
    assert run_canned(path, "search", q="tiếng nói nhận dạng") == []


@pytest.mark.parametrize(
    "query", ['"', '""', "a\"b'c", "NEAR(mô hình", "title:AI", "*", "AI OR", "-", "", "   ", ")"]
)
def test_any_search_input_is_safe(corpus_db, query: str) -> None:
    path, _ = corpus_db
    rows = run_canned(path, "search", q=query)
    assert isinstance(rows, list)


def test_latest_open_source_ai_is_one_row_per_story(corpus_db) -> None:
    path, ids = corpus_db
    rows = run_canned(path, "latest_open_source_ai")
    stories = [r["story_id"] for r in rows]
    assert len(stories) == len(set(stories))
    expected_ids = {
        ids[a.id] for a in CORPUS.values() if a.topic == "open-source-ai" and not a.reserve
    }
    members = {r["id"] for r in rows}
    assert members <= expected_ids
    speech = next(r for r in rows if r["story_id"] == ids["vietnamplus-speech-model"])
    # The wire story, its light-edit copy and its English translation: one row.
    assert speech["story_articles"] == 3
    assert set(speech["story_sources"].split(",")) == {"vietnamplus", "nhandan", "vietnamvn"}
    assert set(speech["story_languages"].split(",")) == {"vi", "en"}
    assert speech["id"] == ids["vietnamplus-speech-model"]  # the earliest article leads
    firsts = [r["published_at"] for r in rows]
    assert len(rows) >= 8 and firsts[0] > firsts[-1]


def test_coverage_per_source_per_week_adds_up(corpus_db) -> None:
    path, ids = corpus_db
    rows = run_canned(path, "coverage_per_source_per_week")
    assert sum(r["articles"] for r in rows) == len(ids)
    main = [a for a in CORPUS.values() if not a.reserve]
    assert sum(r["open_source_ai"] for r in rows) == sum(a.topic == "open-source-ai" for a in main)
    for row in rows:
        week = row["week_of"]
        assert (
            week is not None
            and sqlite3.connect(":memory:")
            .execute("SELECT strftime('%w', ?)", [week])
            .fetchone()[0]
            == "1"
        )  # a Monday


def test_metadata_describes_tables_and_facets() -> None:
    meta = browse.datasette_metadata("demo", tables={"articles", "sources"}, demo=True)
    db = meta["databases"]["demo"]
    assert set(db["tables"]) == {"articles", "sources"}
    assert db["tables"]["articles"]["facets"] == [
        "source",
        "language",
        "is_ai",
        "is_open_source_ai",
    ]
    assert set(db["queries"]) == {"latest_open_source_ai", "coverage_per_source_per_week", "search"}
    assert "fictional" in db["description"]
    assert "fictional" not in browse.datasette_metadata("newswatch")["description"]
    json.dumps(meta)  # what the command writes for Datasette


# ---------------------------------------------------------------------- command errors


def test_missing_datasette_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, corpus_db) -> None:
    monkeypatch.setattr(browse, "datasette_available", lambda: False)
    result = CliRunner().invoke(cli, ["browse", "--db", str(corpus_db[0]), "--no-open"])
    assert result.exit_code == 2
    assert "pip install 'newswatch[browse]'" in result.output


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["browse", "--db", str(tmp_path / "none.db"), "--no-open"])
    assert result.exit_code == 2
    assert "no database at" in result.output and "newswatch demo" in result.output


def test_other_database_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    result = CliRunner().invoke(cli, ["browse", "--db", str(other), "--no-open"])
    assert result.exit_code == 2 and "not a newswatch database" in result.output


def test_busy_port_is_a_clear_error(corpus_db) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["browse", "--db", str(corpus_db[0]), "--port", str(port), "--no-open"]
        )
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output


# ---------------------------------------------------------------------- the real server


def start_browse(db: Path) -> tuple[subprocess.Popen[str], str]:
    """`newswatch browse` in a subprocess, once it serves: (process, database page URL)."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    command = [sys.executable, "-m", "crawler", "browse", "--db", str(db), "--port", "0"]
    proc = subprocess.Popen(
        [*command, "--no-open"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("Datasette is serving"):
        proc.kill()
        raise AssertionError(f"browse did not start: {line!r}")
    return proc, line.split(" at ")[1].split()[0]


@pytest.fixture(scope="module")
def served(corpus_db) -> Iterator[str]:
    proc, url = start_browse(corpus_db[0])
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        proc.wait(timeout=30)
    assert proc.returncode == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stopping_browse_stops_datasette(corpus_db, sig: signal.Signals) -> None:
    proc, url = start_browse(corpus_db[0])
    assert get_json(f"{url}.json")["database"] == "demo"
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == 0
    # browse waits for Datasette to exit: nothing listens on the port any more.
    with pytest.raises(OSError):
        get_json(f"{url}.json")


def get_json(url: str) -> Any:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=30) as response:
        return json.loads(response.read())


def test_served_canned_queries_answer_json(served: str, corpus_db) -> None:
    _, ids = corpus_db
    assert served.startswith("http://127.0.0.1:") and served.endswith("/demo")
    latest = get_json(f"{served}/latest_open_source_ai.json?_shape=array")
    assert ids["mst-open-ai-programme"] in {r["id"] for r in latest}
    coverage = get_json(f"{served}/coverage_per_source_per_week.json?_shape=array")
    assert sum(r["articles"] for r in coverage) == len(ids)
    for query in ("mã nguồn mở", "ma nguon mo"):
        found = get_json(f"{served}/search.json?_shape=array&q={urllib.parse.quote(query)}")
        assert ids["mst-office-software"] in {r["id"] for r in found}
    odd = urllib.parse.quote('"NEAR(')
    nothing = get_json(f"{served}/search.json?_shape=array&q={odd}")
    assert nothing == []


def test_served_table_has_facets(served: str, corpus_db) -> None:
    _, ids = corpus_db
    data = get_json(f"{served}/articles.json?_size=1")
    facets = data["facet_results"]
    assert set(facets) == {"source", "language", "is_ai", "is_open_source_ai"}
    languages = {f["value"]: f["count"] for f in facets["language"]["results"]}
    assert sum(languages.values()) == len(ids) and set(languages) == {"vi", "en", "fr"}


def dump_dom(url: str, tmp_path: Path) -> str:
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_pages_render_in_headless_chromium(served: str, corpus_db, tmp_path: Path) -> None:
    main = dump_dom(served, tmp_path)
    assert "Latest open-source-AI stories" in main and "Full-text search" in main
    assert "fictional" in main
    query = urllib.parse.quote("mô hình ngôn ngữ lớn")
    page = dump_dom(f"{served}/search?q={query}", tmp_path)
    assert CORPUS["vnexpress-open-llm"].title in page
    assert CORPUS["tuoitre-new-lizard"].title not in page


def test_demo_databases_are_recognised(tmp_path: Path, corpus_db) -> None:
    from storage import connect, runs

    demo_path, _ = corpus_db
    assert browse.is_demo_database(demo_path)
    real = tmp_path / "newswatch.db"
    build_corpus_db(real, kind="run")
    assert not browse.is_demo_database(real)
    # A demo's digest runs keep it a demo database; a real crawl into it does not.
    mixed = tmp_path / "mixed.db"
    build_corpus_db(mixed)
    db = connect(mixed)
    runs.finish_run(db, runs.start_run(db, "digest", []), "ok")
    assert browse.is_demo_database(mixed)
    runs.finish_run(db, runs.start_run(db, "crawl", ["vnexpress"]), "ok")
    db.close()
    assert not browse.is_demo_database(mixed)
