"""What a page states in machine-readable form: JSON-LD and ``<meta>``/``<link>``.

Read once per page into :class:`Structured`; parsers ask it for values and record
:data:`~crawler.models.METHOD_JSON_LD` or :data:`~crawler.models.METHOD_META`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup

from crawler.text import clean_line, decode_entities
from spiders.parsers.markup import attr

# schema.org types that describe the article itself (VideoObject, WebPage,
# BreadcrumbList, Organization... do not).
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReviewNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "TechArticle",
        "Report",
        "ScholarlyArticle",
    }
)
_TRAILING_COMMA_RE = re.compile(r",(\s*[}\]])")


def _load_json(text: str) -> Any:
    """JSON as CMS templates write it: raw newlines in strings, trailing commas."""
    try:
        return json.loads(text, strict=False)
    except ValueError:
        pass
    try:
        return json.loads(_TRAILING_COMMA_RE.sub(r"\1", text), strict=False)
    except ValueError:
        return None


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object in a document: top-level lists and ``@graph`` flattened."""
    stack = [data]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[0:0] = item
        elif isinstance(item, dict):
            yield item
            if isinstance(item.get("@graph"), list):
                stack[0:0] = item["@graph"]


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    names = value if isinstance(value, list) else [value]
    return {name.rsplit("/", 1)[-1] for name in names if isinstance(name, str)}


def json_text(value: Any) -> str:
    """A JSON-LD value as clean text: entities decoded (some CMSs encode twice)."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or ""
    return clean_line(decode_entities(value)) if isinstance(value, str) else ""


def json_url(value: Any) -> str:
    """A URL from an ImageObject, a list of them, or a plain string."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id") or ""
    return value.strip() if isinstance(value, str) else ""


@dataclass
class Structured:
    """JSON-LD article object, ``<meta>`` values by key, canonical link, html lang."""

    article: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, list[str]] = field(default_factory=dict)
    canonical: str = ""
    html_lang: str = ""

    def first_meta(self, *keys: str) -> str:
        """The first non-empty ``<meta>`` content among ``keys`` (lowercase), entities decoded."""
        for key in keys:
            for value in self.meta.get(key, ()):
                cleaned = clean_line(decode_entities(value))
                if cleaned:
                    return cleaned
        return ""

    def all_meta(self, *keys: str) -> list[str]:
        return [clean_line(decode_entities(v)) for key in keys for v in self.meta.get(key, ()) if v]


def read_structured(soup: BeautifulSoup) -> Structured:
    """Collect JSON-LD, meta tags, the canonical link and the document language."""
    found = Structured()
    for script in soup.select('script[type*="ld+json" i]'):
        for obj in _objects(_load_json(script.get_text())):
            if _types(obj) & ARTICLE_TYPES and not found.article:
                found.article = obj
    for meta in soup.find_all("meta"):
        content = attr(meta, "content")
        for key_attr in ("property", "name", "itemprop", "http-equiv"):
            key = attr(meta, key_attr).lower()
            if key and content:
                found.meta.setdefault(key, []).append(content)
    canonical = soup.select_one('link[rel~="canonical" i][href]')
    found.canonical = attr(canonical, "href")
    found.html_lang = attr(soup.select_one("html"), "lang")
    return found
