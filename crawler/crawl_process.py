"""One crawl, in its own process: ``python -m crawler.crawl_process JOB.json``.

This is the only place newswatch starts a Twisted reactor (a reactor cannot be
restarted, so every crawl gets a fresh process). The job file holds the complete Scrapy
settings built by :func:`crawler.scrapy_settings.build_settings`. Exit status: 0 when
the spider closed normally, 1 otherwise. SIGTERM/SIGINT stop the crawl gracefully
(Scrapy's own handlers); a second signal stops it at once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def run_job(job_path: Path) -> int:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler import scrapy_settings
    from spiders.news import NewsSpider

    values = json.loads(job_path.read_text(encoding="utf-8"))
    settings = Settings()
    settings.setmodule(scrapy_settings, priority="project")
    settings.update(values, priority="cmdline")
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return (
        0
        if stats.get("finish_reason")
        in ("finished", "closespider_pagecount", "closespider_itemcount")
        else 1
    )


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m crawler.crawl_process JOB.json", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(run_job(Path(args[0])))


if __name__ == "__main__":
    main()
