"""Scrapy extensions.

:class:`StatsFile` writes the crawl's stats as JSON to ``NEWSWATCH_STATS_FILE``: every
few seconds while the crawl runs (so a crawl killed at its timeout still leaves what it
had done) and once more, with the finish reason, when the spider closes. The parent
process records them as the source's run statistics, with the process's peak memory
(``newswatch/peak_rss_mb``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.jsonfiles import write_json_atomic

__all__ = ["StatsFile", "peak_rss_mb", "write_json_atomic"]


class StatsFile:
    def __init__(self, crawler: Crawler, path: Path, interval: float) -> None:
        self.crawler = crawler
        self.path = path
        self.interval = interval
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        path = crawler.settings.get("NEWSWATCH_STATS_FILE")
        if not path:
            raise NotConfigured("no NEWSWATCH_STATS_FILE")
        ext = cls(crawler, Path(path), crawler.settings.getfloat("NEWSWATCH_STATS_INTERVAL", 5.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.loop = task.LoopingCall(self.write, None)
        self.loop.start(self.interval, now=True)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.write(reason)

    def write(self, finish_reason: str | None) -> None:
        stats: dict[str, Any] = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        if finish_reason is not None:
            stats["finish_reason"] = finish_reason
        stats["newswatch/closed"] = finish_reason is not None
        stats["newswatch/peak_rss_mb"] = peak_rss_mb()
        write_json_atomic(self.path, stats)


def peak_rss_mb() -> float:
    """The crawl process's peak resident memory so far, in MiB (bounded memory is watched:
    a huge page or a page with 100k links must not show here)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
