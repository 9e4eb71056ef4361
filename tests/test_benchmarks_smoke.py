"""Every benchmark runs end to end at a tiny size (no timing assertions: speed is for
``make bench``). Real subprocesses: the benchmark server, newswatch crawls, Scrapy
baselines and ``newswatch reclassify``, all on loopback."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.common import SCALES
from benchmarks.site import Site, SiteSpec
from benchmarks.textgen import TextModel
from spiders.parsers import parse_article

pytestmark = pytest.mark.slow


def test_padded_pages_read_like_the_bare_templates() -> None:
    """The padding (menus, scripts, styles, sidebars) never reaches the article."""
    padded = Site.generate(SiteSpec(12, padding=1.0))
    bare = Site.generate(SiteSpec(12, padding=0.0))
    fetched = datetime(2026, 3, 9, tzinfo=UTC)
    sizes = []
    for i, path in enumerate(padded.paths):
        url = padded.url(path)
        one = parse_article(b"".join(padded.pages[i]), url, parser="vnexpress", fetched_at=fetched)
        two = parse_article(b"".join(bare.pages[i]), url, parser="vnexpress", fetched_at=fetched)
        assert one.to_dict() == two.to_dict()
        assert one.title == padded.articles[i].title
        sizes.append(sum(len(c) for c in padded.pages[i]))
    assert min(sizes) > 100_000 and max(sizes) < 320_000  # like the real pages


def test_generated_text_is_vietnamese_of_article_length() -> None:
    article = TextModel(3).article()
    assert 250 < len(article.text.split()) < 2500
    assert any(ch in article.text for ch in "ăâđêôơư")


def test_the_whole_suite_runs_at_a_tiny_size(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    options = ["--tiny", "--output", str(output), "--workdir", str(tmp_path / "work")]
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", *options],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = output.read_text(encoding="utf-8")
    for heading in (
        "Crawl throughput",
        "Incremental cost",
        "Database at scale",
        "Memory of a crawl",
        "Extraction speed",
    ):
        assert heading in text
    for figure in (
        "newswatch / fetch-and-parse",
        "second crawl, site unchanged: requests",
        "search p50 / p95",
        "digest selection",
        "newswatch reclassify",
        "database size on disk",
        "growth with N",
    ):
        assert figure in text, figure
    # the site is crawled completely and incrementally
    assert "| 3 (1 robots, 1 feed, 1 listing) |" in text
    assert f"of {SCALES['tiny'].new_articles} |" in text
    # the printed table lists the same figures
    assert "newswatch / fetch-and-parse" in result.stdout


def test_unknown_benchmark_names_are_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "speed"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 2
    assert "unknown benchmark(s) speed" in result.stderr
