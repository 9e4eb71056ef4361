"""Stories: the SQL behind grouping copies and translations (see ``crawler.dedupe``).

Tables (migration ``m004_dedupe``): ``dedupe_meta`` (the parameters the index was built
with), ``dedupe_signatures`` (one MinHash per article and why it is in its story),
``dedupe_bands`` (the LSH index: (band, bucket) -> article) and ``dedupe_links`` (the
"Source:"/canonical/og:url links each article makes, resolved or still pending).

Story columns live on ``articles``: ``story_id`` (the id of the story's first stored
member) and ``duplicate_of`` (NULL for the story's one primary member, else the primary's
id). The primary is the earliest published member; an unknown publication time counts
as ``first_seen_at``; ties go to the lowest id. Every write here joins the caller's
:func:`~storage.db.write_transaction` (or opens one).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from storage.db import write_transaction

META_INDEX_PARAMS = "index_params"
META_THRESHOLD = "grouping_threshold"
# Same order as storage.articles.story_members: the first member listed is the primary.
STORY_ORDER = "coalesce(published_utc, first_seen_at), id"


@dataclass(frozen=True, slots=True)
class DedupeRow:
    """The columns of one article that grouping reads."""

    id: int
    url: str
    fetched_url: str | None
    title: str
    text: str
    content_hash: str
    original_url: str | None
    related_urls: tuple[str, ...]
    story_id: int
    duplicate_of: int | None


@dataclass(frozen=True, slots=True)
class StoredSignature:
    content_hash: str
    tokens: int
    hashvalues: bytes | None  # None: text too short to compare


@dataclass(frozen=True, slots=True)
class Grouping:
    """Why an article is in its story, as last recorded."""

    reason: str
    similarity: float | None
    matched_id: int | None
    assigned_at: str


_ROW_COLUMNS = (
    "id, url, fetched_url, title, text, content_hash, original_url, related_urls, "
    "coalesce(story_id, id), duplicate_of"
)


def _to_row(values: Sequence[Any]) -> DedupeRow:
    related = json.loads(values[7]) if values[7] else []
    return DedupeRow(
        id=int(values[0]),
        url=values[1],
        fetched_url=values[2],
        title=values[3],
        text=values[4],
        content_hash=values[5],
        original_url=values[6],
        related_urls=tuple(u for u in related if isinstance(u, str)),
        story_id=int(values[8]),
        duplicate_of=values[9],
    )


def dedupe_row(db: sqlite_utils.Database, article_id: int) -> DedupeRow | None:
    """The grouping-relevant columns of one article, or None when it does not exist."""
    found = db.execute(f"SELECT {_ROW_COLUMNS} FROM articles WHERE id = ?", [article_id]).fetchone()
    return _to_row(found) if found else None


def dedupe_rows_after(db: sqlite_utils.Database, last_id: int, limit: int) -> list[DedupeRow]:
    """Up to ``limit`` articles with id > ``last_id``, in id order (for rebuilds)."""
    rows = db.execute(
        f"SELECT {_ROW_COLUMNS} FROM articles WHERE id > ? ORDER BY id LIMIT ?",
        [last_id, int(limit)],
    ).fetchall()
    return [_to_row(r) for r in rows]


# --------------------------------------------------------------------------- index meta


def index_params(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The parameters the stored signatures and bands were computed with, if any."""
    found = db.execute(
        "SELECT value FROM dedupe_meta WHERE key = ?", [META_INDEX_PARAMS]
    ).fetchone()
    return json.loads(found[0]) if found else None


def grouping_threshold(db: sqlite_utils.Database) -> float | None:
    """The similarity threshold of the last rebuild (or of the index's creation)."""
    found = db.execute("SELECT value FROM dedupe_meta WHERE key = ?", [META_THRESHOLD]).fetchone()
    return float(json.loads(found[0])) if found else None


def set_index_params(db: sqlite_utils.Database, params: dict[str, Any], threshold: float) -> None:
    """Record the parameters (and threshold) the index is being built with."""
    with write_transaction(db):
        for key, value in ((META_INDEX_PARAMS, params), (META_THRESHOLD, threshold)):
            db.execute(
                "INSERT INTO dedupe_meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, json.dumps(value, sort_keys=True)],
            )


# --------------------------------------------------------------------------- signatures


def stored_signature(db: sqlite_utils.Database, article_id: int) -> StoredSignature | None:
    found = db.execute(
        "SELECT content_hash, tokens, hashvalues FROM dedupe_signatures WHERE article_id = ?",
        [article_id],
    ).fetchone()
    return StoredSignature(found[0], int(found[1]), found[2]) if found else None


def save_signature(
    db: sqlite_utils.Database,
    article_id: int,
    signature: StoredSignature,
    buckets: Sequence[tuple[int, int]],
    *,
    now: str,
) -> None:
    """Store an article's signature and replace its LSH bands with ``buckets``."""
    with write_transaction(db):
        db.execute("DELETE FROM dedupe_bands WHERE article_id = ?", [article_id])
        db.execute(
            "INSERT INTO dedupe_signatures"
            "(article_id, content_hash, tokens, hashvalues, reason, assigned_at) "
            "VALUES (?, ?, ?, ?, 'new-story', ?) "
            "ON CONFLICT(article_id) DO UPDATE SET content_hash = excluded.content_hash, "
            "tokens = excluded.tokens, hashvalues = excluded.hashvalues",
            [article_id, signature.content_hash, signature.tokens, signature.hashvalues, now],
        )
        db.conn.executemany(
            "INSERT OR IGNORE INTO dedupe_bands(band, bucket, article_id) VALUES (?, ?, ?)",
            [(band, bucket, article_id) for band, bucket in buckets],
        )


def candidates(
    db: sqlite_utils.Database,
    buckets: Sequence[tuple[int, int]],
    *,
    exclude: int,
    limit: int,
    per_bucket: int,
) -> list[int]:
    """Articles sharing a (band, bucket) with ``buckets``, most shared bands first.

    One primary-key probe per band, reading at most ``per_bucket`` entries of each
    bucket (the newest: syndicated copies appear within days), so the work is bounded
    however crowded a bucket gets. A real copy shares many bands and sorts first;
    chance collisions share one.
    """
    if not buckets:
        return []
    params: list[Any] = []
    for band, bucket in buckets:
        params += [band, bucket, int(per_bucket)]
    rows = db.execute(candidates_sql(len(buckets)), [*params, exclude, int(limit)]).fetchall()
    return [int(r[0]) for r in rows]


def candidates_sql(count: int) -> str:
    """The candidate query for ``count`` (band, bucket) pairs (exposed for plan tests)."""
    # A compound of per-band subqueries: each can stop after ``per_bucket`` rows, which
    # one join over all bands could not.
    probe = (
        "SELECT * FROM (SELECT article_id FROM dedupe_bands WHERE band = ? AND bucket = ? "
        "ORDER BY article_id DESC LIMIT ?)"
    )
    union = " UNION ALL ".join(probe for _ in range(count))
    return (
        f"SELECT article_id, count(*) AS shared FROM ({union}) WHERE article_id != ? "
        "GROUP BY article_id ORDER BY shared DESC, article_id DESC LIMIT ?"
    )


def signatures_of(db: sqlite_utils.Database, article_ids: Sequence[int]) -> dict[int, bytes]:
    """MinHash values of the given articles (those that have comparable text)."""
    out: dict[int, bytes] = {}
    for start in range(0, len(article_ids), 500):
        chunk = list(article_ids[start : start + 500])
        marks = ", ".join("?" for _ in chunk)
        for article_id, values in db.execute(
            f"SELECT article_id, hashvalues FROM dedupe_signatures "
            f"WHERE article_id IN ({marks}) AND hashvalues IS NOT NULL",
            chunk,
        ):
            out[int(article_id)] = values
    return out


def record_grouping(db: sqlite_utils.Database, article_id: int, grouping: Grouping) -> None:
    """Remember why the article is in its story (shown by ``newswatch show``)."""
    with write_transaction(db):
        db.execute(
            "UPDATE dedupe_signatures SET reason = ?, similarity = ?, matched_id = ?, "
            "assigned_at = ? WHERE article_id = ? AND "
            "(reason, similarity, matched_id) IS NOT (?, ?, ?)",
            [
                grouping.reason,
                grouping.similarity,
                grouping.matched_id,
                grouping.assigned_at,
                article_id,
                grouping.reason,
                grouping.similarity,
                grouping.matched_id,
            ],
        )


def grouping_of(db: sqlite_utils.Database, article_id: int) -> Grouping | None:
    found = db.execute(
        "SELECT reason, similarity, matched_id, assigned_at FROM dedupe_signatures "
        "WHERE article_id = ?",
        [article_id],
    ).fetchone()
    return Grouping(found[0], found[1], found[2], found[3]) if found else None


# --------------------------------------------------------------------------- links


def replace_links(
    db: sqlite_utils.Database, article_id: int, links: Iterable[tuple[str, str]]
) -> None:
    """Set the (url, kind) links an article makes; unchanged links are left alone."""
    wanted = dict(links)
    with write_transaction(db):
        current = dict(
            db.execute(
                "SELECT url, kind FROM dedupe_links WHERE article_id = ?", [article_id]
            ).fetchall()
        )
        if current == wanted:
            return
        db.execute("DELETE FROM dedupe_links WHERE article_id = ?", [article_id])
        db.conn.executemany(
            "INSERT INTO dedupe_links(article_id, url, kind) VALUES (?, ?, ?)",
            [(article_id, url, kind) for url, kind in wanted.items()],
        )


def article_ids_for_urls(db: sqlite_utils.Database, urls: Iterable[str]) -> dict[str, int]:
    """Stored articles whose canonical or fetched URL is one of ``urls``."""
    out: dict[str, int] = {}
    for url in dict.fromkeys(urls):
        found = db.execute(
            "SELECT id FROM articles WHERE url = ? UNION ALL "
            "SELECT id FROM articles WHERE fetched_url = ? LIMIT 1",
            [url, url],
        ).fetchone()
        if found:
            out[url] = int(found[0])
    return out


def articles_linking_to(db: sqlite_utils.Database, urls: Iterable[str]) -> dict[int, str]:
    """Articles that named one of ``urls`` as their original or canonical page -> kind."""
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    rows = db.execute(
        f"SELECT article_id, kind FROM dedupe_links WHERE url IN ({marks}) ORDER BY article_id",
        wanted,
    ).fetchall()
    return {int(article_id): kind for article_id, kind in rows}


def pending_links(db: sqlite_utils.Database, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Links whose target page is not stored (yet): they resolve when it arrives."""
    tail = f" LIMIT {int(limit)}" if limit is not None else ""
    return list(
        db.query(
            "SELECT l.article_id, l.url, l.kind FROM dedupe_links l "
            "WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.url = l.url) "
            "AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.fetched_url = l.url) "
            f"ORDER BY l.article_id{tail}"
        )
    )


# --------------------------------------------------------------------------- stories


def story_ids(db: sqlite_utils.Database, article_ids: Iterable[int]) -> dict[int, int]:
    """article id -> story id."""
    wanted = list(dict.fromkeys(article_ids))
    out: dict[int, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for article_id, story in db.execute(
            f"SELECT id, coalesce(story_id, id) FROM articles WHERE id IN ({marks})", chunk
        ):
            out[int(article_id)] = int(story)
    return out


def story_size(db: sqlite_utils.Database, story_id: int) -> int:
    found = db.execute("SELECT count(*) FROM articles WHERE story_id = ?", [story_id]).fetchone()
    return int(found[0])


def merge_stories(db: sqlite_utils.Database, target: int, others: Iterable[int]) -> None:
    """Move every member of the ``others`` stories into story ``target``."""
    moved = [s for s in dict.fromkeys(others) if s != target]
    if not moved:
        return
    marks = ", ".join("?" for _ in moved)
    with write_transaction(db):
        db.execute(
            f"UPDATE articles SET story_id = ? WHERE story_id IN ({marks})", [target, *moved]
        )


def repoint_primary(db: sqlite_utils.Database, story_id: int) -> int:
    """Make the story's earliest-published member primary and point the others at it."""
    found = db.execute(
        f"SELECT id FROM articles WHERE story_id = ? ORDER BY {STORY_ORDER} LIMIT 1", [story_id]
    ).fetchone()
    if found is None:
        raise LookupError(f"story {story_id} has no members")
    primary = int(found[0])
    with write_transaction(db):
        db.execute(
            "UPDATE articles SET duplicate_of = NULL WHERE id = ? AND duplicate_of IS NOT NULL",
            [primary],
        )
        db.execute(
            "UPDATE articles SET duplicate_of = ? "
            "WHERE story_id = ? AND id != ? AND duplicate_of IS NOT ?",
            [primary, story_id, primary, primary],
        )
    return primary


def reset_all(db: sqlite_utils.Database) -> None:
    """Forget every signature, band, link and grouping: each article its own story."""
    with write_transaction(db):
        db.execute("DELETE FROM dedupe_bands")
        db.execute("DELETE FROM dedupe_signatures")
        db.execute("DELETE FROM dedupe_links")
        db.execute(
            "UPDATE articles SET story_id = id, duplicate_of = NULL "
            "WHERE story_id IS NOT id OR duplicate_of IS NOT NULL"
        )


def dedupe_stats(db: sqlite_utils.Database) -> dict[str, int]:
    """Counts for ``newswatch dedupe status``."""

    def one(sql: str) -> int:
        return int(db.execute(sql).fetchone()[0] or 0)

    return {
        "articles": one("SELECT count(*) FROM articles"),
        "stories": one("SELECT count(DISTINCT coalesce(story_id, id)) FROM articles"),
        "stories_with_copies": one(
            "SELECT count(*) FROM (SELECT story_id FROM articles "
            "GROUP BY story_id HAVING count(*) > 1)"
        ),
        "copies": one("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"),
        "signatures": one("SELECT count(*) FROM dedupe_signatures"),
        "too_short": one("SELECT count(*) FROM dedupe_signatures WHERE hashvalues IS NULL"),
        "not_indexed": one(
            "SELECT count(*) FROM articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM dedupe_signatures s WHERE s.article_id = a.id)"
        ),
        "stale_signatures": one(
            "SELECT count(*) FROM articles a JOIN dedupe_signatures s ON s.article_id = a.id "
            "WHERE s.content_hash != a.content_hash"
        ),
        "bands": one("SELECT count(*) FROM dedupe_bands"),
        "links": one("SELECT count(*) FROM dedupe_links"),
        "pending_links": len(pending_links(db)),
    }


def check_invariants(db: sqlite_utils.Database) -> list[str]:
    """Violations of the story invariants (empty when the grouping is sound).

    Every article has a story whose id is the id of its first stored (lowest id)
    member; each story has exactly one primary (``duplicate_of IS NULL``), its earliest
    published member; every other member points at that primary.
    """
    problems: list[str] = []
    members: dict[int, list[tuple[int, int | None]]] = {}
    for article_id, story_id, duplicate_of in db.execute(
        f"SELECT id, story_id, duplicate_of FROM articles ORDER BY story_id, {STORY_ORDER}"
    ):
        if story_id is None:
            problems.append(f"article {article_id} has no story")
            continue
        members.setdefault(int(story_id), []).append((int(article_id), duplicate_of))
    for story_id, rows in members.items():
        ids = [article_id for article_id, _ in rows]
        if story_id != min(ids):
            problems.append(f"story {story_id} is not the id of its first member {min(ids)}")
        primary, primary_target = rows[0]
        if primary_target is not None:
            problems.append(f"story {story_id}: earliest member {primary} is not primary")
        for member, target in rows[1:]:
            if target != primary:
                problems.append(
                    f"story {story_id}: member {member} points at {target}, not {primary}"
                )
    return problems
