"""Ingesting a job's item feed: the store path, exactly once across interruptions."""

from __future__ import annotations

import json

import pytest
from factories import make_article

from crawler.cluster.ingest import BATCH_SIZE, IngestError, ingest_feed, parse_feed
from crawler.extensions import STATS_LOG_MARKER, stats_from_log
from crawler.models import Article
from crawler.store import StoreCounts, Storer
from storage import cluster


def feed_bytes(n: int, *, validators: int = 2, partial: bool = False) -> bytes:
    lines = [
        json.dumps(
            {"type": "validator", "url": f"https://vnexpress.net/rss/{i}.rss", "etag": f'"e{i}"'}
        )
        for i in range(validators)
    ]
    for i in range(n):
        article = make_article(
            url=f"https://vnexpress.net/bai-so-{i}-49500{i:02d}.html", title=f"Bài số {i}"
        )
        lines.append(json.dumps({"type": "article", "article": article.to_dict()}))
    data = "\n".join(lines) + "\n"
    if partial:  # a worker killed while writing its last line
        data += '{"type": "article", "article": {"url": "https://vnex'
    return data.encode()


@pytest.fixture
def job(db) -> str:
    cluster.record_dispatch(
        db,
        "vnexpress-1",
        node="http://127.0.0.1:1",
        project="newswatch",
        version="v",
        source="vnexpress",
        run_id=None,
        run_source_id=None,
    )
    return "vnexpress-1"


class FailingStorer(Storer):
    """Stores ``ok_batches`` batches, then fails like a database that went away."""

    def __init__(self, *args, ok_batches: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ok_batches = ok_batches

    def store(self, batch: list[Article]) -> StoreCounts:  # type: ignore[override]
        if self.ok_batches == 0:
            raise OSError("disk I/O error")
        self.ok_batches -= 1
        return super().store(batch)


def test_partial_last_line_and_bad_lines_are_not_stored() -> None:
    data = feed_bytes(3, partial=True) + b""
    feed = parse_feed(data)
    assert len(feed.lines) == 5 and len(feed.validators) == 2
    bad = parse_feed(b'{"type": "stats"}\nnot json\n' + feed_bytes(1, validators=0))
    assert bad.errors["bad_item"] == 2 and len(bad.lines) == 3


def test_interrupted_ingest_resumes_and_stores_each_article_once(db, job) -> None:
    total = 2 * BATCH_SIZE + 5
    feed = parse_feed(feed_bytes(total))
    with pytest.raises(OSError):
        ingest_feed(db, FailingStorer(db, ok_batches=1), job, feed)
    row = cluster.get_job(db, job)
    assert row["lines_ingested"] == BATCH_SIZE  # the failed batch was rolled back whole
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == row["articles_new"]

    result = ingest_feed(db, Storer(db), job, parse_feed(feed_bytes(total)))
    assert result.lines == total + 2
    assert (result.new, result.updated, result.unchanged) == (total, 0, 0)
    assert result.coverage["title"] == total
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == total

    again = ingest_feed(db, Storer(db), job, parse_feed(feed_bytes(total)))
    assert (again.lines, again.new, again.unchanged) == (total + 2, total, 0)  # nothing re-stored
    assert len(again.validators) == 2


def test_a_feed_shorter_than_what_was_ingested_is_refused(db, job) -> None:
    ingest_feed(db, Storer(db), job, parse_feed(feed_bytes(5)))
    with pytest.raises(IngestError, match="replaced"):
        ingest_feed(db, Storer(db), job, parse_feed(feed_bytes(2)))


def test_stats_come_from_the_last_complete_stats_line() -> None:
    log = "\n".join(
        [
            "2026-03-07 INFO: Spider opened",
            f"2026-03-07 [crawler.extensions] INFO: {STATS_LOG_MARKER}" + json.dumps({"a": 1}),
            f"2026-03-07 [crawler.extensions] INFO: {STATS_LOG_MARKER}"
            + json.dumps({"a": 2, "finish_reason": "finished"}),
            f"2026-03-07 [crawler.extensions] INFO: {STATS_LOG_MARKER}" + '{"a": 3, "fin',
        ]
    )
    assert stats_from_log(log) == {"a": 2, "finish_reason": "finished"}
    assert stats_from_log("no stats here") == {}
