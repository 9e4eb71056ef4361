"""The run lock and `newswatch run`'s exit statuses, with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from process_helpers import lock_holder
from replica_helpers import newswatch, sources_subset, write_test_config

from crawler.lock import LockHeld, RunLock, lock_path_for
from storage import connect


def write_config(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "sources.toml").write_text(sources_subset(["mst"])[0], encoding="utf-8")
    config = tmp_path / "newswatch.toml"
    config.write_text(
        f'[storage]\npath = "{tmp_path / "newswatch.db"}"\n[crawl]\nlog_dir = "{tmp_path / "logs"}"\n{extra}',
        encoding="utf-8",
    )
    return config


def test_lock_is_exclusive_and_names_its_lock_holder(tmp_path: Path) -> None:
    path = tmp_path / "db.lock"
    with (
        lock_holder(path) as proc,
        pytest.raises(LockHeld, match=f"another newswatch run is active \\(pid {proc.pid} since "),
    ):
        RunLock(path).acquire()


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "db.lock"
    with lock_holder(path) as proc:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert path.exists()  # the file stays; the kernel released the flock with the process
        with RunLock(path):
            pass


def test_a_second_run_exits_75_and_does_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    db_path = tmp_path / "newswatch.db"
    with lock_holder(lock_path_for(db_path)) as proc:
        for command in ("run", "crawl"):
            result = newswatch("--config", str(config), command, check=False)
            assert result.returncode == 75, result.stderr
            assert f"another newswatch run is active (pid {proc.pid} since" in result.stderr
            assert "Nothing was done." in result.stderr
    # Nothing was done: not even a database.
    assert not db_path.exists()
    assert not (tmp_path / "logs").exists()


def test_bad_configuration_exits_2(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[schedule]\ncrawl = "every hour"\n')
    result = newswatch("--config", str(config), "run", check=False)
    assert result.returncode == 2
    assert "schedule.crawl: expected a 5-field cron expression" in result.stderr


def test_unusable_database_exits_3(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "newswatch.db").write_bytes(b"this is not a database, just some text " * 100)
    result = newswatch("--config", str(config), "run", check=False)
    assert result.returncode == 3, result.stderr
    assert "newswatch: error: cannot open database" in result.stderr
    # Nothing was touched: the file is what it was.
    assert (tmp_path / "newswatch.db").read_bytes().startswith(b"this is not a database")


def test_database_in_an_impossible_place_exits_3(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "plain-file").write_text("not a folder", encoding="utf-8")
    result = newswatch(
        "--config",
        str(config),
        "--db",
        str(tmp_path / "plain-file" / "newswatch.db"),
        "run",
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert "cannot create the run lock" in result.stderr


def test_a_run_left_running_by_a_killed_process_is_marked_interrupted(tmp_path: Path) -> None:
    from storage import runs

    db = connect(tmp_path / "newswatch.db")
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    run_id = runs.start_run(db, "run", ["mst"])
    db.execute("UPDATE crawl_runs SET pid = ? WHERE id = ?", [proc.pid, run_id])
    assert runs.interrupt_stale_runs(db) == 1
    assert (
        db.execute("SELECT status FROM crawl_runs WHERE id = ?", [run_id]).fetchone()[0]
        == "interrupted"
    )


@pytest.mark.slow
def test_run_goes_ahead_after_the_lock_holder_was_killed(tmp_path: Path) -> None:
    config = write_test_config(tmp_path, sources_subset(["mst"])[0])
    db_path = tmp_path / "newswatch.db"
    with lock_holder(lock_path_for(db_path)) as proc:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    # mst points at a closed loopback port: the crawl fails at once, and is recorded.
    result = newswatch(
        "--config",
        str(config),
        "run",
        "--no-digest",
        "--mirror",
        "mst.gov.vn=http://127.0.0.1:9",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    db = connect(db_path)
    run = db.execute("SELECT kind, status FROM crawl_runs").fetchall()
    assert run == [("run", "failed")]
    assert db.execute("SELECT source, status FROM run_sources").fetchall() == [("mst", "failed")]
