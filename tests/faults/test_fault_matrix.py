"""The fault matrix: one real crawl of a healthy source beside many broken ones.

A single ``newswatch crawl`` (subprocess, loopback replica server) meets every kind of
broken server, page, feed and robots.txt at once; the tests then read what it left:
each fault is skipped with its named reason (``run_sources.errors``, ``last_error``,
the source's log), the healthy source is untouched, memory stayed bounded and nothing
leaked from a local file through an XML entity. The faults are then removed and the
broken sources crawled again: everything is stored once, nothing stored before changed.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from fault_world import (
    SyntheticSource,
    closed_port,
    log_text,
    publish_page,
    run_newswatch,
    snapshot,
    source_rows,
    sources_from_toml,
    stored,
)
from replica_helpers import (
    Replica,
    replica_server,
    sample_article,
    sources_subset,
    write_test_config,
)

from crawler.models import FLAG_DATE_CLAMPED, FLAG_DATE_IMPLAUSIBLE
from crawler.replica.site import ReplicaState
from spiders.news import MAX_LINKS_PER_PAGE
from storage import connect
from storage.search import search

pytestmark = pytest.mark.slow

SECRET = "XXE-SECRET-b7c1e0"  # the content of a local file a feed's entities point at

# Article pages of pages.test: slug -> (fault, the error kind the crawl must record).
PAGE_FAULTS: dict[str, tuple[str, str]] = {
    "reset": ("reset_mid_body", "data_loss"),
    "close": ("close", "connection_lost"),
    "hang": ("hang", "timeout"),
    "hang-after-headers": ("hang_after_headers", "timeout"),
    "trickle": ("trickle", "timeout"),
    "http-404": ("status:404", "http_404"),
    "http-410": ("status:410", "http_410"),
    "http-500": ("status:500", "http_500"),
    "http-503": ("status:503", "http_503"),
    "redirect-loop": ("redirect:/bai/redirect-loop-2.html", "redirect_loop"),
    "redirect-offsite": ("redirect:https://elsewhere.test/bai/x.html", "offsite_redirect"),
    "too-large": ("huge:50", "too_large"),
    "too-large-unsized": ("huge_unsized:50", "too_large"),
    "gzip-bomb": ("gzip_bomb", "too_large"),
    "truncated": ("truncated", "data_loss"),
    "truncated-html": ("truncated_html", "not_an_article"),
    "empty": ("empty", "empty_body"),
    "pdf": ("content_type:application/pdf", "not_html"),
    "soft-404": ("soft_404", "not_an_article"),
}
# Pages that are odd but readable: stored on the first crawl.
CONTENT_PAGES: dict[str, dict[str, Any]] = {
    "healthy-1": {},
    "healthy-2": {},
    "moved": {},  # answers 301 to /bai/moved.html?v=2, which serves the page
    "malformed": {"title": "Trang HTML hỏng vẫn đọc được: thẻ không đóng, ký tự lạ"},
    "cp1258": {"title": "Bộ Khoa học và Công nghệ công bố chiến lược trí tuệ nhân tạo"},
    "cp1258-as-utf8": {"title": "Đề án phát triển dữ liệu mở và mô hình ngôn ngữ tiếng Việt"},
    "nfd": {"title": "Nghiên cứu tổ hợp dấu thanh điệu trong văn bản tiếng Việt"},
    "script-title": {"title": "Lỗ hổng <script>alert('x')</script>\r\nvà tiêu đề hai dòng"},
    "js-links": {
        "related": [
            {"title": "Mã độc", "url": "javascript:alert(document.cookie)"},
            {"title": "Bài cũ", "url": "https://pages.test/bai/healthy-1.html"},
        ]
    },
    "future": {"published_at": "2090-01-01T08:00:00+07:00"},
    "year-1900": {"published_at": "1900-01-01T08:00:00+07:00"},
}
CONTENT_FAULTS = {
    "moved": "redirect:/bai/moved.html?v=2",
    "malformed": "malformed_html",
    "cp1258": "cp1258_undeclared",
    "cp1258-as-utf8": "cp1258_declared_utf8",
    "nfd": "nfd",
}
FEEDS = {
    "/rss/garbage.rss": "xml_garbage",
    "/rss/truncated.rss": "xml_truncated",
    "/rss/laughs.rss": "billion_laughs",
    "/rss/xxe.rss": "xxe:{secret}",
    "/rss/bad-links.rss": "feed_bad_links",
}
SYNTHETIC = [
    SyntheticSource("pages", "pages.test", listings=["/chuyen-muc/tin-moi.html"]),
    SyntheticSource("feeds", "feeds.test", feeds=list(FEEDS), sitemaps=["/sitemap-index.xml"]),
    SyntheticSource("links", "links.test", listings=["/chuyen-muc/tat-ca.html"]),
    SyntheticSource("ratelimit", "ratelimit.test", feeds=["/rss/tin.rss"]),
    SyntheticSource("ratelimit-long", "ratelimit-long.test", feeds=["/rss/tin.rss"]),
    SyntheticSource("robots-disallow", "robots-disallow.test", feeds=["/rss/tin.rss"]),
    SyntheticSource("robots-500", "robots-500.test", feeds=["/rss/tin.rss"]),
    SyntheticSource("robots-html", "robots-html.test", feeds=["/rss/tin.rss"]),
    SyntheticSource("refused", "refused.test", feeds=["/rss/tin.rss"]),
    SyntheticSource("dns", "nguon-tin.invalid", feeds=["/rss/tin.rss"]),
]
# Sources whose faults go away before the second crawl (refused and dns stay broken).
RECOVERING = ["pages", "feeds", "ratelimit-long", "robots-500"]


@dataclass
class Crawl:
    result: Any  # subprocess.CompletedProcess
    rows: dict[str, dict[str, Any]]
    requests: list[dict[str, Any]]
    articles: dict[str, tuple[int, str, str]]


@dataclass
class World:
    workdir: Path
    db: sqlite_utils.Database
    state: ReplicaState
    first: Crawl
    second: Crawl

    def urls(self, host: str) -> list[str]:
        return [a["url"] for a in self.state.sites[host].articles]


def build_state(workdir: Path) -> tuple[str, ReplicaState]:
    healthy_toml, _ = sources_subset(["vnexpress"])
    toml = healthy_toml + "\n" + "\n".join(s.toml() for s in SYNTHETIC)
    state = ReplicaState.from_sources(sources_from_toml(workdir, toml).values())
    n = 0
    for _ in range(3):
        n += 1
        state.publish("vnexpress.net", sample_article(n))
    pages = state.sites["pages.test"]
    for slug, (spec, _kind) in PAGE_FAULTS.items():
        n += 1
        publish_page(state, "pages.test", slug, n)
        pages.faults[f"/bai/{slug}.html"] = spec
    pages.faults["/bai/redirect-loop-2.html"] = "redirect:/bai/redirect-loop.html"
    for slug, extra in CONTENT_PAGES.items():
        n += 1
        publish_page(state, "pages.test", slug, n, **extra)
    pages.faults.update({f"/bai/{slug}.html": spec for slug, spec in CONTENT_FAULTS.items()})

    feeds = state.sites["feeds.test"]
    for i in range(3):
        n += 1
        publish_page(state, "feeds.test", f"tin-{i}", n)
    secret = workdir / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    feeds.faults = {path: spec.format(secret=secret) for path, spec in FEEDS.items()}
    feeds.faults["/sitemap-index.xml"] = "sitemap_self_index:/sitemap-bai-viet.xml"
    feeds.faults["/sitemap-bai-viet.xml"] = "sitemap_urlset"

    state.sites["links.test"].faults = {
        "/chuyen-muc/tat-ca.html": "many_links:100000",
        "/bai/*": "status:404",
    }
    for host in (s.host for s in SYNTHETIC[3:]):
        for i in range(2):
            n += 1
            publish_page(state, host, f"tin-{i}", n)
    state.sites["ratelimit.test"].faults = {"/bai/tin-0.html": "rate_limited:1"}
    state.sites["ratelimit-long.test"].faults = {"/bai/tin-0.html": "rate_limited:3600"}
    state.sites["robots-disallow.test"].robots = "User-agent: *\nDisallow: /bai/\n"
    state.sites["robots-500.test"].faults = {"/robots.txt": "status:500"}
    state.sites["robots-html.test"].faults = {"/robots.txt": "soft_404"}
    return toml, state


def crawl(config: Path, replica: Replica, db: sqlite_utils.Database, *sources: str) -> Crawl:
    replica.reset()
    mirrors = [m for m in replica.mirrors if not m.startswith(("refused.", "nguon-tin.invalid="))]
    mirrors.append(f"refused.test=http://127.0.0.1:{closed_port()}")
    args = [a for m in mirrors for a in ("--mirror", m)]
    args += [a for s in sources for a in ("--source", s)]
    result = run_newswatch("--config", str(config), "crawl", *args)
    run_id = db.execute("SELECT max(id) FROM crawl_runs").fetchone()[0]
    return Crawl(result, source_rows(db, run_id), replica.requests(), snapshot(db))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp("faults")
    toml, state = build_state(workdir)
    config = write_test_config(
        workdir,
        toml,
        crawl={
            "download_timeout": 3.0,  # the hanging faults give up after this
            "concurrency_per_domain": 8,  # so that they hang side by side
            "parallel_sources": 6,
            "retries": 1,  # 429 + Retry-After, then the page
            "timeout": 90.0,
        },
    )
    with replica_server(state, workdir) as replica:
        db = connect(workdir / "newswatch.db")
        first = crawl(config, replica, db)
        for host in ("pages.test", "feeds.test", "ratelimit-long.test", "robots-500.test"):
            replica.set_faults(host, {})
        second = crawl(config, replica, db, *RECOVERING)
        yield World(workdir, db, state, first, second)
        db.close()


# ---------------------------------------------------------------------- the crawl as a whole


def test_the_crawl_itself_succeeds_and_names_each_failed_source(world: World) -> None:
    result = world.first.result
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for source in ("refused", "dns", "robots-500", "ratelimit-long"):
        assert f"✗ {source}: failed" in result.stderr
        assert "last error:" in result.stderr.split(f"✗ {source}: failed", 1)[1]


def test_healthy_source_is_unaffected(world: World) -> None:
    row = world.first.rows["vnexpress"]
    assert row["status"] == "ok" and row["errors"] == {} and row["last_error"] is None
    for url in world.urls("vnexpress.net"):
        assert len(stored(world.db, url)) == 1


@pytest.mark.parametrize(("slug", "expected"), [(k, v[1]) for k, v in PAGE_FAULTS.items()])
def test_faulty_page_is_skipped_with_its_reason(world: World, slug: str, expected: str) -> None:
    row = world.first.rows["pages"]
    url = f"https://pages.test/bai/{slug}.html"
    assert row["errors"].get(expected, 0) >= 1, row["errors"]
    # the reason and the real URL (not the mirror's) in the source's log
    assert f"{expected}: {url}" in log_text(row)
    assert url not in world.first.articles  # not stored by the faulty crawl


def test_faulty_pages_leave_the_source_ok_and_the_good_pages_stored(world: World) -> None:
    row = world.first.rows["pages"]
    assert row["status"] == "ok"
    kinds = {kind for _, kind in PAGE_FAULTS.values()}
    assert set(row["errors"]) == kinds
    assert row["last_error"] and row["last_error"].split(":")[0] in kinds
    for slug in CONTENT_PAGES:
        assert world_url(slug) in world.first.articles, slug  # moved.html: its canonical URL


def world_url(slug: str) -> str:
    return f"https://pages.test/bai/{slug}.html"


@pytest.mark.parametrize(
    ("source", "status", "kind"),
    [
        ("refused", "failed", "connection_refused"),
        ("dns", "failed", "dns"),
        ("robots-500", "failed", "robots_unavailable"),
        ("ratelimit-long", "failed", "rate_limited"),
        ("robots-disallow", "ok", "robots_forbidden"),
    ],
)
def test_faulty_source_is_recorded_with_its_reason(
    world: World, source: str, status: str, kind: str
) -> None:
    row = world.first.rows[source]
    assert row["status"] == status
    assert row["errors"].get(kind, 0) >= 1, row["errors"]
    assert row["last_error"].startswith(f"{kind}: https://"), row["last_error"]
    assert kind in log_text(row)


def test_no_traffic_leaves_loopback(world: World) -> None:
    """The .invalid source fails in the resolver (crawler/dns.py: no query is sent; see
    test_fault_units.py); the off-site redirect target is never requested."""
    assert world.first.rows["dns"]["errors"] == {"dns": 1}
    assert not any("elsewhere" in r["host"] + r["path"] for r in world.first.requests)


def test_robots_txt_served_as_html_means_no_rules(world: World) -> None:
    row = world.first.rows["robots-html"]
    assert row["status"] == "ok" and row["errors"] == {}
    assert row["stats"].get("newswatch/robots_not_text") == 1
    assert all(len(stored(world.db, url)) == 1 for url in world.urls("robots-html.test"))


def test_retry_after_is_honoured_then_the_page_is_stored(world: World) -> None:
    row = world.first.rows["ratelimit"]
    assert row["status"] == "ok" and row["errors"] == {}
    assert row["stats"].get("newswatch/retry_after/429") == 1
    assert all(len(stored(world.db, url)) == 1 for url in world.urls("ratelimit.test"))


def test_a_retry_after_beyond_the_bound_stops_the_source_for_this_run(world: World) -> None:
    row = world.first.rows["ratelimit-long"]
    assert row["finish_reason"] == "rate_limited"
    assert "3600s" in row["last_error"]


# ---------------------------------------------------------------------- content


def _article(world: World, slug: str) -> dict[str, Any]:
    assert world_url(slug) in world.first.articles, slug  # stored by the faulty crawl
    rows = stored(world.db, world_url(slug))
    assert len(rows) == 1, slug
    return rows[0]


def _published_title(world: World, slug: str) -> str:
    site = world.state.sites["pages.test"]
    return next(a["title"] for a in site.articles if a["path"] == f"/bai/{slug}.html")


@pytest.mark.parametrize("slug", ["cp1258", "cp1258-as-utf8", "nfd", "malformed"])
def test_odd_encodings_and_markup_read_back_exactly(world: World, slug: str) -> None:
    article = _article(world, slug)
    assert article["title"] == unicodedata.normalize("NFC", _published_title(world, slug))
    text = article["text"]
    assert "\ufffd" not in text + article["title"]  # no replacement characters at all
    assert unicodedata.is_normalized("NFC", text)
    assert "Bộ Khoa học và Công nghệ" in text  # a sentence every sample article has


def test_decomposed_text_is_found_by_search(world: World) -> None:
    hits = search(world.db, "tổ hợp dấu thanh điệu")
    assert [h["url"] for h in hits] == [world_url("nfd")]
    assert [h["url"] for h in search(world.db, "to hop dau thanh dieu")] == [world_url("nfd")]


def test_title_with_script_and_line_breaks_is_one_line_of_text(world: World) -> None:
    title = _article(world, "script-title")["title"]
    assert title == "Lỗ hổng <script>alert('x')</script> và tiêu đề hai dòng"
    assert not any(unicodedata.category(c) == "Cc" for c in title)
    # Rendering it is the digest's job: tests/test_digest.py (hostile titles and links)
    # shows that HTML, Markdown and headers escape it.


def test_javascript_links_are_never_stored_or_fetched(world: World) -> None:
    article = _article(world, "js-links")
    related = json.loads(article["related_urls"] or "[]")
    assert all(u.startswith("https://") for u in related)
    paths = [r["path"] for r in world.first.requests]
    assert not any(
        word in p for p in paths for word in ("javascript", "alert", "data:", "vbscript")
    )


def test_dates_in_the_future_or_1900_are_flagged_not_trusted(world: World) -> None:
    future = _article(world, "future")
    assert FLAG_DATE_CLAMPED in json.loads(future["flags"])
    published = datetime.fromisoformat(future["published_at"])
    assert published <= datetime.fromisoformat(future["first_seen_at"])  # clamped to the fetch
    old = _article(world, "year-1900")
    assert old["published_at"] is None
    assert FLAG_DATE_IMPLAUSIBLE in json.loads(old["flags"])


def test_redirect_within_the_site_is_followed(world: World) -> None:
    article = _article(world, "moved")  # stored under its canonical URL
    served = [r for r in world.first.requests if r["path"] == "/bai/moved.html"]
    # the 301, then the page at its new address (the log keeps paths without queries)
    assert [r.get("fault") for r in served] == ["redirect:/bai/moved.html?v=2", None]
    assert article["title"] == _published_title(world, "moved")


# ---------------------------------------------------------------------- feeds and sitemaps


def test_feed_faults(world: World) -> None:
    row = world.first.rows["feeds"]
    assert row["status"] == "ok"
    assert row["errors"] == {"bad_feed": 1}  # the garbage one; the others are read or inert
    assert "bad_feed: https://feeds.test/rss/garbage.rss" in log_text(row)
    # every article is found (truncated feed recovered, bad items skipped, sitemaps)
    for url in world.urls("feeds.test"):
        assert len(stored(world.db, url)) == 1


def test_sitemap_index_listing_itself_is_read_once(world: World) -> None:
    index = [r for r in world.first.requests if r["path"] == "/sitemap-index.xml"]
    child = [r for r in world.first.requests if r["path"] == "/sitemap-bai-viet.xml"]
    assert len(index) == 1 and len(child) == 1


def test_nothing_is_read_from_a_local_file_through_an_xml_entity(world: World) -> None:
    assert not any(r["path"].endswith("xxe.dtd") for r in world.first.requests)
    dump = "\n".join(world.db.conn.iterdump())
    assert SECRET not in dump
    assert SECRET not in json.dumps(world.first.requests)
    assert SECRET not in log_text(world.first.rows["feeds"])
    assert SECRET not in world.first.result.stderr + world.first.result.stdout


# ---------------------------------------------------------------------- bounds


def test_a_page_with_100k_links_does_not_schedule_100k_requests(world: World) -> None:
    row = world.first.rows["links"]
    fetched = [r for r in world.first.requests if r["host"] == "links.test"]
    article_fetches = [r for r in fetched if r["path"].startswith("/bai/")]
    assert 0 < len(article_fetches) <= MAX_LINKS_PER_PAGE
    assert row["status"] == "ok"
    assert set(row["errors"]) == {"http_404"}


def test_memory_stays_bounded(world: World) -> None:
    """Peak memory of each faulty crawl stays near a healthy crawl's: the 50 MB body, the
    gzip bomb and the 100k-link page cost at most a few times DOWNLOAD_MAXSIZE."""
    rows = world.first.rows
    baseline = rows["vnexpress"]["stats"]["newswatch/peak_rss_mb"]
    for source, row in rows.items():
        peak = row["stats"]["newswatch/peak_rss_mb"]
        assert peak < baseline + 128, (source, peak, baseline)


# ---------------------------------------------------------------------- the rerun


def test_rerun_after_the_faults_stores_everything_once_and_changes_nothing(world: World) -> None:
    first, second = world.first.articles, world.second.articles
    for url, (article_id, content_hash, _title) in first.items():
        assert second[url][:2] == (article_id, content_hash), url  # nothing stored was touched
    for host in ("pages.test", "feeds.test", "ratelimit-long.test", "robots-500.test"):
        for url in world.urls(host):
            assert len(stored(world.db, url)) == 1, url
    assert all(world.second.rows[s]["status"] == "ok" for s in RECOVERING), world.second.rows
    # one article per published page: a redirect or a retry never made a second copy
    per_source = dict(
        world.db.execute("SELECT source, count(*) FROM articles GROUP BY source").fetchall()
    )
    assert per_source["pages"] == len(world.state.sites["pages.test"].articles)


def test_database_is_consistent(world: World) -> None:
    assert world.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    world.db.execute("INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')")
    assert world.db.execute("PRAGMA foreign_key_check").fetchall() == []
    running = world.db.execute(
        "SELECT count(*) FROM run_sources WHERE status = 'running'"
    ).fetchone()[0]
    assert running == 0
