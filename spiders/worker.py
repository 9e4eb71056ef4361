"""What a crawl's parse worker process does with one article page.

It extracts the article (:func:`spiders.parsers.parse_article`) and, when story
grouping is on, prepares its dedupe signature (:func:`crawler.dedupe.prepare_text`):
the two CPU-heavy steps of a page, done beside the crawl process, which then only
downloads and stores. No Scrapy here: a worker imports only what it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crawler.models import Article
from spiders.parsers import parse_article


def extract(
    body: bytes, url: str, *, dedupe: Mapping[str, Any] | None = None, **options: Any
) -> tuple[Article, dict[str, Any] | None]:
    """``parse_article(body, url, **options)`` and, with ``dedupe`` (index parameters as
    ``IndexParams.to_dict``), the article's signature as ``prepared_to_json`` gives it."""
    article = parse_article(body, url, **options)
    if dedupe is None:
        return article, None
    from crawler.dedupe import IndexParams, prepare_text, prepared_to_json
    from storage.articles import content_hash

    params = IndexParams.from_dict(dict(dedupe))
    prepared = prepare_text(article.title, article.text, content_hash(article), params)
    return article, prepared_to_json(prepared, params)
