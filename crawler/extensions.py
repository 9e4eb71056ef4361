"""Scrapy extensions.

:class:`StatsFile` writes the crawl's stats as JSON to ``NEWSWATCH_STATS_FILE``: every
few seconds while the crawl runs (so a crawl killed at its timeout still leaves what it
had done) and once more, with the finish reason, when the spider closes. The parent
process records them as the source's run statistics, with the process's peak memory
(``newswatch/peak_rss_mb``).

:class:`StatsLog` does the same into the crawl's log, one line each time, for crawls
run by Scrapyd on another machine: the node serves the log over HTTP and the node
running newswatch reads the last such line (see :func:`stats_from_log`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.jsonfiles import json_default, write_json_atomic

__all__ = [
    "STATS_LOG_MARKER",
    "StatsFile",
    "StatsLog",
    "peak_rss_mb",
    "stats_from_log",
    "write_json_atomic",
]


class _PeriodicStats:
    """Emits the crawl's stats every ``interval`` seconds and once more at close."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None

    def connect(self) -> None:
        self.crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        self.crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_opened(self, spider: Spider) -> None:
        self.loop = task.LoopingCall(self.write, None)
        self.loop.start(self.interval, now=True)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.write(reason)

    def snapshot(self, finish_reason: str | None) -> dict[str, Any]:
        stats: dict[str, Any] = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        if finish_reason is not None:
            stats["finish_reason"] = finish_reason
        stats["newswatch/closed"] = finish_reason is not None
        return stats

    def write(self, finish_reason: str | None) -> None:
        raise NotImplementedError


class StatsFile(_PeriodicStats):
    def __init__(self, crawler: Crawler, path: Path, interval: float) -> None:
        super().__init__(crawler, interval)
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        path = crawler.settings.get("NEWSWATCH_STATS_FILE")
        if not path:
            raise NotConfigured("no NEWSWATCH_STATS_FILE")
        ext = cls(crawler, Path(path), crawler.settings.getfloat("NEWSWATCH_STATS_INTERVAL", 5.0))
        ext.connect()
        return ext

    def write(self, finish_reason: str | None) -> None:
        stats = self.snapshot(finish_reason)
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


STATS_LOG_MARKER = "NEWSWATCH_STATS "
log = logging.getLogger(__name__)


class StatsLog(_PeriodicStats):
    """Logs the crawl's stats as one JSON line: every few seconds, and at close."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        from crawler.cluster.egg import code_version

        super().__init__(crawler, interval)
        # Which code produced these items: the writer refuses results of other code.
        self.code_version = code_version()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsLog:
        if not crawler.settings.getbool("NEWSWATCH_STATS_LOG"):
            raise NotConfigured("NEWSWATCH_STATS_LOG is off")
        ext = cls(crawler, crawler.settings.getfloat("NEWSWATCH_STATS_INTERVAL", 5.0))
        ext.connect()
        return ext

    def write(self, finish_reason: str | None) -> None:
        stats = self.snapshot(finish_reason)
        stats["newswatch/code_version"] = self.code_version
        line = json.dumps(stats, default=json_default, ensure_ascii=True, sort_keys=True)
        # Cluster jobs run with LOG_LEVEL INFO (set in the job's own settings).
        log.info("%s%s", STATS_LOG_MARKER, line)


def stats_from_log(text: str) -> dict[str, Any]:
    """The last stats :class:`StatsLog` wrote into a crawl log ({} when there is none)."""
    for line in reversed(text.splitlines()):
        at = line.find(STATS_LOG_MARKER)
        if at < 0:
            continue
        try:
            data = json.loads(line[at + len(STATS_LOG_MARKER) :])
        except ValueError:
            continue  # a line cut short by a killed process: take the one before
        if isinstance(data, dict):
            return data
    return {}
