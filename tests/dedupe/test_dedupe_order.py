"""Whatever order copies and translations arrive in, they end as the same stories."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlite_utils
from dedupe_helpers import article, deduper_for, partition, store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.models import Article
from storage import articles, connect, stories

A = "https://www.vietnamplus.vn/sao-mai-cong-bo-saomai-8b-post1.vnp"
B = "https://nhandan.vn/bo-du-lieu-giong-noi-tieng-viet-post2.html"

# name -> the article; stories are {A*}, {B*}, {C}, {D}. Published hours differ, so
# each story's primary is known: the member with the smallest hour.
ARTICLES: dict[str, Article] = {
    "A": article("e04-translation-en", "a", A, hours=2),
    "A-copy": article("e04-exact", "b", "https://nld.com.vn/saomai-8b-1.htm", hours=3),
    "A-tto": article("e04-tto-byline", "b", "https://tuoitre.vn/saomai-8b-2.htm", hours=1),
    "A-en": article(
        "e04-translation-en",
        "b",
        "https://en.vietnamplus.vn/saomai-8b.vnp",
        hours=4,
        original_url=A,
    ),
    "A-en-copy": article("e04-en-shortened", "b", "https://www.vietnam.vn/en/saomai-8b", hours=5),
    "B": article("e06-translation-fr", "a", B, hours=0),
    "B-copy": article("e06-dateline-theo", "b", "https://nld.com.vn/giong-noi-3.htm", hours=6),
    "B-fr": article(
        "e06-translation-fr", "b", "https://www.vietnam.vn/fr/voix", hours=7, original_url=B
    ),
    "C": article("e05-wording", "a", "https://nld.com.vn/trung-tam-ai-4.htm", hours=8),
    "D": article("e04-two-reports", "b", "https://dantri.com.vn/dung-thu-saomai-5.htm", hours=9),
}
EXPECTED = [{"A", "A-copy", "A-tto", "A-en", "A-en-copy"}, {"B", "B-copy", "B-fr"}, {"C"}, {"D"}]
PRIMARY = {"A-tto", "B", "C", "D"}


@pytest.fixture
def memory_db() -> Iterator[sqlite_utils.Database]:
    db = connect(":memory:")
    yield db
    db.close()


def check(db: sqlite_utils.Database, ids: dict[str, int]) -> None:
    names = {v: k for k, v in ids.items()}
    groups = [{names[i] for i in members} for members in partition(db).values()]
    assert sorted(groups, key=sorted) == sorted(EXPECTED, key=sorted)
    for story_id, members in partition(db).items():
        assert story_id == min(members)  # the id of the story's first stored member
    primaries = {
        names[r[0]] for r in db.execute("SELECT id FROM articles WHERE duplicate_of IS NULL")
    }
    assert primaries == PRIMARY
    assert stories.check_invariants(db) == []
    assert stories.pending_links(db) == []


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(list(ARTICLES)))
def test_any_arrival_order_gives_the_same_stories(order: list[str]) -> None:
    db = connect(":memory:")
    try:
        deduper = deduper_for(db)
        ids = {name: store(db, deduper, ARTICLES[name])[0] for name in order}
        check(db, ids)
        # A rebuild from scratch agrees with the incremental result.
        before = partition(db)
        deduper.rebuild(batch_size=3)
        assert partition(db) == before
        check(db, ids)
    finally:
        db.close()


def test_pipeline_order_with_unchanged_refetches(memory_db: sqlite_utils.Database) -> None:
    """Re-fetching unchanged pages (no assign) between arrivals changes nothing."""
    deduper = deduper_for(memory_db)
    ids: dict[str, int] = {}
    for name in ["A-en", "B-fr", "A", "C", "B", "A-en-copy", "D", "A-copy", "B-copy", "A-tto"]:
        ids[name] = store(memory_db, deduper, ARTICLES[name])[0]
        for seen in list(ids):
            assert articles.upsert_article(memory_db, ARTICLES[seen]).status == "unchanged"
    check(memory_db, ids)
