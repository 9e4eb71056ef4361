"""Benchmarks written as stand-alone scripts, run as they are and reported verbatim.

``benchmarks/bench_dedupe.py`` (the story-grouping benchmark: insert-with-dedupe cost
as the database grows) is its author's script; the suite runs it in a subprocess with
sizes that fit the chosen scale and includes what it prints.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from benchmarks.common import Scale, Section, clean_env, python

DEDUPE_SCRIPT = Path(__file__).with_name("bench_dedupe.py")
DEDUPE_ARGS = {
    "full": ["--sizes", "10000,50000", "--batch", "300"],
    "quick": ["--sizes", "2000,10000", "--batch", "200"],
    "tiny": ["--sizes", "200", "--batch", "20"],
}


def run_dedupe(scale: Scale) -> Section:
    section = Section("dedupe", "Story grouping (benchmarks/bench_dedupe.py)")
    if not DEDUPE_SCRIPT.exists():
        section.skipped = "benchmarks/bench_dedupe.py is not in this checkout"
        return section
    args = DEDUPE_ARGS.get(scale.name.split(",")[0], DEDUPE_ARGS["quick"])
    started = time.monotonic()
    result = subprocess.run(
        [python(), str(DEDUPE_SCRIPT), *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        section.skipped = f"exited {result.returncode}: {result.stderr.strip()[-400:]}"
        return section
    section.add("run", f"{' '.join(args)} in {elapsed:.0f} s")
    section.details = "```\n" + result.stdout.rstrip() + "\n```"
    return section
