"""What goes into a digest: per-recipient story selection and the entries shown.

Each recipient has its own history: a story is offered to a recipient when none of its
current members was carried by a digest to that recipient that is pending or sent.
Recipients whose selections are equal share one digest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from crawler.urls import host_of, is_http_url
from storage import digests as store

SNIPPET_CHARS = 280
MAX_EVIDENCE_TERMS = 8
DISPLAY_TIME = "%d/%m/%Y %H:%M"
# C0/C1 controls other than whitespace: never useful in a title, invalid in XML 1.0.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Link:
    """Another member of a story: its source, title and (http(s) only) URL."""

    source_name: str
    title: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Evidence:
    """One classifier term found in the story, with the fields it was found in."""

    term: str
    fields: tuple[str, ...]
    count: int
    topic: str

    def __str__(self) -> str:
        return f"{self.term} ({', '.join(self.fields)})" if self.fields else self.term


@dataclass(frozen=True, slots=True)
class Member:
    """What a digest records about each article it carries."""

    article_id: int
    url: str
    title: str
    primary: bool


@dataclass(frozen=True, slots=True)
class Entry:
    """One story as shown in a digest or the feed (its primary member's fields)."""

    story_id: int
    article_id: int
    title: str
    url: str | None  # None when the stored URL is not http(s)
    source: str
    source_name: str
    published: str  # in the digest time zone, "28/11/2026 08:52"
    published_known: bool  # False: ``published`` is when newswatch first saw it
    published_at: datetime | None
    first_seen_at: datetime
    updated_at: datetime
    sort_time: str
    snippet: str
    evidence: tuple[Evidence, ...]
    also: tuple[Link, ...]
    members: tuple[Member, ...]
    language: str | None = None


@dataclass
class Plan:
    """The stories one recipient should get now (story ids, display order not yet set)."""

    recipient: str
    open_source_ai: list[int] = field(default_factory=list)
    other_ai: list[int] = field(default_factory=list)
    more_open_source_ai: int = 0  # over digest.max_items: they come in the next digest
    more_other_ai: int = 0
    triggered: bool = False  # holds an open-source-AI story never offered to them

    @property
    def key(self) -> tuple[tuple[int, ...], tuple[int, ...], int, int]:
        return (
            tuple(sorted(self.open_source_ai)),
            tuple(sorted(self.other_ai)),
            self.more_open_source_ai,
            self.more_other_ai,
        )


def one_line(text: str | None) -> str:
    """Scraped text made safe for one line: control characters dropped, space collapsed."""
    if not text:
        return ""
    return _SPACE_RE.sub(" ", _CONTROL_RE.sub("", text)).strip()


def make_snippet(summary: str | None, text: str | None, limit: int = SNIPPET_CHARS) -> str:
    """The summary (or the start of the body), cut at a word boundary near ``limit``."""
    source = one_line(summary) or one_line(text)
    if len(source) <= limit:
        return source
    cut = source[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–—") + "…"


def plan_for(
    db: sqlite_utils.Database, recipient: str, *, max_items: int, include_other: bool
) -> Plan:
    """Select what ``recipient`` has not had yet.

    Open-source-AI stories are taken oldest first when there are more than
    ``max_items`` (so a backlog drains and none starves), other AI stories newest first
    (a secondary section where freshness matters more). ``triggered`` is False when every
    uncarried open-source-AI story was already offered in a digest that failed: those
    wait for the next genuinely new story instead of being retried on every run.
    """
    states = store.uncarried_stories(db, recipient)
    osai = sorted(
        (s for s in states if s.open_source_ai), key=lambda s: (s.first_seen_at, s.story_id)
    )
    other = sorted(
        (s for s in states if not s.open_source_ai),
        key=lambda s: (s.sort_time, s.story_id),
        reverse=True,
    )
    limit = max(1, max_items)
    plan = Plan(recipient, triggered=any(not s.attempted for s in osai))
    plan.open_source_ai = [s.story_id for s in osai[:limit]]
    plan.more_open_source_ai = max(0, len(osai) - limit)
    if include_other:
        plan.other_ai = [s.story_id for s in other[:limit]]
        plan.more_other_ai = max(0, len(other) - limit)
    return plan


def group_plans(plans: Iterable[Plan]) -> list[tuple[list[str], Plan]]:
    """Recipients with identical selections, each group with its shared plan."""
    groups: dict[tuple[Any, ...], tuple[list[str], Plan]] = {}
    for plan in plans:
        if not (plan.triggered and plan.open_source_ai):
            continue
        groups.setdefault(plan.key, ([], plan))[0].append(plan.recipient)
    return list(groups.values())


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _evidence(rows: Sequence[Mapping[str, Any]]) -> tuple[Evidence, ...]:
    """Matched terms of all members merged per term; open-source terms first."""
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        try:
            matches = json.loads(row.get("matched_terms") or "[]")
        except (TypeError, ValueError):
            continue  # a malformed record hides its evidence, never the story
        if not isinstance(matches, list):
            continue
        for match in matches:
            if not isinstance(match, dict) or not one_line(str(match.get("term", ""))):
                continue
            term = one_line(str(match["term"]))
            slot = merged.setdefault(
                term.casefold(), {"term": term, "fields": [], "count": 0, "topic": ""}
            )
            fld = one_line(str(match.get("field", "")))
            if fld and fld not in slot["fields"]:
                slot["fields"].append(fld)
            count = match.get("count", 1)
            slot["count"] += count if isinstance(count, int) else 1
            if match.get("topic") == "open_source" or not slot["topic"]:
                slot["topic"] = one_line(str(match.get("topic", "")))
    ordered = sorted(
        merged.values(),
        key=lambda m: (m["topic"] != "open_source", -m["count"], m["term"].casefold()),
    )
    return tuple(
        Evidence(m["term"], tuple(m["fields"]), m["count"], m["topic"])
        for m in ordered[:MAX_EVIDENCE_TERMS]
    )


def _source_name(row: Mapping[str, Any]) -> str:
    return one_line(row.get("source_name")) or one_line(row.get("source")) or host_of(row["url"])


def make_entry(story_id: int, rows: Sequence[Mapping[str, Any]], tz: ZoneInfo) -> Entry:
    """The entry of one story from its member rows (primary first, as stored returns)."""
    primary = rows[0]
    published_at = _parse_time(primary.get("published_at"))
    first_seen = _parse_time(min(r["first_seen_at"] for r in rows))
    if first_seen is None:  # pragma: no cover - storage always writes an aware time
        raise ValueError(f"story {story_id}: first_seen_at is not an ISO time")
    changed = [t for r in rows for t in (_parse_time(r.get("updated_at")),) if t is not None]
    updated = max([first_seen, *changed])
    shown = published_at or first_seen
    also = tuple(
        Link(_source_name(r), one_line(r["title"]), r["url"] if is_http_url(r["url"]) else None)
        for r in rows[1:]
    )
    return Entry(
        story_id=story_id,
        article_id=int(primary["id"]),
        title=one_line(primary["title"]) or "(untitled)",
        url=primary["url"] if is_http_url(primary["url"]) else None,
        source=primary["source"] or "",
        source_name=_source_name(primary),
        published=shown.astimezone(tz).strftime(DISPLAY_TIME),
        published_known=published_at is not None,
        published_at=published_at,
        first_seen_at=first_seen,
        updated_at=updated,
        sort_time=primary.get("published_utc") or first_seen.isoformat(),
        snippet=make_snippet(primary.get("summary"), primary.get("text")),
        evidence=_evidence(rows),
        also=also,
        members=tuple(
            Member(int(r["id"]), r["url"], one_line(r["title"]), i == 0) for i, r in enumerate(rows)
        ),
        language=primary.get("language"),
    )


def load_entries(db: sqlite_utils.Database, story_ids: Iterable[int], tz: ZoneInfo) -> list[Entry]:
    """Entries for ``story_ids``, newest first (publication time, else first seen)."""
    members = store.story_members(db, story_ids)
    entries = [make_entry(sid, rows, tz) for sid, rows in members.items() if rows]
    return sorted(entries, key=lambda e: (e.sort_time, e.story_id), reverse=True)
