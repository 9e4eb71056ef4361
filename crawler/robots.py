"""robots.txt answers that are not robots.txt files, handled as RFC 9309 says.

Scrapy's RobotsTxtMiddleware parses whatever body comes back for ``/robots.txt``: a
``500`` error page or a CMS's HTML "page not found" both read as "no rules", so a site
whose robots.txt is broken would be crawled as if it allowed everything. This subclass
looks at the answer first:

* a server error (5xx, after the usual retries) makes the site "unreachable" in the
  RFC's sense: nothing on that host is fetched this run (complete disallow), and each
  page skipped is recorded with the error kind ``robots_unavailable``;
* an HTML page answered with 200 is not a robots.txt file: it is read as having no
  rules (what a 404 means), and the crawl counts ``newswatch/robots_not_text``.

A 4xx answer keeps Scrapy's meaning (no robots.txt: everything allowed).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.middlewares import REAL_URL

log = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = "robots.txt unavailable"


class RobotsTxtPolicyMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with RFC 9309's answers to broken robots.txt files."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.unavailable: dict[str, int] = {}  # netloc -> HTTP status of its robots.txt

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        # A mirrored request was checked against the real host's robots.txt before the
        # mirror rewrote it; checking its mirror URL would fetch the mirror server's own
        # /robots.txt, which is not the site's.
        if REAL_URL in request.meta:
            return None
        await super().process_request(request, spider)
        return None

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if not request.meta.get("dont_obey_robotstxt") or not is_robots_url(response):
            return response
        netloc = urlparse_cached(response).netloc
        if response.status >= 500:
            self.unavailable[netloc] = response.status
            log.warning(
                "%s answered HTTP %d: nothing is fetched from %s this run (RFC 9309)",
                response.url,
                response.status,
                netloc,
            )
        elif 200 <= response.status < 300 and looks_like_html(response):
            self.crawler.stats.inc_value("newswatch/robots_not_text")
            log.warning("%s is an HTML page, not a robots.txt file: read as no rules", response.url)
            return response.replace(body=b"")
        return response

    def process_request_2(self, rp: Any, request: Request, *args: Any) -> None:
        status = self.unavailable.get(urlparse_cached(request).netloc)
        if status is not None:
            self.crawler.stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest(
                f"{UNAVAILABLE_MESSAGE} (HTTP {status}): the site is not crawled until it answers"
            )
        super().process_request_2(rp, request, *args)


def is_robots_url(response: Response) -> bool:
    return urlparse_cached(response).path == "/robots.txt"


def looks_like_html(response: Response) -> bool:
    content_type = (response.headers.get("Content-Type") or b"").lower()
    if content_type.startswith((b"text/html", b"application/xhtml")):
        return True
    return response.body.lstrip()[:1] == b"<"
