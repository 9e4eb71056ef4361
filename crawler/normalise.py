"""Turn an extracted Article into the normal form every later stage relies on.

Parsers report what a page says; this module makes the record consistent whatever the
source: NFC text with entities decoded and whitespace cleaned, the canonical URL,
timezone-aware and plausible dates, a checked language, no duplicate authors, only
http(s) links, and no summary repeated as the title or as the body's first paragraph.
It never reads a page and never fails on odd values: what cannot be trusted is dropped
and the article is flagged. :func:`check_article` says whether the result is an
article at all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo

from crawler.dates import as_aware, zone
from crawler.language import resolve_language
from crawler.models import (
    FLAG_DATE_CLAMPED,
    FLAG_DATE_IMPLAUSIBLE,
    FLAG_LANGUAGE_MISMATCH,
    Article,
)
from crawler.text import clean_line, clean_paragraphs, decode_entities, fold
from crawler.urls import InvalidURL, canonical_url, is_http_url

# Sites and servers disagree by a few minutes; a later time than this is not a clock
# skew but a wrong zone or a scheduled post, and is clamped to the fetch time.
FUTURE_TOLERANCE = timedelta(minutes=10)
# No target site published online before this; earlier dates are parsing accidents
# (a "01/01/0001" placeholder, a two-digit year read as the first century).
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
# Below this many characters of body the page is a stub, a video page or an index.
MIN_BODY_CHARS = 150

_NON_WORD_RE = re.compile(r"[\W_]+")


def _line(value: str | None) -> str:
    return clean_line(decode_entities(value)) if value else ""


def _comparable(text: str) -> str:
    """Text reduced to its words: case, diacritics, punctuation and quotes ignored."""
    return _NON_WORD_RE.sub(" ", fold(text)).strip()


def _unique(values: Iterable[str], *, loosely: bool = False) -> list[str]:
    """Non-empty values in order, duplicates dropped (``loosely``: as :func:`_comparable`)."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        marker = _comparable(value) if loosely else value
        if value and marker not in seen:
            seen.add(marker)
            out.append(value)
    return out


def _published(
    value: datetime | None, fetched_at: datetime, tz: tzinfo
) -> tuple[datetime | None, str | None]:
    """The publication time made aware and plausible, and the flag explaining a change."""
    if value is None:
        return None, None
    value = as_aware(value, tz)
    if value < EARLIEST_PLAUSIBLE:
        return None, FLAG_DATE_IMPLAUSIBLE
    if value > fetched_at + FUTURE_TOLERANCE:
        return fetched_at, FLAG_DATE_CLAMPED
    return value, None


def _modified(
    value: datetime | None, fetched_at: datetime, published: datetime | None, tz: tzinfo
) -> datetime | None:
    """The modification time when plausible; it is secondary, so doubt drops it."""
    if value is None:
        return None
    value = as_aware(value, tz)
    if value < EARLIEST_PLAUSIBLE or value > fetched_at + FUTURE_TOLERANCE:
        return None
    if published is not None and value < published:
        return None
    return value


def _http_url(url: str | None) -> str | None:
    """The canonical form of an http(s) URL; ``None`` for javascript:, data:, junk."""
    if not url or not is_http_url(url):
        return None
    try:
        return canonical_url(url)
    except InvalidURL:
        return None


def _drop_repeated_summary(text: str, summary: str | None) -> str:
    """The body without leading paragraphs that repeat the summary (vietnamplus)."""
    if not summary:
        return text
    paragraphs = text.split("\n\n")
    target = _comparable(summary)
    while paragraphs and _comparable(paragraphs[0]) == target:
        paragraphs.pop(0)
    return "\n\n".join(paragraphs)


def _links(article: Article, url: str) -> tuple[str | None, list[str], str | None]:
    """original_url, related_urls and image_url with everything but http(s) dropped."""
    original = _http_url(article.original_url)
    if original == url:
        original = None
    related = _unique(u for u in map(_http_url, article.related_urls) if u)
    image = article.image_url.strip() if article.image_url else None
    # image URLs stay byte for byte (CDNs sign their query strings), only checked
    return (
        original,
        [u for u in related if u not in (url, original)],
        (image if is_http_url(image) else None),
    )


def normalise_article(
    article: Article, *, fetched_at: datetime, tz: tzinfo | str = "Asia/Ho_Chi_Minh"
) -> Article:
    """A normalised copy of ``article``; the input is not modified.

    Raises :class:`crawler.urls.InvalidURL` when ``article.url`` is not an http(s)
    URL: an article without an identity cannot be stored. Applying the function to
    its own result changes nothing.
    """
    local = zone(tz)
    fetched = as_aware(fetched_at, local)
    flags = list(article.flags)
    url = canonical_url(article.url)
    title = _line(article.title)
    summary = _line(article.summary) or None
    if summary is not None and _comparable(summary) == _comparable(title):
        summary = None
    text = _drop_repeated_summary(clean_paragraphs(decode_entities(article.text)), summary)

    published, flag = _published(article.published_at, fetched, local)
    if flag:
        flags.append(flag)
    language, mismatch = resolve_language(article.language, f"{title}\n{summary or ''}\n{text}")
    if mismatch:
        flags.append(FLAG_LANGUAGE_MISMATCH)
    original_url, related_urls, image_url = _links(article, url)

    result = dataclasses.replace(
        article,
        url=url,
        # where the bytes came from stays as fetched, and only when it differs
        fetched_url=article.fetched_url
        if _http_url(article.fetched_url) not in (None, url)
        else None,
        title=title,
        summary=summary,
        text=text,
        authors=_unique((_line(a) for a in article.authors), loosely=True),
        published_at=published,
        modified_at=_modified(article.modified_at, fetched, published, local),
        language=language,
        original_url=original_url,
        related_urls=related_urls,
        image_url=image_url,
        section=_line(article.section) or None,
        flags=_unique(flags),
        fetched_at=fetched,
    )
    # a field dropped here no longer has a method that supplied it
    result.extraction = {
        name: method
        for name, method in article.extraction.items()
        if getattr(result, name, None) not in (None, "", [])
    }
    return result


def check_article(article: Article) -> list[str]:
    """Why ``article`` is not an article (empty when it is one)."""
    problems = []
    if not article.title.strip():
        problems.append("no title")
    body = len(article.text.strip())
    if body < MIN_BODY_CHARS:
        problems.append(f"body too short ({body} < {MIN_BODY_CHARS} characters)")
    return problems
