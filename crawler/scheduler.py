"""The scheduler daemon behind ``newswatch schedule``.

APScheduler 3 (``BlockingScheduler``, in-memory job store: the jobs come from the
configuration every time the daemon starts):

* one crawl job per distinct cron expression: ``schedule.crawl`` for every enabled
  source without its own ``schedule``, one job per override;
* one digest job on ``schedule.digest``;
* a catch-up job at start: sources whose last successful crawl is older than their
  period (and missed a fire time since) are crawled now, and a digest slot missed while
  the daemon was down is delivered now.

Jobs run one at a time (a single worker thread) with ``coalesce`` and
``max_instances=1``, and a misfire grace of ``schedule.misfire_grace_minutes``. Each job
takes the same :class:`~crawler.lock.RunLock` as ``newswatch run``, so cron and the
daemon never overlap: a job that finds the lock held logs it and records a ``skipped``
run. A crawl job skips sources already crawled successfully since the fire time it
serves (by the catch-up, or by a cron ``newswatch run``).

SIGTERM/SIGINT: no new jobs; the running crawl gets SIGTERM forwarded to its crawl
processes and ``schedule.shutdown_grace_seconds`` to finish (then they are killed); its
outcome is recorded; :meth:`Scheduler.run` returns 0. A second signal kills the crawl
processes at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger

from crawler.config import Settings, Source
from crawler.cron import crontab_trigger, missed, next_fire, period, previous_fire
from crawler.cycle import Cycle, CycleObserver
from crawler.lock import LockHeld, RunLock, lock_path_for
from storage import connect, runs

log = logging.getLogger(__name__)

DAEMON_KIND = "schedule"
SCHEDULED_KIND = "scheduled"
CATCH_UP_KIND = "catch-up"
DIGEST_KIND = "digest"
# Beyond the shutdown grace: time for the runner to kill, reap and record its crawls.
RECORD_MARGIN_SECONDS = 15.0
# A catch-up that finds another run holding the lock tries again this much later.
CATCH_UP_RETRY = timedelta(minutes=5)


# --------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: crawl ``sources`` on ``cron``, or the digest."""

    id: str
    kind: str  # "crawl" | "digest"
    cron: str
    sources: tuple[str, ...] = ()


def plan_jobs(settings: Settings, sources: Iterable[Source]) -> list[JobSpec]:
    """The jobs the configuration asks for (enabled sources only)."""
    groups: dict[str, list[str]] = {}
    for source in sources:
        if source.enabled:
            groups.setdefault(source.schedule or settings.schedule.crawl, []).append(source.id)
    specs = [JobSpec(f"crawl [{expr}]", "crawl", expr, tuple(ids)) for expr, ids in groups.items()]
    specs.append(JobSpec("digest", "digest", settings.schedule.digest))
    return specs


@dataclass
class CatchUp:
    """What the daemon does at start to make up for time it was down."""

    sources: list[str] = field(default_factory=list)
    digest: bool = False
    reasons: list[str] = field(default_factory=list)


def plan_catch_up(
    db: sqlite_utils.Database,
    specs: Sequence[JobSpec],
    now: datetime,
    timezone: str,
    *,
    triggers: Mapping[str, BaseTrigger] | None = None,
) -> CatchUp:
    """Sources overdue for a crawl, and whether a digest slot was missed, as of ``now``.

    A source is overdue when it was never crawled successfully, or when its last
    successful crawl is older than its period (the time between two fire times of its
    cron) and a fire time passed since. A digest is due when a digest fire time passed
    since the last digest that was done (or, if there never was one, since the
    database's first recorded run).
    """
    triggers = triggers or {}
    plan = CatchUp()
    last = runs.last_successes(db)
    for spec in specs:
        trigger = triggers.get(spec.id) or crontab_trigger(spec.cron, timezone)
        if spec.kind == "digest":
            since = runs.last_digest(db) or runs.first_activity(db)
            if since is not None and missed(trigger, since, now):
                plan.digest = True
                local = since.astimezone(ZoneInfo(timezone))
                plan.reasons.append(f"digest: a slot ({spec.cron}) passed since {local:%F %T%z}")
            continue
        gap = period(trigger, now)
        for source in spec.sources:
            done = last.get(source)
            if done is None:
                plan.sources.append(source)
                plan.reasons.append(f"{source}: never crawled successfully")
            elif gap is not None and now - done > gap and missed(trigger, done, now):
                plan.sources.append(source)
                age = _human(now - done)
                plan.reasons.append(f"{source}: last success {age} ago (period {_human(gap)})")
    return plan


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


# --------------------------------------------------------------------------- the daemon


class Scheduler:
    """Runs the jobs of :func:`plan_jobs` until :meth:`stop` (or SIGTERM/SIGINT)."""

    def __init__(
        self,
        settings: Settings,
        sources: Mapping[str, Source],
        *,
        topics_path: str | None,
        mirrors: Sequence[str] = (),
        observer: CycleObserver | None = None,
        health: Callable[[sqlite_utils.Database], Sequence[Any]] | None = None,
        triggers: Mapping[str, BaseTrigger] | None = None,
        catch_up_retry: timedelta = CATCH_UP_RETRY,
    ) -> None:
        """``triggers`` replaces the cron trigger of the job ids given (tests use short
        intervals); ``health(db)`` gives the digest's health rows; ``catch_up_retry`` is
        how long a catch-up that found the lock held waits before trying again."""
        self.settings = settings
        self.sources = dict(sources)
        self.topics_path = topics_path
        self.mirrors = list(mirrors)
        self.observer = observer
        self.health = health
        self.catch_up_retry = catch_up_retry
        self.tz = ZoneInfo(settings.schedule.timezone)
        self.specs = plan_jobs(settings, self.sources.values())
        self.triggers = {
            spec.id: (triggers or {}).get(spec.id) or crontab_trigger(spec.cron, self.tz)
            for spec in self.specs
        }
        self.scheduler = BlockingScheduler(
            timezone=self.tz,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(settings.schedule.misfire_grace_minutes * 60),
            },
        )
        self.jobs_run = 0
        self.signals_received = 0
        self._stopping = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._done = threading.Event()
        self._state = threading.Lock()
        self._cycle: Cycle | None = None

    # ------------------------------------------------------------------ lifecycle

    def run(self, *, catch_up: bool = True, handle_signals: bool = True) -> int:
        """Run until stopped; returns the exit status (0 after a clean stop)."""
        db = self._connect()
        try:
            runs.interrupt_stale_runs(db)
            daemon_run = runs.start_run(db, DAEMON_KIND, [s for j in self.specs for s in j.sources])
        finally:
            db.close()
        for spec in self.specs:
            self.scheduler.add_job(
                self._job, self.triggers[spec.id], args=[spec], id=spec.id, name=spec.id
            )
        if catch_up:
            self.scheduler.add_job(
                self._catch_up,
                "date",
                id=CATCH_UP_KIND,
                name=CATCH_UP_KIND,
                next_run_time=datetime.now(self.tz),
            )
        previous = self._install_signals() if handle_signals else {}
        try:
            self._log_jobs()
            if not self._stopping.is_set():
                self.scheduler.start()  # returns once stop() has shut the scheduler down
            clean = self._drain()
        finally:
            self._done.set()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        db = self._connect()
        try:
            note = f"jobs run: {self.jobs_run}; " + ("stopped" if clean else "a job did not finish")
            runs.finish_run(db, daemon_run, "ok" if clean else "interrupted", note)
        finally:
            db.close()
        return 0 if clean else 1

    def stop(self, *, grace: float | None = None) -> None:
        """Take no new jobs; ask the running crawl to finish within ``grace`` seconds."""
        grace = self.settings.schedule.shutdown_grace_seconds if grace is None else grace
        with self._state:
            first = not self._stopping.is_set()
            self._stopping.set()
            cycle = self._cycle
        if cycle is not None:
            cycle.stop(grace)
        if first:
            # Not from this (possibly signal-handling) thread: the main loop may hold the
            # scheduler's locks right now; a helper thread waits for them.
            threading.Thread(target=self._shut_down, daemon=True).start()

    def _shut_down(self) -> None:
        while not self._done.is_set():
            try:
                self.scheduler.shutdown(wait=False)
                return
            except SchedulerNotRunningError:  # stopped before it started: wait for start()
                self._done.wait(0.05)

    def _drain(self) -> bool:
        """After shutdown: wait for the running job (grace + margin); True when it ended."""
        bound = self.settings.schedule.shutdown_grace_seconds + RECORD_MARGIN_SECONDS
        if self._idle.wait(bound):
            log.info("scheduler stopped")
            return True
        log.error("a job was still running %.0fs after the stop request; exiting anyway", bound)
        return False

    def _install_signals(self) -> dict[int, Any]:
        def handler(signum: int, frame: FrameType | None) -> None:
            self.signals_received += 1
            name = signal.Signals(signum).name
            if self.signals_received == 1:
                log.warning(
                    "received %s: taking no new jobs, letting the running one finish (%.0fs)",
                    name,
                    self.settings.schedule.shutdown_grace_seconds,
                )
                self.stop()
            else:
                log.warning("received %s again: killing running crawls now", name)
                self.stop(grace=0)

        return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

    def _log_jobs(self) -> None:
        now = datetime.now(self.tz)
        for spec in self.specs:
            fire = next_fire(self.triggers[spec.id], now)
            what = ", ".join(spec.sources) if spec.sources else "the digest"
            log.info("job %s: %s; next at %s", spec.id, what, f"{fire:%F %T%z}" if fire else "-")

    # ------------------------------------------------------------------ jobs

    def _job(self, spec: JobSpec) -> None:
        """A scheduled job (APScheduler calls it in the worker thread)."""
        self._guarded(spec.kind if spec.kind == DIGEST_KIND else SCHEDULED_KIND, spec)

    def _catch_up(self) -> None:
        self._guarded(CATCH_UP_KIND, None)

    def _guarded(self, kind: str, spec: JobSpec | None) -> None:
        """Run one job under the run lock, unless stopping; never raises."""
        with self._state:
            if self._stopping.is_set():
                return
            self._idle.clear()
        db: sqlite_utils.Database | None = None
        try:
            db = self._connect()
            lock = RunLock(lock_path_for(self.settings.storage.path))
            try:
                lock.acquire()
            except LockHeld as exc:
                self._skipped(db, kind, spec, exc)
                return
            try:
                self.jobs_run += 1
                if kind == CATCH_UP_KIND:
                    self._do_catch_up(db)
                elif kind == DIGEST_KIND:
                    self._digest(db)
                elif spec is not None:
                    self._crawl(db, spec)
            finally:
                lock.release()
        except Exception:
            # The daemon outlives a failing job; the run it recorded says what failed.
            log.exception("%s job failed", kind)
        finally:
            if db is not None:
                db.close()
            with self._state:
                self._cycle = None
            self._idle.set()

    def _skipped(
        self, db: sqlite_utils.Database, kind: str, spec: JobSpec | None, exc: LockHeld
    ) -> None:
        """Another run holds the lock: record the skip; a catch-up tries again later."""
        runs.record_run(db, kind, "skipped", str(exc), sources=spec.sources if spec else ())
        if kind != CATCH_UP_KIND:
            log.warning("%s job skipped: %s", kind, exc)
            return
        retry = datetime.now(self.tz) + self.catch_up_retry
        log.warning("catch-up skipped: %s; trying again at %s", exc, f"{retry:%H:%M:%S}")
        self.scheduler.add_job(
            self._catch_up, "date", run_date=retry, id=CATCH_UP_KIND, replace_existing=True
        )

    def _crawl(self, db: sqlite_utils.Database, spec: JobSpec) -> None:
        slot = previous_fire(self.triggers[spec.id], datetime.now(self.tz))
        fresh = runs.last_successes(db)
        due = [
            s
            for s in spec.sources
            if s in self.sources and (slot is None or s not in fresh or fresh[s] < slot)
        ]
        if not due:
            log.info("job %s: every source was crawled since %s; nothing to do", spec.id, slot)
            return
        self._cycle_run(db, [self.sources[s] for s in due], SCHEDULED_KIND)

    def _digest(self, db: sqlite_utils.Database) -> None:
        cycle = self._new_cycle(db)
        if cycle is None:
            return
        run_id, report = cycle.digest(self._health_rows(db))
        log.info("digest (run %d): %s", run_id, getattr(report, "summary", lambda: "done")())

    def _do_catch_up(self, db: sqlite_utils.Database) -> None:
        plan = plan_catch_up(
            db,
            self.specs,
            datetime.now(self.tz),
            self.settings.schedule.timezone,
            triggers=self.triggers,
        )
        for reason in plan.reasons:
            log.info("catch-up: %s", reason)
        if not plan.sources and not plan.digest:
            log.info("catch-up: nothing was missed")
            return
        if plan.sources:
            report = self._cycle_run(db, [self.sources[s] for s in plan.sources], CATCH_UP_KIND)
            if report is None or report.status == "interrupted":
                return
        if plan.digest:
            self._digest(db)

    def _cycle_run(self, db: sqlite_utils.Database, sources: list[Source], kind: str) -> Any:
        cycle = self._new_cycle(db)
        if cycle is None:
            return None
        report = cycle.run(sources, kind=kind, digest=False)
        if self.observer is None:  # an observer logs the outcome itself, into run.log too
            log.info("run %d (%s) %s", report.run_id, kind, report.status)
        return report

    def _new_cycle(self, db: sqlite_utils.Database) -> Cycle | None:
        cycle = Cycle(
            db,
            self.settings,
            topics_path=self.topics_path,
            mirrors=self.mirrors,
            observer=self.observer,
        )
        with self._state:
            if self._stopping.is_set():
                return None
            self._cycle = cycle
        return cycle

    def _health_rows(self, db: sqlite_utils.Database) -> Callable[[], Sequence[Any]]:
        health = self.health
        return (lambda: health(db)) if health is not None else (lambda: ())

    def _connect(self) -> sqlite_utils.Database:
        return connect(self.settings.storage.path, timeout=self.settings.storage.timeout)
