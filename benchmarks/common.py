"""What every benchmark shares: result rows, scales, timing helpers, the machine."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Scale:
    """Sizes for one run. ``full`` is what BENCHMARKS.md reports."""

    name: str
    crawl_size: int  # articles on the site for throughput and incremental
    memory_sizes: tuple[int, ...]  # crawls whose peak RSS is compared
    new_articles: int  # k, for the incremental crawl
    db_size: int  # synthetic articles for the database benchmark
    search_repeats: int
    padding: float = 1.0  # page padding (1.0: real page sizes)


SCALES = {
    "full": Scale("full", 5000, (2500, 5000, 10000), 10, 200_000, 30),
    "quick": Scale("quick", 500, (250, 500, 1000), 5, 20_000, 10),
    "tiny": Scale("tiny", 40, (20, 40), 3, 400, 2, padding=0.2),
}


@dataclass
class Row:
    """One figure: what was measured, its value, and the target if there is one."""

    metric: str
    value: str
    target: str = ""
    verdict: str = ""  # "met", "missed: ...", or "" when there is no target


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: str = ""  # extra Markdown (per-query tables...)
    skipped: str = ""  # why the benchmark did not run

    def add(self, metric: str, value: str, target: str = "", verdict: str = "") -> None:
        self.rows.append(Row(metric, value, target, verdict))


def verdict_at_most(value: float, limit: float, unit: str) -> str:
    if value <= limit:
        return "met"
    return f"missed by {value - limit:.3g} {unit} ({value / limit:.2f}x the target)"


def verdict_at_least(value: float, floor: float, unit: str = "") -> str:
    if value >= floor:
        return "met"
    short = f"{floor - value:.3g}{(' ' + unit) if unit else ''}"
    return f"missed by {short} ({value / floor:.0%} of the target)"


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile (0-1) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # a missing package only leaves a blank in the table
        return "?"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine() -> dict[str, str]:
    """The facts a reader needs to compare figures across machines."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 0
    return {
        "CPU": _cpu_model(),
        "Cores": f"{os.cpu_count()} ({usable} usable)",
        "RAM": f"{_ram_gb():.1f} GB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "Scrapy": _version("scrapy"),
        "lxml": _version("lxml"),
        "trafilatura": _version("trafilatura"),
        "newswatch": _git_revision(),
    }


def _git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return out.stdout.strip() or "?"
    except OSError:
        return "?"


def python() -> str:
    return sys.executable


def clean_env() -> dict[str, str]:
    """The environment for child processes: no proxies (loopback only), no NEWSWATCH_*."""
    return {
        k: v
        for k, v in os.environ.items()
        if "proxy" not in k.lower() and not k.startswith("NEWSWATCH_")
    }


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def fmt_mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


def as_float(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
