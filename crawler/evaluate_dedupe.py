"""Measure how well text similarity tells copies from different stories.

    python -m crawler.evaluate_dedupe [--threshold X] [--pairs FILE] [--format text|json]

Reads labelled article pairs (``tests/data/dedupe_pairs.jsonl``: one JSON object per
line with ``id``, ``kind``, ``same_story``, ``note`` and two articles ``a`` and ``b``,
each with ``title`` and ``text``), computes the estimated Jaccard similarity the
deduplicator would compute (same normalisation, shingles and MinHash), and prints the
similarity distribution per kind of pair and, for a sweep of thresholds, precision and
recall of "same story" on the pairs that text similarity is meant to decide.

Kinds: ``exact``, ``light-edit`` and ``heavy-edit`` copies are positives;
``same-topic`` (two outlets' own reports of one event), ``follow-up`` (a later story
reusing background paragraphs) and ``different-story`` are negatives. ``translation``
pairs are the same story but are grouped by their "Source:" links, not by text: they
are reported separately and should never reach the threshold.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from crawler.config import ConfigError, DedupeSettings, load_settings
from crawler.dedupe import normalise_for_dedupe, shingles, signature

POSITIVE_KINDS = ("exact", "light-edit", "heavy-edit")
NEGATIVE_KINDS = ("same-topic", "follow-up", "different-story")
LINK_KINDS = ("translation",)
KINDS = (*POSITIVE_KINDS, *LINK_KINDS, *NEGATIVE_KINDS)
# The recall the default threshold must keep on copies that were only lightly edited.
LIGHT_KINDS = ("exact", "light-edit")
DEFAULT_PAIRS = Path(__file__).resolve().parents[1] / "tests" / "data" / "dedupe_pairs.jsonl"
SWEEP = tuple(round(0.2 + 0.05 * i, 2) for i in range(15))  # 0.20 .. 0.90


class PairsFileError(ValueError):
    """The pairs file is missing or a line is not a valid pair; the message says where."""


@dataclass(frozen=True)
class PairScore:
    id: str
    kind: str
    same_story: bool
    similarity: float  # estimated Jaccard (MinHash), what the deduplicator compares
    jaccard: float  # exact Jaccard of the shingle sets, for reference


@dataclass(frozen=True)
class ThresholdRow:
    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    light_recall: float  # exact copies and light edits only
    translations_joined: int


def load_pairs(path: Path) -> list[dict[str, Any]]:
    """The labelled pairs in ``path``; raises :class:`PairsFileError` on any bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise PairsFileError(f"{path}: no such pairs file (pass --pairs FILE)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PairsFileError(f"{path}: cannot read: {exc}") from None
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            pair = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PairsFileError(f"{path}:{number}: not JSON: {exc.msg}") from None
        problem = _pair_problem(pair)
        if problem:
            raise PairsFileError(f"{path}:{number}: {problem}")
        pairs.append(pair)
    return pairs


def _pair_problem(pair: Any) -> str | None:
    if not isinstance(pair, dict):
        return "expected a JSON object"
    if pair.get("kind") not in KINDS:
        return f"kind must be one of {', '.join(KINDS)}, found {pair.get('kind')!r}"
    if not isinstance(pair.get("same_story"), bool):
        return "same_story must be true or false"
    for side in ("a", "b"):
        article = pair.get(side)
        if not isinstance(article, dict) or not all(
            isinstance(article.get(k), str) for k in ("title", "text")
        ):
            return f"{side} must be an object with string title and text"
    return None


def score_pairs(pairs: Iterable[dict[str, Any]], settings: DedupeSettings) -> list[PairScore]:
    """Similarity of each pair as the deduplicator sees it."""
    scores = []
    for pair in pairs:
        texts = [normalise_for_dedupe(pair[s]["title"], pair[s]["text"]) for s in ("a", "b")]
        left, right = (signature(t, settings.num_perm, settings.shingle_size) for t in texts)
        grams_a, grams_b = (set(shingles(t, settings.shingle_size)) for t in texts)
        union = grams_a | grams_b
        scores.append(
            PairScore(
                id=str(pair.get("id", "")),
                kind=pair["kind"],
                same_story=pair["same_story"],
                similarity=float(left.jaccard(right)),
                jaccard=len(grams_a & grams_b) / len(union) if union else 0.0,
            )
        )
    return scores


def at_threshold(scores: Sequence[PairScore], threshold: float) -> ThresholdRow:
    """Confusion counts when "same story" means similarity >= ``threshold``."""
    decided = [s for s in scores if s.kind in POSITIVE_KINDS + NEGATIVE_KINDS]
    tp = sum(1 for s in decided if s.kind in POSITIVE_KINDS and s.similarity >= threshold)
    fn = sum(1 for s in decided if s.kind in POSITIVE_KINDS and s.similarity < threshold)
    fp = sum(1 for s in decided if s.kind in NEGATIVE_KINDS and s.similarity >= threshold)
    tn = sum(1 for s in decided if s.kind in NEGATIVE_KINDS and s.similarity < threshold)
    light = [s for s in scores if s.kind in LIGHT_KINDS]
    light_hits = sum(1 for s in light if s.similarity >= threshold)
    return ThresholdRow(
        threshold=threshold,
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / (tp + fn) if tp + fn else 1.0,
        light_recall=light_hits / len(light) if light else 1.0,
        translations_joined=sum(
            1 for s in scores if s.kind in LINK_KINDS and s.similarity >= threshold
        ),
    )


def distribution(scores: Sequence[PairScore]) -> dict[str, dict[str, float]]:
    """min / quartiles / max of the estimated similarity, per kind present."""
    out: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        values = sorted(s.similarity for s in scores if s.kind == kind)
        if not values:
            continue
        p25, p50, p75 = (float(v) for v in np.quantile(values, [0.25, 0.5, 0.75]))
        out[kind] = {
            "n": len(values),
            "min": values[0],
            "p25": p25,
            "median": p50,
            "p75": p75,
            "max": values[-1],
            "mean": statistics.fmean(values),
        }
    return out


def report_text(
    scores: Sequence[PairScore], rows: Sequence[ThresholdRow], chosen: float, source: str
) -> str:
    lines = [f"{len(scores)} labelled pairs from {source}", ""]
    lines.append("Estimated Jaccard similarity per kind of pair:")
    lines.append(
        f"  {'kind':<16} {'n':>3} {'min':>6} {'p25':>6} {'median':>6} {'p75':>6} {'max':>6}"
    )
    for kind, d in distribution(scores).items():
        lines.append(
            f"  {kind:<16} {int(d['n']):>3} {d['min']:>6.3f} {d['p25']:>6.3f} "
            f"{d['median']:>6.3f} {d['p75']:>6.3f} {d['max']:>6.3f}"
        )
    lines += [
        "",
        '"Same story" by text similarity >= threshold. Positives: '
        + ", ".join(POSITIVE_KINDS)
        + "; negatives: "
        + ", ".join(NEGATIVE_KINDS)
        + ".",
        "Translations are grouped by their Source: links; text similarity should join none.",
        f"  {'threshold':>9} {'TP':>3} {'FP':>3} {'FN':>3} {'TN':>3} {'precision':>9} "
        f"{'recall':>6} {'recall exact+light':>18} {'translations joined':>19}",
    ]
    for row in rows:
        mark = "*" if abs(row.threshold - chosen) < 1e-9 else " "
        lines.append(
            f"  {mark}{row.threshold:>8.2f} {row.tp:>3} {row.fp:>3} {row.fn:>3} {row.tn:>3} "
            f"{row.precision:>9.3f} {row.recall:>6.3f} {row.light_recall:>18.3f} "
            f"{row.translations_joined:>19}"
        )
    lines.append(f"  (* = threshold {chosen:.2f})")
    misses = [
        s
        for s in scores
        if (s.kind in POSITIVE_KINDS and s.similarity < chosen)
        or (s.kind not in POSITIVE_KINDS and s.similarity >= chosen)
    ]
    if misses:
        lines += ["", f"Pairs decided wrongly at {chosen:.2f}:"]
        lines += [f"  {s.id} ({s.kind}): {s.similarity:.3f}" for s in misses]
    return "\n".join(lines)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.evaluate_dedupe",
        description="Precision/recall of near-duplicate detection on labelled article pairs.",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        help="threshold to mark and list errors for [default: dedupe.threshold from settings]",
    )
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS, help="labelled pairs JSONL")
    parser.add_argument("--config", type=Path, help="settings file (for num_perm, shingle_size)")
    parser.add_argument("--num-perm", type=int, help="override dedupe.num_perm")
    parser.add_argument("--shingle-size", type=int, help="override dedupe.shingle_size")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        base = load_settings(args.config).dedupe
    except ConfigError as exc:
        print(f"evaluate_dedupe: error: {exc}", file=sys.stderr)
        return 2
    settings = DedupeSettings(
        threshold=args.threshold if args.threshold is not None else base.threshold,
        num_perm=args.num_perm or base.num_perm,
        shingle_size=args.shingle_size or base.shingle_size,
    )
    if not 0.0 < settings.threshold <= 1.0 or settings.num_perm < 1 or settings.shingle_size < 1:
        print("evaluate_dedupe: error: threshold must be in (0, 1]; sizes >= 1", file=sys.stderr)
        return 2
    try:
        pairs = load_pairs(args.pairs)
    except PairsFileError as exc:
        print(f"evaluate_dedupe: error: {exc}", file=sys.stderr)
        return 2
    scores = score_pairs(pairs, settings)
    thresholds = sorted({*SWEEP, round(settings.threshold, 4)})
    rows = [at_threshold(scores, t) for t in thresholds]
    if args.format == "json":
        json.dump(
            {
                "settings": asdict(settings),
                "distribution": distribution(scores),
                "sweep": [asdict(r) for r in rows],
                "pairs": [asdict(s) for s in scores],
            },
            sys.stdout,
            indent=2,
        )
        print()
    else:
        print(
            f"num_perm {settings.num_perm}, shingle size {settings.shingle_size}, "
            f"threshold {settings.threshold}"
        )
        print(report_text(scores, rows, settings.threshold, str(args.pairs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
