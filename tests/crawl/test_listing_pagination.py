"""When the spider follows a listing to its next page."""

from __future__ import annotations

import scrapy
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.config import Source
from crawler.state import IncrementalState
from spiders.news import NewsSpider

HOME = "https://tin.example.vn"
SOURCE = Source(
    id="example",
    name="Example",
    home=HOME + "/",
    listings=(HOME + "/moi-nhat",),
    article_pattern=r"-\d{6}\.html$",
    allowed_domains=("tin.example.vn",),
)
ARTICLES = [f"{HOME}/bai-viet-{n:06d}.html" for n in range(1, 4)]


def spider(known: list[str]) -> NewsSpider:
    crawler = get_crawler(NewsSpider, {"NEWSWATCH_SOURCE": SOURCE.to_json()})
    made = NewsSpider.from_crawler(crawler, state=IncrementalState(known_urls=set(known)))
    crawler.spider = made
    return made


def listing_page(links: list[str]) -> HtmlResponse:
    anchors = "".join(f'<a href="{url}">bài</a>' for url in links)
    body = f'<html><head><link rel="next" href="/moi-nhat-p2"></head><body>{anchors}</body></html>'
    url = HOME + "/moi-nhat"
    return HtmlResponse(url, body=body.encode(), request=Request(url), encoding="utf-8")


def following_pages(made: NewsSpider, response: HtmlResponse) -> list[str]:
    out = made.parse_listing(response, page=1, listing=HOME + "/moi-nhat")
    return [
        r.url for r in out if isinstance(r, scrapy.Request) and r.callback == made.parse_listing
    ]


def test_a_page_whose_articles_the_feed_already_scheduled_still_paginates() -> None:
    made = spider(known=[])
    made.scheduled.update(ARTICLES)  # the feed, read first, listed the same newest articles
    assert following_pages(made, listing_page(ARTICLES)) == [HOME + "/moi-nhat-p2"]


def test_a_page_of_stored_articles_stops_the_pagination() -> None:
    made = spider(known=ARTICLES)
    assert following_pages(made, listing_page(ARTICLES)) == []


def test_a_page_with_a_new_article_paginates() -> None:
    made = spider(known=ARTICLES[1:])
    assert following_pages(made, listing_page(ARTICLES)) == [HOME + "/moi-nhat-p2"]


def test_a_box_of_new_articles_repeated_on_every_page_counts_once() -> None:
    """A "latest news" box on every listing page must not walk the whole listing."""
    made = spider(known=ARTICLES[1:])
    fresh = [f"{HOME}/moi-nhat-{n:06d}.html" for n in range(900, 903)]
    first = listing_page([*fresh, *ARTICLES])
    assert following_pages(made, first) == [HOME + "/moi-nhat-p2"]
    second = listing_page([*fresh, *ARTICLES[1:]])  # the box again, then stored articles
    out = made.parse_listing(second, page=2, listing=HOME + "/moi-nhat")
    assert [
        r for r in out if isinstance(r, scrapy.Request) and r.callback == made.parse_listing
    ] == []
