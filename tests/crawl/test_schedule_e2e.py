"""Unattended operation for real: the scheduler firing jobs, the lock, catch-up after
downtime, SIGTERM, a hung crawl killed at its timeout, and health after a redesign.

Crawls run as child processes against loopback servers; the daemon runs as a
subprocess. Waits are bounded polls on the database or the log, never timings.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from click.testing import CliRunner
from loopback_sites import SOURCES_TOML, changing_site, hung_server
from process_helpers import daemon, lock_holder, processes_mentioning, wait_for
from replica_helpers import (
    newswatch,
    replica_server,
    sample_article,
    sources_subset,
    write_test_config,
)

from crawler.cli import cli
from crawler.config import load_settings, load_sources
from crawler.lock import lock_path_for
from crawler.replica.site import ReplicaState
from crawler.scheduler import Scheduler
from storage import connect
from storage.db import write_transaction

pytestmark = pytest.mark.slow

NEVER = "0 0 1 1 *"  # a cron expression that will not fire during a test


def query(db_path: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    db = connect(db_path)
    try:
        return list(db.query(sql, params or []))
    finally:
        db.close()


def runs_of(db_path: Path, kind: str, status: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM crawl_runs WHERE kind = ?" + (" AND status = ?" if status else "")
    return query(db_path, sql + " ORDER BY id", [kind, status] if status else [kind])


def replica_state(ids: list[str], per_site: int = 2) -> tuple[str, ReplicaState]:
    toml, sources = sources_subset(ids)
    state = ReplicaState.from_sources(sources)
    n = 0
    for host in state.sites:
        for _ in range(per_site):
            n += 1
            state.publish(host, sample_article(n))
    return toml, state


def backdate(db_path: Path, hours: float) -> None:
    """Simulate downtime: every recorded run happened ``hours`` ago."""
    when = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
    db = connect(db_path)
    with write_transaction(db):
        db.execute("UPDATE crawl_runs SET started_at = ?, finished_at = ?", [when, when])
        db.execute("UPDATE run_sources SET started_at = ?, finished_at = ?", [when, when])
    db.close()


# --------------------------------------------------------------------------- in-process


def test_scheduler_fires_jobs_and_skips_while_another_run_holds_the_lock(tmp_path: Path) -> None:
    toml, state = replica_state(["vnexpress"])
    config = write_test_config(
        tmp_path, toml, schedule={"digest": NEVER, "shutdown_grace_seconds": 10.0}
    )
    settings = load_settings(config)
    db_path = tmp_path / "newswatch.db"
    with replica_server(state, tmp_path) as replica:
        scheduler = Scheduler(
            settings,
            load_sources(tmp_path / "sources.toml"),
            topics_path=str(tmp_path / "topics.toml"),
            mirrors=replica.mirrors,
            # Every second instead of every three hours.
            triggers={
                "crawl [0 */3 * * *]": CronTrigger(second="*", timezone=settings.schedule.timezone)
            },
        )
        result: list[int] = []
        thread = threading.Thread(
            target=lambda: result.append(scheduler.run(catch_up=False, handle_signals=False))
        )
        thread.start()
        try:
            wait_for(lambda: len(runs_of(db_path, "scheduled", "ok")) >= 2, "two scheduled crawls")
            with lock_holder(lock_path_for(db_path)) as holder:
                skipped = wait_for(
                    lambda: runs_of(db_path, "scheduled", "skipped"), "a skipped job"
                )
                assert f"another newswatch run is active (pid {holder.pid}" in skipped[0]["note"]
                crawled_while_held = len(runs_of(db_path, "scheduled", "ok"))
                wait_for(
                    lambda: len(runs_of(db_path, "scheduled", "skipped")) >= 2,
                    "a second skipped job",
                )
                # Nothing crawled while the other process held the lock.
                assert len(runs_of(db_path, "scheduled", "ok")) == crawled_while_held
            wait_for(
                lambda: len(runs_of(db_path, "scheduled", "ok")) > crawled_while_held,
                "a crawl after the lock was released",
            )
        finally:
            scheduler.stop()
            thread.join(timeout=60)
    assert result == [0]
    crawls = runs_of(db_path, "scheduled")
    assert {r["status"] for r in crawls} <= {"ok", "skipped", "interrupted"}
    # Jobs never overlapped: each crawl started after the previous one finished.
    done = [r for r in crawls if r["status"] != "skipped"]
    for before, after in itertools.pairwise(done):
        assert after["started_at"] >= before["finished_at"]
    daemon_row = runs_of(db_path, "schedule")[-1]
    assert daemon_row["status"] == "ok" and daemon_row["finished_at"]
    sources = query(db_path, "SELECT * FROM run_sources WHERE status = 'ok'")
    assert sources and all(r["source"] == "vnexpress" for r in sources)
    assert sum(r["articles_new"] for r in sources) == 2  # later crawls found nothing new (304)


def test_a_catch_up_that_finds_the_lock_held_tries_again(tmp_path: Path) -> None:
    toml, state = replica_state(["vnexpress"])
    config = write_test_config(tmp_path, toml, schedule={"crawl": NEVER, "digest": NEVER})
    db_path = tmp_path / "newswatch.db"
    with replica_server(state, tmp_path) as replica, lock_holder(lock_path_for(db_path)) as holder:
        scheduler = Scheduler(
            load_settings(config),
            load_sources(tmp_path / "sources.toml"),
            topics_path=str(tmp_path / "topics.toml"),
            mirrors=replica.mirrors,
            catch_up_retry=timedelta(seconds=1),
        )
        result: list[int] = []
        thread = threading.Thread(target=lambda: result.append(scheduler.run(handle_signals=False)))
        thread.start()
        try:
            wait_for(lambda: runs_of(db_path, "catch-up", "skipped"), "the catch-up to be skipped")
            holder.kill()  # the other run ends
            wait_for(lambda: runs_of(db_path, "catch-up", "ok"), "the catch-up to run after all")
        finally:
            scheduler.stop()
            thread.join(timeout=60)
    assert result == [0]
    assert len(runs_of(db_path, "catch-up", "ok")) == 1
    crawled = query(db_path, "SELECT source, status, articles_new FROM run_sources")
    assert crawled == [{"source": "vnexpress", "status": "ok", "articles_new": 2}]


# --------------------------------------------------------------------------- one-shot runs


def test_a_hung_crawl_is_killed_at_its_timeout_and_the_others_still_run(tmp_path: Path) -> None:
    toml, state = replica_state(["tuoitre", "vnexpress"])
    # tuoitre's own timeout is 3 s (the others keep crawl.timeout); its hung request only
    # ends at download_timeout, after that.
    toml = toml.replace("[sources.tuoitre]\n", "[sources.tuoitre]\ntimeout = 3.0\n")
    config = write_test_config(
        tmp_path, toml, crawl={"parallel_sources": 1, "download_timeout": 5.0}
    )
    with replica_server(state, tmp_path) as replica, hung_server() as hung:
        mirrors = [m for m in replica.mirrors if not m.startswith("tuoitre.vn=")]
        mirrors.append(f"tuoitre.vn={hung.base_url}/_site/tuoitre.vn")
        result = newswatch(
            "--config",
            str(config),
            "run",
            "--no-digest",
            *[a for m in mirrors for a in ("--mirror", m)],
        )
    rows = {r["source"]: r for r in query(tmp_path / "newswatch.db", "SELECT * FROM run_sources")}
    hung_row, ok_row = rows["tuoitre"], rows["vnexpress"]
    assert hung_row["status"] == "timeout" and hung_row["finish_reason"] == "timeout"
    assert json.loads(hung_row["errors"]).get("timeout_killed") == 1
    assert "exceeded its 3s timeout" in hung_row["last_error"]
    assert ok_row["status"] == "ok" and ok_row["articles_new"] == 2
    assert ok_row["started_at"] >= hung_row["finished_at"]  # one at a time: it ran after the kill
    assert "tuoitre: timeout" in result.stderr and "vnexpress: ok" in result.stderr
    run = runs_of(tmp_path / "newswatch.db", "run")[-1]
    assert run["status"] == "partial"
    # The parent's own log, next to the per-source crawl logs.
    run_dir = Path(hung_row["log_path"]).parent
    run_log = (run_dir / "run.log").read_text(encoding="utf-8")
    assert "tuoitre: crawl exceeded its timeout; stopping it" in run_log
    assert (run_dir / "vnexpress.log").is_file()
    # Not a terminal: plain progress lines, no live-line escapes.
    assert "… tuoitre: crawling (pid" in result.stderr and "\x1b[K" not in result.stderr
    assert not processes_mentioning(str(tmp_path / "logs"))


# --------------------------------------------------------------------------- the daemon


def test_catch_up_after_downtime_runs_exactly_once(tmp_path: Path) -> None:
    toml, state = replica_state(["vnexpress", "mst"])
    config = write_test_config(tmp_path, toml, schedule={"shutdown_grace_seconds": 10.0})
    db_path = tmp_path / "newswatch.db"
    with replica_server(state, tmp_path) as replica:
        newswatch("--config", str(config), "run", *replica.mirror_args())  # crawl + digest
        assert len(runs_of(db_path, "digest")) == 1
        backdate(db_path, 30)  # the machine was off for 30 hours

        with daemon(config, tmp_path / "daemon-1.log", *replica.mirror_args()) as first:
            wait_for(lambda: runs_of(db_path, "digest", "ok")[1:], "the catch-up digest")
            assert first.stop(signal.SIGTERM) == 0, first.log()
        catch_up = runs_of(db_path, "catch-up")
        assert [r["status"] for r in catch_up] == ["ok"], first.log()
        crawled = query(
            db_path, "SELECT source, status FROM run_sources WHERE run_id = ?", [catch_up[0]["id"]]
        )
        assert sorted((r["source"], r["status"]) for r in crawled) == [
            ("mst", "ok"),
            ("vnexpress", "ok"),
        ]
        assert "catch-up: vnexpress: last success 30.0 h ago (period 3.0 h)" in first.log()
        assert "catch-up: digest: a slot (30 7 * * *) passed since" in first.log()

        # Restarted at once: nothing is overdue, nothing runs again.
        with daemon(config, tmp_path / "daemon-2.log", *replica.mirror_args()) as second:
            second.wait_log("catch-up: nothing was missed")
            assert second.stop(signal.SIGTERM) == 0, second.log()
    assert len(runs_of(db_path, "catch-up")) == 1
    assert len(runs_of(db_path, "digest")) == 2
    assert [r["status"] for r in runs_of(db_path, "schedule")] == ["ok", "ok"]


def test_sigterm_stops_the_daemon_cleanly_during_a_crawl(tmp_path: Path) -> None:
    toml, _ = sources_subset(["tuoitre"])
    config = write_test_config(
        tmp_path,
        toml,
        crawl={"timeout": 120.0},
        schedule={"shutdown_grace_seconds": 2.0, "digest": NEVER},
    )
    db_path = tmp_path / "newswatch.db"
    with (
        hung_server() as hung,
        daemon(config, tmp_path / "daemon.log", "--mirror", f"tuoitre.vn={hung.base_url}") as proc,
    ):
        # Never crawled: the catch-up crawls it at once, and the crawl hangs.
        wait_for(
            lambda: query(db_path, "SELECT * FROM run_sources WHERE status = 'running'"),
            "the crawl to start",
        )
        wait_for(lambda: hung.connections, "the crawl process to connect")
        assert proc.stop(signal.SIGTERM) == 0, proc.log()
        log = proc.log()
    assert "received SIGTERM: taking no new jobs" in log
    row = query(db_path, "SELECT * FROM run_sources")[0]
    assert row["status"] == "interrupted"
    assert runs_of(db_path, "catch-up")[0]["status"] == "interrupted"
    daemon_row = runs_of(db_path, "schedule")[0]
    assert daemon_row["status"] == "ok" and "stopped" in daemon_row["note"]
    assert not processes_mentioning(str(tmp_path))  # no crawl process left behind


def test_a_second_daemon_refuses_to_start(tmp_path: Path) -> None:
    toml, _ = sources_subset(["mst"])
    config = write_test_config(tmp_path, toml, schedule={"crawl": NEVER, "digest": NEVER})
    with daemon(config, tmp_path / "daemon.log", "--no-catch-up") as first:
        first.wait_log("job digest")
        second = newswatch("--config", str(config), "schedule", check=False, timeout=60)
        assert second.returncode == 75
        assert f"another newswatch schedule is active (pid {first.proc.pid}" in second.stderr
        assert first.stop(signal.SIGINT) == 0


# --------------------------------------------------------------------------- health


def test_a_source_whose_pages_stop_matching_is_reported_unhealthy(tmp_path: Path) -> None:
    config = write_test_config(tmp_path, SOURCES_TOML)
    db_path = tmp_path / "newswatch.db"
    with changing_site() as site:
        args = ["--config", str(config), "crawl", "--mirror", site.mirror]
        for count in (6, 4):
            site.publish(count)
            newswatch(*args)
        healthy = CliRunner().invoke(cli, ["--config", str(config), "status", "--format", "json"])
        assert [s["health"] for s in json.loads(healthy.stdout)["sources"]] == ["ok"]

        site.layout = "app"  # the redesign: article pages are now an empty client-side shell
        site.publish(5)
        newswatch(*args)
    status = json.loads(
        CliRunner().invoke(cli, ["--config", str(config), "status", "--format", "json"]).stdout
    )
    row = status["sources"][0]
    assert row["source"] == "sitetest" and row["health"] == "degraded"
    assert "in its last 5 article pages: title found on 0% (usually 100%)" in row["reason"]
    assert "the page layout may have changed" in row["reason"]
    last = query(db_path, "SELECT * FROM run_sources ORDER BY id DESC LIMIT 1")[0]
    assert (last["status"], last["article_pages"], last["articles_extracted"]) == ("ok", 5, 0)
    assert last["parse_failures"] == 5
    table = newswatch("--config", str(config), "status").stdout
    assert "degraded" in table and "sitetest" in table


def test_sigterm_twice_stops_a_one_shot_run_and_records_it(tmp_path: Path) -> None:
    toml, _ = sources_subset(["tuoitre", "mst"])
    config = write_test_config(
        tmp_path, toml, crawl={"parallel_sources": 1, "download_timeout": 60.0}
    )
    db_path = tmp_path / "newswatch.db"
    err_path = tmp_path / "run.err"
    with hung_server() as hung, err_path.open("w", encoding="utf-8") as err:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        mirrors = [
            "--mirror",
            f"tuoitre.vn={hung.base_url}",
            "--mirror",
            f"mst.gov.vn={hung.base_url}",
        ]
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawler", "--config", str(config), "run", *mirrors],
            stderr=err,
            text=True,
            env=env,
        )
        try:
            wait_for(lambda: hung.connections, "the crawl to connect")
            # Asked to finish, the crawl waits on its hung request...
            proc.send_signal(signal.SIGTERM)
            wait_for(
                lambda: "Received SIGTERM" in err_path.read_text(encoding="utf-8"),
                "the first signal to be handled",
            )
            proc.send_signal(signal.SIGTERM)  # ...so it is killed
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    stderr = err_path.read_text(encoding="utf-8")
    assert proc.returncode == 0, stderr
    assert "Received SIGTERM: finishing running crawls, starting no more." in stderr
    assert "Received SIGTERM again: killing running crawls." in stderr
    rows = {r["source"]: r for r in query(db_path, "SELECT * FROM run_sources")}
    assert rows["tuoitre"]["status"] == "interrupted"
    assert (
        rows["mst"]["status"] == "interrupted"
        and rows["mst"]["finish_reason"] == "not started: shutting down"
    )
    run = runs_of(db_path, "run")[0]
    assert run["status"] == "interrupted"
    assert runs_of(db_path, "digest") == []  # an interrupted cycle sends no digest
    assert not processes_mentioning(str(tmp_path / "logs"))


def test_the_digest_carries_the_health_section(tmp_path: Path) -> None:
    toml, state = replica_state(["vnexpress", "tuoitre"], per_site=0)
    state.publish(
        "vnexpress.net",
        sample_article(1, title="Việt Nam công bố mô hình ngôn ngữ lớn mã nguồn mở cho tiếng Việt"),
    )
    config = write_test_config(tmp_path, toml, health={"failed_runs": 1})
    with replica_server(state, tmp_path) as replica:
        mirrors = [m for m in replica.mirrors if not m.startswith("tuoitre.vn=")]
        mirrors.append("tuoitre.vn=http://127.0.0.1:9")  # nothing listens there: refused
        newswatch("--config", str(config), "run", *[a for m in mirrors for a in ("--mirror", m)])
    digests = list((tmp_path / "digests").glob("*.md"))
    assert len(digests) == 1, list((tmp_path / "digests").iterdir())
    text = digests[0].read_text(encoding="utf-8")
    assert "mô hình ngôn ngữ lớn mã nguồn mở" in text
    health = text.split("## Source health")[1]
    assert "(`tuoitre`): failing, its last crawl failed; last error: " in health
    assert "connection\\_refused" in health
    assert "vnexpress" not in health  # healthy sources are not listed
