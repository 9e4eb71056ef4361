"""Crawl jobs dispatched to Scrapyd nodes: dispatch, completion, ingest progress.

One row per job (``cluster_jobs``, see :mod:`storage.schema`). States:

* ``dispatched``: scheduled on its node (pending or running there);
* ``finished``: the node reports it finished; its items are not all ingested yet;
* ``ingested``: every item line is stored and the outcome recorded;
* ``lost``: its node went down or forgot it; the source was crawled again elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlite_utils

from storage.articles import insert_row, utc_now
from storage.db import write_transaction

OPEN_STATES = ("dispatched", "finished")
FAILED_OUTCOMES = ("failed", "timeout", "killed")


def record_dispatch(
    db: sqlite_utils.Database,
    job_id: str,
    *,
    node: str,
    project: str,
    version: str | None,
    source: str,
    run_id: int | None,
    run_source_id: int | None,
    attempt: int = 1,
) -> None:
    """Record a job Scrapyd accepted."""
    with write_transaction(db):
        insert_row(
            db,
            "cluster_jobs",
            {
                "job_id": job_id,
                "node": node,
                "project": project,
                "version": version,
                "source": source,
                "run_id": run_id,
                "run_source_id": run_source_id,
                "attempt": attempt,
                "state": "dispatched",
                "dispatched_at": utc_now().isoformat(),
            },
        )


def get_job(db: sqlite_utils.Database, job_id: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM cluster_jobs WHERE job_id = ?", [job_id]))
    return rows[0] if rows else None


def _update(db: sqlite_utils.Database, job_id: str, **values: Any) -> None:
    with write_transaction(db):
        db.table("cluster_jobs").update(job_id, values)


def mark_finished(db: sqlite_utils.Database, job_id: str) -> None:
    """The node reports the job finished (its item feed is complete)."""
    row = get_job(db, job_id)
    if row is not None and row["state"] == "dispatched":
        _update(db, job_id, state="finished", finished_at=utc_now().isoformat())


def mark_cancelled(db: sqlite_utils.Database, job_id: str) -> None:
    _update(db, job_id, cancelled_at=utc_now().isoformat())


def mark_lost(db: sqlite_utils.Database, job_id: str, error: str) -> None:
    """The job's node went down or no longer knows it; it will not be ingested."""
    _update(db, job_id, state="lost", outcome="failed", last_error=error[:500])


def add_ingested(
    db: sqlite_utils.Database,
    job_id: str,
    lines: int,
    *,
    new: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    coverage: Mapping[str, int] | None = None,
) -> None:
    """Advance a job's ingest offset by ``lines`` and add what storing them did.

    Call it inside the transaction that stored those lines: both commit or neither.
    """
    with write_transaction(db):
        row = get_job(db, job_id)
        if row is None:
            raise KeyError(f"unknown cluster job {job_id}")
        merged = {k: int(v) for k, v in json.loads(row["coverage"] or "{}").items()}
        for key, value in (coverage or {}).items():
            merged[key] = merged.get(key, 0) + int(value)
        db.table("cluster_jobs").update(
            job_id,
            {
                "lines_ingested": row["lines_ingested"] + lines,
                "articles_new": row["articles_new"] + new,
                "articles_updated": row["articles_updated"] + updated,
                "articles_unchanged": row["articles_unchanged"] + unchanged,
                "coverage": json.dumps(merged, sort_keys=True),
            },
        )


def finish_ingest(
    db: sqlite_utils.Database,
    job_id: str,
    *,
    outcome: str,
    validators_saved: int = 0,
    error: str | None = None,
) -> None:
    """Every item of the job is stored; ``outcome`` is the status its source got."""
    values: dict[str, Any] = {
        "state": "ingested",
        "outcome": outcome,
        "ingested_at": utc_now().isoformat(),
        "validators_saved": validators_saved,
    }
    if error:
        values["last_error"] = error[:500]
    _update(db, job_id, **values)


def open_jobs(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Jobs dispatched or finished but not ingested yet, oldest first."""
    return list(
        db.query(
            "SELECT * FROM cluster_jobs WHERE state IN ('dispatched', 'finished') "
            "ORDER BY dispatched_at, rowid"
        )
    )


def orphaned_jobs(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Open jobs whose run is over (its process died or was stopped before ingesting)."""
    return list(
        db.query(
            "SELECT j.* FROM cluster_jobs j LEFT JOIN crawl_runs r ON r.id = j.run_id "
            "WHERE j.state IN ('dispatched', 'finished') "
            "AND (r.id IS NULL OR r.status != 'running') ORDER BY j.dispatched_at"
        )
    )


def nodes_that_failed(db: sqlite_utils.Database, source: str) -> set[str]:
    """Nodes where the source's latest job failed, timed out or was lost.

    The next crawl of the source goes to another node when there is one.
    """
    rows = list(
        db.query(
            "SELECT node, state, outcome FROM cluster_jobs WHERE source = ? "
            "AND state IN ('ingested', 'lost') ORDER BY dispatched_at DESC, rowid DESC LIMIT 1",
            [source],
        )
    )
    return {r["node"] for r in rows if r["state"] == "lost" or r["outcome"] in FAILED_OUTCOMES}


def jobs_of_run(db: sqlite_utils.Database, run_id: int) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM cluster_jobs WHERE run_id = ? ORDER BY rowid", [run_id]))


def recent_article_urls(db: sqlite_utils.Database, source: str | None, limit: int) -> set[str]:
    """Canonical and fetched URLs of the ``limit`` most recently stored articles."""
    where, params = ("WHERE source = ?", [source]) if source else ("", [])
    rows = db.execute(
        f"SELECT url, fetched_url FROM articles {where} "
        "ORDER BY first_seen_at DESC, id DESC LIMIT ?",
        [*params, limit],
    )
    urls: set[str] = set()
    for url, fetched in rows:
        urls.add(url)
        if fetched:
            urls.add(fetched)
    return urls
