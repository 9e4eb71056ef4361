"""Helpers for the story-grouping tests: realistic texts, storing, snapshots."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils
from factories import REPO_ROOT, make_article

from crawler.config import DedupeSettings
from crawler.dedupe import Deduper, StoryAssignment
from crawler.models import Article
from storage import articles

PAIRS_PATH = REPO_ROOT / "tests" / "data" / "dedupe_pairs.jsonl"
BASE_TIME = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)


@functools.cache
def pairs() -> dict[str, dict[str, Any]]:
    """The labelled evaluation pairs by id."""
    out = {}
    for line in PAIRS_PATH.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        out[pair["id"]] = pair
    return out


def text_of(pair_id: str, side: str = "a") -> dict[str, Any]:
    """title, text, language and source of one side of an evaluation pair."""
    doc = pairs()[pair_id][side]
    return {k: doc[k] for k in ("title", "text", "language", "source")}


def article(pair_id: str, side: str, url: str, *, hours: float = 0, **overrides: Any) -> Article:
    """An Article with the texts of an evaluation pair, published ``hours`` after BASE_TIME."""
    values: dict[str, Any] = {
        **text_of(pair_id, side),
        "url": url,
        "summary": None,
        "published_at": BASE_TIME + timedelta(hours=hours),
    }
    values.update(overrides)
    return make_article(**values)


def store(
    db: sqlite_utils.Database, deduper: Deduper, item: Article
) -> tuple[int, StoryAssignment]:
    """What the store pipeline does: upsert, then assign when new or updated."""
    result = articles.upsert_article(db, item)
    assert result.status in ("new", "updated")
    return result.id, deduper.assign(result.id)


def deduper_for(db: sqlite_utils.Database, **settings: Any) -> Deduper:
    return Deduper(db, DedupeSettings(**settings))


def story(db: sqlite_utils.Database, article_id: int) -> tuple[int, int | None]:
    """(story_id, duplicate_of) of one article."""
    row = db.execute(
        "SELECT story_id, duplicate_of FROM articles WHERE id = ?", [article_id]
    ).fetchone()
    return int(row[0]), row[1]


def partition(db: sqlite_utils.Database) -> dict[int, set[int]]:
    """story id -> member ids."""
    out: dict[int, set[int]] = {}
    for article_id, story_id in db.execute("SELECT id, story_id FROM articles"):
        out.setdefault(int(story_id), set()).add(int(article_id))
    return out


def snapshot(db: sqlite_utils.Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table grouping touches."""
    queries = {
        "articles": "SELECT id, story_id, duplicate_of, content_hash FROM articles ORDER BY id",
        "signatures": "SELECT * FROM dedupe_signatures ORDER BY article_id",
        "bands": "SELECT * FROM dedupe_bands ORDER BY article_id, band",
        "links": "SELECT * FROM dedupe_links ORDER BY article_id, url",
        "meta": "SELECT * FROM dedupe_meta ORDER BY key",
    }
    return {name: [tuple(r) for r in db.execute(sql)] for name, sql in queries.items()}
