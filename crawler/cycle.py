"""The main job: crawl the sources, then build and deliver the digest.

Used by ``newswatch run`` (one cycle, for cron), ``newswatch crawl`` (crawl only),
``newswatch ingest`` (specific URLs) and the scheduler daemon. Crawls that write run
under the inter-process lock; a failing source is recorded and never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler.config import Settings, Source
from crawler.runner import CrawlObserver, CrawlRunner, SourceOutcome
from storage import runs

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"


@dataclass
class CycleReport:
    run_id: int
    kind: str
    status: str  # ok | partial | failed | interrupted
    outcomes: list[SourceOutcome] = field(default_factory=list)
    digest: Any = None  # crawler.digest.DigestReport when a digest step ran
    digest_run_id: int | None = None  # its crawl_runs row (kind "digest")
    log_dir: Path | None = None

    @property
    def new_articles(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def failed(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status != "ok"]


def run_status(outcomes: Sequence[SourceOutcome], interrupted: bool = False) -> str:
    if interrupted:
        return "interrupted"
    if not outcomes:
        return "ok"
    ok = sum(o.status == "ok" for o in outcomes)
    if ok == len(outcomes):
        return "ok"
    return "partial" if ok else "failed"


class CycleObserver(CrawlObserver):
    """A runner observer that also hears when a run starts and ends (e.g. to open and
    close the run's own log file, or to draw a progress display)."""

    def run_started(self, run_id: int, kind: str, log_dir: Path, sources: Sequence[str]) -> None:
        """The run was recorded and its log folder chosen (not yet created)."""

    def run_finished(self, report: CycleReport) -> None:
        """The run's outcome was recorded (also after an exception)."""


class Cycle:
    """One run: crawl ``sources`` in child processes, optionally deliver the digest."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        settings: Settings,
        *,
        topics_path: str | None,
        mirrors: Sequence[str] = (),
        on_source_done: Callable[[SourceOutcome], None] | None = None,
        observer: CycleObserver | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.topics_path = topics_path
        self.mirrors = list(mirrors)
        self.on_source_done = on_source_done
        self.observer = observer or CycleObserver()
        self.runner: CrawlRunner | None = None
        self.stopping = False
        self._stop_grace: float | None = None

    def run(
        self,
        sources: Sequence[Source],
        *,
        kind: str = "run",
        digest: bool = True,
        urls: Sequence[str] | None = None,
        health: Callable[[], Sequence[Any]] | None = None,
    ) -> CycleReport:
        runs.interrupt_stale_runs(self.db)
        run_id = runs.start_run(self.db, kind, [s.id for s in sources])
        log_dir = self._log_dir(run_id)
        runner_class = CrawlRunner
        if self.settings.cluster.nodes:  # crawl on Scrapyd nodes; this process ingests
            from crawler.cluster.runner import ScrapydRunner

            runner_class = ScrapydRunner
        self.runner = runner_class(
            self.db,
            self.settings,
            db_path=str(self.settings.storage.path),
            topics_path=self.topics_path,
            run_id=run_id,
            log_dir=log_dir,
            mirrors=self.mirrors,
            on_finish=self.on_source_done,
            observer=self.observer,
        )
        if self.stopping:  # stop() came before the runner existed
            self.runner.stop(self._stop_grace)
        report = CycleReport(run_id, kind, "failed", log_dir=log_dir)
        self.observer.run_started(run_id, kind, log_dir, [s.id for s in sources])
        try:
            report.outcomes = self.runner.crawl(sources, urls=urls)
            interrupted = self.runner.stopping
            report.status = run_status(report.outcomes, interrupted)
            if digest and not interrupted:
                report.digest_run_id, report.digest = self.digest(health)
        finally:
            runs.finish_run(self.db, run_id, report.status, _note(report))
            self.observer.run_finished(report)
        return report

    def digest(
        self, health: Callable[[], Sequence[Any]] | None = None, *, out_dir: Path | None = None
    ) -> tuple[int, Any]:
        """Build and deliver the digest, recorded as its own run (kind ``digest``).

        Returns (run id, ``crawler.digest.DigestReport``). The record is how the
        scheduler tells, after downtime, whether a digest slot was missed.
        """
        from crawler.digest import run_digest

        run_id = runs.start_run(self.db, DIGEST_KIND, [])
        status, note = "failed", "digest step raised an error"
        try:
            report = run_digest(
                self.db, self.settings, health=health() if health else (), out_dir=out_dir
            )
            status = "ok" if getattr(report, "ok", True) else "partial"
            note = report.summary() if hasattr(report, "summary") else ""
        except Exception as exc:
            note = f"{type(exc).__name__}: {exc}"[:500]
            raise
        finally:
            runs.finish_run(self.db, run_id, status, note)
        return run_id, report

    def stop(self, grace: float | None = None) -> None:
        """Start no more crawls; SIGTERM running ones, killed after ``grace`` seconds."""
        self.stopping = True
        self._stop_grace = grace
        if self.runner is not None:
            self.runner.stop(grace)

    def _log_dir(self, run_id: int) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return Path(self.settings.crawl.log_dir) / f"run-{run_id}-{stamp}"


def _note(report: CycleReport) -> str:
    failed = ", ".join(f"{o.source} {o.status}" for o in report.failed)
    count, new = len(report.outcomes), report.new_articles
    parts = [
        f"{count} source{'' if count == 1 else 's'}",
        f"{new} new article{'' if new == 1 else 's'}",
    ]
    if failed:
        parts.append(f"not ok: {failed}")
    if report.digest is not None and hasattr(report.digest, "summary"):
        parts.append(report.digest.summary())
    return "; ".join(parts)
