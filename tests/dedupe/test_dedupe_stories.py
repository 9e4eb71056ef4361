"""Grouping into stories: copies, translations, pending links, primaries, merges."""

from __future__ import annotations

import pytest
import sqlite_utils
from dedupe_helpers import (
    article,
    deduper_for,
    partition,
    snapshot,
    store,
    story,
    text_of,
)
from factories import make_article

from crawler.dedupe import UnknownArticle
from storage import articles, stories

VI = "https://mst.gov.vn/bo-khcn-khoi-dong-chuong-trinh-llm-nguon-mo-197260305.htm"
VI_COPY = "https://baochinhphu.vn/khoi-dong-chuong-trinh-mo-hinh-ngon-ngu-102260305.htm"
VI_DANTRI = "https://dantri.com.vn/cong-nghe/mo-hinh-ngon-ngu-tieng-viet-20260305.htm"
EN = "https://www.vietnam.vn/en/ministry-launches-open-source-llm-programme"
EN_COPY = "https://en.vietnamplus.vn/vietnam-kicks-off-open-source-llm-programme-post1.vnp"


def assert_sound(db: sqlite_utils.Database) -> None:
    assert stories.check_invariants(db) == []


def test_same_story_on_three_sites_in_two_languages_is_one_story(
    db: sqlite_utils.Database,
) -> None:
    deduper = deduper_for(db)
    # The English version arrives first and names an original not stored yet.
    en_id, en = store(db, deduper, article("e01-translation-en", "b", EN, hours=5, original_url=VI))
    assert en.reason == "new-story" and stories.pending_links(db)[0]["url"] == VI
    en_copy_id, en_copy = store(db, deduper, article("e01-en-republished", "b", EN_COPY, hours=6))
    assert en_copy.reason == "near-duplicate" and en_copy.story_id == en_id
    copy_id, copy = store(db, deduper, article("e01-exact", "b", VI_COPY, hours=2))
    assert copy.reason == "new-story"  # Vietnamese text does not match the English one
    vi_id, vi = store(db, deduper, article("e01-exact", "a", VI, hours=0))
    # The original joins its copy by text and the English story by the pending link:
    # both stories merge into the smaller id, and the original, published first, leads.
    assert vi.reason == "pending-link"
    assert vi.story_id == en_id and vi.merged_story_ids == (copy_id,)
    assert vi.duplicate_of is None
    dantri_id, dantri = store(db, deduper, article("e01-dateline-source", "b", VI_DANTRI, hours=3))
    assert dantri.reason == "near-duplicate" and dantri.similarity == 1.0

    members = articles.story_members(db, en_id)
    assert [m["id"] for m in members] == [vi_id, copy_id, dantri_id, en_id, en_copy_id]
    assert {m["source"] for m in members} == {
        "mst",
        "baochinhphu",
        "dantri",
        "vietnamvn",
        "vietnamplus-en",
    }
    assert {m["language"] for m in members} == {"vi", "en"}
    primaries = [m["id"] for m in members if m["duplicate_of"] is None]
    assert primaries == [vi_id]
    assert all(m["duplicate_of"] == vi_id for m in members if m["id"] != vi_id)
    assert partition(db) == {en_id: {vi_id, copy_id, dantri_id, en_id, en_copy_id}}
    assert_sound(db)


def test_translation_after_its_original(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    vi_id, _ = store(db, deduper, article("e03-translation-en", "a", VI))
    en_id, en = store(
        db,
        deduper,
        article("e03-translation-en", "b", EN, hours=4, original_url=VI + "?utm_source=zalo"),
    )
    assert en.reason == "translation-link" and en.similarity is None
    assert (en.story_id, en.duplicate_of) == (vi_id, vi_id)
    assert stories.pending_links(db) == []
    assert stories.grouping_of(db, en_id).matched_id == vi_id  # type: ignore[union-attr]
    assert_sound(db)


def test_translation_before_its_original(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    fr_id, fr = store(db, deduper, article("e10-translation-fr", "b", EN, hours=4, original_url=VI))
    assert fr.reason == "new-story" and fr.story_id == fr_id
    assert [(p["article_id"], p["url"], p["kind"]) for p in stories.pending_links(db)] == [
        (fr_id, VI, "original")
    ]
    vi_id, vi = store(db, deduper, article("e10-translation-fr", "a", VI))
    # The story keeps the id of its first stored member; the original, published
    # earlier, becomes its primary.
    assert vi.reason == "pending-link" and vi.story_id == fr_id and vi.duplicate_of is None
    assert story(db, fr_id) == (fr_id, vi_id)
    assert stories.pending_links(db) == []
    assert_sound(db)


def test_original_named_by_its_fetched_url(db: sqlite_utils.Database) -> None:
    """A "Source:" link may name the URL before a redirect."""
    deduper = deduper_for(db)
    old = "https://mst.gov.vn/tin-tuc/197260305-old-path.htm"
    vi_id, _ = store(db, deduper, article("e06-translation-fr", "a", VI, fetched_url=old))
    _, fr = store(db, deduper, article("e06-translation-fr", "b", EN, hours=1, original_url=old))
    assert fr.reason == "translation-link" and fr.story_id == vi_id


def test_canonical_link_joins_in_either_order(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    amp = "https://vietnamnet.vn/amp/mo-hinh-ngon-ngu-2270001.html"
    page = "https://vietnamnet.vn/mo-hinh-ngon-ngu-2270001.html"
    # A short AMP page (too short to compare by text) whose canonical is the full page.
    amp_id, amp_assignment = store(
        db,
        deduper,
        make_article(
            url=amp, title="Mô hình ngôn ngữ", text="Xem bài đầy đủ.", related_urls=[page]
        ),
    )
    assert amp_assignment.reason == "new-story"
    page_id, page_assignment = store(db, deduper, article("e04-exact", "a", page, hours=-1))
    assert page_assignment.reason == "pending-link" and page_assignment.story_id == amp_id
    assert story(db, amp_id) == (amp_id, page_id)
    # The other order: the page first, then a page pointing at it.
    other = "https://vietnamnet.vn/amp/khac-2270002.html"
    _, later = store(
        db, deduper, make_article(url=other, title="Khác", text="Ngắn.", related_urls=[page])
    )
    assert later.reason == "canonical-link" and later.story_id == amp_id
    assert_sound(db)


def test_home_page_in_og_url_links_nothing(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    home_id, _ = store(
        db, deduper, make_article(url="https://nld.com.vn/", title="Trang chủ", text="x")
    )
    _, a = store(db, deduper, article("e05-wording", "a", VI, related_urls=["https://nld.com.vn/"]))
    assert a.reason == "new-story" and a.story_id != home_id
    assert stories.pending_links(db) == []


def test_copy_published_earlier_arriving_later_becomes_primary(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    late_id, _ = store(db, deduper, article("e08-exact", "a", VI, hours=10))
    early_id, early = store(db, deduper, article("e08-exact", "b", VI_COPY, hours=1))
    assert early.story_id == late_id  # the story id never changes for a new member
    assert early.duplicate_of is None and early.reason == "near-duplicate"
    assert story(db, late_id) == (late_id, early_id)
    _, middle = store(db, deduper, article("e08-vov-related", "b", VI_DANTRI, hours=5))
    assert (middle.story_id, middle.duplicate_of) == (late_id, early_id)
    assert_sound(db)


def test_unknown_publication_time_counts_as_first_seen(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    undated_id, _ = store(db, deduper, article("e09-exact", "a", VI, published_at=None))
    dated_id, dated = store(db, deduper, article("e09-exact", "b", VI_COPY, hours=0))
    # BASE_TIME is in the past, so the dated copy was published before the undated
    # article was first seen.
    assert dated.duplicate_of is None and story(db, undated_id) == (undated_id, dated_id)


def test_publication_tie_goes_to_the_lowest_id(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    first_id, _ = store(db, deduper, article("e07-exact", "a", VI, hours=1))
    _, second = store(db, deduper, article("e07-exact", "b", VI_COPY, hours=1))
    assert second.duplicate_of == first_id


def test_one_article_linking_two_stories_merges_them(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    original_id, _ = store(db, deduper, article("e02-exact", "a", VI, hours=0))
    # A French version names a Vietnamese copy that is not stored yet.
    fr_id, fr = store(
        db, deduper, article("e02-translation-fr", "b", EN, hours=3, original_url=VI_COPY)
    )
    assert fr.story_id == fr_id and partition(db) == {original_id: {original_id}, fr_id: {fr_id}}
    # The copy arrives: same text as the original, and the page the French version names.
    copy_id, copy = store(db, deduper, article("e02-exact", "b", VI_COPY, hours=1))
    assert copy.story_id == original_id and copy.merged_story_ids == (fr_id,)
    assert copy.reason == "pending-link" and copy.similarity == 1.0
    assert partition(db) == {original_id: {original_id, fr_id, copy_id}}
    assert story(db, fr_id) == (original_id, original_id)
    assert_sound(db)


def test_different_reports_of_one_event_stay_apart(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    for number, pair_id in enumerate(
        ["e01-two-reports", "e01-follow-up", "e01-e04-r1r1-different"]
    ):
        db.execute("DELETE FROM articles")
        a_id, _ = store(db, deduper, article(pair_id, "a", f"{VI}-{number}"))
        b_id, b = store(db, deduper, article(pair_id, "b", f"{VI_COPY}-{number}", hours=3))
        assert b.reason == "new-story" and b.story_id == b_id != a_id, pair_id
        assert_sound(db)


def test_short_texts_are_grouped_by_links_only(db: sqlite_utils.Database) -> None:
    """Two video pages with the same one-line caption are not one story for that."""
    deduper = deduper_for(db)
    caption = "Mời quý độc giả xem video tại đây."
    a_id, _ = store(db, deduper, make_article(url=VI, title="Video", text=caption))
    _, b = store(db, deduper, make_article(url=VI_COPY, title="Video", text=caption))
    assert b.reason == "new-story"
    assert stories.stored_signature(db, a_id).hashvalues is None  # type: ignore[union-attr]


def test_assign_twice_changes_nothing(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    ids = [
        store(db, deduper, article("e01-translation-en", "b", EN, hours=5, original_url=VI))[0],
        store(db, deduper, article("e01-exact", "a", VI))[0],
        store(db, deduper, article("e01-exact", "b", VI_COPY, hours=1))[0],
        store(db, deduper, article("e01-two-reports", "b", VI_DANTRI, hours=2))[0],
    ]
    for article_id in ids:
        first = deduper.assign(article_id)
        state, changes = snapshot(db), db.conn.total_changes
        second = deduper.assign(article_id)
        assert db.conn.total_changes == changes, f"assign({article_id}) wrote again"
        assert second == first and snapshot(db) == state


def test_unknown_article_id(db: sqlite_utils.Database) -> None:
    with pytest.raises(UnknownArticle, match="no stored article with id 42"):
        deduper_for(db).assign(42)


def test_rebuild_reproduces_the_grouping(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    store(db, deduper, article("e01-translation-en", "b", EN, hours=5, original_url=VI))
    store(db, deduper, article("e01-exact", "a", VI))
    store(db, deduper, article("e01-exact", "b", VI_COPY, hours=1))
    store(db, deduper, article("e05-wording", "a", VI_DANTRI, hours=2))
    store(db, deduper, article("e05-wording", "b", EN_COPY, hours=3))
    before = snapshot(db)["articles"]
    progress: list[tuple[int, int]] = []
    assert deduper.rebuild(batch_size=2, progress=lambda d, t: progress.append((d, t))) == 5
    assert progress == [(2, 5), (4, 5), (5, 5)]
    assert snapshot(db)["articles"] == before
    assert_sound(db)


def test_rebuild_applies_a_new_threshold(db: sqlite_utils.Database) -> None:
    lenient = deduper_for(db, threshold=0.5)
    a_id, _ = store(db, lenient, article("e06-rewritten-lead", "a", VI))
    b_id, b = store(db, lenient, article("e06-rewritten-lead", "b", VI_COPY, hours=1))
    assert b.story_id == a_id  # a heavily edited copy (similarity ~0.54)
    strict = deduper_for(db, threshold=0.7)
    assert strict.is_stale() and not lenient.is_stale()
    assert strict.rebuild() == 2
    assert story(db, b_id) == (b_id, None) and not strict.is_stale()
    assert stories.grouping_threshold(db) == 0.7


def test_index_keeps_its_parameters_until_rebuilt(db: sqlite_utils.Database) -> None:
    store(db, deduper_for(db), article("e07-exact", "a", VI))
    changed = deduper_for(db, num_perm=64, shingle_size=4)
    assert changed.is_stale()
    # New articles are still signed like the stored ones, so they still compare.
    _, copy = store(db, changed, article("e07-exact", "b", VI_COPY, hours=1))
    assert copy.reason == "near-duplicate"
    assert len(stories.stored_signature(db, copy.article_id).hashvalues) == 128 * 4  # type: ignore[union-attr, arg-type]
    changed.rebuild()
    assert len(stories.stored_signature(db, copy.article_id).hashvalues) == 64 * 4  # type: ignore[union-attr, arg-type]
    assert story(db, copy.article_id)[0] == story(db, 1)[0]


def test_candidate_lookup_uses_the_index(db: sqlite_utils.Database) -> None:
    sql = stories.candidates_sql(42)
    plan = [
        str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", [0, 0, 100] * 42 + [0, 10])
    ]
    searches = [p for p in plan if p.startswith("SEARCH dedupe_bands")]
    assert len(searches) == 42, plan
    assert all("USING PRIMARY KEY (band=? AND bucket=?)" in p for p in searches), plan
    assert not any(p.startswith("SCAN dedupe_bands") for p in plan), plan


def test_crowded_buckets_are_read_newest_first_and_bounded(db: sqlite_utils.Database) -> None:
    rows = [(band, 7, article_id) for article_id in range(1, 501) for band in range(3)]
    rows += [(0, 8, 9999), (1, 9, 9999)]
    db.execute("PRAGMA foreign_keys = OFF")  # index entries without article rows
    db.conn.executemany("INSERT INTO dedupe_bands VALUES (?, ?, ?)", rows)
    found = stories.candidates(db, [(0, 7), (1, 7), (2, 7)], exclude=500, limit=5, per_bucket=20)
    assert found == [499, 498, 497, 496, 495]
    # Sharing more bands ranks first, whatever the id.
    found = stories.candidates(db, [(0, 8), (1, 9), (2, 7)], exclude=0, limit=3, per_bucket=20)
    assert found[0] == 9999


def test_work_per_article_does_not_grow_with_the_database(db: sqlite_utils.Database) -> None:
    """Counted in SQL statements, not time: the same for 5 and for 200 stored articles."""
    deduper = deduper_for(db)
    words = text_of("e09-exact")["text"].split()

    def statements_for_one_new_article(stride: int) -> int:
        # A text unrelated to every stored one: the words of an article, shuffled.
        shuffled = " ".join(w for i in range(stride) for w in words[i::stride])
        new = articles.upsert_article(
            db, make_article(url=f"{VI}?stride={stride}", title="Bài mới", text=shuffled)
        )
        seen: list[str] = []
        db.conn.set_trace_callback(seen.append)
        try:
            assignment = deduper.assign(new.id)
        finally:
            db.conn.set_trace_callback(None)
        assert assignment.reason == "new-story"
        return len(seen)

    for i, pair_id in enumerate(["e01-exact", "e02-exact", "e04-exact", "e06-exact", "e07-exact"]):
        store(db, deduper, article(pair_id, "a", f"{VI}-{i}"))
    small = statements_for_one_new_article(7)
    for i in range(5, 200):
        body = " ".join(words[(i * 13) % len(words) :] + words[: (i * 13) % len(words)])
        store(db, deduper, make_article(url=f"{VI}-{i}", title=f"Tin {i}", text=f"{i} {body}"))
    large = statements_for_one_new_article(11)
    assert small == large
