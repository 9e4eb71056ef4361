"""Measure the classifier against a labelled evaluation set.

``python -m crawler.evaluate_classifier [--topics PATH] [--data PATH] [--show-errors]``
prints precision, recall and F1 for both labels, overall and per language; with
``--show-errors`` it also lists each misclassified item with its scores and evidence.
:func:`evaluate` is what the tests call.

The data is JSON lines with ``id``, ``language``, ``title``, ``text``, ``is_ai`` and
``is_open_source_ai`` (and optionally ``summary``, ``note`` and ``split``: "dev" for
the items the rules were tuned on, "held_out" for those written afterwards).
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from crawler.classify import Classifier, TopicsError, load_topics

LABELS: Final = ("is_ai", "is_open_source_ai")
_REPO_ROOT: Final = Path(__file__).resolve().parent.parent
_REPO_TOPICS: Final = _REPO_ROOT / "config" / "topics.toml"
DEFAULT_DATA: Final = _REPO_ROOT / "tests" / "data" / "classifier_eval.jsonl"
_REQUIRED: Final = ("id", "title", "text", *LABELS)


# (language, split, expected labels, predicted labels) of one evaluated item.
_Row = tuple[str, str, dict[str, bool], dict[str, bool]]


def default_topics() -> Path:
    """The repository's config/topics.toml, else the copy packaged as crawler.defaults."""
    if _REPO_TOPICS.is_file():
        return _REPO_TOPICS
    try:
        packaged = importlib.resources.files("crawler.defaults") / "topics.toml"
    except ModuleNotFoundError:
        return _REPO_TOPICS  # neither exists: the error will name the repository path
    return Path(str(packaged))


def load_items(path: str | Path) -> list[dict[str, Any]]:
    """Read an evaluation set; raise ``ValueError`` naming the first bad line."""
    items = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
            missing = [key for key in _REQUIRED if key not in item]
            if missing:
                raise ValueError(f"{path}:{number}: missing {', '.join(missing)}")
            items.append(item)
    return items


def _metrics(tp: int, fp: int, fn: int, tn: int) -> dict[str, float | int]:
    # With nothing to find (or nothing found) the corresponding ratio is perfect rather
    # than undefined, so a language without positives does not read as a failure.
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def _label_metrics(pairs: Iterable[tuple[bool, bool]]) -> dict[str, float | int]:
    tp = fp = fn = tn = 0
    for expected, predicted in pairs:
        if expected and predicted:
            tp += 1
        elif predicted:
            fp += 1
        elif expected:
            fn += 1
        else:
            tn += 1
    return _metrics(tp, fp, fn, tn)


def evaluate(classifier: Classifier, items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Classify ``items`` and compare with their labels.

    Returns ``{"count", "is_ai": metrics, "is_open_source_ai": metrics, "by_language":
    {lang: {"count", "is_ai", "is_open_source_ai"}}, "by_split": {split: ...},
    "errors": [...]}`` where metrics
    holds tp/fp/fn/tn, precision, recall and f1, and each error names the item, the
    label it got wrong, its scores and the evidence.
    """
    rows: list[_Row] = []
    errors: list[dict[str, Any]] = []
    for item in items:
        result = classifier.classify(
            title=item["title"],
            text=item["text"],
            summary=item.get("summary"),
            language=item.get("language"),
        )
        expected = {label: bool(item[label]) for label in LABELS}
        predicted = {"is_ai": result.is_ai, "is_open_source_ai": result.is_open_source_ai}
        language = item.get("language") or "unknown"
        rows.append((language, item.get("split") or "all", expected, predicted))
        wrong = [label for label in LABELS if expected[label] != predicted[label]]
        if wrong:
            errors.append(
                {
                    "id": item["id"],
                    "language": language,
                    "title": item["title"],
                    "note": item.get("note", ""),
                    "wrong": wrong,
                    "expected": expected,
                    "predicted": predicted,
                    "ai_score": result.ai_score,
                    "open_source_ai_score": result.open_source_ai_score,
                    "matched_terms": [m.to_dict() for m in result.matched_terms],
                }
            )
    return {
        "count": len(rows),
        **_summarise(rows),
        "by_language": _grouped(rows, by_split=False),
        "by_split": _grouped(rows, by_split=True),
        "errors": errors,
    }


def _grouped(rows: Sequence[_Row], *, by_split: bool) -> dict[str, dict[str, Any]]:
    """Figures per language, or per split."""
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        groups.setdefault(row[1] if by_split else row[0], []).append(row)
    return {
        name: {"count": len(members), **_summarise(members)}
        for name, members in sorted(groups.items())
    }


def _summarise(rows: Sequence[_Row]) -> dict[str, Any]:
    return {label: _label_metrics((r[2][label], r[3][label]) for r in rows) for label in LABELS}


def format_report(result: Mapping[str, Any], *, show_errors: bool = False) -> str:
    """A plain-text table of the figures in ``result`` (and the errors when asked)."""
    lines = [
        f"{'set':<9} {'n':>4}  {'label':<18} {'P':>6} {'R':>6} {'F1':>6}   tp  fp  fn  tn",
    ]
    groups = [("all", result), *result["by_language"].items()]
    if len(result["by_split"]) > 1:
        groups += list(result["by_split"].items())
    for name, group in groups:
        for label in LABELS:
            m = group[label]
            lines.append(
                f"{name:<9} {group['count']:>4}  {label:<18} {m['precision']:>6.3f} "
                f"{m['recall']:>6.3f} {m['f1']:>6.3f}  {m['tp']:>3} {m['fp']:>3} "
                f"{m['fn']:>3} {m['tn']:>3}"
            )
    lines.append(f"{len(result['errors'])} item(s) misclassified")
    if show_errors:
        for error in result["errors"]:
            lines.append("")
            lines.append(f"{error['id']} [{error['language']}] {error['title']}")
            if error["note"]:
                lines.append(f"  note: {error['note']}")
            for label in error["wrong"]:
                lines.append(
                    f"  {label}: expected {error['expected'][label]}, "
                    f"got {error['predicted'][label]}"
                )
            lines.append(
                f"  scores: ai={error['ai_score']} open_source_ai={error['open_source_ai_score']}"
            )
            evidence = ", ".join(
                f"{m['term']}/{m['field']}x{m['count']}({m['topic']})"
                for m in error["matched_terms"]
            )
            lines.append(f"  evidence: {evidence or '(none)'}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of ``python -m crawler.evaluate_classifier``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m crawler.evaluate_classifier",
        description="Precision, recall and F1 of the classifier on a labelled set.",
    )
    parser.add_argument("--topics", default=str(default_topics()), help="topics.toml to test")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="labelled JSON lines")
    parser.add_argument(
        "--show-errors", action="store_true", help="list misclassified items with evidence"
    )
    args = parser.parse_args(argv)
    stream = out if out is not None else sys.stdout
    try:
        classifier = Classifier(load_topics(args.topics))
        items = load_items(args.data)
    except (TopicsError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = evaluate(classifier, items)
    print(format_report(result, show_errors=args.show_errors), file=stream)
    return 0


if __name__ == "__main__":
    sys.exit(main())
