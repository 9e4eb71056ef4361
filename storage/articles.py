"""Articles: insert-or-update by canonical URL, lookups, and row <-> record conversion."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import sqlite_utils

from crawler.models import Article, Classification
from storage.db import write_transaction

JSON_COLUMNS = ("authors", "related_urls", "extraction", "flags", "matched_terms")
UpsertStatus = Literal["new", "updated", "unchanged"]


@dataclass(frozen=True, slots=True)
class UpsertResult:
    id: int
    status: UpsertStatus
    previous_hash: str | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def insert_row(db: sqlite_utils.Database, table: str, row: dict[str, Any]) -> int:
    """Insert one row into a table with an integer primary key; returns the new id."""
    inserted = db.table(table).insert(row)
    if inserted.last_rowid is None:  # pragma: no cover - sqlite always reports it
        raise RuntimeError(f"insert into {table} returned no rowid")
    return int(inserted.last_rowid)


def content_hash(article: Article) -> str:
    """Hash of what a reader sees: title, summary and body (already normalised)."""
    digest = hashlib.sha256()
    for part in (article.title, article.summary or "", article.text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=isinstance(value, dict))


def article_row(article: Article, classification: Classification | None) -> dict[str, Any]:
    """The columns an Article (and its classification) fills."""
    published_utc = (
        article.published_at.astimezone(UTC).isoformat() if article.published_at else None
    )
    row: dict[str, Any] = {
        "url": article.url,
        "source": article.source,
        "title": article.title,
        "summary": article.summary,
        "text": article.text,
        "authors": _dumps(article.authors),
        "published_at": iso(article.published_at),
        "published_utc": published_utc,
        "modified_at": iso(article.modified_at),
        "language": article.language,
        "section": article.section,
        "image_url": article.image_url,
        "fetched_url": article.fetched_url,
        "original_url": article.original_url,
        "related_urls": _dumps(article.related_urls),
        "extraction": _dumps(article.extraction),
        "flags": _dumps(article.flags),
        "parser": article.parser,
        "content_hash": content_hash(article),
    }
    if classification is not None:
        row.update(classification_row(classification))
    return row


def classification_row(c: Classification) -> dict[str, Any]:
    return {
        "is_ai": int(c.is_ai),
        "is_open_source_ai": int(c.is_open_source_ai),
        "ai_score": c.ai_score,
        "open_source_ai_score": c.open_source_ai_score,
        "matched_terms": _dumps([m.to_dict() for m in c.matched_terms]),
    }


def upsert_article(
    db: sqlite_utils.Database,
    article: Article,
    classification: Classification | None = None,
    *,
    now: datetime | None = None,
    topics_version: str | None = None,
) -> UpsertResult:
    """Store ``article`` under its canonical URL.

    New URL: inserted (its own story until deduplication says otherwise). Known URL with
    the same content: only ``last_seen_at`` moves. Known URL with changed content: the
    record is updated, ``updated_at`` set and the previous content hash kept; the article
    keeps its id, story and ``first_seen_at``, so it is never announced twice.
    """
    stamp = (now or utc_now()).isoformat()
    row = article_row(article, classification)
    if topics_version is not None and classification is not None:
        row["topics_version"] = topics_version
    with write_transaction(db):
        existing = db.execute(
            "SELECT id, content_hash FROM articles WHERE url = ?", [article.url]
        ).fetchone()
        if existing is None:
            row.update(first_seen_at=stamp, last_seen_at=stamp)
            new_id = insert_row(db, "articles", row)
            db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [new_id, new_id])
            return UpsertResult(new_id, "new")
        article_id, old_hash = int(existing[0]), existing[1]
        if old_hash == row["content_hash"]:
            db.execute("UPDATE articles SET last_seen_at = ? WHERE id = ?", [stamp, article_id])
            return UpsertResult(article_id, "unchanged", old_hash)
        row.update(last_seen_at=stamp, updated_at=stamp, previous_content_hash=old_hash)
        db.table("articles").update(article_id, row)
        return UpsertResult(article_id, "updated", old_hash)


def decode_row(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row with JSON columns parsed and flags as booleans."""
    out = dict(row)
    for key in JSON_COLUMNS:
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    for key in ("is_ai", "is_open_source_ai"):
        if key in out and out[key] is not None:
            out[key] = bool(out[key])
    return out


def get_article(db: sqlite_utils.Database, key: int | str) -> dict[str, Any] | None:
    """An article by id or by URL (the URL is canonicalised first)."""
    from crawler.urls import InvalidURL, canonical_url

    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        rows = list(db.query("SELECT * FROM articles WHERE id = ?", [int(key)]))
    else:
        try:
            url = canonical_url(key)
        except InvalidURL:
            return None
        rows = list(db.query("SELECT * FROM articles WHERE url = ? OR fetched_url = ?", [url, key]))
    return decode_row(rows[0]) if rows else None


def story_members(db: sqlite_utils.Database, story_id: int) -> list[dict[str, Any]]:
    """All articles of a story, earliest published first."""
    rows = db.query(
        "SELECT id, url, source, title, language, published_at, duplicate_of FROM articles "
        "WHERE story_id = ? ORDER BY coalesce(published_utc, first_seen_at), id",
        [story_id],
    )
    return list(rows)


def known_urls(db: sqlite_utils.Database, source: str | None = None) -> set[str]:
    """Canonical and fetched URLs already stored (optionally for one source)."""
    where, params = ("WHERE source = ?", [source]) if source else ("", [])
    urls: set[str] = set()
    for url, fetched in db.execute(f"SELECT url, fetched_url FROM articles {where}", params):
        urls.add(url)
        if fetched:
            urls.add(fetched)
    return urls


def iter_articles(
    db: sqlite_utils.Database,
    where: str = "",
    params: Iterable[Any] = (),
    *,
    columns: str = "*",
    batch: int = 1000,
) -> Iterator[dict[str, Any]]:
    """Stream stored rows (raw, JSON undecoded) in id order, ``batch`` at a time.

    ``columns`` must include ``id`` (keyset pagination); it is internal SQL, never user input.
    """
    last = 0
    clause = f"AND ({where})" if where else ""
    while True:
        rows = list(
            db.query(
                f"SELECT {columns} FROM articles WHERE id > ? {clause} "
                f"ORDER BY id LIMIT {int(batch)}",
                [last, *params],
            )
        )
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]


def update_classifications(
    db: sqlite_utils.Database,
    updates: Iterable[tuple[int, Classification]],
    *,
    topics_version: str | None = None,
) -> None:
    """Write classifier results for existing articles, in one transaction."""
    with write_transaction(db):
        for article_id, c in updates:
            values = classification_row(c)
            values["topics_version"] = topics_version
            sets = ", ".join(f"{k} = ?" for k in values)
            db.execute(f"UPDATE articles SET {sets} WHERE id = ?", [*values.values(), article_id])
