"""Source health from recorded crawl statistics (a real SQLite file, the storage API)."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.config import HealthSettings, Settings, Source
from crawler.health import SourceHealth, assess, assess_source, digest_rows, unchanged
from storage import runs

SOURCE = Source(id="vnexpress", name="VnExpress", home="https://vnexpress.net/")
CFG = HealthSettings(failed_runs=3, empty_runs=3, coverage_drop=0.5, history_runs=10)


def crawl(
    db: Any, status: str = "ok", kind: str = "crawl", source: str = "vnexpress", **stats: Any
) -> None:
    """Record one finished crawl of ``source`` the way the runner does."""
    values = {
        "requests": 20,
        "entry_points": 2,
        "entry_points_ok": 2,
        "responses_304": 0,
        "articles_found": 30,
        "article_pages": 10,
        "articles_extracted": 10,
        "articles_new": 10,
        "coverage_title": 1.0,
        "coverage_published": 1.0,
        "coverage_text": 1.0,
        "finish_reason": "finished",
    }
    values.update(stats)
    run_id = runs.start_run(db, kind, [source])
    rs = runs.start_source(db, run_id, source)
    runs.finish_source(db, rs, status, values, errors={})
    runs.finish_run(db, run_id, status)


def healthy_history(db: Any, n: int = 5) -> None:
    for _ in range(n):
        crawl(db)


def test_never_crawled_is_healthy(db) -> None:
    health = assess_source(db, SOURCE, CFG)
    assert (health.status, health.healthy) == ("never crawled", True)
    assert health.as_row() == {
        "source": "vnexpress",
        "name": "VnExpress",
        "status": "never crawled",
        "reason": "not crawled yet",
    }


def test_a_normal_source_is_ok_and_says_what_its_last_crawl_found(db) -> None:
    healthy_history(db)
    health = assess_source(db, SOURCE, CFG)
    assert health.status == "ok" and health.healthy
    assert health.reason == "last crawl ok: 30 article links, 10 new"
    assert health.last_success is not None and health.crawls == 5


def test_failing_after_n_failed_crawls_in_a_row(db) -> None:
    healthy_history(db)
    crawl(db, "failed", last_error="connection_refused: http://x/rss: Connection was refused")
    crawl(db, "timeout", last_error="crawl exceeded its 900s timeout and was stopped")
    partial = assess_source(db, SOURCE, CFG)
    assert partial.status == "ok"  # two failures: noted, not yet an alert
    assert "2 in a row" in partial.reason and "timeout" in partial.reason
    crawl(db, "failed", last_error="dns: DNS lookup failed")
    health = assess_source(db, SOURCE, CFG)
    assert health.status == "failing" and not health.healthy
    assert health.reason.startswith("its last 3 crawls failed (failed, timeout)")
    assert "dns: DNS lookup failed" in health.reason
    assert health.last_error == "dns: DNS lookup failed"


def test_interrupted_crawls_neither_break_nor_extend_a_failure_streak(db) -> None:
    crawl(db, "failed", last_error="boom")
    crawl(db, "interrupted")
    crawl(db, "failed", last_error="boom")
    crawl(db, "interrupted")
    crawl(db, "killed", last_error="crawl process ended with status -9")
    assert assess_source(db, SOURCE, CFG).status == "failing"


def test_a_success_ends_the_failure_streak(db) -> None:
    for _ in range(4):
        crawl(db, "failed", last_error="boom")
    crawl(db)
    assert assess_source(db, SOURCE, CFG).status == "ok"


def test_empty_when_it_stops_finding_links_it_usually_finds(db) -> None:
    healthy_history(db)
    for _ in range(2):
        crawl(db, articles_found=0, article_pages=0, articles_extracted=0, articles_new=0)
    assert assess_source(db, SOURCE, CFG).status == "ok"
    crawl(db, articles_found=0, article_pages=0, articles_extracted=0, articles_new=0)
    health = assess_source(db, SOURCE, CFG)
    assert health.status == "empty"
    assert health.reason.startswith("its last 3 crawls found no article links (usually 30)")


def test_all_304_crawls_are_not_empty(db) -> None:
    """Entry points that all answered 304 found nothing because nothing changed."""
    healthy_history(db)
    for _ in range(6):
        crawl(
            db,
            responses_304=2,
            entry_points_ok=2,
            articles_found=0,
            article_pages=0,
            articles_extracted=0,
            articles_new=0,
        )
    health = assess_source(db, SOURCE, CFG)
    assert health.status == "ok", health.reason
    assert "nothing changed" in health.reason


def test_unchanged_crawls_are_skipped_when_counting_empty_ones(db) -> None:
    healthy_history(db)
    zero = {"articles_found": 0, "article_pages": 0, "articles_extracted": 0, "articles_new": 0}
    crawl(db, **zero)
    crawl(db, responses_304=2, **zero)
    crawl(db, **zero)
    crawl(db, responses_304=2, **zero)
    crawl(db, **zero)
    assert assess_source(db, SOURCE, CFG).status == "empty"


def test_one_changed_entry_point_with_no_links_is_empty(db) -> None:
    # Two feeds answered 304, the listing answered 200 with no article link in it.
    healthy_history(db)
    for _ in range(3):
        crawl(
            db,
            entry_points=3,
            entry_points_ok=3,
            responses_304=2,
            articles_found=0,
            article_pages=0,
            articles_extracted=0,
        )
    assert assess_source(db, SOURCE, CFG).status == "empty"


def test_a_source_that_never_found_a_link_is_reported(db) -> None:
    for _ in range(3):
        crawl(db, articles_found=0, article_pages=0, articles_extracted=0, articles_new=0)
    health = assess_source(db, SOURCE, CFG)
    assert health.status == "empty"
    assert "check its entry points and article_pattern" in health.reason


def test_degraded_when_pages_stop_yielding_a_field(db) -> None:
    healthy_history(db)
    # The layout changed: dates no longer found on 9 pages of 10.
    crawl(db, coverage_published=0.1)
    health = assess_source(db, SOURCE, CFG)
    assert health.status == "degraded" and not health.healthy
    assert health.reason == (
        "in its last 10 article pages: publication time found on 10% (usually 100%); "
        "the page layout may have changed"
    )


def test_parse_failures_count_as_pages_without_fields(db) -> None:
    healthy_history(db)
    # Every article page rejected by the parser: nothing extracted, coverage unknown.
    crawl(
        db,
        article_pages=8,
        articles_extracted=0,
        articles_new=0,
        parse_failures=8,
        coverage_title=None,
        coverage_published=None,
        coverage_text=None,
    )
    health = assess_source(db, SOURCE, CFG)
    assert health.status == "degraded"
    assert "title found on 0% (usually 100%)" in health.reason
    assert "body found on 0%" in health.reason


def test_small_samples_are_pooled_before_judging_coverage(db) -> None:
    healthy_history(db)
    # One new article without a date: one odd page is not a redesign.
    crawl(db, article_pages=1, articles_extracted=1, coverage_published=0.0)
    assert assess_source(db, SOURCE, CFG).status == "ok"


def test_a_field_the_source_rarely_has_is_not_watched(db) -> None:
    for _ in range(5):
        crawl(db, coverage_published=0.1)
    crawl(db, coverage_published=0.0)
    assert assess_source(db, SOURCE, CFG).status == "ok"


def test_coverage_drop_threshold_is_configurable(db) -> None:
    healthy_history(db)
    crawl(db, coverage_text=0.6)
    assert assess_source(db, SOURCE, CFG).status == "ok"
    strict = HealthSettings(failed_runs=3, empty_runs=3, coverage_drop=0.8, history_runs=10)
    assert assess_source(db, SOURCE, strict).status == "degraded"


def test_failing_wins_over_empty_and_degraded(db) -> None:
    healthy_history(db)
    for _ in range(3):
        crawl(db, "failed", articles_found=0, article_pages=0, articles_extracted=0, last_error="x")
    assert assess_source(db, SOURCE, CFG).status == "failing"


def test_ingest_runs_are_not_crawls(db) -> None:
    healthy_history(db)
    for _ in range(3):
        crawl(db, kind="ingest", articles_found=0, entry_points=0, entry_points_ok=0)
    assert assess_source(db, SOURCE, CFG).status == "ok"


def test_unchanged_needs_an_answer() -> None:
    assert unchanged({"entry_points_ok": 2, "responses_304": 2})
    assert not unchanged({"entry_points_ok": 2, "responses_304": 1})
    assert not unchanged({"entry_points_ok": 0, "responses_304": 0})
    assert not unchanged({"entry_points_ok": None, "responses_304": 0})


def test_assess_and_digest_rows(db) -> None:
    other = Source(id="mst", name="Bộ KH&CN", home="https://mst.gov.vn/")
    off = Source(id="old", name="Old", home="https://old.example/", enabled=False)
    healthy_history(db)
    for _ in range(3):
        crawl(db, "failed", source="mst", last_error="http_403: forbidden")
        crawl(db, "failed", source="old", last_error="gone")
    verdicts = assess(db, Settings(), [SOURCE, other, off])
    assert [(h.source, h.status) for h in verdicts] == [
        ("vnexpress", "ok"),
        ("mst", "failing"),
        ("old", "failing"),
    ]
    assert all(isinstance(h, SourceHealth) for h in verdicts)
    # The digest lists unhealthy sources that are enabled: a disabled one is not news.
    rows = digest_rows(db, Settings(), [SOURCE, other, off])
    assert [r["source"] for r in rows] == ["mst"]
    assert set(rows[0]) == {"source", "name", "status", "reason"}


@pytest.mark.parametrize("n", [3, 5])
def test_failed_runs_setting(db, n: int) -> None:
    cfg = HealthSettings(failed_runs=n, empty_runs=3, coverage_drop=0.5, history_runs=10)
    for _ in range(n - 1):
        crawl(db, "failed", last_error="x")
    assert assess_source(db, SOURCE, cfg).status == "ok"
    crawl(db, "failed", last_error="x")
    assert assess_source(db, SOURCE, cfg).status == "failing"
