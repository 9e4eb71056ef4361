"""Run the benchmarks: ``python -m benchmarks`` (``make bench``).

Prints a table of figures and, for a full run of every benchmark, rewrites
BENCHMARKS.md. Benchmarks measure and compare; they never fail on wall time (the exit
status is non-zero only when a benchmark could not run).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import report
from benchmarks.common import REPO_ROOT, SCALES, Scale, Section, load_average, machine

NAMES = ("throughput", "incremental", "extraction", "db", "memory", "dedupe")
CRAWL = {"throughput", "incremental", "memory"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure newswatch's crawl throughput, incremental cost, extraction "
        "speed, database scale and memory against baselines measured in the same run.",
    )
    parser.add_argument(
        "--only",
        default="",
        metavar="NAMES",
        help=f"comma-separated subset of: {', '.join(NAMES)} (default: all)",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller sizes for a quick check")
    size.add_argument("--tiny", action="store_true", help="tiny sizes: proves the scripts run")
    parser.add_argument("--crawl-size", type=int, help="articles on the crawled site")
    parser.add_argument("--db-size", type=int, help="synthetic articles in the database")
    parser.add_argument(
        "--output",
        type=Path,
        help="write the report here (default: BENCHMARKS.md, only for a full run of all)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, write no report")
    parser.add_argument("--workdir", type=Path, help="keep work files here (default: temporary)")
    parser.add_argument(
        "--rerender",
        type=Path,
        metavar="REPORT",
        help="rewrite REPORT (e.g. BENCHMARKS.md) from the figures it carries; runs nothing",
    )
    args = parser.parse_args(argv)
    chosen = [n.strip() for n in args.only.split(",") if n.strip()] or list(NAMES)
    unknown = [n for n in chosen if n not in NAMES]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    args.names = chosen
    return args


def scale_for(args: argparse.Namespace) -> Scale:
    scale = SCALES["tiny" if args.tiny else "quick" if args.quick else "full"]
    if args.crawl_size:
        sizes = tuple(sorted({max(2, args.crawl_size // 2), args.crawl_size, args.crawl_size * 2}))
        scale = Scale(
            scale.name + f", crawl {args.crawl_size}",
            args.crawl_size,
            sizes,
            scale.new_articles,
            scale.db_size,
            scale.search_repeats,
            scale.padding,
        )
    if args.db_size:
        scale = Scale(
            scale.name + f", db {args.db_size}",
            scale.crawl_size,
            scale.memory_sizes,
            scale.new_articles,
            args.db_size,
            scale.search_repeats,
            scale.padding,
        )
    return scale


def run_all(names: list[str], scale: Scale, workdir: Path) -> tuple[list[Section], bool]:
    """Run the chosen benchmarks; a benchmark that breaks is reported, the rest still run."""
    sections: list[Section] = []
    ok = True
    steps: list[tuple[str, object]] = []
    crawl_names = [n for n in names if n in CRAWL]
    for name in names:
        if name in CRAWL:
            if name == crawl_names[0]:
                steps.append(("crawl", crawl_names))
        else:
            steps.append((name, None))
    for step, arg in steps:
        started = time.monotonic()
        print(f"== {step} ...", file=sys.stderr, flush=True)
        try:
            if step == "crawl":
                from benchmarks import crawl

                assert isinstance(arg, list)
                found = crawl.run(scale, workdir, set(arg))
                order = {n: i for i, n in enumerate(arg)}
                sections.extend(sorted(found, key=lambda s: order.get(s.key, 99)))
            elif step == "extraction":
                from benchmarks import extraction

                sections.append(extraction.run(scale))
            elif step == "db":
                from benchmarks import db

                sections.append(db.run(scale, workdir))
            elif step == "dedupe":
                from benchmarks import external

                sections.append(external.run_dedupe(scale))
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            ok = False
            traceback.print_exc()
            sections.append(Section(step, step, skipped=f"failed: {type(exc).__name__}: {exc}"))
        print(f"   {step} took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return sections, ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rerender:
        try:
            text = report.rerender(args.rerender)
        except (OSError, ValueError) as exc:
            print(f"cannot rerender: {exc}", file=sys.stderr)
            return 2
        args.rerender.write_text(text, encoding="utf-8")
        print(f"rewrote {args.rerender}", file=sys.stderr)
        return 0
    scale = scale_for(args)
    started = time.monotonic()
    facts = machine()
    facts["Load average at start"] = load_average()
    temporary = args.workdir is None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newswatch-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        sections, ok = run_all(args.names, scale, workdir)
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    when = datetime.now(UTC)
    print(report.table(sections))
    full = set(args.names) == set(NAMES) and scale.name == "full"
    output = args.output or (REPO_ROOT / "BENCHMARKS.md" if full else None)
    if output is not None and not args.no_write:
        text = report.markdown(sections, facts, scale, when, elapsed, args.names)
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    print(f"benchmarks took {elapsed / 60:.1f} min", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
