"""The demo corpus: its shape, its balance, and how it is published on the replica sites."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.config import load_sources, packaged_default
from crawler.replica.corpus import (
    CREDIT,
    CorpusError,
    load_corpus,
    publish_main,
    publish_more,
    published_ids,
    site_for,
)
from crawler.replica.site import ReplicaState

NOW = datetime(2026, 3, 16, 3, 0, tzinfo=UTC)
SOURCES = load_sources(packaged_default("sources.toml"))
CORPUS = load_corpus()
MAIN = [a for a in CORPUS if not a.reserve]
RESERVE = [a for a in CORPUS if a.reserve]


def fresh_state() -> ReplicaState:
    return ReplicaState.from_sources(SOURCES.values())


def test_size_and_balance() -> None:
    assert 36 <= len(MAIN) <= 48
    assert len(RESERVE) >= 6
    topics = Counter(a.topic for a in MAIN)
    for topic in ("open-source-ai", "ai", "other"):
        assert 0.25 <= topics[topic] / len(MAIN) <= 0.42, topics
    languages = Counter(a.language or SOURCES[a.source].language for a in MAIN)
    assert set(languages) == {"vi", "en", "fr"}
    assert languages["vi"] > languages["en"] > languages["fr"] >= 2


def test_every_source_has_articles_of_its_own() -> None:
    per_source = Counter(a.source for a in MAIN)
    assert set(per_source) == set(SOURCES), set(SOURCES) ^ set(per_source)
    assert min(per_source.values()) >= 3


def test_articles_read_like_articles() -> None:
    for article in CORPUS:
        words = sum(len(p.split()) for p in article.paragraphs)
        assert len(article.paragraphs) >= 4 and words >= 120, article.id
        assert article.summary and article.title and article.section, article.id
        assert len(set(article.paragraphs)) == len(article.paragraphs), article.id


def test_traps_for_the_classifier_are_labelled_other() -> None:
    """Phrases that look like AI or open source to a naive matcher, in non-AI stories."""
    traps = {"mã nguồn mở": 0, "mở cửa": 0, "không ai": 0}
    for article in MAIN:
        text = " ".join([article.title, article.summary, *article.paragraphs]).lower()
        for phrase in traps:
            if phrase in text and article.topic == "other":
                traps[phrase] += 1
    assert all(traps.values()), traps


def test_translations_and_copies() -> None:
    by_id = {a.id: a for a in CORPUS}
    translations = [a for a in MAIN if a.original]
    assert {a.language for a in translations} >= {"en", "fr"}
    assert all(a.source == "vietnamvn" and a.source_name for a in translations)
    copies = [a for a in MAIN if a.copy_of]
    assert copies, "one story must be republished on a second site"
    for copy in copies:
        original = by_id[copy.copy_of or ""]
        assert copy.source != original.source and copy.topic == original.topic
        # Light edits: the text is mostly the original's.
        shared = set(copy.paragraphs) & set(original.paragraphs)
        assert len(shared) >= len(original.paragraphs) - 2


def test_publish_main_uses_real_url_schemes_and_links_translations() -> None:
    state = fresh_state()
    records = publish_main(state, CORPUS, now=NOW)
    assert len(records) == len(MAIN)
    by_corpus = {r["corpus_id"]: r for r in records}
    for article in MAIN:
        record = by_corpus[article.id]
        # Each URL matches its source's article_pattern, or the crawl would skip it.
        assert SOURCES[article.source].matches_article(record["url"]), record["url"]
        published = datetime.fromisoformat(record["published_at"])
        assert published == NOW - timedelta(hours=float(article.hours_ago or 0))
        if article.original:
            assert record["original_url"] == by_corpus[article.original]["url"]
    assert len({r["url"] for r in records}) == len(records)
    assert published_ids(state) == {a.id for a in MAIN}


def test_publish_more_takes_the_reserve_in_order_then_republishes() -> None:
    state = fresh_state()
    publish_main(state, CORPUS, now=NOW)
    first = publish_more(state, CORPUS, 2, now=NOW)
    assert [r["corpus_id"] for r in first] == [a.id for a in RESERVE[:2]]
    assert all(datetime.fromisoformat(r["published_at"]) < NOW for r in first)
    rest = publish_more(state, CORPUS, len(RESERVE) - 2 + 3, now=NOW)
    copies = rest[len(RESERVE) - 2 :]
    assert [r["corpus_id"] for r in rest[: len(RESERVE) - 2]] == [a.id for a in RESERVE[2:]]
    by_id = {a.id: a for a in CORPUS}
    for copy in copies:
        original = by_id[copy["copy_of"]]
        site = site_for(state, original.source)
        assert copy["corpus_id"].startswith(original.id + "@")
        assert not copy["url"].startswith(f"https://{site.host}/")
        assert copy["paragraphs"][:-1] == list(original.paragraphs)
        credit = CREDIT[copy["language"]].format(host=site.host)
        assert copy["paragraphs"][-1] == credit
    assert len({r["corpus_id"] for r in copies}) == len(copies)


def test_persisted_state_round_trips() -> None:
    state = fresh_state()
    publish_main(state, CORPUS, now=NOW)
    again = ReplicaState.from_json(json.loads(json.dumps(state.to_json())))
    assert published_ids(again) == published_ids(state)
    assert again.serial == state.serial


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "a", "topic": "ai", "title": "T", "summary": "S"}, "missing paragraphs"),
        (
            {"id": "a", "topic": "sport", "title": "T", "summary": "S", "paragraphs": ["p"]},
            "topic must be one of",
        ),
        (
            {"id": "a", "topic": "ai", "title": "T", "summary": "S", "paragraphs": ["p"]},
            "hours_ago",
        ),
        (
            {
                "id": "a",
                "topic": "ai",
                "title": "T",
                "summary": "S",
                "paragraphs": ["p"],
                "hours_ago": 1,
                "original": "nowhere",
            },
            "unknown article 'nowhere'",
        ),
        (
            {
                "id": "a",
                "topic": "ai",
                "title": "T",
                "summary": "S",
                "paragraphs": ["p"],
                "hours_ago": 1,
                "colour": "red",
            },
            "unknown colour",
        ),
    ],
)
def test_bad_corpus_files_are_named(tmp_path: Path, entry: dict, message: str) -> None:
    (tmp_path / "mst.json").write_text(
        json.dumps({"source": "mst", "articles": [entry]}), encoding="utf-8"
    )
    with pytest.raises(CorpusError, match=message) as caught:
        load_corpus(tmp_path)
    assert "mst.json" in str(caught.value) or "nowhere" in str(caught.value)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    entry = {"id": "a", "topic": "ai", "title": "T", "summary": "S", "paragraphs": ["p"]}
    entry["hours_ago"] = 1
    (tmp_path / "mst.json").write_text(
        json.dumps({"source": "mst", "articles": [entry, entry]}), encoding="utf-8"
    )
    with pytest.raises(CorpusError, match="duplicate corpus id 'a'"):
        load_corpus(tmp_path)


def test_every_published_article_reads_back_through_its_sites_parser() -> None:
    """What the demo's crawl relies on, without a crawl: page markup -> the same article."""
    from crawler.replica.render import render_article
    from spiders.parsers import parse_article

    state = fresh_state()
    publish_main(state, CORPUS, now=NOW)
    publish_more(state, CORPUS, len(RESERVE), now=NOW)
    by_id = {a.id: a for a in CORPUS}
    for site in state.sites.values():
        for record in site.articles:
            entry = by_id[record["corpus_id"]]
            page = {**record, "published_at": datetime.fromisoformat(record["published_at"])}
            html = render_article(site.parser, page).encode("utf-8")
            parsed = parse_article(html, record["url"], parser=site.parser, fetched_at=NOW)
            assert parsed.title == entry.title, entry.id
            assert parsed.text.split("\n\n") == list(entry.paragraphs), entry.id
            assert parsed.summary == entry.summary, entry.id
            assert parsed.language == record["language"], entry.id
            assert parsed.published_at == page["published_at"], entry.id
            assert parsed.original_url == record.get("original_url"), entry.id
