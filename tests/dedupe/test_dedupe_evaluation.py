"""The threshold evaluation: the default separates copies from different stories."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from dedupe_helpers import PAIRS_PATH, deduper_for
from factories import make_article

from crawler import evaluate_dedupe as ev
from crawler.config import DedupeSettings
from storage import articles, connect

DEFAULT = DedupeSettings()
# Exact copies and light edits found at the default threshold: all of them. The lowest
# measured similarity is 0.68 against a threshold of 0.5, a margin of four standard
# errors of the 128-permutation estimate.
LIGHT_RECALL_FLOOR = 1.0


@pytest.fixture(scope="module")
def scores() -> list[ev.PairScore]:
    return ev.score_pairs(ev.load_pairs(PAIRS_PATH), DEFAULT)


def test_the_pair_set() -> None:
    pairs = ev.load_pairs(PAIRS_PATH)
    kinds = Counter(p["kind"] for p in pairs)
    assert len(pairs) >= 60 and set(kinds) == set(ev.KINDS)
    assert kinds["exact"] + kinds["light-edit"] >= 30 and kinds["same-topic"] >= 10
    languages = Counter(p[side]["language"] for p in pairs for side in "ab")
    assert (
        languages["vi"] > languages["en"] + languages["fr"] and languages["en"] and languages["fr"]
    )
    assert len({p["id"] for p in pairs}) == len(pairs)
    for pair in pairs:
        assert pair["same_story"] == (pair["kind"] in (*ev.POSITIVE_KINDS, *ev.LINK_KINDS))
        # Several paragraphs of prose on each side.
        for side in "ab":
            assert pair[side]["text"].count("\n") >= 2 and len(pair[side]["text"]) > 500, pair["id"]


def test_default_threshold_separates_the_classes(scores: list[ev.PairScore]) -> None:
    row = ev.at_threshold(scores, DEFAULT.threshold)
    assert row.fp == 0, "a different story would be merged into another"
    assert row.light_recall >= LIGHT_RECALL_FLOOR
    assert row.translations_joined == 0


def test_translations_are_not_joined_by_text(scores: list[ev.PairScore]) -> None:
    """Correct: translations are joined by their Source: links, never by similarity."""
    assert max(s.similarity for s in scores if s.kind == "translation") < 0.05


def test_the_default_sits_inside_the_error_free_range(scores: list[ev.PairScore]) -> None:
    negatives = max(s.similarity for s in scores if s.kind in ev.NEGATIVE_KINDS)
    positives = min(s.similarity for s in scores if s.kind in ev.POSITIVE_KINDS)
    assert negatives < DEFAULT.threshold <= positives
    sweep = [ev.at_threshold(scores, t) for t in ev.SWEEP]
    assert [r.fp for r in sweep] == sorted((r.fp for r in sweep), reverse=True)
    assert [r.fn for r in sweep] == sorted(r.fn for r in sweep)


def test_the_deduper_decides_each_pair_as_the_evaluation_does() -> None:
    """End to end through the LSH index: text pairs join exactly when similar enough,
    translations join through their Source: link."""
    for pair in ev.load_pairs(PAIRS_PATH):
        db = connect(":memory:")
        deduper = deduper_for(db)
        ids = []
        for side in "ab":
            doc = pair[side]
            item = make_article(
                url=doc["url"],
                source=doc["source"],
                title=doc["title"],
                text=doc["text"],
                summary=None,
                language=doc["language"],
                published_at=datetime.fromisoformat(doc["published_at"]),
                original_url=doc.get("original_url"),
            )
            ids.append(articles.upsert_article(db, item).id)
        deduper.assign(ids[0])
        second = deduper.assign(ids[1])
        joined = second.story_id == ids[0]
        assert joined == pair["same_story"], pair["id"]
        expected = {"translation": "translation-link"}.get(pair["kind"], "near-duplicate")
        assert second.reason == (expected if joined else "new-story"), pair["id"]
        db.close()


def test_command_prints_the_sweep_and_distribution() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "crawler.evaluate_dedupe", "--threshold", "0.55"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Estimated Jaccard similarity per kind of pair" in out
    for kind in ev.KINDS:
        assert kind in out
    assert "*    0.55" in out and "precision" in out and "recall" in out
    assert "e06-rewritten-lead (heavy-edit)" in out  # the pair 0.55 misses


def test_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert ev.main(["--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["settings"]["threshold"] == DEFAULT.threshold
    assert {r["threshold"] for r in report["sweep"]} >= set(ev.SWEEP)
    assert len(report["pairs"]) >= 60


def test_bad_pairs_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "pairs.jsonl"
    bad.write_text('{"kind": "exact", "same_story": true, "a": {"title": "x"}}\n', encoding="utf-8")
    assert ev.main(["--pairs", str(bad)]) == 2
    assert f"{bad}:1: a must be an object with string title and text" in capsys.readouterr().err
    assert ev.main(["--pairs", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such pairs file" in capsys.readouterr().err
    bad.write_text("not json\n", encoding="utf-8")
    assert ev.main(["--pairs", str(bad)]) == 2
    assert ":1: not JSON" in capsys.readouterr().err
    assert ev.main(["--threshold", "1.5"]) == 2
