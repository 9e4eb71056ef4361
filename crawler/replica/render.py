"""Render an article as one source's article page.

``render_article("vnexpress", article)`` returns HTML with that site's structure,
classes, JSON-LD and ``<meta>`` quirks and its boilerplate (related boxes, captions,
ad slots, share widgets), so that the matching parser reads back the same article.

The article is a mapping with ``title``, ``paragraphs`` (list of str), ``url`` and
``published_at`` (timezone-aware datetime), and optionally ``summary``, ``authors``
(list of str), ``language`` ("vi"), ``section``, ``original_url`` (the page it
translates or republishes), ``related`` (list of ``{"title", "url"}``),
``image_caption`` and ``source_name`` (the original paper, for republished pages).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_REQUIRED = ("title", "paragraphs", "url", "published_at")
_WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")


def weekday(moment: datetime, capitalise: bool = False) -> str:
    """Vietnamese weekday as the sites print it: "Thứ bảy" (or "Thứ Bảy")."""
    name = _WEEKDAYS[moment.weekday()]
    return " ".join(word.capitalize() for word in name.split()) if capitalise else name


def ncr(text: str) -> Markup:
    """HTML-escaped text with every non-ASCII character as a numeric reference (genk)."""
    escaped = html.escape(text, quote=True)
    return Markup("".join(c if ord(c) < 128 else f"&#{ord(c)};" for c in escaped))  # noqa: S704


def latin1_ncr(text: str) -> Markup:
    """ASP.NET's attribute encoding: Latin-1 letters and "+" as references (baochinhphu
    writes ``Ch&#237;nh`` and ``+07:00`` as ``&#x2B;07:00``), the rest as is."""
    escaped = html.escape(text, quote=True)
    out = []
    for char in escaped:
        if char == "+":
            out.append("&#x2B;")
        elif 0xA0 <= ord(char) <= 0xFF:
            out.append(f"&#{ord(char)};")
        else:
            out.append(char)
    return Markup("".join(out))  # noqa: S704


def jsonld(value: Any, ascii_only: bool = False) -> Markup:
    """A JSON value for a ``<script type=application/ld+json>`` block."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    return Markup(text.replace("</", "<\\/"))  # noqa: S704


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(weekday=weekday, ncr=ncr, latin1_ncr=latin1_ncr, jsonld=jsonld)
    env.globals["utc"] = UTC
    return env


def template_names() -> list[str]:
    """Parser names that have a replica template (partials start with "_")."""
    names = (p.name.removesuffix(".html.j2") for p in TEMPLATES.glob("*.html.j2"))
    return sorted(name for name in names if not name.startswith("_"))


def _context(article: Mapping[str, Any]) -> dict[str, Any]:
    missing = [key for key in _REQUIRED if not article.get(key)]
    if missing:
        raise ValueError(f"article lacks {', '.join(missing)}")
    published = article["published_at"]
    if not isinstance(published, datetime) or published.utcoffset() is None:
        raise ValueError("article published_at must be a timezone-aware datetime")
    return {
        "summary": "",
        "authors": [],
        "language": "vi",
        "section": "",
        "original_url": None,
        "source_name": "",
        "related": [],
        "image_caption": "",
        **article,
        "published": published.astimezone(LOCAL_TZ),
    }


def render_article(parser_name: str, article: Mapping[str, Any]) -> str:
    """HTML of ``article`` as the source ``parser_name`` would publish it.

    Raises ``KeyError`` when there is no template for ``parser_name`` and
    ``ValueError`` when the article lacks a required field.
    """
    try:
        template = environment().get_template(f"{parser_name}.html.j2")
    except TemplateNotFound as exc:
        raise KeyError(f"no replica template for {parser_name!r}") from exc
    return template.render(a=_context(article))
