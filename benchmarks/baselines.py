"""Baseline crawlers: ``python -m benchmarks.baselines MODE BASE_URL STATS.json``.

Bare Scrapy spiders that fetch the same pages as the newswatch crawl, with the same
concurrency and no delays, and then either discard each page (``fetch``: the cost of
Scrapy and the network alone) or parse it into an lxml tree (``parse``: the floor of any
extraction). They write Scrapy's stats as JSON to STATS.json.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import scrapy
from lxml import etree
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

MODES = ("fetch", "parse")


def settings(concurrency: int, log_file: str) -> dict[str, Any]:
    """The newswatch crawl's transport settings, without its components."""
    return {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "RETRY_TIMES": 0,
        "LOG_LEVEL": "INFO",
        "LOG_FILE": log_file,
        "LOG_FILE_APPEND": False,
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "DOWNLOAD_MAXSIZE": 8 * 1024 * 1024,
    }


class FetchSpider(scrapy.Spider):
    name = "baseline_fetch"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: Response, **kwargs: Any) -> None:
        return None


class ParseSpider(FetchSpider):
    name = "baseline_parse"

    def parse(self, response: Response, **kwargs: Any) -> None:
        if response.body.strip():
            parser = etree.HTMLParser(encoding="utf-8", huge_tree=True)
            root = etree.fromstring(response.body, parser)
            if root is not None and self.crawler.stats is not None:
                self.crawler.stats.inc_value("baseline/parsed")


def run(mode: str, base_url: str, stats_path: Path, concurrency: int = 8) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(base_url + "/_bench/paths", timeout=60) as reply:
        paths = json.loads(reply.read())
    urls = [base_url + path for path in paths]
    process = CrawlerProcess(
        settings(concurrency, str(stats_path.with_suffix(".log"))), install_root_handler=True
    )
    spider = FetchSpider if mode == "fetch" else ParseSpider
    crawler = process.create_crawler(spider)
    process.crawl(crawler, urls=urls)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    stats_path.write_text(
        json.dumps(stats, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)),
        encoding="utf-8",
    )
    return 0 if stats.get("finish_reason") == "finished" else 1


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (3, 4) or args[0] not in MODES:
        print(
            "usage: python -m benchmarks.baselines fetch|parse BASE_URL STATS.json [CONCURRENCY]",
            file=sys.stderr,
        )
        return 2
    concurrency = int(args[3]) if len(args) == 4 else 8
    return run(args[0], args[1].rstrip("/"), Path(args[2]), concurrency)


if __name__ == "__main__":
    sys.exit(main())
