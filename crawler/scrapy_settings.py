"""Scrapy settings: the static part here (also what Scrapyd loads), the per-source part
built by :func:`build_settings` from newswatch's own configuration."""

from __future__ import annotations

import json
from typing import Any

from crawler.config import Settings, Source

BOT_NAME = "newswatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Politeness. The values newswatch.toml sets override these at crawl time.
ROBOTSTXT_OBEY = True
USER_AGENT = "newswatch (+https://github.com/newswatch-vn/newswatch; AI news monitor)"
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 3.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 3.0  # AutoThrottle never goes below it
RANDOMIZE_DOWNLOAD_DELAY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Only http(s): no file:, data:, ftp: or s3: URLs can be fetched, whatever a feed says.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
DNS_TIMEOUT = 20
DNS_RESOLVER = "crawler.dns.ReservedNameResolver"
# Bounded memory: the per-domain slot queues stay small because CLOSESPIDER_* bound work.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
LOG_LEVEL = "INFO"
LOG_FILE_APPEND = False
# A lint for spider authors that re-reads a generator callback's source with ast.parse
# for every response (its cache misses on bound methods): ~5% of a crawl's CPU.
WARN_ON_GENERATOR_RETURN_VALUE = False

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ConditionalGetMiddleware": 560,
    # Above RetryMiddleware (550): process_response runs in decreasing order, so it sees
    # a 429/503 first and slows the domain (or stops the crawl) before Retry resends.
    "crawler.middlewares.RetryAfterMiddleware": 555,
    # Scrapy's robots.txt middleware, answering broken robots.txt files as RFC 9309 says.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsTxtPolicyMiddleware": 100,
    # Above RedirectMiddleware (600): names redirect loops and off-site redirects.
    "crawler.redirects.RedirectGuardMiddleware": 610,
    "crawler.middlewares.MirrorMiddleware": 950,
    # After the mirror (default 850): a mirrored request passes the chain twice (the
    # original, then its rewritten copy) and must be counted once.
    "scrapy.downloadermiddlewares.stats.DownloaderStats": 960,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ValidateItemPipeline": 100,
    "crawler.pipelines.StorePipeline": 500,
}
EXTENSIONS = {
    "crawler.extensions.StatsFile": 500,
    "crawler.extensions.StatsLog": 510,  # on in cluster jobs (NEWSWATCH_STATS_LOG)
}


def build_settings(
    settings: Settings,
    source: Source,
    *,
    db_path: str | None,
    topics_path: str | None,
    mirrors: list[str] | None = None,
    state_file: str | None = None,
    stats_file: str | None = None,
    log_file: str | None = None,
    urls: list[str] | None = None,
) -> dict[str, Any]:
    """Scrapy settings for crawling ``source`` under newswatch ``settings``."""
    crawl = settings.crawl
    delay = source.download_delay if source.download_delay is not None else crawl.download_delay
    values: dict[str, Any] = {
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.01),
        "AUTOTHROTTLE_MAX_DELAY": max(crawl.max_delay, delay),
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": min(crawl.warn_page_bytes, crawl.max_page_bytes),
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        "RETRY_TIMES": crawl.retries,
        "CLOSESPIDER_PAGECOUNT": crawl.max_pages_per_source,
        "CLOSESPIDER_ITEMCOUNT": crawl.max_articles_per_source,
        "CLOSESPIDER_ERRORCOUNT": crawl.max_errors_per_source,
        "NEWSWATCH_SOURCE": source.to_json(),
        "NEWSWATCH_SOURCE_ID": source.id,
        "NEWSWATCH_MAX_LISTING_PAGES": crawl.max_listing_pages,
        "NEWSWATCH_MAX_FEED_AGE_DAYS": crawl.max_feed_age_days,
        "NEWSWATCH_PARSE_WORKERS": crawl.parse_workers,
        "NEWSWATCH_TIMEZONE": "Asia/Ho_Chi_Minh",
        "NEWSWATCH_MIRRORS": list(mirrors or []),
        "NEWSWATCH_DEDUPE": json.dumps(_asdict(settings.dedupe)),
    }
    if db_path:
        values.update(NEWSWATCH_DB=db_path, NEWSWATCH_DB_TIMEOUT=settings.storage.timeout)
    if topics_path:
        values["NEWSWATCH_TOPICS"] = topics_path
    if state_file:
        values["NEWSWATCH_STATE_FILE"] = state_file
    if stats_file:
        values["NEWSWATCH_STATS_FILE"] = stats_file
    if log_file:
        values.update(LOG_FILE=log_file, LOG_LEVEL="INFO")
    if urls:
        values["NEWSWATCH_URLS"] = json.dumps(urls)
        # An explicit ingest is one page per URL: no item or page caps apply.
        values.update(CLOSESPIDER_PAGECOUNT=0, CLOSESPIDER_ITEMCOUNT=0)
    return values


def _asdict(obj: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(obj)
