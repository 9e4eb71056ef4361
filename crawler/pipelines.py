"""Scrapy item pipelines. Each does one thing and returns the item or raises DropItem.

* :class:`ValidateItemPipeline`: drops items that are neither articles nor validators.
* :class:`StorePipeline`: the local crawl's writer. Buffers articles and stores them in
  batches through :class:`crawler.store.Storer` (classify, upsert, group into stories).
  Entry-point validators (ETag/Last-Modified) are saved only when the crawl finished
  normally, after every article is stored: a crawl killed halfway re-reads its feeds in
  full next time instead of trusting a 304 for articles it never stored. When the
  database refuses a write (disk full, read-only...), the batch is rolled back, the
  error is recorded as ``storage_failed`` and the crawl stops (``storage_error``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawler.errors import close_crawl, record_error
from crawler.models import Article
from crawler.store import StoreCounts, Storer, build_storer

log = logging.getLogger(__name__)

ITEM_TYPES = ("article", "validator")
# Finish reasons after which validators may be trusted: everything discovered was handled.
CLEAN_FINISH = ("finished",)


class ValidateItemPipeline:
    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, dict) or item.get("type") not in ITEM_TYPES:
            raise DropItem(f"unknown item {type(item).__name__}: {str(item)[:80]}")
        if item["type"] == "article" and not item.get("article", {}).get("url"):
            raise DropItem("article item without a URL")
        return item


class StorePipeline:
    """Writes a local crawl's items to SQLite in batches."""

    def __init__(
        self, crawler: Crawler, db_path: str, timeout: float, batch_size: int, flush_seconds: float
    ) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.timeout = timeout
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.buffer: list[Article] = []
        self.prepared: dict[str, Any] = {}  # article URL -> dedupe signature from the spider
        self.validators: list[dict[str, Any]] = []
        self.counts = StoreCounts()
        self.storer: Storer | None = None
        self.last_flush = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        db_path = settings.get("NEWSWATCH_DB")
        if not db_path:
            raise NotConfigured("no NEWSWATCH_DB: items go to the feed exporter (cluster job)")
        pipeline = cls(
            crawler,
            db_path,
            settings.getfloat("NEWSWATCH_DB_TIMEOUT", 30.0),
            settings.getint("NEWSWATCH_STORE_BATCH", 20),
            settings.getfloat("NEWSWATCH_STORE_FLUSH_SECONDS", 5.0),
        )
        # The finish reason is only known at spider_closed, which fires after the
        # pipelines' close_spider: validators are decided there.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        from storage import StorageError, connect

        settings = self.crawler.settings
        try:
            db = connect(self.db_path, timeout=self.timeout)
        except StorageError as exc:
            self._storage_failed(exc, 0)
            return
        dedupe = settings.get("NEWSWATCH_DEDUPE")
        self.storer = build_storer(
            db, settings.get("NEWSWATCH_TOPICS") or None, _dedupe_settings(dedupe)
        )

    def process_item(self, item: dict[str, Any], spider: Spider | None = None) -> dict[str, Any]:
        if item["type"] == "validator":
            self.validators.append(item)
            return item
        if self.storer is None:  # the database failed: this run stores nothing more
            self._inc("articles_not_stored")
            return item
        article = Article.from_dict(item["article"])
        self.buffer.append(article)
        if item.get("dedupe") is not None:
            self.prepared[article.url] = item["dedupe"]
        if (
            len(self.buffer) >= self.batch_size
            or time.monotonic() - self.last_flush >= self.flush_seconds
        ):
            self.flush()
        return item

    def flush(self) -> None:
        from storage import StorageError

        if not self.buffer or self.storer is None:
            return
        batch, self.buffer = self.buffer, []
        prepared, self.prepared = self.prepared, {}
        try:
            counts = self.storer.store(batch, prepared)
        except StorageError as exc:
            # The batch's transaction was rolled back: nothing half-written, and these
            # articles stay unknown, so the next run fetches them again.
            self.storer.db.close()
            self.storer = None
            self._storage_failed(exc, len(batch))
            return
        self.counts.add(counts)
        self.last_flush = time.monotonic()
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("newswatch/articles_new", counts.new)
            stats.inc_value("newswatch/articles_updated", counts.updated)
            stats.inc_value("newswatch/articles_unchanged", counts.unchanged)
            for name, have in counts.coverage.items():
                stats.inc_value(f"newswatch/coverage/{name}", have)

    def _storage_failed(self, exc: Exception, lost: int) -> None:
        """Name the failure, count the articles left for next run, stop the crawl."""
        self._inc("articles_not_stored", lost)
        record_error(self.crawler.stats, "storage_failed", str(exc))
        close_crawl(self.crawler, "storage_error")

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None and count:
            self.crawler.stats.inc_value(f"newswatch/{key}", count)

    def close_spider(self, spider: Spider | None = None) -> None:
        self.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        from storage import StorageError

        self.flush()
        storer = self.storer
        if storer is None:  # no database, or it failed
            return
        try:
            if reason in CLEAN_FINISH and self.validators:
                source = self.crawler.settings.get("NEWSWATCH_SOURCE_ID") or None
                storer.save_validators(self.validators, source)
            elif self.validators:
                log.info(
                    "not saving %d validators: crawl ended with %s", len(self.validators), reason
                )
        except StorageError as exc:
            # Without validators the next run re-reads the entry points in full: no loss.
            record_error(self.crawler.stats, "storage_failed", str(exc))
        finally:
            storer.db.close()
            self.storer = None


def _dedupe_settings(value: Any) -> Any:
    """DedupeSettings from the JSON the crawl process passes (None: no grouping)."""
    if not value:
        return None
    import json

    from crawler.config import DedupeSettings

    data = json.loads(value) if isinstance(value, str) else dict(value)
    return DedupeSettings(**data)
