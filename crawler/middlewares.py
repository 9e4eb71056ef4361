"""Scrapy downloader middlewares, one concern each.

* :class:`MirrorMiddleware`: ``--mirror HOST=BASE_URL`` sends requests for HOST to
  BASE_URL (same path and query) while the spider, and so the database, keep seeing the
  real URL. Tests, the offline demo and staging mirrors point real sources at a local
  server this way.
* :class:`ConditionalGetMiddleware`: adds ``If-None-Match`` / ``If-Modified-Since`` to
  requests marked ``meta["conditional"]`` so an unchanged feed costs a 304.
* :class:`RetryAfterMiddleware`: honours ``Retry-After`` on 429/503 by slowing the
  domain down (bounded), instead of retrying at full speed.
"""

from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from crawler.errors import close_crawl

log = logging.getLogger(__name__)

REAL_URL = "newswatch_real_url"
_DONT_FILTER = "newswatch_dont_filter"


def parse_mirrors(values: list[str] | tuple[str, ...] | str | None) -> dict[str, str]:
    """``["host=http://127.0.0.1:8000", ...]`` -> {host: base}; raises ValueError when malformed."""
    if not values:
        return {}
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    mirrors: dict[str, str] = {}
    for value in values:
        host, sep, base = value.partition("=")
        host, base = host.strip().lower(), base.strip().rstrip("/")
        parts = urlsplit(base)
        if not sep or not host or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                "--mirror expects HOST=BASE_URL "
                f"(e.g. mst.gov.vn=http://127.0.0.1:8000), got {value!r}"
            )
        mirrors[host] = base
    return mirrors


def mirrored_url(url: str, mirrors: dict[str, str]) -> str | None:
    """Where ``url`` is fetched from when its host is mirrored (None when it is not)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # "http://[::1": not a URL any mirror serves
        return None
    base = mirrors.get(host)
    if base is None:
        return None
    base_parts = urlsplit(base)
    path = base_parts.path.rstrip("/") + (parts.path or "/")
    return urlunsplit((base_parts.scheme, base_parts.netloc, path, parts.query, ""))


class MirrorMiddleware:
    """Rewrite requests for mirrored hosts; give responses back their real URL.

    Sits near the downloader (high order number) so that its ``process_response`` runs
    first: redirects, robots.txt and the spider then only ever see real URLs.
    """

    def __init__(self, mirrors: dict[str, str]) -> None:
        self.mirrors = mirrors

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MirrorMiddleware:
        mirrors = parse_mirrors(crawler.settings.getlist("NEWSWATCH_MIRRORS"))
        if not mirrors:
            raise NotConfigured("no mirrors")
        return cls(mirrors)

    def process_request(self, request: Request, spider: Spider | None = None) -> Request | None:
        # Rewritten requests come back through here (retries, the rescheduled copy);
        # their URL is the mirror's, which is never itself mirrored.
        target = mirrored_url(request.url, self.mirrors)
        if target is None:
            if REAL_URL in request.meta and not self._is_mirror(request.url):
                del request.meta[REAL_URL]  # a redirect away from a mirrored site
            return None
        # dont_filter lets the rewritten copy past the offsite and duplicate filters;
        # the original value is kept for the redirects that copy may lead to.
        meta = {**request.meta, REAL_URL: request.url, _DONT_FILTER: request.dont_filter}
        return request.replace(url=target, meta=meta, dont_filter=True)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        real = request.meta.get(REAL_URL)
        if real is None:
            return response
        location = response.headers.get("Location")
        if location and 300 <= response.status < 400:
            response.headers["Location"] = self._real_location(real, location.decode("latin-1"))
            # RedirectMiddleware builds the next request from this one (meta, filters):
            # the target is then judged like any request for its real URL, so a redirect
            # to another site is filtered as offsite and a mirrored target is rewritten.
            request.dont_filter = bool(request.meta.pop(_DONT_FILTER, False))
        return response.replace(url=real)

    def _is_mirror(self, url: str) -> bool:
        return any(url == base or url.startswith(base + "/") for base in self.mirrors.values())

    def _real_location(self, real: str, location: str) -> str:
        """A Location header as the real site meant it: absolute, on the real host."""
        for host, base in self.mirrors.items():
            if location == base or location.startswith(base + "/"):  # to the mirror itself
                real_base = urlunsplit((urlsplit(real).scheme, host, "", "", ""))
                return real_base + location[len(base) :]
        return urljoin(real, location)


class ConditionalGetMiddleware:
    """Conditional requests for entry points, from validators the spider holds."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        if not crawler.settings.getbool("NEWSWATCH_CONDITIONAL_GET", True):
            raise NotConfigured("conditional GET disabled")
        return cls()

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        validators = request.meta.get("conditional")
        if not validators:
            return None
        if validators.get("etag") and b"If-None-Match" not in request.headers:
            request.headers["If-None-Match"] = validators["etag"]
        if validators.get("last_modified") and b"If-Modified-Since" not in request.headers:
            request.headers["If-Modified-Since"] = validators["last_modified"]
        return None


class RetryAfterMiddleware:
    """On 429/503 with Retry-After, widen the domain's delay and let the retry middleware
    try again later; the wait is recorded in the crawl stats.

    A wait longer than ``NEWSWATCH_MAX_RETRY_AFTER`` seconds is not sat out: the crawl
    of the source stops with the finish reason ``rate_limited`` (the error kind of the
    same name says which page asked), and what it did not fetch is fetched next run.
    """

    def __init__(self, crawler: Crawler, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler, crawler.settings.getfloat("NEWSWATCH_MAX_RETRY_AFTER", 120.0))

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if response.status not in (429, 503):
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value(f"newswatch/retry_after/{response.status}")
        if wait is None:
            return response
        if wait > self.max_wait:
            close_crawl(self.crawler, "rate_limited")
            # The spider's errback names it (error kind "rate_limited").
            raise IgnoreRequest(
                f"rate limited: HTTP {response.status} asks to wait {wait:.0f}s (Retry-After), "
                f"more than {self.max_wait:.0f}s; the source is crawled again next run"
            )
        slot_key = request.meta.get("download_slot") or urlsplit(request.url).hostname or ""
        engine = self.crawler.engine
        slot: Any = engine.downloader.slots.get(slot_key) if engine is not None else None
        if slot is not None:
            slot.delay = max(slot.delay, min(wait, self.max_wait))
            log.info(
                "%s asked to wait %.0fs (Retry-After); delay now %.0fs", slot_key, wait, slot.delay
            )
        return response


def retry_after_seconds(value: bytes | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isascii() and text.isdigit():  # "¹" is a digit to Python, not to HTTP
        return float(text)
    try:
        from datetime import UTC, datetime

        when = parsedate_to_datetime(text)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
