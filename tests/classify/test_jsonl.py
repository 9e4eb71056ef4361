"""classify_jsonl: the JSON-lines filter behind `newswatch classify`."""

from __future__ import annotations

import io
import json

import pytest

from crawler.classify import Classifier, JsonlError, classify_jsonl

RESULT_FIELDS = {"is_ai", "is_open_source_ai", "ai_score", "open_source_ai_score", "matched_terms"}


def run(classifier: Classifier, lines: list[str]) -> tuple[int, list[dict[str, object]]]:
    out = io.StringIO()
    count = classify_jsonl(io.StringIO("".join(lines)), out, classifier)
    return count, [json.loads(line) for line in out.getvalue().splitlines()]


def line(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


def test_objects_come_back_labelled_with_other_keys_kept(classifier: Classifier) -> None:
    count, out = run(
        classifier,
        [
            line(
                {
                    "url": "https://example.vn/1",
                    "title": "Meta ra mắt Llama 4 mã nguồn mở",
                    "text": "Trọng số mô hình được công bố.",
                    "language": "vi",
                }
            ),
            line({"title": "Giá vàng tăng", "text": "Giá vàng miếng tăng.", "summary": None}),
        ],
    )
    assert count == 2
    first, second = out
    assert first["url"] == "https://example.vn/1"
    assert first["title"] == "Meta ra mắt Llama 4 mã nguồn mở"  # not \u-escaped
    assert first.keys() >= RESULT_FIELDS
    assert first["is_ai"] is True and first["is_open_source_ai"] is True
    terms = first["matched_terms"]
    assert isinstance(terms, list)
    assert {"term": "Llama", "field": "title", "count": 1, "topic": "open_source"} in terms
    assert second["is_ai"] is False and second["matched_terms"] == []


def test_matches_classify(classifier: Classifier) -> None:
    record = {"title": "OpenAI ra mắt GPT-5", "text": "ChatGPT", "summary": "AI", "language": "vi"}
    _, [out] = run(classifier, [line(record)])
    expected = classifier.classify(
        title=record["title"], text=record["text"], summary="AI", language="vi"
    )
    assert {k: out[k] for k in RESULT_FIELDS} == expected.to_dict()


def test_previous_labels_are_replaced(classifier: Classifier) -> None:
    stale = {"title": "Giá vàng", "text": "", "is_ai": True, "ai_score": 99.0, "matched_terms": [1]}
    _, [out] = run(classifier, [line(stale)])
    assert out["is_ai"] is False and out["ai_score"] == 0.0 and out["matched_terms"] == []


def test_blank_lines_are_skipped(classifier: Classifier) -> None:
    count, out = run(classifier, ["\n", line({"title": "AI", "text": ""}), "   \n"])
    assert count == 1 and len(out) == 1


def test_bad_lines_are_all_reported_after_the_good_ones_are_written(
    classifier: Classifier,
) -> None:
    lines = [
        line({"title": "AI", "text": "x"}),
        "{not json\n",
        line({"text": "no title"}),
        line({"title": "t", "text": 42}),
        line(["an", "array"]),
        line({"title": "t", "text": "x", "language": 3}),
        line({"title": None, "text": "x"}),
        line({"title": "Trí tuệ nhân tạo", "text": ""}),
    ]
    out = io.StringIO()
    with pytest.raises(JsonlError) as caught:
        classify_jsonl(io.StringIO("".join(lines)), out, classifier)
    error = caught.value
    assert isinstance(error, ValueError)
    assert [n for n, _ in error.errors] == [2, 3, 4, 5, 6, 7]
    assert error.written == 2
    assert len(out.getvalue().splitlines()) == 2
    message = str(error)
    assert "\n" not in message
    assert message.startswith("6 bad input line(s), 2 classified: line 2: invalid JSON")
    assert "line 3: missing 'title'" in message
    assert "line 4: 'text' must be a string" in message
    assert "line 5: expected a JSON object, found list" in message
    assert "(and 1 more)" in message
    assert "line 6: 'language' must be a string or null" in message
    assert error.errors[-1] == (7, "'title' must be a string")


def test_empty_input(classifier: Classifier) -> None:
    assert run(classifier, []) == (0, [])
