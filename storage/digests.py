"""Digest outbox: which stories a recipient has had, digests, their items and deliveries.

A *story* is the set of articles sharing ``story_id`` (``coalesce(story_id, id)``, so a
row the grouping never touched is its own story). A story counts as carried to a
recipient when ANY of its current members is an item of a digest whose delivery to that
recipient is pending or sent; a failed delivery does not count, so its stories are
offered again. Every write here goes through :func:`storage.write_transaction`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from storage.articles import insert_row, utc_now
from storage.db import write_transaction

PENDING, SENT, FAILED = "pending", "sent", "failed"
SECTION_OSAI, SECTION_OTHER = "open_source_ai", "other_ai"
STORY = "coalesce(a.story_id, a.id)"


def _in_stories(ids: str) -> str:
    """``coalesce(a.story_id, a.id) IN (ids)`` in a form SQLite answers from indexes."""
    return f"(a.story_id IN ({ids}) OR (a.story_id IS NULL AND a.id IN ({ids})))"


@dataclass(frozen=True, slots=True)
class StoryState:
    """One AI story not yet carried to a recipient."""

    story_id: int
    open_source_ai: bool
    attempted: bool  # some member was in a digest to this recipient (a failed one)
    first_seen_at: str
    sort_time: str  # the primary's publication time in UTC, else first_seen_at


def uncarried_stories(db: sqlite_utils.Database, recipient: str) -> list[StoryState]:
    """AI and open-source-AI stories none of whose members was carried to ``recipient``."""
    sql = f"""
        WITH delivered AS (
            SELECT i.article_id, max(r.status != '{FAILED}') AS live
            FROM digest_items i JOIN digest_recipients r ON r.digest_id = i.digest_id
            WHERE r.recipient = :recipient AND i.article_id IS NOT NULL
            GROUP BY i.article_id
        ),
        ai_stories AS (
            SELECT DISTINCT {STORY} AS sid FROM articles a
            WHERE a.is_ai = 1 OR a.is_open_source_ai = 1
        ),
        states AS (
            SELECT {STORY} AS sid,
                   max(a.is_open_source_ai) AS osai,
                   max(coalesce(d.live, 0)) AS carried,
                   max(d.article_id IS NOT NULL) AS attempted,
                   min(a.first_seen_at) AS first_seen,
                   coalesce(min(CASE WHEN a.duplicate_of IS NULL THEN a.id END), min(a.id))
                       AS primary_id
            FROM articles a LEFT JOIN delivered d ON d.article_id = a.id
            WHERE {_in_stories("SELECT sid FROM ai_stories")}
            GROUP BY sid
        )
        SELECT s.sid, s.osai, s.attempted, s.first_seen,
               coalesce(p.published_utc, s.first_seen) AS sort_time
        FROM states s JOIN articles p ON p.id = s.primary_id
        WHERE s.carried = 0
    """
    return [
        StoryState(int(r[0]), bool(r[1]), bool(r[2]), r[3], r[4])
        for r in db.execute(sql, {"recipient": recipient})
    ]


def open_source_ai_stories(db: sqlite_utils.Database) -> list[tuple[int, str]]:
    """(story id, sort time) of every open-source-AI story, for the Atom feed."""
    sql = f"""
        WITH states AS (
            SELECT {STORY} AS sid, min(a.first_seen_at) AS first_seen,
                   coalesce(min(CASE WHEN a.duplicate_of IS NULL THEN a.id END), min(a.id))
                       AS primary_id
            FROM articles a
            WHERE {_in_stories(f"SELECT {STORY} FROM articles a WHERE a.is_open_source_ai = 1")}
            GROUP BY sid
        )
        SELECT s.sid, coalesce(p.published_utc, s.first_seen)
        FROM states s JOIN articles p ON p.id = s.primary_id
    """
    return [(int(r[0]), r[1]) for r in db.execute(sql)]


def story_members(
    db: sqlite_utils.Database, story_ids: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    """Members of each story with their source's display name, primary first."""
    ids = sorted(set(story_ids))
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    # Chunked: SQLite limits the number of bound parameters.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = db.query(
            f"""
            SELECT {STORY} AS story, a.id, a.url, a.source, a.title, a.summary,
                   substr(a.text, 1, 2000) AS text, a.published_at, a.published_utc,
                   a.first_seen_at, a.updated_at, a.language, a.is_ai, a.is_open_source_ai,
                   a.matched_terms, a.duplicate_of, s.name AS source_name
            FROM articles a LEFT JOIN sources s ON s.id = a.source
            WHERE {_in_stories(marks)}
            ORDER BY a.duplicate_of IS NOT NULL, coalesce(a.published_utc, a.first_seen_at),
                     a.id
            """,
            chunk + chunk,
        )
        for row in rows:
            out[int(row.pop("story"))].append(row)
    return out


def delivery_counts(db: sqlite_utils.Database, recipients: Iterable[str]) -> dict[str, int]:
    """How many digests each recipient has ever been given (part of the uniqueness key)."""
    out = {}
    for recipient in recipients:
        row = db.execute(
            "SELECT count(*) FROM digest_recipients WHERE recipient = ?", [recipient]
        ).fetchone()
        out[recipient] = int(row[0])
    return out


def insert_digest(
    db: sqlite_utils.Database,
    digest: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    recipients: Sequence[str],
    *,
    claimed_by: str | None = None,
) -> int:
    """Store a digest (``digest["id"]`` from :func:`next_digest_id`) with its items and one
    pending delivery per recipient.

    ``claimed_by`` claims the deliveries for the creating process, so that a concurrent
    run does not send them too. Must run inside :func:`write_transaction` together with
    the selection that produced the items (the caller does both under the lock).
    """
    with write_transaction(db):
        digest_id = insert_row(db, "digests", dict(digest))
        db.table("digest_items").insert_all({**item, "digest_id": digest_id} for item in items)
        claimed_at = utc_now().isoformat() if claimed_by else None
        db.table("digest_recipients").insert_all(
            {
                "digest_id": digest_id,
                "recipient": recipient,
                "status": PENDING,
                "claimed_by": claimed_by,
                "claimed_at": claimed_at,
            }
            for recipient in recipients
        )
    return digest_id


def next_digest_id(db: sqlite_utils.Database) -> int:
    """The id the next digest will get; stable while the caller holds the write lock."""
    row = db.execute("SELECT coalesce(max(id), 0) + 1 FROM digests").fetchone()
    return int(row[0])


def get_digest(db: sqlite_utils.Database, digest_id: int) -> dict[str, Any]:
    rows = list(db.query("SELECT * FROM digests WHERE id = ?", [digest_id]))
    if not rows:
        raise KeyError(f"no digest {digest_id}")
    return rows[0]


def pending_deliveries(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every pending delivery, oldest digest first."""
    return list(
        db.query(
            "SELECT * FROM digest_recipients WHERE status = ? ORDER BY digest_id, id", [PENDING]
        )
    )


def claim_pending(
    db: sqlite_utils.Database, claim: str, is_stale: Callable[[str, str], bool]
) -> list[dict[str, Any]]:
    """Claim every pending delivery that is unclaimed or whose claim is stale.

    ``is_stale(claimed_by, claimed_at)`` decides whether another process's claim may be
    taken over (it died, or its lease ran out). Returns the claimed rows.
    """
    with write_transaction(db):
        rows = pending_deliveries(db)
        mine = [
            r
            for r in rows
            if r["claimed_by"] is None or is_stale(r["claimed_by"], r["claimed_at"] or "")
        ]
        stamp = utc_now().isoformat()
        for row in mine:
            db.execute(
                "UPDATE digest_recipients SET claimed_by = ?, claimed_at = ? WHERE id = ?",
                [claim, stamp, row["id"]],
            )
            row.update(claimed_by=claim, claimed_at=stamp)
    return mine


def record_attempt(
    db: sqlite_utils.Database,
    delivery_id: int,
    status: str,
    *,
    code: int | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """Record one delivery attempt's outcome and release the claim."""
    stamp = (now or utc_now()).isoformat()
    with write_transaction(db):
        db.execute(
            """
            UPDATE digest_recipients
            SET status = ?, attempts = attempts + 1, last_attempt_at = ?, smtp_code = ?,
                last_error = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END,
                claimed_by = NULL, claimed_at = NULL
            WHERE id = ?
            """,
            [status, stamp, code, error, status, stamp, delivery_id],
        )


def mark_failed(db: sqlite_utils.Database, delivery_id: int, reason: str) -> None:
    """Give up on a delivery without an attempt (e.g. the recipient was removed)."""
    with write_transaction(db):
        db.execute(
            "UPDATE digest_recipients SET status = ?, last_error = ?, claimed_by = NULL, "
            "claimed_at = NULL WHERE id = ?",
            [FAILED, reason, delivery_id],
        )


def release_claims(db: sqlite_utils.Database, claim: str) -> int:
    """Drop every claim held under ``claim`` (deliveries stay pending); returns how many."""
    with write_transaction(db):
        cursor = db.execute(
            "UPDATE digest_recipients SET claimed_by = NULL, claimed_at = NULL "
            "WHERE claimed_by = ? AND status = ?",
            [claim, PENDING],
        )
        return int(cursor.rowcount)


def status_rows(db: sqlite_utils.Database, limit: int = 5) -> list[dict[str, Any]]:
    """One row per delivery of the last ``limit`` digests, plus older unfinished ones."""
    return list(
        db.query(
            """
            SELECT d.id AS digest_id, d.created_at, d.subject, d.message_id, d.stories,
                   d.other_stories, r.recipient, r.status, r.attempts, r.last_attempt_at,
                   r.sent_at, r.smtp_code, r.last_error
            FROM digests d JOIN digest_recipients r ON r.digest_id = d.id
            WHERE d.id IN (SELECT id FROM digests ORDER BY id DESC LIMIT ?)
               OR r.status = 'pending'
            ORDER BY d.id DESC, r.recipient = 'files', r.recipient
            """,
            [limit],
        )
    )
