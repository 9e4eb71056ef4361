"""Stories as a user meets them: show, --one-per-story, dedupe status / rebuild."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from dedupe_helpers import article, deduper_for, store

from crawler.cli import cli
from storage import connect, stories

VI = "https://mst.gov.vn/saomai-8b-197260306.htm"
VI_COPY = "https://tuoitre.vn/saomai-8b-2026030611.htm"
EN = "https://en.vietnamplus.vn/sao-mai-releases-saomai-8b-post1.vnp"
OTHER = "https://dantri.com.vn/dung-thu-saomai-8b-20260306.htm"


@pytest.fixture
def stories_db(db_path: Path) -> dict[str, int]:
    """A story told three times (vi original, vi copy published first, en translation)
    and a different story on the same subject."""
    db = connect(db_path)
    deduper = deduper_for(db)
    ids = {
        "vi": store(db, deduper, article("e04-translation-en", "a", VI, hours=2))[0],
        "en": store(db, deduper, article("e04-translation-en", "b", EN, hours=4, original_url=VI))[
            0
        ],
        "copy": store(db, deduper, article("e04-tto-byline", "b", VI_COPY, hours=1))[0],
        "other": store(db, deduper, article("e04-two-reports", "b", OTHER, hours=3))[0],
    }
    db.close()
    return ids


def invoke(db_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db_path), *args], catch_exceptions=False)


def test_show_lists_the_story_and_why(db_path: Path, stories_db: dict[str, int]) -> None:
    vi, en, copy = stories_db["vi"], stories_db["en"], stories_db["copy"]
    out = invoke(db_path, "show", str(en)).output
    assert f"copy of:    #{copy} (the story's first published member)" in out
    assert f"grouped:    its Source: link names #{vi}" in out
    assert f"story {vi}, also covered by:" in out
    assert f"  #{copy} tuoitre [vi]" in out and "(primary)" in out
    assert f"  #{vi} vietnamplus [vi]" in out
    copy_out = invoke(db_path, "show", str(copy)).output
    assert f"grouped:    text nearly identical to #{vi} (similarity 1.00)" in copy_out
    assert "copy of:" not in copy_out
    record = json.loads(invoke(db_path, "show", VI, "--format", "json").output)
    assert record["story_id"] == vi and record["duplicate_of"] == copy
    assert {m["id"] for m in record["story_members"]} == {en, copy}
    assert record["grouping"]["reason"] == "new-story"  # it started the story
    en_record = json.loads(invoke(db_path, "show", str(en), "--format", "json").output)
    assert en_record["grouping"] == {
        "reason": "translation-link",
        "similarity": None,
        "matched_id": vi,
        "assigned_at": en_record["grouping"]["assigned_at"],
    }


def test_export_one_per_story(db_path: Path, stories_db: dict[str, int]) -> None:
    every = [json.loads(line) for line in invoke(db_path, "export").output.splitlines()]
    assert len(every) == 4
    one = [
        json.loads(line)
        for line in invoke(db_path, "export", "--one-per-story").output.splitlines()
    ]
    assert sorted(r["id"] for r in one) == sorted([stories_db["copy"], stories_db["other"]])
    assert all(r["duplicate_of"] is None for r in one)
    # An English-only export still shows the story, through its English member.
    english = invoke(db_path, "export", "--one-per-story", "--language", "en").output.splitlines()
    assert [json.loads(line)["id"] for line in english] == [stories_db["en"]]
    # A source filter that excludes the primary keeps the story's matching member.
    vnp = invoke(db_path, "export", "--one-per-story", "--source", "vietnamplus", "--format", "csv")
    assert [int(r["id"]) for r in csv.DictReader(io.StringIO(vnp.output))] == [stories_db["vi"]]


def test_search_one_per_story(db_path: Path, stories_db: dict[str, int]) -> None:
    def ids(*extra: str) -> list[int]:
        out = invoke(db_path, "search", "SaoMai-8B", "--format", "json", *extra).output
        return [json.loads(line)["id"] for line in out.splitlines()]

    assert sorted(ids()) == sorted(stories_db.values())
    collapsed = ids("--one-per-story")
    # The story appears once, as its primary (which matches), next to the other story.
    assert sorted(collapsed) == sorted([stories_db["copy"], stories_db["other"]])
    assert ids("--one-per-story", "--language", "en") == [stories_db["en"]]
    table = invoke(db_path, "search", "giấy phép Apache", "--one-per-story").output
    assert table.count("https://") == 2


def test_dedupe_status_and_check(db_path: Path, stories_db: dict[str, int]) -> None:
    out = invoke(db_path, "dedupe", "status").output
    assert "Story index: threshold 0.5, 128 permutations, 5-word shingles, 42 bands of 3." in out
    assert "4 articles in 2 stories; 1 stories have copies or translations (2 articles" in out
    assert "rebuild" not in out
    report = json.loads(invoke(db_path, "dedupe", "status", "--check", "--format", "json").output)
    assert report["problems"] == [] and report["pending_links"] == 0
    assert report["rebuild_needed"] is False and report["signatures"] == 4


def test_dedupe_status_reports_pending_links_and_violations(db_path: Path) -> None:
    db = connect(db_path)
    store(db, deduper_for(db), article("e04-translation-en", "b", EN, original_url=VI))
    out = invoke(db_path, "dedupe", "status").output
    assert f"pending: #1 -> {VI} (original)" in out
    # Break an invariant behind newswatch's back: --check names it and exits 1.
    db.execute("UPDATE articles SET duplicate_of = 1 WHERE id = 1")
    db.close()
    result = CliRunner().invoke(cli, ["--db", str(db_path), "dedupe", "status", "--check"])
    assert result.exit_code == 1
    assert "story 1: earliest member 1 is not primary" in result.output


def test_rebuild_after_a_settings_change(
    db_path: Path, stories_db: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWATCH_DEDUPE_SHINGLE_SIZE", "4")
    status = invoke(db_path, "dedupe", "status").output
    assert "Run `newswatch dedupe rebuild`" in status
    result = invoke(db_path, "dedupe", "rebuild", "--batch-size", "3")
    assert "Regrouped 4 articles into 2 stories (1 with copies or translations)" in result.output
    assert "regrouped 3/4 articles" in result.output
    assert "rebuild" not in invoke(db_path, "dedupe", "status").output
    db = connect(db_path)
    assert stories.check_invariants(db) == []
    assert stories.index_params(db)["shingle_size"] == 4  # type: ignore[index]
    db.close()


def test_rebuild_groups_articles_stored_before_grouping_existed(db_path: Path) -> None:
    from storage import articles

    db = connect(db_path)
    articles.upsert_article(db, article("e09-exact", "a", VI))
    articles.upsert_article(db, article("e09-exact", "b", VI_COPY, hours=1))
    db.close()
    assert "2 articles are not indexed" in invoke(db_path, "dedupe", "status").output
    invoke(db_path, "dedupe", "rebuild")
    db = connect(db_path)
    assert [tuple(r) for r in db.execute("SELECT id, story_id, duplicate_of FROM articles")] == [
        (1, 1, None),
        (2, 1, 1),
    ]
    db.close()


def test_invalid_dedupe_settings_are_clear_errors(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWATCH_DEDUPE_NUM_PERM", "4")
    result = CliRunner().invoke(cli, ["--db", str(db_path), "dedupe", "status"])
    assert (
        result.exit_code == 2
        and "dedupe.num_perm: expected an integer from 16 to 1024" in result.output
    )
