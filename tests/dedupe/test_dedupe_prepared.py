"""Signatures prepared before storing (by a crawl's parse worker) and handed to assign."""

from __future__ import annotations

import sqlite_utils
from dedupe_helpers import article, deduper_for, story

from crawler.dedupe import IndexParams, prepare, prepare_text, prepared_from_json, prepared_to_json
from spiders.worker import extract
from storage import articles, stories
from storage.articles import content_hash


def test_prepared_signatures_round_trip_and_refuse_other_parameters() -> None:
    item = article("e01-exact", "a", "https://vnexpress.net/a-4950001.html")
    params = IndexParams(128, 5, 42, 3)
    prepared = prepare_text(item.title, item.text, content_hash(item), params)
    data = prepared_to_json(prepared, params)
    assert prepared_from_json(data, params) == prepared
    assert prepared_from_json(data, IndexParams(128, 4, 42, 3)) is None
    for broken in ({}, {"params": "x"}, {**data, "hashvalues": "zz"}, None, 7):
        assert prepared_from_json(broken, params) is None


def test_assign_uses_a_matching_prepared_signature_and_groups_as_without_it(
    db: sqlite_utils.Database,
) -> None:
    deduper = deduper_for(db)
    params = deduper.index_params()
    first = article("e01-exact", "a", "https://vnexpress.net/a-4950001.html")
    copy = article("e01-exact", "b", "https://tuoitre.vn/b-20260307080000123.htm", hours=1)
    ids = []
    for item in (first, copy):
        prepared = prepare_text(item.title, item.text, content_hash(item), params)
        result = articles.upsert_article(db, item)
        deduper.assign(result.id, prepared_to_json(prepared, params))
        ids.append(result.id)
    # the stored signature is the prepared one, equal to what assign computes itself
    row = stories.dedupe_row(db, ids[1])
    assert row is not None
    stored = stories.stored_signature(db, ids[1])
    assert stored is not None and stored.hashvalues == prepare(row, params).hashvalues
    assert story(db, ids[1])[0] == story(db, ids[0])[0]


def test_a_signature_prepared_for_other_content_is_recomputed(db: sqlite_utils.Database) -> None:
    deduper = deduper_for(db)
    params = deduper.index_params()
    item = article("e01-exact", "a", "https://vnexpress.net/a-4950001.html")
    stale = prepare_text("Một bài khác", "Nội dung khác hẳn " * 40, "0" * 32, params)
    result = articles.upsert_article(db, item)
    deduper.assign(result.id, prepared_to_json(stale, params))
    row = stories.dedupe_row(db, result.id)
    stored = stories.stored_signature(db, result.id)
    assert row is not None and stored is not None
    assert stored.hashvalues == prepare(row, params).hashvalues


def test_the_parse_worker_job_returns_the_article_and_its_signature() -> None:
    from datetime import UTC, datetime

    from crawler.replica.render import render_article

    item = article("e01-exact", "a", "https://vnexpress.net/mot-bai-viet-4950001.html")
    html = render_article(
        "vnexpress",
        {
            "title": item.title,
            "summary": "Tóm tắt của bài.",
            "paragraphs": item.text.split("\n\n"),
            "url": item.url,
            "published_at": datetime(2026, 3, 7, 8, 0, tzinfo=UTC),
        },
    )
    params = IndexParams(128, 5, 42, 3)
    parsed, data = extract(
        html.encode(),
        item.url,
        dedupe=params.to_dict(),
        fetched_at=datetime(2026, 3, 9, tzinfo=UTC),
    )
    assert data is not None
    assert prepared_from_json(data, params) == prepare_text(
        parsed.title, parsed.text, content_hash(parsed), params
    )
    assert extract(html.encode(), item.url, fetched_at=datetime(2026, 3, 9, tzinfo=UTC))[1] is None
