"""Process and storage faults in real runs: a crawl killed halfway, the database locked
by another writer, read-only, or out of space.

The digest killed after the SMTP server accepted a message and before it was recorded
is tested where the digest is: tests/test_digest_smtp.py
(``test_killed_process_loses_nothing_and_resends_with_the_same_message_id``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fault_world import (
    SyntheticSource,
    clean_env,
    publish_page,
    run_newswatch,
    snapshot,
    source_rows,
    sources_from_toml,
)
from replica_helpers import Replica, replica_server, sample_article, write_test_config

from crawler.replica.site import ReplicaState
from storage import connect

pytestmark = pytest.mark.slow

SOURCE = SyntheticSource("cham", "cham.test", feeds=["/rss/tin.rss"])
ARTICLES = 30
WAIT = 90.0  # the longest any wait below may take before the test gives up
# Pages one at a time. A delay above zero is needed: with DOWNLOAD_DELAY = 0, Scrapy
# 2.19 starts every queued request of a slot at once, whatever its concurrency.
ONE_AT_A_TIME = {"concurrency_per_domain": 1, "download_delay": 0.01}


@dataclass
class Site:
    workdir: Path
    config: Path
    replica: Replica
    db_path: Path

    def crawl_args(self) -> list[str]:
        return ["--config", str(self.config), "crawl", *self.replica.mirror_args()]

    def urls(self) -> list[str]:
        """Every article the site has published (as the server has it now)."""
        return [a["url"] for a in self.replica.server_state().sites[SOURCE.host].articles]


def _state(workdir: Path, count: int = ARTICLES) -> ReplicaState:
    state = ReplicaState.from_sources(sources_from_toml(workdir, SOURCE.toml()).values())
    for n in range(1, count + 1):
        publish_page(state, SOURCE.host, f"tin-cham-{n}", n)
    return state


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A source whose 30 article pages answer slowly (0.2 s each, one at a time)."""
    state = _state(tmp_path)
    state.sites[SOURCE.host].faults = {"/bai/*": "slow:0.2"}
    config = write_test_config(tmp_path, SOURCE.toml(), crawl=ONE_AT_A_TIME)
    with replica_server(state, tmp_path) as replica:
        yield Site(tmp_path, config, replica, tmp_path / "newswatch.db")


def _count(db_path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created or migrated yet


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def _crawl_children(workdir: Path) -> list[int]:
    """Pids of crawl processes (python -m crawler.crawl_process) working for ``workdir``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"crawler.crawl_process" in argv and any(str(workdir).encode() in a for a in argv):
            pids.append(int(entry.name))
    return pids


def _start(site: Site) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", *site.crawl_args()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )


# ---------------------------------------------------------------------- killed halfway


@pytest.mark.parametrize("victim", ["crawl process", "whole command"])
def test_crawl_killed_halfway_then_rerun_loses_nothing(site: Site, victim: str) -> None:
    proc = _start(site)
    _wait_for(lambda: _count(site.db_path) > 0, "the first stored batch")
    children = _crawl_children(site.workdir)
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)
    if victim == "whole command":
        proc.kill()
    _out, err = proc.communicate(timeout=WAIT)
    before = snapshot(connect(site.db_path))
    assert 0 < len(before) < ARTICLES, "the kill did not land halfway"

    db = connect(site.db_path)
    if victim == "crawl process":
        assert proc.returncode == 0, err  # the parent outlives its child and records it
        row = source_rows(db)["cham"]
        assert row["status"] == "killed" and row["finish_reason"] == "exit -9"
    else:
        assert proc.returncode == -signal.SIGKILL
        assert source_rows(db)["cham"]["status"] == "running"  # nobody left to record it

    site.replica.reset()
    site.replica.set_faults(SOURCE.host, {})
    rerun = run_newswatch(*site.crawl_args())
    assert rerun.returncode == 0, rerun.stderr
    after = snapshot(db)
    assert sorted(after) == sorted(site.urls())  # all stored, each once
    assert all(after[url] == before[url] for url in before)  # the stored ones untouched
    fetched = {r["path"] for r in site.replica.requests() if r["path"].startswith("/bai/")}
    unfinished = {u.removeprefix(f"https://{SOURCE.host}") for u in after if u not in before}
    assert fetched == unfinished  # exactly the unfinished articles were fetched
    statuses = {r["status"] for r in db.query("SELECT status FROM run_sources")}
    assert "running" not in statuses  # a dead run is marked interrupted by the next one
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# ---------------------------------------------------------------------- locked database


def test_database_locked_by_another_writer_for_seconds(site: Site) -> None:
    site.replica.set_faults(SOURCE.host, {"/bai/*": "slow:0.1"})  # a crawl of some seconds
    connect(site.db_path).close()
    proc = _start(site)
    holder = sqlite3.connect(site.db_path, timeout=WAIT, isolation_level=None)
    _wait_for(
        lambda: (
            _count(site.db_path) == 0
            and holder.execute(
                "SELECT count(*) FROM run_sources WHERE status = 'running'"
            ).fetchone()[0]
        ),
        "the crawl to start",
    )
    holder.execute("BEGIN IMMEDIATE")  # another writer takes the lock mid-crawl...
    time.sleep(4.0)  # ...and keeps it for four seconds
    running = holder.execute("SELECT count(*) FROM crawl_runs WHERE status = 'running'")
    assert running.fetchone()[0] == 1  # the crawl could not finish meanwhile
    holder.execute("COMMIT")
    holder.close()
    _out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0 and "Traceback" not in err, err
    db = connect(site.db_path)
    assert source_rows(db)["cham"]["status"] == "ok"
    assert sorted(snapshot(db)) == sorted(site.urls())


# ---------------------------------------------------------------------- read-only, full


@contextmanager
def tmpfs(path: Path, size_kb: int) -> Iterator[Path]:
    """A tiny file system of its own at ``path`` (Linux, root); skips the test otherwise."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("needs root on Linux to mount a tmpfs")
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _config_for(site: Site, db_path: Path) -> Path:
    """The site's configuration with the database at ``db_path`` (logs stay in workdir)."""
    folder = site.workdir / f"config-{db_path.parent.name}"
    folder.mkdir(exist_ok=True)
    return write_test_config(
        folder,
        SOURCE.toml(),
        storage={"path": str(db_path)},
        crawl={"log_dir": str(site.workdir / "logs")},
    )


def _crawl(config: Path, site: Site) -> subprocess.CompletedProcess[str]:
    return run_newswatch("--config", str(config), "crawl", *site.replica.mirror_args())


def _fill(site: Site, count: int, *, first: int, words: int = 0) -> None:
    """Publish ``count`` newer articles (with ``words`` extra words of body each)."""
    now = datetime.now(UTC)
    for n in range(first, first + count):
        article = sample_article(n)
        extra = [f"Nội dung bổ sung rất dài của bài viết số {n}. " * (words // 10)]
        article.update(
            path=f"/bai/tin-them-{n}.html",
            paragraphs=[*article["paragraphs"], *(extra if words else [])],
            published_at=(now - timedelta(minutes=n - first)).isoformat(),
        )
        site.replica.publish(SOURCE.host, article)


def test_read_only_database_is_a_clear_error_and_nothing_is_written(site: Site) -> None:
    site.replica.set_faults(SOURCE.host, {})
    with tmpfs(site.workdir / "ro", 4096) as folder:
        db_path = folder / "newswatch.db"
        config = _config_for(site, db_path)
        assert _crawl(config, site).returncode == 0
        before = _digest(db_path)
        _remount(folder, "ro")
        _fill(site, 3, first=100)
        result = _crawl(config, site)
        assert result.returncode == 3, result.stderr
        assert "Traceback" not in result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines == [lines[0]] and lines[0].startswith("newswatch: error: ")
        assert str(db_path) in lines[0] and "read-only" in lines[0].lower(), lines[0]
        assert _digest(db_path) == before  # nothing half-written
        assert sorted(os.listdir(folder)) == ["newswatch.db", "newswatch.db.lock"]


def _leave_free(folder: Path, free: int) -> Path:
    """Take all but ``free`` bytes of the file system with a filler file."""
    filler = folder / "filler"
    size = shutil.disk_usage(folder).free - free
    with filler.open("wb", buffering=0) as fh:
        for _ in range(size // 4096):
            fh.write(b"\0" * 4096)
    return filler


def test_full_disk_records_the_failure_and_loses_nothing(site: Site) -> None:
    site.replica.set_faults(SOURCE.host, {})
    with tmpfs(site.workdir / "full", 16384) as folder:
        db_path = folder / "newswatch.db"
        config = _config_for(site, db_path)
        assert _crawl(config, site).returncode == 0
        db = connect(db_path)
        before = snapshot(db)
        assert len(before) == ARTICLES
        filler = _leave_free(folder, 256 * 1024)  # room for the run's records, not for...
        _fill(site, 30, first=200, words=4000)  # ...about 1 MB of new articles

        result = _crawl(config, site)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert "✗ cham: failed" in result.stderr and "disk is full" in result.stderr
        after = snapshot(db)
        assert all(after[url] == before[url] for url in before)  # nothing stored was lost
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        row = source_rows(db)["cham"]
        assert row["status"] == "failed" and row["finish_reason"] == "storage_error"
        assert row["errors"] == {"storage_failed": 1}
        assert row["last_error"].startswith("storage_failed: cannot write to database")

        filler.unlink()  # space again: the next run stores the rest
        site.replica.reset()
        rerun = _crawl(config, site)
        assert rerun.returncode == 0, rerun.stderr
        final = snapshot(db)
        assert sorted(final) == sorted(site.urls())
        assert all(final[url] == before[url] for url in before)
        db.close()


def test_disk_full_before_the_run_starts_is_exit_3_and_changes_nothing(site: Site) -> None:
    site.replica.set_faults(SOURCE.host, {})
    with tmpfs(site.workdir / "full", 16384) as folder:
        db_path = folder / "newswatch.db"
        config = _config_for(site, db_path)
        assert _crawl(config, site).returncode == 0
        _fill(site, 3, first=300)
        filler = _leave_free(folder, 0)
        with contextlib.suppress(OSError), filler.open("ab", buffering=0) as fh:
            while True:  # until ENOSPC: not one byte left for the run's own records
                fh.write(b"\0" * 512)
        before = _digest(db_path)
        result = _crawl(config, site)
        assert result.returncode == 3 and "Traceback" not in result.stderr, result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("newswatch: error: cannot") and str(db_path) in last
        assert "disk is full" in last, last
        filler.unlink()
        assert _digest(db_path) == before  # nothing half-written


# ---------------------------------------------------------------------- a crawl that never ends


def test_crawl_past_its_hard_timeout_is_stopped_and_keeps_what_it_stored(tmp_path: Path) -> None:
    """A source whose pages take longer than the whole crawl may: the runner stops it
    (SIGTERM, then SIGKILL), records ``timeout`` and keeps what was stored."""
    state = _state(tmp_path)
    state.sites[SOURCE.host].faults = {"/bai/*": "slow:0.5"}  # 30 pages: 15 s, one at a time
    toml = SOURCE.toml() + "timeout = 3.0\n"  # this source's crawl may take 3 s
    config = write_test_config(tmp_path, toml, crawl=ONE_AT_A_TIME)
    with replica_server(state, tmp_path) as replica:
        result = run_newswatch("--config", str(config), "crawl", *replica.mirror_args())
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        db = connect(tmp_path / "newswatch.db")
        row = source_rows(db)["cham"]
        assert row["status"] == "timeout" and row["errors"].get("timeout_killed") == 1
        assert "exceeded its 3s timeout" in row["last_error"]
        kept = snapshot(db)
        assert 0 < len(kept) < ARTICLES  # the graceful stop stored what had been fetched
        assert row["articles_new"] == len(kept)
