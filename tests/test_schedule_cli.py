"""`newswatch schedule --dry-run`, `newswatch status` and the progress display, in process."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from replica_helpers import sources_subset, write_test_config

from crawler.cli import cli
from crawler.cli.progress import ConsoleObserver
from crawler.cycle import CycleReport
from crawler.runner import RunningCrawl, SourceOutcome
from storage import connect, runs
from storage.db import write_transaction


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def config_with(tmp_path: Path, ids: list[str], **sections: dict) -> Path:
    toml, _ = sources_subset(ids)
    return write_test_config(tmp_path, toml, **sections)


def record(db, source: str, status: str = "ok", hours_ago: float = 0.0, **stats) -> None:
    run_id = runs.start_run(db, "scheduled", [source])
    rs = runs.start_source(db, run_id, source)
    values = {"articles_found": 12, "articles_new": 3, "entry_points_ok": 2, **stats}
    runs.finish_source(db, rs, status, values)
    runs.finish_run(db, run_id, status)
    if hours_ago:
        when = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
        with write_transaction(db):
            db.execute(
                "UPDATE crawl_runs SET started_at = ?, finished_at = ? WHERE id = ?",
                [when, when, run_id],
            )
            db.execute(
                "UPDATE run_sources SET started_at = ?, finished_at = ? WHERE id = ?",
                [when, when, rs],
            )


def test_dry_run_lists_jobs_and_the_catch_up_plan(tmp_path: Path) -> None:
    config = config_with(
        tmp_path, ["mst", "vnexpress", "tuoitre"], schedule={"misfire_grace_minutes": 20}
    )
    # vnexpress crawls on its own schedule.
    sources = (tmp_path / "sources.toml").read_text(encoding="utf-8")
    sources = sources.replace(
        "[sources.vnexpress]\n", '[sources.vnexpress]\nschedule = "*/20 * * * *"\n'
    )
    (tmp_path / "sources.toml").write_text(sources, encoding="utf-8")
    db = connect(tmp_path / "newswatch.db")
    record(db, "mst", hours_ago=0.5)
    record(db, "tuoitre", hours_ago=7)
    db.close()
    code, out, _ = invoke("--config", str(config), "schedule", "--dry-run")
    assert code == 0
    assert "Time zone Asia/Ho_Chi_Minh; misfire grace 20 min; shutdown grace 60 s." in out
    lines = out.splitlines()
    assert any(
        line.startswith("crawl [0 */3 * * *]") and line.endswith("mst, tuoitre") for line in lines
    )
    assert any(
        line.startswith("crawl [*/20 * * * *]") and line.endswith("vnexpress") for line in lines
    )
    assert any(line.startswith("digest ") and line.endswith("digest") for line in lines)
    assert "Catch-up at start:" in out
    assert "  vnexpress: never crawled successfully" in out
    assert "  tuoitre: last success 7.0 h ago (period 3.0 h)" in out
    assert "mst:" not in out.split("Catch-up at start:")[1]
    assert "  digest: a slot (30 7 * * *) passed since " in out  # first run was 7 h ago
    # A dry run runs nothing.
    db = connect(tmp_path / "newswatch.db")
    assert db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 2


def test_status_shows_health_per_source_the_scheduler_and_digests(tmp_path: Path) -> None:
    config = config_with(tmp_path, ["mst", "vnexpress", "tuoitre"])
    db = connect(tmp_path / "newswatch.db")
    for _ in range(3):
        record(db, "mst")
    for _ in range(3):
        record(
            db,
            "vnexpress",
            "failed",
            last_error="http_403: https://vnexpress.net/rss/so-hoa.rss: Forbidden",
        )
    daemon = runs.start_run(db, "schedule", ["mst"])
    db.close()
    code, out, _ = invoke("--config", str(config), "status")
    assert code == 0, out
    assert "Scheduler: running since" in out and "pid" in out
    assert "SOURCE" in out and "HEALTH" in out and "LAST_SUCCESS" in out and "LAST_ERROR" in out
    table = out.split("Sources (")[1].split("\n\n")[0]
    rows = {
        line.split()[0]: line
        for line in table.splitlines()
        if not line.startswith(" ")
        if line.split() and line.split()[0] in ("mst", "vnexpress", "tuoitre")
    }
    assert "ok" in rows["mst"] and "3/3" in rows["mst"] and "36" in rows["mst"]
    assert "failing" in rows["vnexpress"] and "0/3" in rows["vnexpress"]
    assert "never crawled" in rows["tuoitre"]
    assert (
        "  vnexpress (failing): its last 3 crawls failed; last error: "
        "http_403: https://vnexpress.net/rss/so-hoa.rss: Forbidden" in out
    )
    assert "tuoitre (never crawled)" not in out  # nothing to explain
    assert "Last digests:" in out

    code, out, _ = invoke("--config", str(config), "status", "--format", "json")
    data = json.loads(out)
    assert data["scheduler"]["id"] == daemon and data["scheduler"]["status"] == "running"
    health = {s["source"]: s for s in data["sources"]}
    assert health["vnexpress"]["health"] == "failing"
    assert health["vnexpress"]["reason"].startswith(
        "its last 3 crawls failed; last error: http_403"
    )
    assert health["mst"]["ok_runs"] == "3/3" and health["mst"]["new"] == 9
    assert isinstance(data["digests"], list) and isinstance(data["runs"], list)


def outcome(source: str, status: str = "ok") -> SourceOutcome:
    stats = {
        "requests": 12,
        "articles_found": 9,
        "articles_new": 2,
        "last_error": "boom" if status != "ok" else None,
    }
    return SourceOutcome(source, status, stats, {}, None, 4.0)


def test_progress_in_a_terminal_keeps_one_live_line(tmp_path: Path) -> None:
    stream = io.StringIO()
    observer = ConsoleObserver(stream, live=True)
    observer.run_started(7, "run", tmp_path / "run-7", ["mst", "vnexpress"])
    observer.source_started("mst", 101, 900)
    observer.progress(
        [RunningCrawl("mst", 101, 3.2, 900, {"requests": 5, "articles_new": 1}, False)]
    )
    observer.progress(
        [RunningCrawl("mst", 101, 4.2, 900, {"requests": 7, "articles_new": 2}, True)]
    )
    observer.source_finished(outcome("mst"))
    observer.source_finished(outcome("vnexpress", "timeout"))
    observer.run_finished(CycleReport(7, "run", "partial"))
    text = stream.getvalue()
    assert "\r\x1b[K[0/2] mst 3s 5 req 1 new" in text
    assert "mst 4s stopping 7 req 2 new" in text
    assert "\r\x1b[K✓ mst: ok" in text  # the live line is cleared before a permanent line
    assert "✗ vnexpress: timeout" in text and "last error: boom" in text
    assert (tmp_path / "run-7" / "run.log").is_file()


def test_progress_without_a_terminal_prints_plain_lines_and_writes_run_log(tmp_path: Path) -> None:
    stream = io.StringIO()
    observer = ConsoleObserver(stream, live=False)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    try:
        observer.run_started(8, "crawl", tmp_path / "run-8", ["mst"])
        logging.getLogger("crawler.runner").info("crawling mst (pid 5, timeout 900s)")
        observer.source_started("mst", 5, 900)
        observer.progress([RunningCrawl("mst", 5, 1.0, 900, {}, False)])
        observer.source_finished(outcome("mst"))
        observer.run_finished(CycleReport(8, "crawl", "ok"))
        logging.getLogger("crawler.runner").info("after the run")
    finally:
        root.setLevel(level)
    text = stream.getvalue()
    assert "\x1b" not in text
    assert text.splitlines()[:3] == [
        "Run 8 (crawl): crawling 1 source; logs in " + str(tmp_path / "run-8"),
        "… mst: crawling (pid 5, timeout 900s)",
        "✓ mst: ok, 12 requests, 0 not modified, 9 article links, 2 new, 0 updated, 4s",
    ]
    log = (tmp_path / "run-8" / "run.log").read_text(encoding="utf-8")
    assert "crawling mst (pid 5, timeout 900s)" in log
    assert "after the run" not in log  # the handler lives as long as the run
