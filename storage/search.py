"""Full-text search and filtered listing of articles.

User queries are never passed to FTS5 as syntax: each word or "quoted phrase" becomes a
quoted FTS5 phrase (so stray quotes, parentheses, ``NEAR``, ``:`` or ``*`` cannot break the
query), words are ANDed, an uppercase ``OR`` between two terms ORs them, a leading ``-``
excludes a term and a trailing ``*`` makes a prefix search. Text is NFC-normalised and
đ/Đ folded like the index; the tokenizer removes the other diacritics on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from crawler.text import fold, fold_dd, nfc
from storage.articles import decode_row

_TERM_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD_RE = re.compile(r"\w+", re.UNICODE)
TOPICS = ("ai", "open-source-ai")
RANK_WEIGHTS = (10.0, 4.0, 1.0)  # title, summary, body


@dataclass(frozen=True)
class Filters:
    """Filters shared by ``search`` and ``export``. Dates are ISO strings (UTC compared)."""

    since: str | None = None
    until: str | None = None
    sources: Sequence[str] = ()
    topic: str | None = None  # "ai" | "open-source-ai"
    language: str | None = None
    # One row per story: its primary member when that one matches, else the best-ranked
    # (search) or earliest (export) matching member.
    one_per_story: bool = False


@dataclass
class FtsQuery:
    """A user query compiled to a safe FTS5 expression, plus the words to highlight."""

    expression: str
    highlight: list[str] = field(default_factory=list)


def _phrase(words: list[str], prefix: bool) -> str:
    return '"' + " ".join(words) + '"' + (" *" if prefix else "")


def compile_query(query: str) -> FtsQuery | None:
    """Compile a user query; None when it holds no searchable word."""
    query = fold_dd(nfc(query))
    positives: list[str] = []
    negatives: list[str] = []
    highlight: list[str] = []
    pending_or = False
    for match in _TERM_RE.finditer(query):
        negate, quoted, bare = match.group(1), match.group(2), match.group(3)
        raw = quoted if quoted is not None else bare
        if bare is not None and bare == "OR" and positives:
            pending_or = True
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negate, raw = "-", bare[1:]
        prefix = quoted is None and raw.endswith("*")
        words = _WORD_RE.findall(raw)
        if not words:
            continue
        phrase = _phrase(words, prefix)
        if negate:
            negatives.append(phrase)
            continue
        highlight.extend(words)
        if pending_or:
            positives[-1] = f"({positives[-1]} OR {phrase})"
            pending_or = False
        else:
            positives.append(phrase)
    if not positives:
        return None
    expression = " AND ".join(positives)
    for phrase in negatives:
        expression = f"({expression}) NOT {phrase}"
    return FtsQuery(expression, highlight)


def _filter_sql(filters: Filters, alias: str = "a") -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    when = f"coalesce({alias}.published_utc, {alias}.first_seen_at)"
    if filters.since:
        clauses.append(f"{when} >= ?")
        params.append(filters.since)
    if filters.until:
        clauses.append(f"{when} < ?")
        params.append(filters.until)
    if filters.sources:
        clauses.append(f"{alias}.source IN ({', '.join('?' for _ in filters.sources)})")
        params.extend(filters.sources)
    if filters.topic == "ai":
        clauses.append(f"{alias}.is_ai = 1")
    elif filters.topic == "open-source-ai":
        clauses.append(f"{alias}.is_open_source_ai = 1")
    elif filters.topic is not None:
        raise ValueError(f"unknown topic {filters.topic!r}; expected one of {', '.join(TOPICS)}")
    if filters.language:
        clauses.append(f"{alias}.language = ?")
        params.append(filters.language.lower())
    return clauses, params


def _one_per_story(sql: str, order: str) -> str:
    """Keep one row of ``sql`` per story: the first by ``order`` within each story.

    Filtering on ``duplicate_of IS NULL`` instead would drop a story whose primary does
    not match (an English search would lose every story first published in Vietnamese).
    """
    return (
        f"SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY coalesce(story_id, id) "
        f"ORDER BY {order}) AS story_rank FROM ({sql})) WHERE story_rank = 1"
    )


def search(
    db: sqlite_utils.Database,
    query: str,
    filters: Filters = Filters(),
    *,
    limit: int = 20,
    mark: tuple[str, str] = ("[", "]"),
) -> list[dict[str, Any]]:
    """Articles matching ``query``, best first, each with ``rank`` and ``snippet``."""
    compiled = compile_query(query)
    if compiled is None:
        return []
    clauses, params = _filter_sql(filters)
    where = " AND ".join(["articles_fts MATCH ?", *clauses])
    weights = ", ".join(str(w) for w in RANK_WEIGHTS)
    sql = (
        f"SELECT a.*, bm25(articles_fts, {weights}) AS rank FROM articles_fts "
        f"JOIN articles a ON a.id = articles_fts.rowid WHERE {where}"
    )
    if filters.one_per_story:
        # bm25() cannot appear in a window's ORDER BY: rank is computed one level down.
        sql = _one_per_story(sql, "duplicate_of IS NOT NULL, rank, id")
    rows = db.query(f"{sql} ORDER BY rank LIMIT ?", [compiled.expression, *params, int(limit)])
    results = []
    for row in rows:
        decoded = decode_row(row)
        decoded.pop("story_rank", None)
        decoded["snippet"] = snippet(
            " ".join(p for p in (row["summary"], row["text"]) if p) or row["title"],
            compiled.highlight,
            mark=mark,
        )
        results.append(decoded)
    return results


def list_articles(
    db: sqlite_utils.Database, filters: Filters = Filters(), *, limit: int | None = None
) -> Iterator[dict[str, Any]]:
    """Articles matching ``filters``, newest first (used by export)."""
    clauses, params = _filter_sql(filters)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    tail = " LIMIT ?" if limit is not None else ""
    if limit is not None:
        params.append(int(limit))
    sql = f"SELECT a.* FROM articles a {where}"
    if filters.one_per_story:
        # The story's earliest matching member: its primary whenever that one matches.
        sql = _one_per_story(sql, "coalesce(published_utc, first_seen_at), id")
    sql += f" ORDER BY coalesce(published_utc, first_seen_at) DESC, id DESC{tail}"
    for row in db.query(sql, params):
        decoded = decode_row(row)
        decoded.pop("story_rank", None)
        yield decoded


def snippet(
    text: str, words: Sequence[str], *, width: int = 200, mark: tuple[str, str] = ("[", "]")
) -> str:
    """A window of ``text`` around the first query word, every query word marked.

    Matching is diacritic- and đ-insensitive; ``fold`` keeps offsets, so the marks land
    on the original (accented) text.
    """
    text = " ".join(nfc(text).split())
    folded = fold(text)
    targets = sorted({fold(w) for w in words if w}, key=len, reverse=True)
    spans: list[tuple[int, int]] = []
    for target in targets:
        for m in re.finditer(rf"(?<!\w){re.escape(target)}\w*", folded):
            if not any(s <= m.start() < e for s, e in spans):
                spans.append((m.start(), m.end()))
    spans.sort()
    start = max(0, spans[0][0] - width // 3) if spans else 0
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    pieces: list[str] = ["…" if start else ""]
    cursor = start
    for s, e in spans:
        if s < start or e > end:
            continue
        pieces.append(text[cursor:s])
        pieces.append(mark[0] + text[s:e] + mark[1])
        cursor = e
    pieces.append(text[cursor:end])
    pieces.append("…" if end < len(text) else "")
    return "".join(pieces)
