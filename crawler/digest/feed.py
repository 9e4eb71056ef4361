"""The Atom feed of open-source-AI stories (``open-source-ai.atom`` in the output folder).

One entry per story (the primary member's title, link and time; other members as
``rel="related"`` links), the newest ``digest.feed_entries`` stories, rewritten on every
run through a temporary file and a rename. Entry ids are ``tag:`` URIs built from the
story id, so a reader keeps its read/unread state across runs. The feed does not depend
on who received which digest: it lists stories, not deliveries.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import sqlite_utils

from crawler import __version__
from crawler.config import Settings
from crawler.digest.deliver import atomic_write
from crawler.digest.select import Entry, load_entries
from crawler.urls import is_http_url
from storage import digests as store

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_NAME = "open-source-ai.atom"
TAG_DATE = "2026"  # the date part of tag: URIs; never change it, ids would change
FEED_TITLE = "newswatch: open-source AI in Vietnamese news"
_XML_INVALID_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """Text XML 1.0 can carry (scraped text may hold control characters)."""
    return _XML_INVALID_RE.sub("", value)


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def tag_base(site_url: str) -> str:
    """``tag:<host>,2026:<path>`` from ``digest.site_url`` (the publisher's own URL)."""
    parts = urlsplit(site_url) if is_http_url(site_url) else None
    host = (parts.hostname if parts else None) or "newswatch.invalid"
    path = (parts.path.strip("/") if parts else "") or "newswatch"
    return f"tag:{host},{TAG_DATE}:{path}"


def story_tag(site_url: str, story_id: int) -> str:
    return f"{tag_base(site_url)}/open-source-ai/story/{story_id}"


def _sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attrs)
    if text is not None:
        element.text = _text(text)
    return element


def _entry_html(entry: Entry) -> str:
    """The entry's content: snippet, evidence, other coverage (escaped here, once)."""
    parts = []
    if entry.snippet:
        parts.append(f"<p>{html.escape(entry.snippet)}</p>")
    if entry.evidence:
        terms = "; ".join(html.escape(str(e)) for e in entry.evidence)
        parts.append(f"<p>Evidence: {terms}</p>")
    if entry.also:
        items = []
        for link in entry.also:
            label = html.escape(f"{link.source_name}: {link.title}")
            if link.url:
                href = html.escape(link.url, quote=True)
                items.append(f'<li><a href="{href}">{label}</a></li>')
            else:
                items.append(f"<li>{label}</li>")
        parts.append(f"<p>Also covered by:</p><ul>{''.join(items)}</ul>")
    return "".join(parts)


def _add_entry(feed: ET.Element, entry: Entry, site_url: str) -> None:
    item = _sub(feed, "entry")
    _sub(item, "id", story_tag(site_url, entry.story_id))
    _sub(item, "title", entry.title, type="text")
    if entry.url:
        _sub(item, "link", rel="alternate", type="text/html", href=_text(entry.url))
    for link in entry.also:
        if link.url:
            _sub(item, "link", rel="related", href=_text(link.url), title=_text(link.title))
    _sub(item, "published", _rfc3339(entry.published_at or entry.first_seen_at))
    _sub(item, "updated", _rfc3339(entry.updated_at))
    author = _sub(item, "author")
    _sub(author, "name", entry.source_name)
    _sub(item, "category", term="open-source-ai", label="Open-source AI")
    if entry.snippet:
        _sub(item, "summary", entry.snippet, type="text")
    _sub(item, "content", _entry_html(entry), type="html")


def build_feed(entries: Sequence[Entry], *, site_url: str, now: datetime) -> bytes:
    """The Atom document; ``updated`` is the newest entry's (``now`` when empty), so an
    unchanged set of stories gives a byte-identical file."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", f"{tag_base(site_url)}/open-source-ai")
    _sub(feed, "title", FEED_TITLE, type="text")
    _sub(feed, "subtitle", "Each story once, newest first.", type="text")
    updated = max((e.updated_at for e in entries), default=now)
    _sub(feed, "updated", _rfc3339(updated))
    if is_http_url(site_url):
        _sub(feed, "link", rel="alternate", type="text/html", href=site_url)
    author = _sub(feed, "author")
    _sub(author, "name", "newswatch")
    _sub(feed, "generator", "newswatch", version=__version__)
    for entry in entries:
        _add_entry(feed, entry, site_url)
    ET.indent(feed)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body + b"\n"


def feed_entries(db: sqlite_utils.Database, settings: Settings) -> list[Entry]:
    """The newest ``digest.feed_entries`` open-source-AI stories, newest first."""
    stories = sorted(store.open_source_ai_stories(db), key=lambda s: (s[1], s[0]), reverse=True)
    chosen = [sid for sid, _ in stories[: max(0, settings.digest.feed_entries)]]
    return load_entries(db, chosen, ZoneInfo(settings.digest.timezone))


def write_feed(
    db: sqlite_utils.Database, settings: Settings, out_dir: Path, now: datetime
) -> tuple[Path, int]:
    """Rewrite the feed atomically; returns its path and the number of entries."""
    entries = feed_entries(db, settings)
    path = out_dir / FEED_NAME
    atomic_write(path, build_feed(entries, site_url=settings.digest.site_url, now=now))
    return path, len(entries)
