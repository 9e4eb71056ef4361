"""The database at scale: search latency, digest selection, reclassify, size on disk.

Synthetic articles (:mod:`benchmarks.textgen`: Vietnamese text of realistic length)
are bulk-loaded through the real schema: ``storage.connect`` creates it with its
migrations, rows are built by ``storage.articles.article_row`` and inserted in large
transactions, so the FTS triggers index every row as a crawl would. Labels come from
``newswatch reclassify`` (the CLI, in a subprocess), which is itself measured.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import (
    Scale,
    Section,
    clean_env,
    median,
    percentile,
    python,
    verdict_at_most,
)
from benchmarks.textgen import TextModel

SEARCH_TARGET_MS = 20.0
DIGEST_TARGET_MS = 200.0
SOURCES = ("vnexpress", "tuoitre", "dantri", "vietnamnet", "baochinhphu", "nhandan", "mst")
# What users of a news monitor about AI type, with and without diacritics.
QUERIES = (
    "trí tuệ nhân tạo",
    "tri tue nhan tao",
    "mã nguồn mở",
    "ma nguon mo",
    "mô hình ngôn ngữ lớn",
    "mo hinh ngon ngu lon",
    "AI",
    "ChatGPT",
    "Hugging Face",
    "chuyển đổi số",
    "chuyen doi so",
    "an ninh mạng",
    "giá vàng",
    "gia vang",
    "điện gió OR điện mặt trời",
    '"vi mạch bán dẫn"',
    "ngân hàng lãi suất",
    "doanh nghiệp",
)


def rows(count: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """Article rows as the store writes them (unclassified)."""
    from crawler.models import Article
    from storage.articles import article_row

    model = TextModel(seed, pool_size=40_000)
    newest = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(count):
        generated = model.article(when=newest - timedelta(minutes=3 * (count - i)))
        source = SOURCES[i % len(SOURCES)]
        article = Article(
            url=f"https://{source}.example.vn/bai-viet-{i:07d}.html",
            source=source,
            title=generated.title,
            text=generated.text,
            summary=generated.summary,
            authors=generated.authors,
            published_at=generated.published_at,
            language="vi",
            section=generated.section,
            parser=source,
        )
        row = article_row(article, None)
        stamp = (generated.published_at + timedelta(minutes=7)).isoformat()
        row.update(first_seen_at=stamp, last_seen_at=stamp)
        yield row


def load(db_path: Path, count: int) -> float:
    """Create the database and bulk-load ``count`` articles; seconds taken."""
    from storage import connect, write_transaction

    db = connect(db_path)
    # A bulk load's page cache (256 MB): FTS5 merges its index segments in memory.
    db.execute("PRAGMA cache_size = -262144")
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    table = db.table("articles")
    for row in rows(count):
        batch.append(row)
        if len(batch) >= 5000:
            with write_transaction(db):
                table.insert_all(batch, batch_size=500)
            batch = []
    with write_transaction(db):
        if batch:
            table.insert_all(batch, batch_size=500)
        # What upsert_article does for each new row: an article is its own story.
        db.execute("UPDATE articles SET story_id = id WHERE story_id IS NULL")
    elapsed = time.perf_counter() - started
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return elapsed


def write_config(workdir: Path, db_path: Path) -> Path:
    from crawler.config import packaged_default

    (workdir / "topics.toml").write_text(
        packaged_default("topics.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (workdir / "sources.toml").write_text(
        packaged_default("sources.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    config = workdir / "newswatch.toml"
    config.write_text(
        f'[storage]\npath = "{db_path}"\n[digest]\noutput_dir = "{workdir / "digests"}"\n',
        encoding="utf-8",
    )
    return config


def reclassify(config: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [python(), "-m", "crawler", "--config", str(config), "reclassify"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"newswatch reclassify failed: {result.stderr.strip()[-500:]}")
    return elapsed, result.stdout.strip()


def time_search(db: Any, repeats: int) -> tuple[list[float], list[tuple[str, int, float, float]]]:
    from storage.search import compile_query, search

    all_times: list[float] = []
    per_query = []
    for query in QUERIES:
        compiled = compile_query(query)
        assert compiled is not None
        matches = db.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [compiled.expression]
        ).fetchone()[0]
        search(db, query)  # warm the page cache for this query's terms
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            search(db, query)
            times.append(time.perf_counter() - started)
        all_times.extend(times)
        per_query.append((query, matches, median(times), percentile(times, 0.95)))
    return all_times, per_query


def time_digest(db: Any, config: Path, repeats: int) -> tuple[float, float, int, int]:
    """(selection s, full dry run s, stories selected, AI stories waiting)."""
    from zoneinfo import ZoneInfo

    from crawler.config import load_settings
    from crawler.digest import run_digest
    from crawler.digest.select import load_entries, plan_for
    from storage import digests

    settings = load_settings(config)
    selections, dry_runs = [], []
    selected = waiting = 0
    for _ in range(repeats):
        started = time.perf_counter()
        plan = plan_for(
            db,
            "files",
            max_items=settings.digest.max_items,
            include_other=settings.digest.include_other_ai,
        )
        entries = load_entries(
            db, [*plan.open_source_ai, *plan.other_ai], ZoneInfo(settings.digest.timezone)
        )
        selections.append(time.perf_counter() - started)
        selected = len(entries)
        started = time.perf_counter()
        run_digest(db, settings, dry_run=True)
        dry_runs.append(time.perf_counter() - started)
    waiting = len(digests.uncarried_stories(db, "files"))
    return median(selections), median(dry_runs), selected, waiting


def run(scale: Scale, workdir: Path) -> Section:
    from storage import connect

    count = scale.db_size
    section = Section("db", f"Database at scale ({count:,} articles)")
    db_path = workdir / "scale.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    load_s = load(db_path, count)
    section.add(
        "bulk load through the schema and FTS triggers",
        f"{load_s:.0f} s ({count / load_s:,.0f} articles/s)",
    )
    config = write_config(workdir, db_path)
    reclassify_s, message = reclassify(config)
    section.add(
        "newswatch reclassify (CLI, whole database)",
        f"{reclassify_s:.1f} s ({count / reclassify_s:,.0f} articles/s)",
    )
    db = connect(db_path)
    try:
        ai, osai = db.execute("SELECT sum(is_ai), sum(is_open_source_ai) FROM articles").fetchone()
        times, per_query = time_search(db, scale.search_repeats)
        p50, p95 = percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000
        section.add(
            f"search p50 / p95 ({len(QUERIES)} queries x {scale.search_repeats})",
            f"{p50:.1f} / {p95:.1f} ms",
            f"p95 < {SEARCH_TARGET_MS:.0f} ms",
            verdict_at_most(p95, SEARCH_TARGET_MS, "ms"),
        )
        selection, dry_run, selected, waiting = time_digest(
            db, config, max(3, scale.search_repeats // 3)
        )
        section.add(
            "digest selection (plan_for + load_entries)",
            f"{selection * 1000:.1f} ms ({selected} stories of {waiting:,} waiting)",
            f"< {DIGEST_TARGET_MS:.0f} ms",
            verdict_at_most(selection * 1000, DIGEST_TARGET_MS, "ms"),
        )
        section.add("digest dry run (selection + rendering)", f"{dry_run * 1000:.0f} ms")
    finally:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
    size = sum(
        Path(f"{db_path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db_path}{s}").exists()
    )
    text_bytes = _text_bytes(db_path)
    section.add(
        "database size on disk",
        f"{size / 1e6:,.0f} MB ({size / count / 1024:.1f} KB per article; text itself "
        f"{text_bytes / 1e6:,.0f} MB)",
    )
    section.details = "\n".join(
        [
            "| query | matching articles | p50 ms | p95 ms |",
            "|---|---|---|---|",
            *(f"| `{q}` | {m:,} | {a * 1000:.1f} | {b * 1000:.1f} |" for q, m, a, b in per_query),
        ]
    )
    section.notes.append(
        f"{ai:,} articles are labelled AI and {osai:,} open-source AI by the packaged rules "
        f"({message.split(':')[0] if message else 'reclassify'}). Search is "
        "storage.search.search (FTS5 with bm25 ranking, 20 results with snippets) after one "
        "warm-up per query; the database file is in the page cache, as on a machine that "
        "searches it often."
    )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return section


def _text_bytes(db_path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute(
            "SELECT sum(length(CAST(title AS BLOB)) + length(CAST(coalesce(summary, '') AS BLOB)) "
            "+ length(CAST(text AS BLOB))) FROM articles"
        ).fetchone()
        return int(row[0] or 0)
    finally:
        conn.close()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
