"""Article extraction: pure parsers, one per source, in a registry.

The spider calls :func:`parse_article` with a response's bytes; nothing here imports
Scrapy or touches the network, so every parser is tested on stored pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from crawler.dates import DEFAULT_TZ_NAME
from crawler.models import Article
from crawler.normalise import check_article, normalise_article
from spiders.parsers.base import BaseParser, ParseError
from spiders.parsers.generic import GenericParser
from spiders.parsers.registry import all_parsers, get_parser, parser_for_url

__all__ = [
    "BaseParser",
    "GenericParser",
    "ParseError",
    "all_parsers",
    "get_parser",
    "parse_article",
    "parse_with",
    "parser_for_url",
]


def parse_with(
    parser: BaseParser,
    html: bytes,
    url: str,
    *,
    source: str = "",
    fetched_at: datetime,
    encoding: str | None = None,
    tz: str = DEFAULT_TZ_NAME,
) -> Article:
    """Extract with ``parser``, normalise, and raise :class:`ParseError` for a page
    that is not an article."""
    article = parser.parse(html, url, encoding=encoding, tz=tz)
    article.source = source
    article = normalise_article(article, fetched_at=fetched_at, tz=tz)
    problems = check_article(article)
    if problems:
        raise ParseError("; ".join(problems))
    return article


def parse_article(
    html: bytes,
    url: str,
    *,
    parser: str | None = None,
    source: str = "",
    fetched_at: datetime,
    encoding: str | None = None,
    selectors: Mapping[str, str] | None = None,
    tz: str = DEFAULT_TZ_NAME,
) -> Article:
    """The normalised article on a page.

    ``parser`` names the parser (latest version); without it the URL's host chooses
    (:func:`parser_for_url`), falling back to the generic parser. ``encoding`` is the
    HTTP charset, ``selectors`` a source's configured selector overrides, ``tz`` the
    zone of times the page writes without one. Raises :class:`ParseError` for a page
    that is not an article, ``KeyError`` for an unknown parser name, ``ValueError``
    for bad selectors and ``crawler.urls.InvalidURL`` for a non-http(s) ``url``.
    """
    chosen = (
        get_parser(parser, selectors=selectors)
        if parser
        else parser_for_url(url, selectors=selectors)
    )
    return parse_with(
        chosen, html, url, source=source, fetched_at=fetched_at, encoding=encoding, tz=tz
    )
