"""Golden pages: every parser version has one, and each page gives its stored record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from spiders.parsers import golden
from spiders.parsers.registry import parser_classes

CASES = golden.cases()


def test_every_parser_version_has_a_golden_page() -> None:
    covered = {(case.parser, case.version) for case in CASES}
    missing = [
        f"{cls.name}@{cls.version}"
        for cls in parser_classes()
        if cls.name != "generic" and (cls.name, cls.version) not in covered
    ]
    assert not missing, f"add golden pages under {golden.GOLDEN_DIR} for: {missing}"


def test_every_golden_page_names_a_registered_version() -> None:
    registered = {(cls.name, cls.version) for cls in parser_classes()}
    assert {(case.parser, case.version) for case in CASES} <= registered


@pytest.mark.parametrize("case", CASES, ids=str)
def test_golden_page(case: golden.GoldenCase) -> None:
    expected = json.loads(case.expected_path.read_text("utf-8"))
    assert golden.produce(case) == expected, (
        f"{case} changed; review `python -m spiders.parsers.golden check {case.parser}` "
        "and regenerate if the change is right"
    )


def test_golden_records_are_sensible() -> None:
    """Guards against regenerating nonsense: every record is a dated, bylined-or-not
    article with a body, a language and the zone the site writes in."""
    for case in CASES:
        record = json.loads(case.expected_path.read_text("utf-8"))
        assert record["title"] and record["text"].count("\n\n") >= 2, case
        assert record["published_at"].endswith("+07:00"), case
        assert record["language"] in ("vi", "en", "fr"), case
        assert record["parser"] == f"{case.parser}@{case.version}", case


@pytest.fixture
def golden_copy(tmp_path: Path) -> Path:
    """A copy of two parsers' golden pages to run the command on."""
    for name in ("vnexpress", "mst"):
        shutil.copytree(golden.GOLDEN_DIR / name, tmp_path / name)
    return tmp_path


def test_check_command_passes_on_stored_records(
    golden_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert golden.main(["check", "--dir", str(golden_copy)]) == 0
    assert "3 golden pages, 0 differ" in capsys.readouterr().out


def test_check_shows_a_diff_and_regenerate_restores(
    golden_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = next(golden_copy.glob("vnexpress/*[!a].json"))
    record = json.loads(expected.read_text("utf-8"))
    stored = expected.read_text("utf-8")
    record["title"] = "A title edited by hand"
    expected.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", "utf-8")

    assert golden.main(["check", "vnexpress", "--dir", str(golden_copy)]) == 1
    out = capsys.readouterr().out
    assert '-  "title": "A title edited by hand"' in out
    assert "1 differ" in out

    assert golden.main(["regenerate", "vnexpress", "--dir", str(golden_copy)]) == 0
    assert "1 rewritten" in capsys.readouterr().out
    assert expected.read_text("utf-8") == stored


def test_commands_report_an_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert golden.main(["check", "--dir", str(tmp_path)]) == 2
    assert "no golden pages" in capsys.readouterr().err
