"""The printed table and BENCHMARKS.md."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import Row, Scale, Section

ANALYSIS = Path(__file__).with_name("analysis.md")
_RESULTS_RE = re.compile(r"<!-- results\n(?P<json>.*)\n-->", re.DOTALL)


def table(sections: Sequence[Section]) -> str:
    """A plain-text table of every figure, for the terminal."""
    rows = [("benchmark", "metric", "value", "target", "verdict")]
    for section in sections:
        if section.skipped:
            rows.append((section.key, "(not run)", section.skipped, "", ""))
        for row in section.rows:
            rows.append((section.key, row.metric, row.value, row.target, row.verdict))
    widths = [min(60, max(len(r[i]) for r in rows)) for i in range(5)]
    lines = []
    for i, row in enumerate(rows):
        cells = [
            cell if len(cell) <= widths[j] else cell[: widths[j] - 1] + "…"
            for j, cell in enumerate(row)
        ]
        lines.append("  ".join(c.ljust(widths[j]) for j, c in enumerate(cells)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(
    sections: Sequence[Section],
    facts: dict[str, str],
    scale: Scale,
    when: datetime,
    elapsed: float,
    names: Sequence[str],
) -> str:
    out = [
        "# Benchmarks",
        "",
        "What newswatch costs and how the cost grows, against baselines measured in the same "
        "run. Written by `make bench` (`python -m benchmarks`); do not edit by hand (the "
        "analysis at the end comes from `benchmarks/analysis.md`). Benchmarks report figures "
        "and ratios; nothing fails on wall time.",
        "",
        f"Run on {when:%Y-%m-%d %H:%M} UTC, scale `{scale.name}`, "
        f"benchmarks: {', '.join(names)}; the whole run took {elapsed / 60:.1f} min.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {_cell(v)} |" for k, v in facts.items()),
        "",
        "## Summary",
        "",
        "| benchmark | metric | value | target | verdict |",
        "|---|---|---|---|---|",
    ]
    for section in sections:
        if section.skipped:
            out.append(f"| {section.key} | (not run) | {_cell(section.skipped)} | | |")
        for row in section.rows:
            out.append(
                f"| {section.key} | {_cell(row.metric)} | {_cell(row.value)} | "
                f"{_cell(row.target)} | {_cell(row.verdict)} |"
            )
    for section in sections:
        out += ["", f"## {section.title}", ""]
        if section.skipped:
            out += [f"Not run: {section.skipped}", ""]
            continue
        out += ["| metric | value | target | verdict |", "|---|---|---|---|"]
        out += [
            f"| {_cell(r.metric)} | {_cell(r.value)} | {_cell(r.target)} | {_cell(r.verdict)} |"
            for r in section.rows
        ]
        if section.details:
            out += ["", section.details.rstrip()]
        for note in section.notes:
            out += ["", note]
    if ANALYSIS.exists():
        out += ["", ANALYSIS.read_text(encoding="utf-8").rstrip()]
    # The figures themselves, so that `--rerender` can rewrite the page (after an edit of
    # analysis.md or of this layout) without running everything again.
    saved = {
        "sections": [dataclasses.asdict(s) for s in sections],
        "facts": facts,
        "scale": dataclasses.asdict(scale),
        "when": when.isoformat(),
        "elapsed": elapsed,
        "names": list(names),
    }
    out += ["", "<!-- results", json.dumps(saved, ensure_ascii=False, indent=1), "-->"]
    return "\n".join(out) + "\n"


def rerender(path: Path) -> str:
    """The report at ``path`` written again from the figures it carries."""
    found = _RESULTS_RE.search(path.read_text(encoding="utf-8"))
    if found is None:
        raise ValueError(f"{path} carries no saved results (written by an older version?)")
    data: dict[str, Any] = json.loads(found["json"])
    sections = [Section(**{**s, "rows": [Row(**r) for r in s["rows"]]}) for s in data["sections"]]
    scale = Scale(**{**data["scale"], "memory_sizes": tuple(data["scale"]["memory_sizes"])})
    return markdown(
        sections,
        data["facts"],
        scale,
        datetime.fromisoformat(data["when"]),
        data["elapsed"],
        data["names"],
    )
