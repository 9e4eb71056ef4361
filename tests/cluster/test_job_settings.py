"""What a Scrapyd job receives, read back the way the worker's Scrapy reads it."""

from __future__ import annotations

import pytest
from replica_helpers import sources_subset
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.cluster.runner import job_settings
from crawler.config import load_settings
from crawler.extensions import StatsLog
from crawler.middlewares import MirrorMiddleware, parse_mirrors
from crawler.pipelines import StorePipeline
from crawler.state import IncrementalState
from spiders.news import NewsSpider

MIRRORS = [
    "vnexpress.net=http://127.0.0.1:8123/_site/vnexpress.net",
    "tuoitre.vn=http://127.0.0.1:8123/_site/tuoitre.vn",
]


def test_a_job_carries_source_mirrors_and_state_and_no_database() -> None:
    settings = load_settings()
    _, (source,) = sources_subset(["vnexpress"])
    known = {"https://vnexpress.net/bai-cu-4950001.html"}
    validators = {source.feeds[0]: {"etag": '"v1"', "last_modified": None}}
    state = IncrementalState(known_urls=known, validators=validators)
    values = job_settings(settings, source, MIRRORS, state, None, "vnexpress-abc")
    assert all(isinstance(v, str) for v in values.values())
    assert not {"NEWSWATCH_DB", "NEWSWATCH_TOPICS", "LOG_FILE", "NEWSWATCH_STATE_FILE"} & set(
        values
    )

    # What `scrapy crawl news -s KEY=VALUE ...` does with them on the node.
    crawler = get_crawler(NewsSpider, values)
    spider = NewsSpider.from_crawler(crawler)
    assert spider.source == source
    assert spider.state.is_known("https://vnexpress.net/bai-cu-4950001.html")
    assert not spider.state.is_known("https://vnexpress.net/bai-moi-4950002.html")
    assert spider.state.validators_for(source.feeds[0]) == {"etag": '"v1"', "last_modified": None}
    assert MirrorMiddleware.from_crawler(crawler).mirrors == parse_mirrors(MIRRORS)
    assert crawler.settings.getbool("ROBOTSTXT_OBEY") is settings.crawl.obey_robots
    assert (
        crawler.settings.getint("CLOSESPIDER_ITEMCOUNT") == settings.crawl.max_articles_per_source
    )
    assert crawler.settings.getbool("FEED_STORE_EMPTY")
    with pytest.raises(NotConfigured):
        StorePipeline.from_crawler(crawler)  # workers never write to the database
    assert isinstance(StatsLog.from_crawler(crawler), StatsLog)


def test_ingest_urls_travel_with_the_job() -> None:
    settings = load_settings()
    _, (source,) = sources_subset(["tuoitre"])
    url = "https://tuoitre.vn/bai-viet-20260307085200123.htm"
    values = job_settings(settings, source, [], IncrementalState(), [url], "tuoitre-x")
    spider = NewsSpider.from_crawler(get_crawler(NewsSpider, values))
    assert spider.urls == [url]
    assert values["CLOSESPIDER_PAGECOUNT"] == "0"
