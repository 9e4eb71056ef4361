"""Extraction speed and agreement: newswatch's parsers against trafilatura.

Both read the same saved real pages (``shared/real-pages``, never copied into the
repository; the benchmark is skipped with a message when they are absent) from bytes:
``spiders.parsers.parse_article`` (decode, the source's parser, normalise) and
``trafilatura.bare_extraction`` with metadata. Time is CPU time of this process
(``time.process_time``), the median of several runs per page, so a busy shared machine
disturbs it less than wall time would.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import REPO_ROOT, Scale, Section, median, verdict_at_most
from crawler.text import clean_line, fold

TARGET_RATIO = 0.2
FETCHED_AT = datetime(2026, 11, 28, tzinfo=UTC)


def real_pages_dir() -> Path | None:
    """``NEWSWATCH_REAL_PAGES``, else ``shared/real-pages`` beside the repository or an
    ancestor of it (the same rule as the contract tests)."""
    configured = os.environ.get("NEWSWATCH_REAL_PAGES")
    if configured:
        path = Path(configured)
        return path if path.is_dir() else None
    for base in REPO_ROOT.parents:
        candidate = base / "shared" / "real-pages"
        if candidate.is_dir():
            return candidate
    return None


def article_pages(root: Path) -> list[dict[str, str]]:
    with (root / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [
        r
        for r in rows
        if r["page_kind"] == "article"
        and r["local_path"].endswith(".html")
        and (root / r["local_path"]).is_file()
    ]


def cpu_time(func: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median CPU seconds of ``func`` over ``repeats`` runs (after one warm-up), and its
    last result."""
    result = func()
    times = []
    for _ in range(repeats):
        started = time.process_time()
        result = func()
        times.append(time.process_time() - started)
    return median(times), result


def _same_title(ours: str, theirs: str | None) -> bool:
    return bool(theirs) and fold(clean_line(ours)) == fold(clean_line(theirs or ""))


def _same_day(ours: datetime | None, theirs: str | None) -> bool:
    if ours is None or not theirs:
        return False
    local = ours.astimezone(ours.tzinfo).date().isoformat()
    return local == theirs[:10]


def run(scale: Scale) -> Section:
    import trafilatura

    from spiders.parsers import parse_article, parser_for_url

    section = Section("extraction", "Extraction speed and agreement (real pages)")
    root = real_pages_dir()
    if root is None:
        section.skipped = (
            "no saved real pages (set NEWSWATCH_REAL_PAGES or put shared/real-pages beside "
            "the repository)"
        )
        return section
    repeats = {"full": 9, "quick": 5}.get(scale.name.split(",")[0], 1)
    lines = [
        "| page | KB | parser | newswatch ms | trafilatura ms | ratio | title | date |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ours_total = theirs_total = 0.0
    titles = dates = count = 0
    ratios = []
    for row in article_pages(root):
        data = (root / row["local_path"]).read_bytes()
        url = row["original_url"]
        parser = parser_for_url(url)
        if parser.name == "generic":
            continue  # the target is for pages a source parser reads

        def ours(data: bytes = data, url: str = url) -> Any:
            return parse_article(data, url, fetched_at=FETCHED_AT)

        def theirs(data: bytes = data, url: str = url) -> Any:
            return trafilatura.bare_extraction(data, url=url, with_metadata=True)

        our_s, article = cpu_time(ours, repeats)
        their_s, doc = cpu_time(theirs, repeats)
        same_title = _same_title(article.title, getattr(doc, "title", None))
        same_date = _same_day(article.published_at, getattr(doc, "date", None))
        ours_total += our_s
        theirs_total += their_s
        ratios.append(our_s / their_s if their_s else float("nan"))
        titles += same_title
        dates += same_date
        count += 1
        lines.append(
            f"| {row['local_path'].split('/')[0]} | {len(data) // 1024} | {parser.name} | "
            f"{our_s * 1000:.1f} | {their_s * 1000:.1f} | {our_s / their_s:.2f} | "
            f"{'yes' if same_title else 'no'} | {'yes' if same_date else 'no'} |"
        )
    if not count:
        section.skipped = f"no article pages with a source parser in {root}"
        return section
    ratio = ours_total / theirs_total
    section.add("pages (each with a source parser)", str(count))
    section.add("newswatch parse_article", f"{ours_total / count * 1000:.1f} ms/page (CPU)")
    section.add("trafilatura bare_extraction", f"{theirs_total / count * 1000:.1f} ms/page (CPU)")
    section.add(
        "newswatch / trafilatura time",
        f"{ratio:.2f}x (median page {median(ratios):.2f}x)",
        f"<= {TARGET_RATIO}x",
        verdict_at_most(ratio, TARGET_RATIO, "x"),
    )
    section.add("title agreement with trafilatura", f"{titles}/{count}")
    section.add("publication date agreement (same day)", f"{dates}/{count}")
    section.details = "\n".join(lines)
    section.notes.append(
        f"Median CPU time of {repeats} runs per page after a warm-up. newswatch's time includes "
        "decoding, the parser, normalisation and its checks; trafilatura's its own decoding. "
        "Titles are compared without case, diacritics or extra spaces; dates by calendar day "
        "(trafilatura gives no time). Where they disagree, the contract tests in "
        "tests/parsers/test_real_pages.py say what each page really shows."
    )
    return section
