"""The writer's path for extracted articles: classify, store, group into stories.

Local crawls call it from their Scrapy pipeline; cluster crawls call it when the
scheduler node ingests a worker's item feed. One path, so results are identical.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlite_utils

from crawler.config import DedupeSettings
from crawler.models import Article, Classification
from storage import articles as article_store
from storage import runs, write_transaction

log = logging.getLogger(__name__)


class ArticleClassifier(Protocol):
    def classify_article(self, article: Article) -> Classification: ...


class StoryAssigner(Protocol):
    def assign(self, article_id: int) -> Any: ...


@dataclass
class StoreCounts:
    """What a batch did to the database."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    new_ids: list[int] = field(default_factory=list)
    coverage: Counter[str] = field(default_factory=Counter)  # field -> articles having it

    def add(self, other: StoreCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.new_ids.extend(other.new_ids)
        self.coverage.update(other.coverage)

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged


def field_coverage(article: Article) -> set[str]:
    """Which of the fields health monitoring watches this article has."""
    have = set()
    if article.title.strip():
        have.add("title")
    if article.published_at is not None and "published_at" not in _url_id_fields(article):
        have.add("published")
    if len(article.text) >= 200:
        have.add("text")
    return have


def _url_id_fields(article: Article) -> set[str]:
    from crawler.models import METHOD_URL_ID

    return {name for name, method in article.extraction.items() if method == METHOD_URL_ID}


class Storer:
    """Stores batches of articles in one transaction each."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        *,
        classifier: ArticleClassifier | None = None,
        deduper: StoryAssigner | None = None,
        topics_version: str | None = None,
    ) -> None:
        self.db = db
        self.classifier = classifier
        self.deduper = deduper
        self.topics_version = topics_version

    def store(self, batch: Iterable[Article]) -> StoreCounts:
        """Classify and upsert each article, then group new/changed ones into stories."""
        counts = StoreCounts()
        with write_transaction(self.db):
            for article in batch:
                classification = (
                    self.classifier.classify_article(article) if self.classifier else None
                )
                result = article_store.upsert_article(
                    self.db, article, classification, topics_version=self.topics_version
                )
                if result.status == "new":
                    counts.new += 1
                    counts.new_ids.append(result.id)
                elif result.status == "updated":
                    counts.updated += 1
                else:
                    counts.unchanged += 1
                if result.status != "unchanged" and self.deduper is not None:
                    self.deduper.assign(result.id)
                counts.coverage.update(field_coverage(article))
        return counts

    def save_validators(self, validators: Iterable[Mapping[str, Any]], source: str | None) -> int:
        """Record ETag/Last-Modified of entry points (only after their articles are stored)."""
        count = 0
        with write_transaction(self.db):
            for v in validators:
                runs.set_validators(
                    self.db,
                    v["url"],
                    source=source,
                    etag=v.get("etag"),
                    last_modified=v.get("last_modified"),
                    status=int(v.get("status", 200)),
                )
                count += 1
        return count


def build_storer(
    db: sqlite_utils.Database, topics_path: str | None, dedupe_settings: DedupeSettings | None
) -> Storer:
    """A Storer with the configured classifier (when topics are given) and story grouping."""
    classifier = None
    version = None
    if topics_path:
        from crawler.classify import Classifier, load_topics

        topics = load_topics(topics_path)
        classifier = Classifier(topics)
        version = topics.digest()
    deduper = None
    if dedupe_settings is not None:
        from crawler.dedupe import Deduper

        deduper = Deduper(db, dedupe_settings)
    return Storer(db, classifier=classifier, deduper=deduper, topics_version=version)
