"""Redirects that lead nowhere, named instead of silently dropped.

Scrapy follows a redirect by scheduling a new request, and two kinds of them vanish
without a trace: one back to a URL already requested (a loop A -> B -> A ends in the
duplicate filter) and one to another site (dropped by the offsite filter as it is
scheduled). :class:`RedirectGuardMiddleware` sees redirect answers just before
RedirectMiddleware does and turns both into ``IgnoreRequest`` with a message, so the
request's errback records ``redirect_loop`` or ``offsite_redirect`` with the page.
Entry points (feeds, sitemaps, listings) may move to another host, as feeds moved to
a CDN do; only article pages are held to the source's domains.
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from w3lib.url import safe_url_string

from crawler.urls import InvalidURL, canonical_url, on_domains

CHAIN = "newswatch_redirect_chain"  # request meta: the URLs this request was redirected from
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RedirectGuardMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        if not crawler.settings.getbool("REDIRECT_ENABLED", True):
            raise NotConfigured("redirects are not followed")
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        location = response.headers.get("Location")
        if not location or not self._followed(request, response):
            return response
        target = urljoin(response.url, safe_url_string(location.decode("latin-1")))
        chain = [*request.meta.get(CHAIN, []), response.url]
        if _key(target) in {_key(url) for url in chain}:
            raise IgnoreRequest(f"redirect loop: {' -> '.join([*chain, target])}")
        if not request.dont_filter and not self._allowed(target):
            raise IgnoreRequest(f"redirect to another site: {response.url} -> {target}")
        # RedirectMiddleware copies this request's meta into the redirected one.
        request.meta[CHAIN] = chain
        return response

    @staticmethod
    def _followed(request: Request, response: Response) -> bool:
        """Whether RedirectMiddleware will follow this answer (its own conditions)."""
        meta = request.meta
        return (
            response.status in REDIRECT_STATUSES
            and not meta.get("dont_redirect")
            and not meta.get("handle_httpstatus_all")
            and response.status not in meta.get("handle_httpstatus_list", ())
        )

    def _allowed(self, url: str) -> bool:
        domains = getattr(self.crawler.spider, "allowed_domains", None) or []
        if not domains:
            return True
        return on_domains(url, domains)


def _key(url: str) -> str:
    try:
        return canonical_url(url)
    except InvalidURL:
        return url
