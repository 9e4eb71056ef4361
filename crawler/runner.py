"""Running crawls: one child process per source, a hard timeout each, stats recorded.

The parent never imports Scrapy. For each source it records a ``run_sources`` row,
writes the incremental state and the job's Scrapy settings to files, starts
``python -m crawler.crawl_process``, and waits. A crawl past its timeout gets SIGTERM,
then SIGKILL after a grace period, and is recorded as ``timeout``. Whatever the child
managed to write (stats are dumped every few seconds) is kept.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler.config import Settings, Source
from crawler.jsonfiles import write_json_atomic
from crawler.scrapy_settings import build_settings
from crawler.state import IncrementalState
from storage import StorageError, runs

log = logging.getLogger(__name__)

TERM_GRACE_SECONDS = 15.0
PROGRESS_SECONDS = 1.0
OK_REASONS = ("finished", "closespider_pagecount", "closespider_itemcount")


@dataclass
class SourceOutcome:
    """How one source's crawl ended."""

    source: str
    status: str  # ok | failed | timeout | killed | interrupted
    stats: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    log_path: str | None = None
    duration_s: float = 0.0

    @property
    def new(self) -> int:
        return int(self.stats.get("articles_new", 0))

    def line(self) -> str:
        s = self.stats
        parts = [
            f"{self.source}: {self.status}",
            f"{s.get('requests', 0)} requests",
            f"{s.get('responses_304', 0)} not modified",
            f"{s.get('articles_found', 0)} article links",
            f"{s.get('articles_new', 0)} new",
            f"{s.get('articles_updated', 0)} updated",
        ]
        if s.get("parse_failures"):
            parts.append(f"{s['parse_failures']} parse failures")
        if self.errors:
            parts.append("errors: " + ", ".join(f"{k}×{v}" for k, v in sorted(self.errors.items())))
        parts.append(f"{self.duration_s:.0f}s")
        return ", ".join(parts)


@dataclass
class RunningCrawl:
    """A crawl in progress, as progress displays see it."""

    source: str
    pid: int
    elapsed_s: float
    timeout_s: float
    stats: dict[str, Any]  # summarise_stats() of what the child has reported so far
    stopping: bool


class CrawlObserver:
    """Receives a runner's events; the default methods do nothing, override what you need.

    Called from the thread running the crawl; implementations must be quick.
    """

    def source_started(self, source: str, pid: int, timeout_s: float) -> None:
        """A crawl process was started."""

    def progress(self, running: Sequence[RunningCrawl]) -> None:
        """About once a second while crawls run."""

    def source_finished(self, outcome: SourceOutcome) -> None:
        """A crawl ended and its outcome was recorded."""


@dataclass
class _Child:
    source: Source
    run_source_id: int
    proc: subprocess.Popen[bytes]
    workdir: Path
    log_path: Path
    started: float
    deadline: float
    adhoc_urls: bool = False
    terminated_at: float | None = None
    timed_out: bool = False

    def terminate(self, now: float) -> None:
        if self.terminated_at is None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.terminated_at = now


class CrawlRunner:
    """Crawls sources in child processes, ``parallel`` at a time."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        settings: Settings,
        *,
        db_path: str,
        topics_path: str | None,
        run_id: int,
        log_dir: Path,
        mirrors: Sequence[str] = (),
        parallel: int | None = None,
        on_finish: Callable[[SourceOutcome], None] | None = None,
        observer: CrawlObserver | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.db_path = db_path
        self.topics_path = topics_path
        self.run_id = run_id
        self.log_dir = log_dir
        self.mirrors = list(mirrors)
        self.parallel = max(1, parallel or settings.crawl.parallel_sources)
        self.on_finish = on_finish
        self.observer = observer or CrawlObserver()
        self.children: list[_Child] = []
        self.stopping = False
        self.stop_grace = TERM_GRACE_SECONDS
        self.storage_error: StorageError | None = None  # a crawl's outcome went unrecorded
        self._last_progress = 0.0

    def crawl(
        self, sources: Sequence[Source], *, urls: Sequence[str] | None = None
    ) -> list[SourceOutcome]:
        """Crawl every source (or, with ``urls``, fetch those pages) and return outcomes."""
        pending = list(sources)
        outcomes: list[SourceOutcome] = []
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            while pending or self.children:
                while pending and len(self.children) < self.parallel and not self.stopping:
                    source = pending.pop(0)
                    source_urls = [u for u in (urls or []) if source.owns(u)] if urls else None
                    self.children.append(self._spawn(source, source_urls))
                if self.stopping and pending:
                    for source in pending:
                        outcomes.append(self._record_skipped(source))
                    pending = []
                outcomes.extend(self._reap())
                if self.children:
                    self._progress()
                    time.sleep(0.2)
        except BaseException:
            # The parent cannot go on (the database refused a write, a bug): children
            # live in their own sessions, so stop them rather than leave them orphaned.
            self._abandon_children()
            raise
        if self.storage_error is not None:
            raise self.storage_error
        return outcomes

    def _abandon_children(self) -> None:
        for child in self.children:
            if child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + TERM_GRACE_SECONDS
        for child in self.children:
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
        self.children = []

    def stop(self, grace: float | None = None) -> None:
        """Stop starting new crawls; ask running ones to finish (SIGTERM).

        A crawl still running ``grace`` seconds later (default ``TERM_GRACE_SECONDS``) is
        killed. Safe to call from a signal handler or another thread: the crawl loop
        also terminates any child it starts after this call.
        """
        if grace is not None:
            self.stop_grace = max(0.0, grace)
        self.stopping = True
        now = time.monotonic()
        for child in list(self.children):
            child.terminate(now)

    # ------------------------------------------------------------------ internals

    def _spawn(self, source: Source, urls: list[str] | None) -> _Child:
        run_source_id = runs.start_source(self.db, self.run_id, source.id)
        workdir = self.log_dir / f"{source.id or 'adhoc'}.job"
        workdir.mkdir(parents=True, exist_ok=True)
        state_file = workdir / "state.json"
        state = IncrementalState.from_db(self.db, source.id or None, list(source.entry_points))
        state.save(state_file)
        log_path = self.log_dir / f"{source.id or 'adhoc'}.log"
        job = build_settings(
            self.settings,
            source,
            db_path=self.db_path,
            topics_path=self.topics_path,
            mirrors=self.mirrors,
            state_file=str(state_file),
            stats_file=str(workdir / "stats.json"),
            log_file=str(log_path),
            urls=urls,
        )
        job_file = workdir / "job.json"
        write_json_atomic(job_file, job)
        timeout = source.timeout or self.settings.crawl.timeout
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with (workdir / "stderr.txt").open("wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "crawler.crawl_process", str(job_file)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                # Its own process group: a Ctrl-C in the terminal reaches only the parent,
                # which forwards SIGTERM once, so the child stops gracefully.
                start_new_session=True,
            )
        started = time.monotonic()
        log.info(
            "crawling %s (pid %d, timeout %.0fs)", source.id or "ad-hoc URLs", proc.pid, timeout
        )
        self.observer.source_started(source.id, proc.pid, timeout)
        return _Child(
            source,
            run_source_id,
            proc,
            workdir,
            log_path,
            started,
            started + timeout,
            adhoc_urls=urls is not None,
        )

    def _progress(self) -> None:
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_SECONDS:
            return
        self._last_progress = now
        running = [
            RunningCrawl(
                source=c.source.id,
                pid=c.proc.pid,
                elapsed_s=now - c.started,
                timeout_s=c.deadline - c.started,
                stats=summarise_stats(_read_stats(c.workdir / "stats.json")),
                stopping=c.terminated_at is not None,
            )
            for c in list(self.children)
        ]
        self.observer.progress(running)

    def _reap(self) -> list[SourceOutcome]:
        finished = []
        now = time.monotonic()
        for child in list(self.children):
            code = child.proc.poll()
            if code is None:
                if self.stopping and child.terminated_at is None:
                    child.terminate(now)  # started while stop() was being called
                elif now >= child.deadline and child.terminated_at is None:
                    log.warning("%s: crawl exceeded its timeout; stopping it", child.source.id)
                    child.timed_out = True
                    child.terminate(now)
                elif child.terminated_at is not None and now - child.terminated_at > (
                    self.stop_grace if self.stopping and not child.timed_out else TERM_GRACE_SECONDS
                ):
                    log.warning("%s: crawl did not stop after SIGTERM; killing it", child.source.id)
                    child.proc.kill()
                    child.proc.wait()
                    code = child.proc.returncode
                if code is None:
                    continue
            self.children.remove(child)
            outcome = self._record(child, code)
            finished.append(outcome)
            self.observer.source_finished(outcome)
            if self.on_finish:
                self.on_finish(outcome)
        return finished

    def _record(self, child: _Child, code: int) -> SourceOutcome:
        raw = _read_stats(child.workdir / "stats.json")
        stats = summarise_stats(raw)
        stats["duration_s"] = round(time.monotonic() - child.started, 2)
        stats["log_path"] = str(child.log_path)
        stats["entry_points"] = 0 if child.adhoc_urls else len(child.source.entry_points)
        errors = {
            k.removeprefix("newswatch/errors/"): int(v)
            for k, v in raw.items()
            if k.startswith("newswatch/errors/")
        }
        reason = raw.get("finish_reason")
        if child.timed_out:
            status, stats["finish_reason"] = "timeout", "timeout"
            errors["timeout_killed"] = 1
            stats["last_error"] = (
                f"crawl exceeded its {child.deadline - child.started:.0f}s timeout and was stopped"
            )
        elif code < 0 or reason is None:
            status = "interrupted" if self.stopping else "killed"
            stats["finish_reason"] = reason or f"exit {code}"
            stats.setdefault(
                "last_error",
                _tail(child.workdir / "stderr.txt") or f"crawl process ended with status {code}",
            )
        elif reason not in OK_REASONS and reason != "shutdown":
            status = "failed"
        elif (
            not raw.get("newswatch/entry_points_ok")
            and child.source.entry_points
            and not raw.get("newswatch/article_pages")
        ):
            status = "failed"  # no entry point answered: unreachable, blocked or gone
            stats.setdefault("last_error", "no entry point answered with a readable page")
        else:
            status = "interrupted" if reason == "shutdown" else "ok"
        if status == "ok" and errors.get("storage_failed"):
            status = "failed"  # the database refused the last batch as the crawl ended
        try:
            runs.finish_source(
                self.db, child.run_source_id, status, stats, errors=errors, raw_stats=raw
            )
        except StorageError as exc:
            # The database is full or gone read-only: the outcome is still reported (the
            # console, the log), and the run fails with this error once the crawls end.
            log.error("%s: its outcome could not be recorded: %s", child.source.id, exc)
            self.storage_error = self.storage_error or exc
        return SourceOutcome(
            child.source.id, status, stats, errors, str(child.log_path), stats["duration_s"]
        )

    def _record_skipped(self, source: Source) -> SourceOutcome:
        run_source_id = runs.start_source(self.db, self.run_id, source.id)
        stats = {"finish_reason": "not started: shutting down"}
        runs.finish_source(self.db, run_source_id, "interrupted", stats)
        return SourceOutcome(source.id, "interrupted", stats)


def summarise_stats(raw: dict[str, Any]) -> dict[str, Any]:
    """run_sources columns from a crawl's raw Scrapy stats."""
    extracted = int(raw.get("newswatch/articles_extracted", 0))

    def share(name: str) -> float | None:
        return (
            round(int(raw.get(f"newswatch/coverage/{name}", 0)) / extracted, 3)
            if extracted
            else None
        )

    return {
        "requests": int(raw.get("downloader/request_count", 0)),
        "responses_304": int(raw.get("newswatch/responses_304", 0)),
        "entry_points_ok": int(raw.get("newswatch/entry_points_ok", 0)),
        "article_pages": int(raw.get("newswatch/article_pages", 0)),
        "articles_found": int(raw.get("newswatch/articles_found", 0)),
        "articles_extracted": extracted,
        "articles_new": int(raw.get("newswatch/articles_new", 0)),
        "articles_updated": int(raw.get("newswatch/articles_updated", 0)),
        "articles_unchanged": int(raw.get("newswatch/articles_unchanged", 0)),
        "parse_failures": int(raw.get("newswatch/parse_failures", 0)),
        "error_count": int(raw.get("newswatch/error_count", 0)),
        "coverage_title": share("title"),
        "coverage_published": share("published"),
        "coverage_text": share("text"),
        "finish_reason": raw.get("finish_reason"),
        "last_error": raw.get("newswatch/last_error"),
    }


def _read_stats(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _tail(path: Path, limit: int = 400) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:limit] if lines else ""
