"""Crawling on a cluster of Scrapyd nodes, with this process as the only writer.

:class:`ScrapydRunner` has :class:`crawler.runner.CrawlRunner`'s interface and outcomes;
:class:`crawler.cycle.Cycle` picks it when ``cluster.nodes`` is set. For each source it
records a ``run_sources`` row, sends the crawl to a node as a Scrapyd job
(``schedule.json``) carrying the source, the politeness settings, the mirrors and the
compact incremental state, and polls ``listjobs.json``. When a job finishes, its stats
are read from its log (:class:`crawler.extensions.StatsLog`) and its item feed is
ingested (:mod:`crawler.cluster.ingest`); the source's outcome is decided by the same
rules as a local crawl's, and validators are saved only after a clean finish.

Placement: the least busy node with a free slot (``cluster.capacity`` jobs each), not
the node where the source's last crawl failed when another can take it. A job past its
timeout is cancelled (``cancel.json``: SIGINT, then SIGKILL) and recorded as
``timeout``. A node that stops answering is declared down after a few failed polls:
its jobs are recorded as failed (``node_down``) and their sources crawled again on
another node in the same run. Jobs left open by a run that died are ingested (or
cancelled) by the next one.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crawler.cluster.egg import build_egg
from crawler.cluster.ingest import IngestError, IngestResult, ingest_feed, parse_feed
from crawler.cluster.scrapyd import JobInfo, NodeError, NodeRefused, NodeUnreachable, ScrapydNode
from crawler.config import Settings, Source
from crawler.extensions import stats_from_log
from crawler.runner import (
    OK_REASONS,
    TERM_GRACE_SECONDS,
    CrawlRunner,
    RunningCrawl,
    SourceOutcome,
    summarise_stats,
)
from crawler.scrapy_settings import build_settings
from crawler.state import IncrementalState
from crawler.store import Storer, build_storer
from storage import cluster, runs, write_transaction

log = logging.getLogger(__name__)

DOWN_AFTER_FAILURES = 3  # consecutive failed requests before a node is declared down
MISSING_POLLS = 3  # polls a job may be absent from its node's lists before it is lost
CLEAN_FINISH = ("finished",)  # validators are trusted only after these (as locally)


@dataclass
class _Node:
    client: ScrapydNode
    running: int = 0
    failures: int = 0
    down: bool = False
    refused: str | None = None  # a configuration problem: unusable for this run

    @property
    def usable(self) -> bool:
        return not self.down and self.refused is None


@dataclass
class _Task:
    """A source waiting for a node."""

    source: Source
    urls: list[str] | None
    attempt: int = 1
    tried: set[str] = field(default_factory=set)  # nodes already lost for this source
    avoid: set[str] = field(default_factory=set)  # nodes where its last crawl failed


@dataclass
class _Job:
    task: _Task
    job_id: str
    node: _Node
    run_source_id: int
    started: float
    deadline: float
    version: str | None = None  # the egg version the job asked for
    info: JobInfo | None = None
    missing: int = 0
    cancelled_at: float | None = None
    announced: bool = False  # observer told it started (once its node runs it)
    killed: bool = False
    timed_out: bool = False
    fetch_failures: int = 0


class ScrapydRunner(CrawlRunner):
    """Crawls sources as Scrapyd jobs on ``settings.cluster.nodes``; ingests their items."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        config = self.settings.cluster
        self.project = config.project
        self.capacity = max(1, config.capacity)
        self.poll_seconds = max(0.05, config.poll_seconds)
        self.nodes = [
            _Node(ScrapydNode(url, username=config.username, password=config.password))
            for url in config.nodes
        ]
        self.jobs: list[_Job] = []
        self.version: str | None = None
        self.storer: Storer | None = None
        self._turn = 0

    # ------------------------------------------------------------------ interface

    def crawl(
        self, sources: Sequence[Source], *, urls: Sequence[str] | None = None
    ) -> list[SourceOutcome]:
        """Crawl every source as a Scrapyd job and return one outcome per source."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.version = build_egg().version
        self.storer = build_storer(self.db, self.topics_path, self.settings.dedupe)
        self.recover(sources)
        pending = [self._task(s, urls) for s in sources]
        outcomes: dict[str, SourceOutcome] = {}
        while pending or self.jobs:
            self._poll(pending, outcomes)  # with stopping set, it cancels running jobs
            if self.stopping:
                for task in pending:
                    self._finish(task, self._record_skipped(task.source), outcomes)
                pending = []
            else:
                pending = self._dispatch(pending, outcomes)
            if self.jobs:
                self._progress_report()
            if self.jobs or pending:
                time.sleep(self.poll_seconds)
        order = {s.id: i for i, s in enumerate(sources)}
        return sorted(outcomes.values(), key=lambda o: order.get(o.source, len(order)))

    def stop(self, grace: float | None = None) -> None:
        """Start no more jobs; cancel running ones (SIGINT), SIGKILL after ``grace`` s.

        Only sets flags (safe in a signal handler): the crawl loop talks to the nodes.
        """
        if grace is not None:
            self.stop_grace = max(0.0, grace)
        self.stopping = True

    # ------------------------------------------------------------------ dispatch

    def _task(self, source: Source, urls: Sequence[str] | None) -> _Task:
        source_urls = [u for u in urls if source.owns(u)] if urls else None
        avoid = cluster.nodes_that_failed(self.db, source.id) if source.id else set()
        return _Task(source, source_urls, avoid=avoid)

    def _dispatch(self, pending: list[_Task], outcomes: dict[str, SourceOutcome]) -> list[_Task]:
        waiting: list[_Task] = []
        for task in pending:
            candidates = [n for n in self.nodes if n.usable and n.client.name not in task.tried]
            if not candidates:
                self._finish(task, self._record_unplaced(task), outcomes)
                continue
            node = self._pick(candidates, task)
            if node is None or not self._submit(task, node):
                waiting.append(task)
        return waiting

    def _pick(self, candidates: list[_Node], task: _Task) -> _Node | None:
        free = [n for n in candidates if n.running < self.capacity]
        if not free:
            return None
        preferred = [n for n in free if n.client.name not in task.avoid] or free
        # Least busy first; among equals, take turns so that sources spread over nodes.
        self._turn += 1
        ranked = sorted(
            preferred,
            key=lambda n: (n.running, (self.nodes.index(n) - self._turn) % len(self.nodes)),
        )
        return ranked[0]

    def _submit(self, task: _Task, node: _Node) -> bool:
        source = task.source
        job_id = _job_id(source.id)
        state, left_out = IncrementalState.for_job(
            self.db, source.id or None, list(source.entry_points)
        )
        if left_out:
            log.warning(
                "%s: %d known URLs too many to send with the job; the oldest are left out",
                source.id,
                left_out,
            )
        settings = job_settings(self.settings, source, self.mirrors, state, task.urls, job_id)
        try:
            node.client.schedule(
                self.project, job_id=job_id, settings=settings, version=self.version
            )
        except NodeRefused as exc:
            node.refused = _deploy_hint(str(exc), self.version)
            log.error("%s", node.refused)
            return False
        except NodeUnreachable as exc:
            self._node_failed(node, exc)
            return False
        node.failures = 0
        node.running += 1
        run_source_id = runs.start_source(self.db, self.run_id, source.id)
        cluster.record_dispatch(
            self.db,
            job_id,
            node=node.client.name,
            project=self.project,
            version=self.version,
            source=source.id,
            run_id=self.run_id,
            run_source_id=run_source_id,
            attempt=task.attempt,
        )
        timeout = source.timeout or self.settings.crawl.timeout
        now = time.monotonic()
        self.jobs.append(
            _Job(task, job_id, node, run_source_id, now, now + timeout, version=self.version)
        )
        log.info(
            "crawling %s on %s (job %s, timeout %.0fs)",
            source.id,
            node.client.name,
            job_id,
            timeout,
        )
        return True

    # ------------------------------------------------------------------ polling

    def _progress_report(self) -> None:
        """Running jobs for progress displays (stats arrive when a job finishes)."""
        now = time.monotonic()
        self.observer.progress(
            [
                RunningCrawl(
                    source=j.task.source.id,
                    pid=(j.info.pid or 0) if j.info else 0,
                    elapsed_s=now - j.started,
                    timeout_s=j.deadline - j.started,
                    stats=summarise_stats({}),
                    stopping=j.cancelled_at is not None,
                )
                for j in self.jobs
            ]
        )

    def _poll(self, pending: list[_Task], outcomes: dict[str, SourceOutcome]) -> None:
        for node in self.nodes:
            mine = [j for j in self.jobs if j.node is node]
            if not mine:
                continue
            try:
                known = node.client.jobs(self.project)
            except NodeError as exc:
                if self._node_failed(node, exc):
                    for job in mine:
                        self._lose(
                            job, f"node {node.client.name} is down: {exc}", pending, outcomes
                        )
                continue
            node.failures = 0
            for job in mine:
                self._check(job, known.get(job.job_id), pending, outcomes)

    def _check(
        self,
        job: _Job,
        info: JobInfo | None,
        pending: list[_Task],
        outcomes: dict[str, SourceOutcome],
    ) -> None:
        now = time.monotonic()
        if info is None:
            job.missing += 1
            if job.missing >= MISSING_POLLS:
                self._lose(
                    job,
                    f"node {job.node.client.name} no longer knows job {job.job_id} (restarted?)",
                    pending,
                    outcomes,
                )
            return
        job.missing = 0
        job.info = info
        if not job.announced and info.state != "pending":
            job.announced = True
            self.observer.source_started(
                job.task.source.id, info.pid or 0, job.deadline - job.started
            )
        if info.state == "finished":
            self._complete(job, outcomes)
            return
        if job.cancelled_at is None and now >= job.deadline:
            log.warning(
                "%s: job %s exceeded its timeout; cancelling it", job.task.source.id, job.job_id
            )
            job.timed_out = True
            self._cancel(job, "INT", outcomes)
        elif self.stopping and job.cancelled_at is None:
            self._cancel(job, "INT", outcomes)
        elif job.cancelled_at is not None and not job.killed:
            grace = self.stop_grace if self.stopping and not job.timed_out else TERM_GRACE_SECONDS
            if now - job.cancelled_at > grace:
                log.warning("%s: job %s did not stop; killing it", job.task.source.id, job.job_id)
                self._cancel(job, "KILL", outcomes)
                job.killed = True

    def _cancel(self, job: _Job, signal: str, outcomes: dict[str, SourceOutcome]) -> None:
        try:
            previous = job.node.client.cancel(self.project, job.job_id, signal=signal)
        except NodeError as exc:
            log.warning("cancelling job %s: %s", job.job_id, exc)
            return
        if job.cancelled_at is None:
            job.cancelled_at = time.monotonic()
            cluster.mark_cancelled(self.db, job.job_id)
        if previous == "pending":  # it never started: nothing to ingest
            self._complete(job, outcomes, never_started=True)

    def _node_failed(self, node: _Node, exc: Exception) -> bool:
        """Count a failed request; True when the node is now declared down."""
        node.failures += 1
        log.warning("%s (failure %d of %d)", exc, node.failures, DOWN_AFTER_FAILURES)
        if node.failures >= DOWN_AFTER_FAILURES and not node.down:
            node.down = True
            log.error("Scrapyd node %s is down; its sources go to other nodes", node.client.name)
            return True
        return False

    # ------------------------------------------------------------------ outcomes

    def _lose(
        self, job: _Job, reason: str, pending: list[_Task], outcomes: dict[str, SourceOutcome]
    ) -> None:
        """The job's node is gone: record the attempt, crawl the source elsewhere."""
        self.jobs.remove(job)
        job.node.running -= 1
        cluster.mark_lost(self.db, job.job_id, reason)
        stats = {
            "finish_reason": "node_down",
            "last_error": reason,
            "duration_s": round(time.monotonic() - job.started, 2),
        }
        runs.finish_source(self.db, job.run_source_id, "failed", stats, errors={"node_down": 1})
        task = job.task
        task.tried.add(job.node.client.name)
        if self.stopping:
            outcome = SourceOutcome(task.source.id, "interrupted", stats)
            self._finish(task, outcome, outcomes)
            return
        log.warning("%s: %s; crawling it again on another node", task.source.id, reason)
        pending.insert(0, _Task(task.source, task.urls, task.attempt + 1, task.tried, task.avoid))

    def _complete(
        self, job: _Job, outcomes: dict[str, SourceOutcome], *, never_started: bool = False
    ) -> None:
        """The job finished: read its stats and log, ingest its items, record the outcome."""
        cluster.mark_finished(self.db, job.job_id)
        ingest_error: str | None = None
        try:
            raw, log_path = ({}, None) if never_started else self._fetch_stats(job)
            self._check_code(job, raw)
            result = None if never_started else self._ingest(job, raw)
        except NodeUnreachable as exc:
            job.fetch_failures += 1
            if job.fetch_failures < DOWN_AFTER_FAILURES:
                log.warning("%s: %s; will try again", job.task.source.id, exc)
                return  # stays in self.jobs: the next poll tries again
            raw, log_path, result = {}, None, None
            ingest_error = f"cannot read the job's results: {exc}"
        except (IngestError, NodeRefused) as exc:
            raw, log_path, result = {}, None, None
            ingest_error = str(exc)
        self.jobs.remove(job)
        job.node.running -= 1
        outcome = self._record_job(job, raw, result, log_path, ingest_error)
        self._finish(job.task, outcome, outcomes)

    def _fetch_stats(self, job: _Job) -> tuple[dict[str, Any], str | None]:
        info = job.info
        if info is None or not info.log_url:
            return {}, None
        text = job.node.client.fetch(info.log_url)
        if text is None:
            return {}, None
        path = self.log_dir / f"{job.task.source.id or 'adhoc'}.log"
        path.write_bytes(text)
        return stats_from_log(text.decode("utf-8", errors="replace")), str(path)

    def _check_code(self, job: _Job, raw: dict[str, Any]) -> None:
        """Refuse items produced by code other than the version the job asked for."""
        ran = raw.get("newswatch/code_version")
        if ran and job.version and ran != job.version:
            raise IngestError(
                f"node {job.node.client.name} ran newswatch code {ran}, not the deployed "
                f"{job.version}: a newswatch installed there shadows the egg; install the "
                "writer's newswatch version on the node (or remove it there) and deploy again"
            )

    def _ingest(self, job: _Job, raw: dict[str, Any]) -> IngestResult | None:
        info = job.info
        if info is None or not info.items_url:
            # Scrapyd lists no items URL when the file does not exist. A crawl that got
            # as far as closing its spider always has one (FEED_STORE_EMPTY), unless
            # the node keeps no feeds; one cancelled or killed while starting has none.
            if raw.get("finish_reason") is None:
                return None
            raise IngestError(
                f"node {job.node.client.name} keeps no item feeds: set items_dir in its "
                "scrapyd.conf"
            )
        data = job.node.client.fetch(info.items_url)
        if data is None:
            raise IngestError(
                f"the item feed of job {job.job_id} is gone from {job.node.client.name} "
                "(raise jobs_to_keep in its scrapyd.conf)"
            )
        assert self.storer is not None
        return ingest_feed(self.db, self.storer, job.job_id, parse_feed(data))

    def _record_job(
        self,
        job: _Job,
        raw: dict[str, Any],
        result: IngestResult | None,
        log_path: str | None,
        ingest_error: str | None,
    ) -> SourceOutcome:
        raw = dict(raw)
        if result is not None:
            raw["newswatch/articles_new"] = result.new
            raw["newswatch/articles_updated"] = result.updated
            raw["newswatch/articles_unchanged"] = result.unchanged
            for name, have in result.coverage.items():
                raw[f"newswatch/coverage/{name}"] = have
        stats = summarise_stats(raw)
        stats["duration_s"] = round(time.monotonic() - job.started, 2)
        stats["log_path"] = log_path
        stats["entry_points"] = 0 if job.task.urls else len(job.task.source.entry_points)
        errors = {
            k.removeprefix("newswatch/errors/"): int(v)
            for k, v in raw.items()
            if k.startswith("newswatch/errors/")
        }
        if result is not None and result.errors:
            for kind, count in result.errors.items():
                errors[kind] = errors.get(kind, 0) + count
        status = self._status(job, raw, stats, errors, ingest_error)
        clean = status == "ok" and raw.get("finish_reason") in CLEAN_FINISH
        with write_transaction(self.db):
            saved = 0
            if clean and result is not None and result.validators and self.storer is not None:
                saved = self.storer.save_validators(result.validators, job.task.source.id or None)
            runs.finish_source(
                self.db, job.run_source_id, status, stats, errors=errors, raw_stats=raw
            )
            cluster.finish_ingest(
                self.db,
                job.job_id,
                outcome=status,
                validators_saved=saved,
                error=stats.get("last_error") if status != "ok" else None,
            )
        return SourceOutcome(
            job.task.source.id, status, stats, errors, log_path, stats["duration_s"]
        )

    def _status(
        self,
        job: _Job,
        raw: dict[str, Any],
        stats: dict[str, Any],
        errors: dict[str, int],
        ingest_error: str | None,
    ) -> str:
        """The same rules as a local crawl's (crawler.runner.CrawlRunner._record)."""
        reason = raw.get("finish_reason")
        source = job.task.source
        if ingest_error:
            stats["last_error"] = ingest_error
            errors["ingest"] = errors.get("ingest", 0) + 1
            return "failed"
        if job.timed_out:
            stats["finish_reason"] = "timeout"
            errors["timeout_killed"] = 1
            stats["last_error"] = (
                f"crawl exceeded its {job.deadline - job.started:.0f}s timeout and was cancelled"
            )
            return "timeout"
        if reason is None:
            stats["finish_reason"] = "cancelled before it started" if self.stopping else "no stats"
            stats.setdefault("last_error", None)
            if not stats["last_error"]:
                stats["last_error"] = (
                    f"job {job.job_id} on {job.node.client.name} ended without reporting its "
                    "stats (killed?)"
                )
            return "interrupted" if self.stopping else "killed"
        if reason not in OK_REASONS and reason != "shutdown":
            return "failed"
        if (
            not raw.get("newswatch/entry_points_ok")
            and source.entry_points
            and not raw.get("newswatch/article_pages")
            and not job.task.urls
        ):
            stats.setdefault("last_error", None)
            stats["last_error"] = stats["last_error"] or "no entry point answered"
            return "failed"
        return "interrupted" if reason == "shutdown" else "ok"

    def _record_unplaced(self, task: _Task) -> SourceOutcome:
        reasons = [n.refused or f"{n.client.name} is down" for n in self.nodes if not n.usable]
        message = "no Scrapyd node could take the crawl: " + "; ".join(
            reasons or ["none configured"]
        )
        run_source_id = runs.start_source(self.db, self.run_id, task.source.id)
        stats = {"finish_reason": "not dispatched", "last_error": message[:500]}
        runs.finish_source(self.db, run_source_id, "failed", stats, errors={"no_node": 1})
        return SourceOutcome(task.source.id, "failed", stats, {"no_node": 1})

    def _finish(
        self, task: _Task, outcome: SourceOutcome, outcomes: dict[str, SourceOutcome]
    ) -> None:
        outcomes[task.source.id] = outcome
        self.observer.source_finished(outcome)
        if self.on_finish:
            self.on_finish(outcome)

    # ------------------------------------------------------------------ recovery

    def recover(self, sources: Sequence[Source] = ()) -> int:
        """Finish what runs that died left open: ingest finished jobs, cancel running ones.

        Returns the number of jobs ingested. Nodes that do not answer are left for the
        next run; jobs their node no longer knows are marked lost.
        """
        orphans = cluster.orphaned_jobs(self.db)
        if not orphans:
            return 0
        clients = {n.client.name: n.client for n in self.nodes}
        by_id = {s.id: s for s in sources}
        listings: dict[str, dict[str, JobInfo] | None] = {}
        ingested = 0
        for row in orphans:
            client = clients.get(row["node"]) or self._client(row["node"])
            if row["node"] not in listings:
                try:
                    listings[row["node"]] = client.jobs(row["project"])
                except NodeError as exc:
                    log.warning("cannot recover jobs on %s yet: %s", row["node"], exc)
                    listings[row["node"]] = None
            known = listings[row["node"]]
            if known is None:
                continue
            info = known.get(row["job_id"])
            if info is None:
                cluster.mark_lost(self.db, row["job_id"], "its node no longer knows it")
            elif info.state != "finished":
                log.warning("cancelling job %s left running by an earlier run", row["job_id"])
                try:
                    client.cancel(row["project"], row["job_id"])
                except NodeError as exc:
                    log.warning("%s", exc)
            else:
                source = by_id.get(row["source"]) or Source(row["source"], row["source"], "")
                ingested += self._recover_one(row, source, client, info)
        return ingested

    def _recover_one(
        self, row: dict[str, Any], source: Source, client: ScrapydNode, info: JobInfo
    ) -> int:
        now = time.monotonic()
        node = _Node(client, running=1)
        job = _Job(_Task(source, None), row["job_id"], node, row["run_source_id"], now, now)
        job.info, job.version = info, row["version"]
        self.jobs.append(job)
        self._complete(job, {})
        if job in self.jobs:  # its node stopped answering meanwhile: next run
            self.jobs.remove(job)
            return 0
        log.info("ingested job %s (%s) left by an earlier run", row["job_id"], row["source"])
        return 1

    def _client(self, url: str) -> ScrapydNode:
        config = self.settings.cluster
        return ScrapydNode(url, username=config.username, password=config.password)


# --------------------------------------------------------------------------- job settings


def job_settings(
    settings: Settings,
    source: Source,
    mirrors: Sequence[str],
    state: IncrementalState,
    urls: Sequence[str] | None,
    job_id: str,
) -> dict[str, str]:
    """The Scrapy settings of a cluster job, as the strings ``schedule.json`` takes.

    The same settings a local crawl gets, minus the database and topics (workers never
    write), plus the inline state, stats in the log, and an item feed even when empty.
    """
    values = build_settings(
        settings,
        source,
        db_path=None,
        topics_path=None,
        mirrors=list(mirrors),
        urls=list(urls) if urls else None,
    )
    values.update(
        NEWSWATCH_STATS_LOG=True,
        NEWSWATCH_JOB_ID=job_id,
        LOG_LEVEL="INFO",
        FEED_STORE_EMPTY=True,
    )
    values.update(state.to_settings())
    return {key: _setting_text(value) for key, value in values.items() if value is not None}


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _job_id(source_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", source_id or "adhoc")
    return f"{safe}-{uuid.uuid4().hex[:16]}"


def _deploy_hint(message: str, version: str | None) -> str:
    if "not found" in message:
        return (
            f"{message}: this newswatch's code (version {version}) is not deployed there; "
            "run `newswatch cluster deploy`"
        )
    return message
