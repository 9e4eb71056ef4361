"""The generic, configuration-driven news spider.

One spider for every source: it reads the source's block (feeds, sitemaps, listings,
article pattern) from the crawler settings, discovers article URLs, skips the ones
already stored, and hands each article page to the source's parser. It never writes to
the database: items go to the pipelines (local crawl) or to a feed (Scrapyd job).

Items are plain dicts so that any feed exporter can carry them:
``{"type": "article", "article": {...}}`` and, once an entry point answered 200,
``{"type": "validator", "url", "etag", "last_modified", "status"}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.config import Source
from crawler.errors import error_kind, record_error
from crawler.middlewares import REAL_URL
from crawler.redirects import CHAIN as REDIRECT_CHAIN
from crawler.state import IncrementalState
from crawler.urls import InvalidURL, canonical_url
from spiders import discovery, worker
from spiders.parsers import ParseError, parse_article

log = logging.getLogger(__name__)

HTML_TYPES = (b"text/html", b"application/xhtml+xml", b"text/plain")
MAX_LINKS_PER_PAGE = 500
ORIGIN = "newswatch_origin"  # request meta: the entry point a request was found through


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(
        self,
        *args: Any,
        source_config: Source | None = None,
        state: IncrementalState | None = None,
        urls: list[str] | None = None,
        max_listing_pages: int = 5,
        max_age_days: int = 30,
        timezone: str = "Asia/Ho_Chi_Minh",
        parse_workers: int = 0,
        dedupe_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if source_config is None:
            raise ValueError("NewsSpider needs a source (setting NEWSWATCH_SOURCE)")
        self.source = source_config
        self.state = state or IncrementalState()
        self.urls = list(urls or [])
        self.max_listing_pages = source_config.max_listing_pages or max_listing_pages
        self.max_age = timedelta(days=max_age_days)
        self.timezone = timezone
        self.allowed_domains = list(source_config.allowed_domains)
        self.scheduled: set[str] = set()
        self.validated: dict[str, int] = {}  # entry point -> status, validators yielded
        self.unsettled: set[str] = set()  # entry points whose validators were cleared
        self.visited_sitemaps: set[str] = set()
        self.listing_links: dict[str, set[str]] = {}  # article links seen per listing
        self.parse_workers = max(0, parse_workers)
        self.dedupe_params = dedupe_params  # signatures are prepared in parse workers
        self.parse_pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        settings = crawler.settings
        kwargs.setdefault("source_config", Source.from_json(settings.get("NEWSWATCH_SOURCE")))
        state_file = settings.get("NEWSWATCH_STATE_FILE")
        if state_file:
            kwargs.setdefault("state", IncrementalState.load(state_file))
        else:  # a cluster job carries its state inline (NEWSWATCH_STATE...)
            kwargs.setdefault("state", IncrementalState.from_settings(settings))
        urls = settings.get("NEWSWATCH_URLS")
        if urls:
            kwargs.setdefault("urls", json.loads(urls) if isinstance(urls, str) else list(urls))
        kwargs.setdefault("max_listing_pages", settings.getint("NEWSWATCH_MAX_LISTING_PAGES", 5))
        kwargs.setdefault("max_age_days", settings.getint("NEWSWATCH_MAX_FEED_AGE_DAYS", 30))
        kwargs.setdefault("parse_workers", settings.getint("NEWSWATCH_PARSE_WORKERS", 0))
        kwargs.setdefault("dedupe_params", _dedupe_params(settings.get("NEWSWATCH_DEDUPE")))
        kwargs.setdefault("timezone", settings.get("NEWSWATCH_TIMEZONE", "Asia/Ho_Chi_Minh"))
        spider: NewsSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.close_parse_pool, signal=signals.spider_closed)
        return spider

    def close_parse_pool(self, spider: scrapy.Spider | None = None) -> None:
        if self.parse_pool is not None:
            self.parse_pool.shutdown(wait=True, cancel_futures=True)
            self.parse_pool = None

    async def _extract(self, response: Response) -> tuple[Any, dict[str, Any] | None]:
        """The response's Article: parsed in the crawl process, or in a parse worker
        process when ``parse_workers`` is set (the page's bytes go there; the Article and,
        with story grouping on, its dedupe signature come back), so downloading and the
        CPU-heavy steps use two cores."""
        options: dict[str, Any] = dict(
            parser=self.source.parser,
            source=self.source.id,
            fetched_at=datetime.now(UTC),
            encoding=_charset(response),
            selectors=dict(self.source.selectors) or None,
            tz=self.timezone,
        )
        if not self.parse_workers:
            return parse_article(response.body, response.url, **options), None
        job = partial(
            worker.extract, response.body, response.url, dedupe=self.dedupe_params, **options
        )
        if self.parse_pool is None:
            # spawn: forking a process that runs a reactor and threads is not safe
            self.parse_pool = ProcessPoolExecutor(
                self.parse_workers, mp_context=multiprocessing.get_context("spawn")
            )
        loop = asyncio.get_running_loop()
        result: tuple[Any, dict[str, Any] | None] = await loop.run_in_executor(self.parse_pool, job)
        return result

    # ------------------------------------------------------------------ entry points

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.urls:  # `newswatch ingest`: fetch exactly these pages, known or not
            for url in self.urls:
                yield self._article_request(url, force=True)
            return
        for url in self.source.feeds:
            yield self._entry_request(url, self.parse_feed)
        for url in self.source.sitemaps:
            self.visited_sitemaps.add(url)
            yield self._entry_request(url, self.parse_sitemap)
        for url in self.source.listings:
            yield self._entry_request(url, self.parse_listing, page=1, listing=url)

    def _entry_request(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        meta = {
            "conditional": self.state.validators_for(url),
            "handle_httpstatus_list": [304],
            "entry_point": url,
        }
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            meta=meta,
            cb_kwargs=cb_kwargs,
            dont_filter=True,
        )

    def _article_request(
        self, url: str, *, force: bool = False, origin: str | None = None
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={"article": True, ORIGIN: origin},
            dont_filter=force,
        )

    # ------------------------------------------------------------------ discovery

    def _new_articles(self, urls: list[str], origin: str | None) -> Iterator[scrapy.Request]:
        """Requests for candidate URLs that are articles of this source and not yet known.

        ``origin`` is the entry point they were found through (see :meth:`on_error`).
        """
        candidates = discovery.select_articles(
            urls,
            domains=self.source.allowed_domains,
            pattern=self.source.article_pattern,
            exclude=self.source.exclude_pattern,
        )
        self._inc("articles_found", len(candidates))
        for url in candidates[:MAX_LINKS_PER_PAGE]:
            try:
                key = canonical_url(url)
            except InvalidURL:
                continue
            if key in self.scheduled or self.state.is_known(url):
                continue
            self.scheduled.add(key)
            yield self._article_request(url, origin=origin)

    def _unseen_unstored(self, listing: str, urls: list[str]) -> bool:
        """True when an article URL among ``urls`` is not stored yet and was not on an
        earlier page of ``listing`` (a "latest news" box repeated on every page of a
        listing is new only once)."""
        candidates = discovery.select_articles(
            urls,
            domains=self.source.allowed_domains,
            pattern=self.source.article_pattern,
            exclude=self.source.exclude_pattern,
        )[:MAX_LINKS_PER_PAGE]
        seen = self.listing_links.setdefault(listing, set())
        found = any(url not in seen and not self.state.is_known(url) for url in candidates)
        seen.update(candidates)
        return found

    def _entry_ok(self, response: Response) -> bool:
        """False for a 304 (nothing changed, which counts as an entry point read)."""
        if response.status == 304:
            self._entry_read(response)
            self._inc("responses_304")
            return False
        return True

    def _entry_read(self, response: Response) -> None:
        """Count an entry point that answered with something readable (or a 304).

        A source none of whose entry points could be read (unreachable, blocked,
        garbage instead of a feed) is recorded as failed by the runner.
        """
        if response.meta.get("entry_point"):
            self._inc("entry_points_ok")

    def _validator(self, response: Response) -> dict[str, Any]:
        headers = response.headers
        url = response.meta.get("entry_point", response.url)
        self.validated[url] = response.status
        return {
            "type": "validator",
            "url": url,
            "etag": _header(headers.get("ETag")),
            "last_modified": _header(headers.get("Last-Modified")),
            "status": response.status,
        }

    def _unsettle(self, request: scrapy.Request) -> Iterator[dict[str, Any]]:
        """Forget the validators of the entry point a failed request was found through.

        A page that failed (a 500, a timeout) stays unknown, but an entry point that
        answers 304 next run would never offer it again: clearing its ETag/Last-Modified
        makes the next run read it in full and retry the page.
        """
        origin = request.meta.get(ORIGIN)
        if origin and origin in self.validated and origin not in self.unsettled:
            self.unsettled.add(origin)
            yield {
                "type": "validator",
                "url": origin,
                "etag": None,
                "last_modified": None,
                "status": self.validated[origin],
            }

    def _too_old(self, when: datetime | None) -> bool:
        return when is not None and when < datetime.now(UTC) - self.max_age

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if not self._entry_ok(response):
            return
        try:
            entries = discovery.parse_feed(response.body, response.url)
        except discovery.DiscoveryError as exc:
            self._error("bad_feed", f"{response.url}: {exc}")
            return
        self._entry_read(response)
        yield self._validator(response)
        fresh = [e.url for e in entries if not self._too_old(e.published)]
        yield from self._new_articles(fresh, _origin(response))

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        if not self._entry_ok(response):
            return
        try:
            sitemap = discovery.parse_sitemap(response.body, response.url)
        except discovery.DiscoveryError as exc:
            self._error("bad_sitemap", f"{response.url}: {exc}")
            return
        self._entry_read(response)
        if response.meta.get("entry_point") == response.url or response.url in self.source.sitemaps:
            yield self._validator(response)
        if sitemap.kind == "urlset":
            recent = [e for e in sitemap.entries if not self._too_old(e.published)]
            recent.sort(key=lambda e: e.published or datetime.min.replace(tzinfo=UTC), reverse=True)
            yield from self._new_articles([e.url for e in recent], _origin(response))
            return
        children = [e for e in sitemap.entries if not self._too_old(e.published)]
        children.sort(key=lambda e: e.published or datetime.min.replace(tzinfo=UTC), reverse=True)
        for child in children:
            if child.url in self.visited_sitemaps:  # an index that lists itself, or a loop
                continue
            self.visited_sitemaps.add(child.url)
            yield scrapy.Request(
                child.url,
                callback=self.parse_sitemap,
                errback=self.on_error,
                meta={ORIGIN: _origin(response)},
            )

    def parse_listing(self, response: Response, page: int, listing: str) -> Iterator[Any]:
        if page == 1 and not self._entry_ok(response):
            return
        if not _is_html(response):
            self._error("not_html", f"{response.url}: listing is {_content_type(response)}")
            return
        if page == 1:
            self._entry_read(response)
        tree = discovery.html_tree(response.body)  # parsed once for links and next page
        links = discovery.listing_links(tree, response.url, self.source.link_selector, limit=20_000)
        requests = list(self._new_articles(links, listing))
        if page == 1:
            yield self._validator(response)
        yield from requests
        # Pagination stops at the first page with nothing new to the database and to this
        # listing. "New to this crawl" would not do: a feed read first schedules the
        # newest articles, so the first listing page, which shows the same ones, would
        # stop the pagination and every article older than the feed's window be missed.
        if not self._unseen_unstored(listing, links) and not requests:
            return
        if page >= self.max_listing_pages:
            return
        following: str | None
        if self.source.page_template:
            following = discovery.page_url(self.source.page_template, listing, page + 1)
        else:
            following = discovery.next_page(tree, response.url, self.source.next_page_selector)
        if following and following != response.url:
            yield scrapy.Request(
                following,
                callback=self.parse_listing,
                errback=self.on_error,
                cb_kwargs={"page": page + 1, "listing": listing},
                meta={ORIGIN: listing},
            )

    # ------------------------------------------------------------------ extraction

    async def parse_article(self, response: Response) -> AsyncIterator[dict[str, Any]]:
        self._inc("article_pages")
        if not _is_html(response):
            self._error("not_html", f"{response.url}: {_content_type(response)}")
            return
        if not response.body.strip():  # often a passing server fault: retried next run
            self._error("empty_body", f"{response.url}: empty 200 response")
            if response.request is not None:
                for validator in self._unsettle(response.request):  # no "yield from" here
                    yield validator
            return
        try:
            article, prepared = await self._extract(response)
        except ParseError as exc:
            self._inc("parse_failures")
            self._error("not_an_article", f"{response.url}: {exc}", count_error=False)
            return
        except Exception as exc:  # a parser bug must not stop the crawl: count and name it
            self._inc("parse_failures")
            self._error(
                "parser_crash", f"{response.url}: {type(exc).__name__}: {exc}", count_error=False
            )
            log.exception("parser %s crashed on %s", self.source.parser, response.url)
            return
        self._inc("articles_extracted")
        item: dict[str, Any] = {"type": "article", "article": article.to_dict()}
        if prepared is not None:
            item["dedupe"] = prepared  # the store pipeline hands it to the Deduper
        yield item

    # ------------------------------------------------------------------ errors and stats

    def on_error(self, failure: Failure) -> Iterator[dict[str, Any]]:
        request = getattr(failure, "request", None)
        url = _requested(request) if request is not None else "?"
        kind = error_kind(failure)
        self._error(kind, f"{url}: {failure.getErrorMessage()}")
        if request is not None:
            yield from self._unsettle(request)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newswatch/{key}", count)

    def _error(self, kind: str, message: str, *, count_error: bool = True) -> None:
        record_error(self.crawler.stats, kind, message, count_error=count_error)


def _origin(response: Response) -> str | None:
    """The entry point (feed, sitemap, listing URL) a response was reached from."""
    return response.meta.get(ORIGIN) or response.meta.get("entry_point")


def _requested(request: scrapy.Request) -> str:
    """The page as the spider asked for it (not the --mirror address it came from), and
    where redirects took it."""
    current = request.meta.get(REAL_URL, request.url)
    chain = request.meta.get(REDIRECT_CHAIN)
    if chain and chain[0] != current:
        return f"{chain[0]} (redirected to {current})"
    return str(current)


def _dedupe_params(value: Any) -> dict[str, Any] | None:
    """Index parameters (``IndexParams.to_dict``) from the crawl's dedupe settings, for
    parse workers to prepare signatures with; None when grouping is off."""
    if not value:
        return None
    from crawler.config import DedupeSettings
    from crawler.dedupe import IndexParams

    data = json.loads(value) if isinstance(value, str) else dict(value)
    return IndexParams.from_settings(DedupeSettings(**data)).to_dict()


def _header(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value else None


def _content_type(response: Response) -> str:
    return (response.headers.get("Content-Type") or b"(none)").decode("latin-1")


def _is_html(response: Response) -> bool:
    content_type = (response.headers.get("Content-Type") or b"text/html").lower()
    return any(content_type.startswith(t) for t in HTML_TYPES)


def _charset(response: Response) -> str | None:
    """The charset the server declared (None when it declared none)."""
    content_type = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key == "charset" and value:
            return value.strip("\"' ")
    return None
