"""Same article: the canonical URL is the identity; a changed re-fetch updates in place."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils
from dedupe_helpers import article, deduper_for, snapshot, store, story
from factories import make_article

from crawler.urls import canonical_url
from storage import articles, stories

URL = "https://dantri.com.vn/cong-nghe/bo-khoa-hoc-khoi-dong-chuong-trinh-20260305.htm"


def test_tracking_parameters_do_not_make_a_new_article(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    first_id, first = store(db, deduper, article("e01-exact", "a", URL))
    tracked = URL + "?utm_source=facebook&utm_medium=social&fbclid=IwAR0abc&zarsrc=30"
    assert canonical_url(tracked) == URL
    again = articles.upsert_article(db, article("e01-exact", "a", canonical_url(tracked)))
    assert again.status == "unchanged" and again.id == first_id
    assert db["articles"].count == 1
    assert first.reason == "new-story" and first.story_id == first_id
    row = articles.get_article(db, tracked)
    assert row is not None and row["id"] == first_id


def test_changed_refetch_updates_the_record_and_keeps_its_story(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    original = article("e01-exact", "a", URL)
    article_id, _ = store(db, deduper, original)
    copy_id, copy = store(db, deduper, article("e01-exact", "b", URL + "-copy", hours=1))
    assert copy.story_id == article_id and copy.duplicate_of == article_id
    before = articles.get_article(db, article_id)
    assert before is not None
    bands_before = set(
        db.execute("SELECT band, bucket FROM dedupe_bands WHERE article_id = ?", [article_id])
    )

    edited = article(
        "e01-exact",
        "a",
        URL,
        text=original.text
        + "\n\nCập nhật: Bộ sẽ công bố danh sách doanh nghiệp tham gia trong tuần tới.",
    )
    result = articles.upsert_article(db, edited, now=datetime(2026, 3, 6, 3, 0, tzinfo=UTC))
    assert result.status == "updated" and result.id == article_id
    assignment = deduper.assign(article_id)

    after = articles.get_article(db, article_id)
    assert after is not None
    assert after["id"] == before["id"] and after["first_seen_at"] == before["first_seen_at"]
    assert after["story_id"] == before["story_id"] == article_id
    assert after["updated_at"] == "2026-03-06T03:00:00+00:00"
    assert after["previous_content_hash"] == before["content_hash"] != after["content_hash"]
    # Still the same story with the same primary: never announced as a new story.
    assert assignment.story_id == article_id and assignment.duplicate_of is None
    assert assignment.reason == "near-duplicate" and story(db, copy_id) == (article_id, article_id)
    # The signature and the bands follow the new text.
    signature = stories.stored_signature(db, article_id)
    assert signature is not None and signature.content_hash == after["content_hash"]
    bands_after = set(
        db.execute("SELECT band, bucket FROM dedupe_bands WHERE article_id = ?", [article_id])
    )
    assert bands_after != bands_before and len(bands_after) == len(bands_before)


def test_rewritten_article_stays_in_its_story(db: sqlite_utils.Database) -> None:
    """Grouping is sticky: an edit never splits a story (that could announce it twice)."""
    deduper = deduper_for(db)
    article_id, _ = store(db, deduper, article("e04-exact", "a", URL))
    copy_id, _ = store(db, deduper, article("e04-exact", "b", URL + "-copy", hours=2))
    rewritten = article("e04-exact", "a", URL, text=article("e08-exact", "a", URL).text)
    articles.upsert_article(db, rewritten)
    assignment = deduper.assign(article_id)
    assert assignment.reason == "existing-story" and assignment.story_id == article_id
    assert story(db, copy_id) == (article_id, article_id)


def test_unchanged_refetch_needs_no_regrouping(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    store(db, deduper, make_article(url=URL))
    state = snapshot(db)
    assert (
        articles.upsert_article(db, make_article(url=canonical_url(URL + "?fbclid=x#top"))).status
        == "unchanged"
    )
    assert snapshot(db) == state
