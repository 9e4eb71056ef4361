"""Ingesting a Scrapyd job's item feed: the cluster's one writer.

Workers never open the database. A finished job's items (JSON lines, served by its
node) are stored here through :class:`crawler.store.Storer`, the path local crawls
take, so classification, story grouping and the stored rows are the same.

Exactly once: each batch of lines is stored in the same transaction that advances the
job's ``lines_ingested`` offset (``cluster_jobs``), so an ingest that is interrupted
(the process killed, the database locked, the node gone mid-way) and run again starts
at the first line not yet stored. A last line without its newline (a worker killed
while writing it) is not read until it is complete.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from crawler.models import Article
from crawler.store import Storer
from storage import cluster, write_transaction

log = logging.getLogger(__name__)

BATCH_SIZE = 20  # the local StorePipeline's batch: the same grouping of writes


class IngestError(Exception):
    """The job's feed cannot be ingested (gone from its node, or unreadable)."""


@dataclass
class FeedItems:
    """The complete lines of a job's feed, parsed."""

    lines: list[dict[str, Any] | None]  # None: a line that is not a valid item
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def validators(self) -> list[dict[str, Any]]:
        return [i for i in self.lines if i is not None and i.get("type") == "validator"]


@dataclass
class IngestResult:
    """A job's totals once every line is stored (resumed ingests included)."""

    lines: int
    new: int
    updated: int
    unchanged: int
    coverage: dict[str, int]
    validators: list[dict[str, Any]]
    errors: Counter[str]


def parse_feed(data: bytes) -> FeedItems:
    """The complete lines of a JSON-lines feed; a trailing unterminated line is left out."""
    text = data.decode("utf-8", errors="replace")
    complete = text.split("\n")[:-1]  # the part after the last newline is incomplete
    feed = FeedItems([])
    for raw in complete:
        item = _item(raw)
        if item is None:
            feed.errors["bad_item"] += 1
            log.warning("skipping an unreadable feed line: %.120s", raw)
        feed.lines.append(item)
    return feed


def _item(raw: str) -> dict[str, Any] | None:
    try:
        item = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(item, dict) or item.get("type") not in ("article", "validator"):
        return None
    if item["type"] == "article" and not isinstance(item.get("article"), dict):
        return None
    return item


def ingest_feed(
    db: sqlite_utils.Database, storer: Storer, job_id: str, feed: FeedItems
) -> IngestResult:
    """Store the lines of ``feed`` that job ``job_id`` has not stored yet."""
    row = cluster.get_job(db, job_id)
    if row is None:
        raise IngestError(f"unknown cluster job {job_id}")
    start = int(row["lines_ingested"])
    if start > len(feed.lines):
        raise IngestError(
            f"job {job_id}: its feed has {len(feed.lines)} lines but {start} were already "
            "ingested (the feed was replaced on the node)"
        )
    for offset, batch in _batches(feed.lines, start):
        articles = []
        for item in batch:
            if item is None or item["type"] != "article":
                continue
            try:
                articles.append(Article.from_dict(item["article"]))
            except (TypeError, ValueError, KeyError) as exc:
                feed.errors["bad_item"] += 1
                log.warning("job %s line %d: not an article record: %s", job_id, offset, exc)
        with write_transaction(db):
            counts = storer.store(articles)
            cluster.add_ingested(
                db,
                job_id,
                len(batch),
                new=counts.new,
                updated=counts.updated,
                unchanged=counts.unchanged,
                coverage=dict(counts.coverage),
            )
    done = cluster.get_job(db, job_id) or row
    return IngestResult(
        lines=int(done["lines_ingested"]),
        new=int(done["articles_new"]),
        updated=int(done["articles_updated"]),
        unchanged=int(done["articles_unchanged"]),
        coverage={k: int(v) for k, v in json.loads(done["coverage"] or "{}").items()},
        validators=feed.validators,
        errors=feed.errors,
    )


def _batches(
    lines: list[dict[str, Any] | None], start: int
) -> Iterator[tuple[int, list[dict[str, Any] | None]]]:
    for offset in range(start, len(lines), BATCH_SIZE):
        yield offset, lines[offset : offset + BATCH_SIZE]
