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
from crawler.runner import CrawlRunner, SourceOutcome
from storage import runs

log = logging.getLogger(__name__)


@dataclass
class CycleReport:
    run_id: int
    kind: str
    status: str  # ok | partial | failed | interrupted
    outcomes: list[SourceOutcome] = field(default_factory=list)
    digest: Any = None  # crawler.digest.DigestReport when a digest step ran
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
    ) -> None:
        self.db = db
        self.settings = settings
        self.topics_path = topics_path
        self.mirrors = list(mirrors)
        self.on_source_done = on_source_done
        self.runner: CrawlRunner | None = None

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
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        log_dir = Path(self.settings.crawl.log_dir) / f"run-{run_id}-{stamp}"
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
        )
        report = CycleReport(run_id, kind, "failed", log_dir=log_dir)
        try:
            report.outcomes = self.runner.crawl(sources, urls=urls)
            interrupted = self.runner.stopping
            if digest and not interrupted:
                report.digest = self._digest(health() if health else ())
            report.status = run_status(report.outcomes, interrupted)
        finally:
            note = _note(report)
            runs.finish_run(self.db, run_id, report.status, note)
        return report

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()

    def _digest(self, health: Sequence[Any]) -> Any:
        from crawler.digest import run_digest

        return run_digest(self.db, self.settings, health=health)


def _note(report: CycleReport) -> str:
    failed = ", ".join(f"{o.source} {o.status}" for o in report.failed)
    parts = [f"{len(report.outcomes)} sources", f"{report.new_articles} new articles"]
    if failed:
        parts.append(f"not ok: {failed}")
    if report.digest is not None and hasattr(report.digest, "summary"):
        parts.append(report.digest.summary())
    return "; ".join(parts)
