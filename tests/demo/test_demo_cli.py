"""`newswatch demo` as a user runs it: a real subprocess, real crawls of the replica sites."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from factories import make_article
from mailserver import MailServer
from replica_helpers import newswatch

from crawler.lock import RunLock
from crawler.replica.corpus import load_corpus

pytestmark = pytest.mark.slow

CORPUS = load_corpus()
MAIN = [a for a in CORPUS if not a.reserve]
RESERVE = [a for a in CORPUS if a.reserve]


def demo(workdir: Path, *args: str, check: bool = True):
    """`newswatch --db WORKDIR/demo.db demo --workdir WORKDIR/demo ARGS`."""
    return newswatch(
        "--db",
        str(workdir / "demo.db"),
        "demo",
        "--workdir",
        str(workdir / "demo"),
        *args,
        check=check,
    )


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def last_run(db: Path) -> dict[str, int]:
    (run_id,) = query(db, "SELECT max(id) FROM crawl_runs WHERE kind = 'demo'")[0]
    row = query(
        db,
        "SELECT sum(article_pages), sum(articles_new), count(*), sum(status = 'ok') "
        "FROM run_sources WHERE run_id = ?",
        (run_id,),
    )[0]
    return {"article_pages": row[0], "new": row[1], "sources": row[2], "ok": row[3]}


def published_urls(workdir: Path) -> dict[str, str]:
    """corpus id -> URL, from the replica state the demo saved."""
    state = json.loads((workdir / "demo" / "replica-state.json").read_text(encoding="utf-8"))
    return {a["corpus_id"]: a["url"] for site in state["sites"].values() for a in site["articles"]}


def test_first_run_second_run_and_add(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"

    first = demo(tmp_path)
    urls = published_urls(tmp_path)
    assert set(urls) == {a.id for a in MAIN}
    stored = {u for (u,) in query(db, "SELECT url FROM articles")}
    assert stored == set(urls.values()), first.stderr
    assert last_run(db) == {"article_pages": len(MAIN), "new": len(MAIN), "sources": 11, "ok": 11}
    assert f"({len(MAIN)} article pages fetched" in first.stdout
    # Classification and stories: the labels the corpus was written with.
    labels = dict(query(db, "SELECT url, is_open_source_ai FROM articles"))
    expected = {urls[a.id]: int(a.topic == "open-source-ai") for a in MAIN}
    agree = sum(labels[url] == label for url, label in expected.items())
    assert agree == len(MAIN), {
        u: (labels[u], expected[u]) for u in expected if labels[u] != expected[u]
    }
    # Stories: translations (Source: links) and the light-edit republication join their
    # original; every other article is a story of its own.
    expected_stories: dict[str, set[str]] = {}
    for a in MAIN:
        expected_stories.setdefault(a.original or a.copy_of or a.id, set()).add(urls[a.id])
    stories: dict[int, set[str]] = {}
    for url, story in query(db, "SELECT url, story_id FROM articles"):
        stories.setdefault(story, set()).add(url)
    assert sorted(map(sorted, stories.values())) == sorted(map(sorted, expected_stories.values()))
    assert f"; {len(expected_stories)} stories." in first.stdout
    # The digest, written to files: the open-source-AI stories are in it.
    digests = tmp_path / "demo" / "digests"
    html = sorted(digests.glob("*.html"))
    assert len(html) == 1 and len(sorted(digests.glob("*.md"))) == 1
    assert len(sorted(digests.glob("*.eml"))) == 1 and (digests / "open-source-ai.atom").is_file()
    page = html[0].read_text(encoding="utf-8")
    assert next(a for a in MAIN if a.id == "vnexpress-open-llm").title in page
    assert html[0].name in first.stdout

    # Unchanged sites: nothing fetched but entry points (answered 304) and robots.txt.
    second = demo(tmp_path)
    assert last_run(db) == {"article_pages": 0, "new": 0, "sources": 11, "ok": 11}
    assert (
        "(0 article pages fetched" in second.stdout
        and "no article page was fetched" in second.stdout
    )
    assert "No new digest" in second.stdout
    assert len(sorted(digests.glob("*.html"))) == 1

    # --add 2 publishes the first two reserve articles; the next cycle fetches exactly those.
    third = demo(tmp_path, "--add", "2")
    urls = published_urls(tmp_path)
    new = [urls[a.id] for a in RESERVE[:2]]
    assert all(url in third.stdout for url in new)
    assert last_run(db) == {"article_pages": 2, "new": 2, "sources": 11, "ok": 11}
    assert "(2 article pages fetched" in third.stdout
    assert query(db, "SELECT count(*) FROM articles")[0][0] == len(MAIN) + 2
    assert len(sorted(digests.glob("*.html"))) == 2


def test_digest_by_smtp_to_a_local_sink(tmp_path: Path) -> None:
    with MailServer() as server:
        result = demo(tmp_path, "--smtp", f"127.0.0.1:{server.port}", "--to", "desk@example.org")
    assert [m.rcpt_tos for m in server.received] == [["desk@example.org"]], result.stderr
    message = server.received[0].message
    assert message["Subject"].startswith("[newswatch]")
    body = message.get_body(("plain",))
    assert body is not None
    assert next(a for a in MAIN if a.id == "vnexpress-open-llm").title in body.get_content()
    assert "sent: desk@example.org" in result.stderr
    # The archive copy is written to files as well.
    assert len(sorted((tmp_path / "demo" / "digests").glob("*.eml"))) == 1


def test_refuses_a_database_with_real_articles(tmp_path: Path) -> None:
    from storage import connect, runs
    from storage.articles import upsert_article

    db = connect(tmp_path / "demo.db")
    run_id = runs.start_run(db, "run", ["vnexpress"])
    upsert_article(db, make_article())
    runs.finish_run(db, run_id, "ok")
    db.close()
    before = (tmp_path / "demo.db").read_bytes()
    result = demo(tmp_path, check=False)
    assert result.returncode == 2
    assert "will not mix them into it" in result.stderr
    reset = demo(tmp_path, "--reset", check=False)
    assert reset.returncode == 2 and "will not mix" in reset.stderr
    assert (tmp_path / "demo.db").read_bytes() == before
    assert not (tmp_path / "demo" / "replica-state.json").exists()


def test_lost_state_asks_for_reset_and_reset_starts_over(tmp_path: Path) -> None:
    demo(tmp_path)
    (tmp_path / "demo" / "replica-state.json").unlink()
    lost = demo(tmp_path, check=False)
    assert lost.returncode == 2 and "newswatch demo --reset" in lost.stderr
    again = demo(tmp_path, "--reset")
    assert "Reset:" in again.stdout
    db = tmp_path / "demo.db"
    # A new database: the runs and articles before the reset are gone.
    assert query(db, "SELECT min(id), group_concat(kind) FROM crawl_runs")[0] == (1, "demo,digest")
    assert query(db, "SELECT count(*) FROM articles")[0][0] == len(MAIN)


def test_lock_held_exits_75_and_does_nothing(tmp_path: Path) -> None:
    with RunLock(Path(f"{tmp_path / 'demo.db'}.lock")):
        result = demo(tmp_path, check=False)
    assert result.returncode == 75
    assert (
        "another newswatch run is active" in result.stderr and "Nothing was done" in result.stderr
    )
    assert not (tmp_path / "demo.db").exists() and not (tmp_path / "demo").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--smtp", "localhost"), "--smtp expects HOST:PORT"),
        (("--add", "-1"), "Invalid value for '--add'"),
        (("--smtp", "127.0.0.1:8025", "--to", "not an address"), "--to expects one e-mail"),
    ],
)
def test_bad_options(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = demo(tmp_path, *args, check=False)
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "demo.db").exists()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "demo.db").write_text("notes, not a database\n", encoding="utf-8")
    result = demo(tmp_path, check=False)
    assert result.returncode == 2 and "is not a usable SQLite database" in result.stderr
    assert (tmp_path / "demo.db").read_text(encoding="utf-8") == "notes, not a database\n"


def test_config_option_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "newswatch.toml"
    config.write_text("", encoding="utf-8")
    result = newswatch("--config", str(config), "demo", check=False)
    assert result.returncode == 2 and "the demo uses its own settings" in result.stderr
