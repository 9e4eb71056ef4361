"""The records that flow through newswatch: an extracted Article and its Classification.

Parsers produce an ``Article``; ``crawler.normalise`` returns a normalised copy; the
classifier adds a ``Classification``; storage persists both. The records are plain,
typed and free of Scrapy so that every stage can be tested without a crawler.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Names of the extraction methods recorded per field in ``Article.extraction``.
METHOD_JSON_LD = "json-ld"
METHOD_META = "meta"
METHOD_SELECTOR = "selector"
METHOD_TEXT = "visible-text"  # e.g. a date parsed from the page's visible date line
METHOD_FALLBACK = "trafilatura"
METHOD_URL_ID = "url-id"  # time encoded in the CMS article id: a creation time, last resort
METHOD_FEED = "feed"

# Flags an Article may carry (``Article.flags``).
FLAG_DATE_FROM_URL_ID = "published_at_from_url_id"
FLAG_DATE_CLAMPED = "published_at_in_future_clamped"
FLAG_DATE_IMPLAUSIBLE = "published_at_implausible_dropped"
FLAG_LANGUAGE_MISMATCH = "declared_language_mismatch"


@dataclass(slots=True)
class Article:
    """One article as extracted from one page.

    ``published_at`` and ``modified_at`` are timezone-aware when known. ``extraction``
    records, per field name, which method supplied the value (see ``METHOD_*``).
    """

    url: str  # canonical URL: the article's identity
    source: str  # source id from sources.toml ("" for ad-hoc ingests of unknown sites)
    title: str
    text: str  # body: article paragraphs only, separated by blank lines
    summary: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    fetched_url: str | None = None  # where the bytes came from, when it differs from url
    original_url: str | None = None  # the page this one says it translates/republishes
    related_urls: list[str] = field(default_factory=list)  # og:url/canonical elsewhere
    image_url: str | None = None
    section: str | None = None
    extraction: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    fetched_at: datetime | None = None
    parser: str | None = None  # "<module>@<version>" of the parser that produced it

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (datetimes as ISO 8601 with offset)."""
        out = dataclasses.asdict(self)
        for key in ("published_at", "modified_at", "fetched_at"):
            value = out[key]
            out[key] = value.isoformat() if value is not None else None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        for key in ("published_at", "modified_at", "fetched_at"):
            value = kwargs.get(key)
            if isinstance(value, str):
                kwargs[key] = datetime.fromisoformat(value)
        return cls(**kwargs)


@dataclass(slots=True, frozen=True)
class TermMatch:
    """One classifier term found in one field of an article."""

    term: str
    field: str  # "title", "summary" or "text"
    count: int
    topic: str  # "ai" or "open_source"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(slots=True, frozen=True)
class Classification:
    """The classifier's verdict on one article, with its evidence."""

    is_ai: bool
    is_open_source_ai: bool
    ai_score: float
    open_source_ai_score: float
    matched_terms: tuple[TermMatch, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "is_ai": self.is_ai,
            "is_open_source_ai": self.is_open_source_ai,
            "ai_score": self.ai_score,
            "open_source_ai_score": self.open_source_ai_score,
            "matched_terms": [m.to_dict() for m in self.matched_terms],
        }
