"""Crawl runs, per-source run statistics, conditional-GET validators and the sources table."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlite_utils

from storage.articles import insert_row, utc_now
from storage.db import write_transaction

# Columns of run_sources a crawl reports (see crawler.runner.summarise_stats).
STAT_COLUMNS = (
    "requests",
    "responses_304",
    "entry_points",
    "entry_points_ok",
    "article_pages",
    "articles_found",
    "articles_extracted",
    "articles_new",
    "articles_updated",
    "articles_unchanged",
    "parse_failures",
    "error_count",
    "coverage_title",
    "coverage_published",
    "coverage_text",
    "duration_s",
    "finish_reason",
    "last_error",
    "log_path",
)


def start_run(
    db: sqlite_utils.Database, kind: str, sources: Iterable[str], *, now: datetime | None = None
) -> int:
    """Record the start of a run (a cycle, a crawl, an ingest); returns its id."""
    with write_transaction(db):
        return insert_row(
            db,
            "crawl_runs",
            {
                "kind": kind,
                "started_at": (now or utc_now()).isoformat(),
                "status": "running",
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "sources": json.dumps(list(sources)),
            },
        )


def finish_run(
    db: sqlite_utils.Database, run_id: int, status: str, note: str | None = None
) -> None:
    with write_transaction(db):
        db.execute(
            "UPDATE crawl_runs SET finished_at = ?, status = ?, note = ? WHERE id = ?",
            [utc_now().isoformat(), status, note, run_id],
        )


def start_source(db: sqlite_utils.Database, run_id: int, source: str) -> int:
    with write_transaction(db):
        row = {
            "run_id": run_id,
            "source": source,
            "started_at": utc_now().isoformat(),
            "status": "running",
        }
        return insert_row(db, "run_sources", row)


def finish_source(
    db: sqlite_utils.Database,
    run_source_id: int,
    status: str,
    stats: Mapping[str, Any],
    *,
    errors: Mapping[str, int] | None = None,
    raw_stats: Mapping[str, Any] | None = None,
) -> None:
    """Record a source's outcome in a run: status, counters, errors by kind."""
    values: dict[str, Any] = {k: stats[k] for k in STAT_COLUMNS if k in stats}
    values.update(
        status=status,
        finished_at=utc_now().isoformat(),
        errors=json.dumps(dict(errors or {}), sort_keys=True),
        stats=json.dumps(dict(raw_stats or {}), default=str, sort_keys=True),
    )
    with write_transaction(db):
        db.table("run_sources").update(run_source_id, values)


def recent_runs(db: sqlite_utils.Database, limit: int = 10) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT ?", [limit]))


def source_history(db: sqlite_utils.Database, source: str, limit: int = 10) -> list[dict[str, Any]]:
    """A source's most recent finished run records, newest first."""
    return list(
        db.query(
            "SELECT * FROM run_sources WHERE source = ? AND status != 'running' "
            "ORDER BY id DESC LIMIT ?",
            [source, limit],
        )
    )


def crawl_history(db: sqlite_utils.Database, source: str, limit: int = 10) -> list[dict[str, Any]]:
    """A source's most recent finished crawls, newest first, with the run's ``kind``.

    Ingests of given URLs and runs that never started crawling (``skipped``) are left
    out: they say nothing about how the source's entry points behave.
    """
    return list(
        db.query(
            "SELECT rs.*, cr.kind AS kind FROM run_sources rs "
            "JOIN crawl_runs cr ON cr.id = rs.run_id "
            "WHERE rs.source = ? AND rs.status NOT IN ('running', 'skipped') "
            "AND cr.kind != 'ingest' ORDER BY rs.id DESC LIMIT ?",
            [source, limit],
        )
    )


def last_success(db: sqlite_utils.Database, source: str) -> str | None:
    row = db.execute(
        "SELECT max(finished_at) FROM run_sources WHERE source = ? AND status = 'ok'", [source]
    ).fetchone()
    return row[0] if row else None


def last_successes(db: sqlite_utils.Database) -> dict[str, datetime]:
    """source -> when its last successful crawl finished (sources never crawled are absent)."""
    rows = db.execute(
        "SELECT source, max(finished_at) FROM run_sources WHERE status = 'ok' GROUP BY source"
    ).fetchall()
    return {source: datetime.fromisoformat(when) for source, when in rows if when}


def record_run(
    db: sqlite_utils.Database,
    kind: str,
    status: str,
    note: str,
    *,
    sources: Iterable[str] = (),
) -> int:
    """Record a run that is over as soon as it starts (e.g. ``skipped``: the lock was held)."""
    now = utc_now().isoformat()
    with write_transaction(db):
        return insert_row(
            db,
            "crawl_runs",
            {
                "kind": kind,
                "started_at": now,
                "finished_at": now,
                "status": status,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "sources": json.dumps(list(sources)),
                "note": note,
            },
        )


# Digest steps are crawl_runs rows of kind "digest"; these statuses mean it was done
# (``partial``: some deliveries failed and stay in the outbox for the next digest run).
DIGEST_DONE = ("ok", "partial")


def last_digest(db: sqlite_utils.Database) -> datetime | None:
    """When the last digest step that was done started (None if none ever was)."""
    placeholders = ", ".join("?" for _ in DIGEST_DONE)
    row = db.execute(
        f"SELECT max(started_at) FROM crawl_runs WHERE kind = 'digest' "
        f"AND status IN ({placeholders})",
        list(DIGEST_DONE),
    ).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def first_activity(db: sqlite_utils.Database, *, excluding: Iterable[int] = ()) -> datetime | None:
    """When the first recorded run started: the database's "in service since"."""
    skip = list(excluding)
    where = f"WHERE id NOT IN ({', '.join('?' for _ in skip)})" if skip else ""
    row = db.execute(f"SELECT min(started_at) FROM crawl_runs {where}", skip).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def interrupt_stale_runs(db: sqlite_utils.Database, alive: Iterable[int] = ()) -> int:
    """Mark runs left 'running' by a process that no longer exists as interrupted."""
    alive_set = set(alive)
    stale = [
        (row["id"], row["pid"])
        for row in db.query("SELECT id, pid, host FROM crawl_runs WHERE status = 'running'")
        if row["host"] == socket.gethostname()
        and row["pid"] not in alive_set
        and not _pid_alive(row["pid"])
    ]
    if not stale:
        return 0
    with write_transaction(db):
        for run_id, _pid in stale:
            db.execute(
                "UPDATE crawl_runs SET status = 'interrupted', finished_at = ? WHERE id = ?",
                [utc_now().isoformat(), run_id],
            )
            db.execute(
                "UPDATE run_sources SET status = 'killed', finish_reason = 'interrupted', "
                "finished_at = ? WHERE run_id = ? AND status = 'running'",
                [utc_now().isoformat(), run_id],
            )
    return len(stale)


def is_stale(run: Mapping[str, Any]) -> bool:
    """True for a ``running`` run whose process on this host no longer exists."""
    return (
        run.get("status") == "running"
        and run.get("host") == socket.gethostname()
        and not _pid_alive(run.get("pid"))
    )


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --------------------------------------------------------------------------- http cache


def get_validators(db: sqlite_utils.Database, url: str) -> tuple[str | None, str | None]:
    """(ETag, Last-Modified) last seen for ``url``."""
    row = db.execute("SELECT etag, last_modified FROM http_cache WHERE url = ?", [url]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def all_validators(
    db: sqlite_utils.Database, urls: Iterable[str] | None = None
) -> dict[str, dict[str, str | None]]:
    """Validators for many URLs (all when ``urls`` is None): url -> {etag, last_modified}."""
    rows = db.execute("SELECT url, etag, last_modified FROM http_cache").fetchall()
    wanted = set(urls) if urls is not None else None
    return {
        url: {"etag": etag, "last_modified": lm}
        for url, etag, lm in rows
        if wanted is None or url in wanted
    }


def set_validators(
    db: sqlite_utils.Database,
    url: str,
    *,
    source: str | None,
    etag: str | None,
    last_modified: str | None,
    status: int,
) -> None:
    with write_transaction(db):
        db.table("http_cache", pk="url").upsert(
            {
                "url": url,
                "source": source,
                "etag": etag,
                "last_modified": last_modified,
                "status": status,
                "checked_at": utc_now().isoformat(),
            },
            pk="url",
        )


# --------------------------------------------------------------------------- sources


def sync_sources(db: sqlite_utils.Database, sources: Iterable[Any]) -> None:
    """Mirror the configured sources into the ``sources`` table (for SQL users)."""
    import dataclasses

    rows = []
    for source in sources:
        data = dataclasses.asdict(source)
        rows.append(
            {
                "id": source.id,
                "name": source.name,
                "home": source.home,
                "parser": source.parser,
                "language": source.language,
                "enabled": int(source.enabled),
                "config": json.dumps(data, ensure_ascii=False, default=list),
                "updated_at": utc_now().isoformat(),
            }
        )
    with write_transaction(db):
        db.table("sources", pk="id").upsert_all(rows, pk="id")
