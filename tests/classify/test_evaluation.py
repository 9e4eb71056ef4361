"""Quality floors on the labelled evaluation set, and the evaluation tool itself.

The floors are the targets of the issue. If a rule change drops below one, improve the
rules (see docs/classifier.md); never lower a floor to make this pass.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from crawler.classify import Classifier
from crawler.evaluate_classifier import evaluate, format_report, load_items, main

from .conftest import EVAL_DATA, SHIPPED_TOPICS

AI_F1_FLOOR = 0.95
OPEN_SOURCE_AI_F1_FLOOR = 0.90


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    return load_items(EVAL_DATA)


@pytest.fixture(scope="module")
def result(classifier: Classifier, items: list[dict[str, Any]]) -> dict[str, Any]:
    return evaluate(classifier, items)


def test_evaluation_set_is_large_varied_and_consistent(items: list[dict[str, Any]]) -> None:
    assert len(items) >= 150
    assert len({item["id"] for item in items}) == len(items)
    languages = Counter(item["language"] for item in items)
    assert set(languages) == {"vi", "en", "fr"} and min(languages.values()) >= 40
    kinds = Counter(
        "open_source_ai" if i["is_open_source_ai"] else "ai" if i["is_ai"] else "other"
        for i in items
    )
    assert min(kinds.values()) >= len(items) // 4  # about a third each
    for item in items:
        assert item["is_ai"] or not item["is_open_source_ai"], item["id"]
        assert item["title"].strip() and item["text"].strip() and item["note"].strip()
    assert {item.get("split") for item in items} == {"dev", "held_out", "held_out_2"}


@pytest.mark.parametrize("label", ["is_ai", "is_open_source_ai"])
def test_f1_floors_overall(result: dict[str, Any], label: str) -> None:
    floor = AI_F1_FLOOR if label == "is_ai" else OPEN_SOURCE_AI_F1_FLOOR
    assert result[label]["f1"] >= floor, format_report(result, show_errors=True)


@pytest.mark.parametrize("language", ["vi", "en", "fr"])
@pytest.mark.parametrize("label", ["is_ai", "is_open_source_ai"])
def test_f1_floors_per_language(result: dict[str, Any], language: str, label: str) -> None:
    floor = AI_F1_FLOOR if label == "is_ai" else OPEN_SOURCE_AI_F1_FLOOR
    assert result["by_language"][language][label]["f1"] >= floor, format_report(
        result, show_errors=True
    )


@pytest.mark.parametrize("label", ["is_ai", "is_open_source_ai"])
def test_f1_floors_on_held_out_items(
    classifier: Classifier, items: list[dict[str, Any]], label: str
) -> None:
    # Items written after the rules were tuned (both batches together: 64 items).
    held_out = evaluate(classifier, [i for i in items if i["split"] != "dev"])
    floor = AI_F1_FLOOR if label == "is_ai" else OPEN_SOURCE_AI_F1_FLOOR
    assert held_out[label]["f1"] >= floor, format_report(held_out, show_errors=True)


# ------------------------------------------------------------ the tool itself


def item(id_: str, title: str, is_ai: bool, is_os: bool, language: str = "en") -> dict[str, Any]:
    return {
        "id": id_,
        "language": language,
        "title": title,
        "text": "",
        "is_ai": is_ai,
        "is_open_source_ai": is_os,
    }


def test_evaluate_counts_and_metrics(classifier: Classifier) -> None:
    items = [
        item("a", "Meta releases Llama 4", True, True),  # tp, tp
        item("b", "OpenAI launches GPT-5", True, True),  # tp, fn
        item("c", "Gold prices rise", True, False),  # fn, tn
        item("d", "Gold prices fall", False, False, language="vi"),  # tn, tn
    ]
    result = evaluate(classifier, items)
    assert result["count"] == 4
    ai = result["is_ai"]
    assert (ai["tp"], ai["fp"], ai["fn"], ai["tn"]) == (2, 0, 1, 1)
    assert ai["precision"] == 1.0 and ai["recall"] == round(2 / 3, 4)
    assert ai["f1"] == 0.8
    os_ = result["is_open_source_ai"]
    assert (os_["tp"], os_["fp"], os_["fn"], os_["tn"]) == (1, 0, 1, 2)
    assert result["by_language"]["vi"]["count"] == 1
    # No positives to find and none found: a perfect, not an undefined, score.
    assert result["by_language"]["vi"]["is_ai"]["f1"] == 1.0
    assert [(e["id"], e["wrong"]) for e in result["errors"]] == [
        ("b", ["is_open_source_ai"]),
        ("c", ["is_ai"]),
    ]


def test_cli_prints_table_and_errors(tmp_path: Path) -> None:
    data = tmp_path / "eval.jsonl"
    data.write_text(
        '{"id": "x1", "language": "en", "title": "OpenAI launches GPT-5", "text": "", '
        '"is_ai": true, "is_open_source_ai": true, "note": "mislabelled on purpose"}\n',
        encoding="utf-8",
    )
    out = io.StringIO()
    status = main(["--topics", str(SHIPPED_TOPICS), "--data", str(data), "--show-errors"], out)
    report = out.getvalue()
    assert status == 0
    assert "is_open_source_ai" in report and "1 item(s) misclassified" in report
    assert "x1 [en] OpenAI launches GPT-5" in report
    assert "note: mislabelled on purpose" in report
    assert "evidence: GPT/titlex1(ai), OpenAI/titlex1(ai)" in report


def test_cli_reports_bad_topics_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "topics.toml"
    bad.write_text("[ai.any]\n'AI' = -1\n", encoding="utf-8")
    assert main(["--topics", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f'error: {bad}: ai.any."AI": found -1, expected')
    assert "Traceback" not in err


def test_load_items_names_the_bad_line(tmp_path: Path) -> None:
    data = tmp_path / "eval.jsonl"
    data.write_text('\n{"id": "1"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"eval.jsonl:2: missing title, text, is_ai"):
        load_items(data)
