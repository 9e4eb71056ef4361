"""SQLite storage: migrations, upsert by canonical URL, search, concurrent writers."""

from __future__ import annotations

import multiprocessing
import sqlite3
import unicodedata
from pathlib import Path

import pytest
import sqlite_utils
from factories import make_article
from hypothesis import given, settings
from hypothesis import strategies as st

from storage import articles, connect, write_transaction
from storage.db import migrate
from storage.schema import migrations
from storage.search import Filters, compile_query, search, snippet


def test_migrations_apply_once_and_twice(db_path: Path) -> None:
    first = connect(db_path)
    applied = [m.name for m in migrations.applied(first)]
    assert applied and not migrations.pending(first)
    assert migrate(first) == []  # second application: nothing to do
    first.close()
    second = connect(db_path)  # reopening re-checks and changes nothing
    assert [m.name for m in migrations.applied(second)] == applied
    assert {
        "articles",
        "articles_fts",
        "crawl_runs",
        "run_sources",
        "http_cache",
        "sources",
    } <= set(second.table_names())
    assert second.journal_mode == "wal"


def test_upsert_is_idempotent_and_tracks_changes(db: sqlite_utils.Database) -> None:
    article = make_article()
    first = articles.upsert_article(db, article)
    again = articles.upsert_article(db, article)
    assert first.status == "new" and again.status == "unchanged" and again.id == first.id
    assert db["articles"].count == 1
    row = articles.get_article(db, first.id)
    assert row is not None and row["story_id"] == first.id and row["updated_at"] is None

    edited = make_article(text=article.text + "\n\nĐoạn bổ sung sau khi đăng.")
    changed = articles.upsert_article(db, edited)
    assert changed.status == "updated" and changed.id == first.id
    row = articles.get_article(db, first.id)
    assert row is not None
    assert row["previous_content_hash"] == articles.content_hash(article)
    assert row["content_hash"] == articles.content_hash(edited)
    assert row["updated_at"] is not None and row["first_seen_at"] <= row["updated_at"]
    assert db["articles"].count == 1
    # the FTS index follows the update
    assert [r["id"] for r in search(db, "doan bo sung")] == [first.id]


def test_get_article_by_url_ignores_tracking_parameters(db: sqlite_utils.Database) -> None:
    result = articles.upsert_article(db, make_article())
    row = articles.get_article(db, make_article().url + "?utm_source=facebook&fbclid=abc")
    assert row is not None and row["id"] == result.id


@pytest.mark.parametrize(
    "query",
    [
        "dien toan dam may",
        "điện toán đám mây",
        "ĐIỆN TOÁN ĐÁM MÂY",
        "Điện toán",
        unicodedata.normalize("NFD", "điện toán đám mây"),
        '"dien toan"',
        "tri tue nhan tao",
        "nguon mo",
        "nguồn mở",
        "dien*",
    ],
)
def test_search_with_or_without_diacritics(db: sqlite_utils.Database, query: str) -> None:
    stored = articles.upsert_article(db, make_article())
    other = articles.upsert_article(
        db,
        make_article(
            url="https://vnexpress.net/x-4950002.html",
            title="Giá vàng tăng",
            summary=None,
            text="Thị trường vàng biến động mạnh.",
        ),
    )
    results = search(db, query)
    assert [r["id"] for r in results] == [stored.id]
    assert other.id not in [r["id"] for r in results]


def test_two_mark_letters_are_folded(db: sqlite_utils.Database) -> None:
    stored = articles.upsert_article(
        db, make_article(text="Hệ thống hoạt động ổn định, độc lập và bền vững.")
    )
    for query in ("on dinh", "doc lap", "he thong", "ổn định"):
        assert [r["id"] for r in search(db, query)] == [stored.id], query


def test_snippet_highlights_original_accented_text() -> None:
    text = "Hôm nay, Điện toán đám mây được nhắc tới. Trí tuệ nhân tạo cũng vậy."
    assert "[Điện] [toán]" in snippet(text, ["dien", "toan"])
    assert snippet("", ["x"]) == ""


HOSTILE = [
    '"',
    '""',
    "'",
    "(",
    ")",
    "*",
    "AND",
    "OR",
    "NOT",
    "NEAR(a b)",
    "title:AI",
    '"unterminated',
    "a OR",
    "OR a",
    "-",
    "--",
    "^start",
    "col:*",
    "{title summary}: x",
    "\x00",
    "😀",
    "؟",
    'a"b',
    "' OR 1=1; DROP TABLE articles; --",
    "NEAR",
    "*a",
    "a*b",
    "+",
    "tri tue -",
    "- nhan",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_crash(db: sqlite_utils.Database, query: str) -> None:
    articles.upsert_article(db, make_article())
    results = search(db, query)
    assert isinstance(results, list)
    assert db["articles"].count == 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_fuzzed_queries_compile_to_valid_fts(query: str) -> None:
    database = sqlite_utils.Database(memory=True)
    from storage.schema import m001_initial

    m001_initial(database)
    search(database, query)  # must not raise
    compiled = compile_query(query)
    if compiled is not None:
        database.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [compiled.expression]
        )


def test_query_operators(db: sqlite_utils.Database) -> None:
    a = articles.upsert_article(
        db,
        make_article(
            url="https://a.vn/1",
            title="Llama mã nguồn mở",
            summary=None,
            text="Meta phát hành Llama.",
        ),
    )
    b = articles.upsert_article(
        db,
        make_article(
            url="https://a.vn/2",
            title="Mistral ra mắt",
            summary=None,
            text="Mistral phát hành mô hình.",
        ),
    )
    ids = lambda q: sorted(r["id"] for r in search(db, q))  # noqa: E731
    assert ids("llama OR mistral") == sorted([a.id, b.id])
    assert ids("phat hanh -llama") == [b.id]
    assert ids('"ma nguon mo"') == [a.id]


def test_filters(db: sqlite_utils.Database) -> None:
    from datetime import UTC, datetime

    from crawler.models import Classification

    ai = Classification(True, True, 5.0, 4.0)
    old = articles.upsert_article(
        db,
        make_article(
            url="https://a.vn/old", published_at=datetime(2025, 1, 1, tzinfo=UTC), language="en"
        ),
        ai,
    )
    new = articles.upsert_article(db, make_article(url="https://a.vn/new", source="mst"))
    assert [r["id"] for r in search(db, "mây", Filters(since="2026-01-01"))] == [new.id]
    assert [r["id"] for r in search(db, "mây", Filters(until="2026-01-01"))] == [old.id]
    assert [r["id"] for r in search(db, "mây", Filters(sources=["mst"]))] == [new.id]
    assert [r["id"] for r in search(db, "mây", Filters(topic="open-source-ai"))] == [old.id]
    assert [r["id"] for r in search(db, "mây", Filters(language="EN"))] == [old.id]


def _writer(path: str, worker: int, count: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        database = connect(path, timeout=30)
        for i in range(count):
            with write_transaction(database):
                articles.upsert_article(
                    database,
                    make_article(url=f"https://w{worker}.vn/{i}", title=f"Bài {worker}-{i}"),
                )
                # hold the lock a moment so that the writers really contend
                database.execute("SELECT count(*) FROM articles").fetchone()
        queue.put(("ok", worker))
    except Exception as exc:  # report to the parent, which asserts
        queue.put(("error", repr(exc)))


def test_two_processes_write_at_once_without_locking_errors(db_path: Path) -> None:
    connect(db_path).close()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(db_path), w, 60, queue)) for w in range(3)]
    for p in procs:
        p.start()
    outcomes = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    database = connect(db_path)
    assert database["articles"].count == 180
    database.execute("INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')")


def test_writer_waits_for_a_held_lock(db_path: Path) -> None:
    """A writer blocked by another connection's open write transaction waits, then succeeds."""
    import threading
    import time

    holder = connect(db_path)
    holder.conn.execute("BEGIN IMMEDIATE")
    done: list[str] = []

    def write() -> None:
        other = connect(db_path, timeout=10)
        articles.upsert_article(other, make_article())
        done.append("ok")

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.5)
    assert not done  # still waiting for the lock
    holder.conn.execute("COMMIT")
    thread.join(timeout=10)
    assert done == ["ok"]


def test_readonly_database_reads(db_path: Path) -> None:
    database = connect(db_path)
    articles.upsert_article(database, make_article())
    database.close()
    ro = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    assert ro.execute("SELECT count(*) FROM articles").fetchone() == (1,)
