"""The mechanisms the fault matrix relies on, each on its own (no crawl, no server).

Resolver, error naming, the mirror's and the redirect guard's handling of redirects,
robots.txt failures, Retry-After beyond the bound, and storage that refuses writes
(``PRAGMA max_page_count`` and a read-only connection stand in for a full disk and a
read-only file where a test cannot mount file systems).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from factories import make_article
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from crawler.dns import ReservedNameResolver, is_reserved
from crawler.errors import error_kind
from crawler.middlewares import REAL_URL, MirrorMiddleware, RetryAfterMiddleware
from crawler.pipelines import StorePipeline
from crawler.redirects import RedirectGuardMiddleware
from crawler.robots import RobotsTxtPolicyMiddleware
from crawler.store import Storer
from storage import StorageError, connect, write_transaction
from storage import articles as article_store

MIRROR = "http://127.0.0.1:8000/_site/pages.test"


# ---------------------------------------------------------------------- resolver


def test_special_use_names_fail_without_asking_the_system_resolver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scrapy.resolver import CachingThreadedResolver

    def system_lookup(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the system resolver was asked")

    monkeypatch.setattr(CachingThreadedResolver, "getHostByName", system_lookup)
    resolver = ReservedNameResolver(object(), 10, 5.0)
    failures: list[Failure] = []
    for name in ("nguon-tin.invalid", "a.test", "x.example", "printer.local", "INVALID."):
        resolver.getHostByName(name).addErrback(failures.append)
    assert len(failures) == 5 and all(f.check(DNSLookupError) for f in failures)
    assert not is_reserved("vnexpress.net") and not is_reserved("testing.vn")


# ---------------------------------------------------------------------- error names


def _failure(exc: Exception) -> Failure:
    try:
        raise exc
    except Exception:
        return Failure()


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Forbidden by robots.txt", "robots_forbidden"),
        ("robots.txt unavailable (HTTP 500): ...", "robots_unavailable"),
        ("Filtered offsite request to 'elsewhere.test'", "offsite"),
        ("max redirections reached", "too_many_redirects"),
        ("redirect loop: https://a.vn/x -> https://a.vn/y -> https://a.vn/x", "redirect_loop"),
        ("redirect to another site: https://a.vn/offsite-robots.txt -> https://b.vn/", "offsite_redirect"),
        ("rate limited: HTTP 429 asks to wait 3600s", "rate_limited"),
        ("Ignored response <200 x> because its body (1 B compressed, 9 B decompressed so "
         "far) exceeded DOWNLOAD_MAXSIZE (8 B) during decompression.", "too_large"),
        ("something else", "ignored"),
    ],
)  # fmt: skip
def test_dropped_requests_are_named_by_their_reason(message: str, kind: str) -> None:
    assert error_kind(_failure(IgnoreRequest(message))) == kind


def test_download_errors_are_named() -> None:
    from scrapy.exceptions import DownloadTimeoutError, ResponseDataLossError

    assert error_kind(_failure(DownloadTimeoutError("slow"))) == "timeout"
    assert error_kind(_failure(ResponseDataLossError())) == "data_loss"
    assert error_kind(_failure(DNSLookupError("x.invalid"))) == "dns"
    assert error_kind(_failure(KeyError("x"))) == "key_error"  # unknown: its class, snake_case


# ---------------------------------------------------------------------- redirects


def _mirrored(url: str, *, dont_filter: bool = False) -> tuple[MirrorMiddleware, Request]:
    middleware = MirrorMiddleware({"pages.test": MIRROR})
    rewritten = middleware.process_request(Request(url, dont_filter=dont_filter))
    assert rewritten is not None and rewritten.url.startswith(MIRROR)
    return middleware, rewritten


def _redirect(request: Request, location: str) -> Response:
    return Response(request.url, status=301, headers={"Location": location}, request=request)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/bai/moi.html", "https://pages.test/bai/moi.html"),  # relative: against the real URL
        ("moi.html?v=2", "https://pages.test/bai/moi.html?v=2"),
        (f"{MIRROR}/bai/moi.html", "https://pages.test/bai/moi.html"),  # the mirror itself
        ("https://elsewhere.test/x", "https://elsewhere.test/x"),
    ],
)
def test_mirror_gives_redirects_their_real_target(location: str, expected: str) -> None:
    middleware, request = _mirrored("https://pages.test/bai/cu.html")
    response = middleware.process_response(request, _redirect(request, location))
    assert response.url == "https://pages.test/bai/cu.html"
    assert response.headers["Location"].decode() == expected
    # the request the redirect is built from is judged like the original again
    assert request.dont_filter is False


def test_a_redirect_away_from_the_mirror_forgets_the_mirrored_page() -> None:
    middleware, request = _mirrored("https://pages.test/bai/cu.html")
    onward = request.replace(url="https://elsewhere.test/x")  # what RedirectMiddleware builds
    assert middleware.process_request(onward) is None
    assert REAL_URL not in onward.meta


class _Spider:
    allowed_domains = ("pages.test",)


def _guard() -> RedirectGuardMiddleware:
    crawler = get_crawler()
    crawler.spider = _Spider()  # type: ignore[assignment]
    return RedirectGuardMiddleware.from_crawler(crawler)


def test_redirect_guard_names_loops_and_offsite_redirects() -> None:
    guard = _guard()
    first = Request("https://pages.test/a.html")
    assert guard.process_response(first, _redirect(first, "/b.html")).status == 301
    second = first.replace(url="https://pages.test/b.html")  # carries the chain in its meta
    with pytest.raises(IgnoreRequest, match=r"redirect loop: .*a\.html -> .*b\.html -> .*a\.html"):
        guard.process_response(second, _redirect(second, "https://pages.test/a.html#top"))
    article = Request("https://pages.test/c.html")
    with pytest.raises(IgnoreRequest, match="redirect to another site"):
        guard.process_response(article, _redirect(article, "https://elsewhere.test/c.html"))
    feed = Request("https://pages.test/rss", dont_filter=True)  # entry points may move away
    assert guard.process_response(feed, _redirect(feed, "https://cdn.test/rss")).status == 301


# ---------------------------------------------------------------------- robots.txt


def _robots(status: int, body: bytes, content_type: str) -> tuple[Any, RobotsTxtPolicyMiddleware]:
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    crawler.stats.open_spider()
    middleware = RobotsTxtPolicyMiddleware.from_crawler(crawler)
    request = Request("https://pages.test/robots.txt", meta={"dont_obey_robotstxt": True})
    response = Response(
        request.url, status=status, body=body, headers={"Content-Type": content_type}
    )
    return middleware.process_response(request, response), middleware


def test_robots_txt_server_error_disallows_the_site() -> None:
    _, middleware = _robots(500, b"<h1>Internal Server Error</h1>", "text/html")
    with pytest.raises(IgnoreRequest, match=r"robots.txt unavailable \(HTTP 500\)"):
        middleware.process_request_2(None, Request("https://pages.test/bai/a.html"))
    middleware.process_request_2(None, Request("https://other.test/bai/a.html"))  # others: fine


def test_robots_txt_that_is_an_html_page_means_no_rules() -> None:
    html = b"<html><body>Disallow: /\n</body></html>"
    response, middleware = _robots(200, html, "text/html; charset=utf-8")
    assert response.body == b""
    assert middleware.crawler.stats.get_value("newswatch/robots_not_text") == 1
    plain, _ = _robots(200, b"User-agent: *\nDisallow: /admin/\n", "text/plain")
    assert plain.body.startswith(b"User-agent")


# ---------------------------------------------------------------------- Retry-After


def test_retry_after_beyond_the_bound_gives_up_the_source_for_this_run() -> None:
    crawler = get_crawler(settings_dict={"NEWSWATCH_MAX_RETRY_AFTER": 120})
    crawler.stats.open_spider()
    middleware = RetryAfterMiddleware.from_crawler(crawler)
    request = Request("https://pages.test/bai/a.html")
    response = HtmlResponse(request.url, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(IgnoreRequest, match="rate limited: HTTP 429 asks to wait 3600s"):
        middleware.process_response(request, response)
    assert crawler.stats.get_value("newswatch/retry_after/429") == 1


# ---------------------------------------------------------------------- storage


def _limit_pages(db: Any) -> None:
    """Let the database grow by no more than a page: the next real write fails FULL."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 1}")


def test_full_database_is_a_storage_error_and_loses_nothing(db_path: Path) -> None:
    db = connect(db_path)
    article_store.upsert_article(db, make_article())
    db.execute("PRAGMA journal_mode = DELETE")  # WAL would absorb a few pages first
    _limit_pages(db)
    storer = Storer(db)
    batch = [
        make_article(url=f"https://vnexpress.net/bai-{n}-49500{n:02d}.html", text="Chữ. " * 4000)
        for n in range(10)
    ]
    with pytest.raises(StorageError, match=r"cannot write to database .*the disk is full"):
        storer.store(batch)
    assert not db.conn.in_transaction
    assert [r["url"] for r in db.query("SELECT url FROM articles")] == [make_article().url]
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_read_only_connection_is_a_storage_error(db_path: Path) -> None:
    connect(db_path).close()
    import sqlite_utils

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None)
    with (
        pytest.raises(StorageError, match="read-only"),
        write_transaction(sqlite_utils.Database(conn)) as ro,
    ):
        ro.execute("INSERT INTO crawl_runs (kind, started_at, status) VALUES ('x', 'y', 'z')")


def test_a_mistake_in_sql_is_not_dressed_up_as_a_storage_error(db_path: Path) -> None:
    db = connect(db_path)
    with pytest.raises(sqlite3.OperationalError, match="no such table"), write_transaction(db):
        db.execute("INSERT INTO nowhere VALUES (1)")


def test_pipeline_records_a_failing_database_and_stops_storing(db_path: Path) -> None:
    crawler = get_crawler(settings_dict={"NEWSWATCH_DB": str(db_path), "NEWSWATCH_STORE_BATCH": 2})
    crawler.stats.open_spider()
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    assert pipeline.storer is not None
    pipeline.storer.db.execute("PRAGMA journal_mode = DELETE")
    _limit_pages(pipeline.storer.db)
    for n in range(5):
        article = make_article(
            url=f"https://vnexpress.net/b-{n}-49501{n:02d}.html", text="Chữ. " * 4000
        )
        pipeline.process_item({"type": "article", "article": article.to_dict()})
    stats = crawler.stats
    assert stats.get_value("newswatch/errors/storage_failed") == 1  # named once, not per item
    assert stats.get_value("newswatch/articles_not_stored") == 5
    assert stats.get_value("newswatch/last_error").startswith("storage_failed: cannot write")
    assert pipeline.storer is None
    pipeline.close_spider()
    assert connect(db_path)["articles"].count == 0
