"""What a person (or a log collector) sees while runs happen, and each run's ``run.log``.

:class:`ConsoleObserver` receives a :class:`~crawler.cycle.Cycle`'s events. In a
terminal it keeps one live line at the bottom (each running crawl with its elapsed time,
requests and new articles) and prints one permanent line per finished source; when
stderr is not a terminal (cron, systemd, a pipe) it prints plain lines only: a crawl
started, a crawl ended. For the length of each run it also attaches a file handler, so
the parent process's own log lands in ``<crawl.log_dir>/run-<id>-<stamp>/run.log`` next
to the per-source crawl logs.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from crawler.cycle import CycleObserver, CycleReport
from crawler.runner import RunningCrawl, SourceOutcome

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
RUN_LOG_NAME = "run.log"


class ConsoleObserver(CycleObserver):
    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        log_level: int = logging.INFO,
        starts: bool = True,
    ) -> None:
        """``live``: draw the live line (default: when ``stream`` is a terminal).
        ``starts``: print a line when a crawl starts (without ``live``); the daemon,
        whose console already carries its log, leaves them to the log."""
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.starts = starts
        self.log_level = log_level
        self._handler: logging.Handler | None = None
        self._total = 0
        self._done = 0
        self._line = False  # a live line is on screen
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ run

    def run_started(self, run_id: int, kind: str, log_dir: Path, sources: Sequence[str]) -> None:
        self._total, self._done = len(sources), 0
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_dir / RUN_LOG_NAME, encoding="utf-8")
        handler.setLevel(self.log_level)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root = logging.getLogger()
        root.addHandler(handler)
        self._handler = handler
        if self.live:
            # A console log line must not land in the middle of the live line.
            for console in root.handlers:
                if getattr(console, "newswatch_console", False):
                    console.addFilter(self._clear_filter)
        logging.getLogger(__name__).info(
            "run %d (%s) started: %s", run_id, kind, ", ".join(sources) or "no crawl"
        )
        if sources:
            count = len(sources)
            noun = "source" if count == 1 else "sources"
            self._print(f"Run {run_id} ({kind}): crawling {count} {noun}; logs in {log_dir}")

    def run_finished(self, report: CycleReport) -> None:
        self._clear()
        ok = sum(o.status == "ok" for o in report.outcomes)
        logging.getLogger(__name__).info(
            "run %d (%s) %s: %d/%d sources ok, %d new articles",
            report.run_id,
            report.kind,
            report.status,
            ok,
            len(report.outcomes),
            report.new_articles,
        )
        root = logging.getLogger()
        for console in root.handlers:
            console.removeFilter(self._clear_filter)
        if self._handler is not None:
            root.removeHandler(self._handler)
            self._handler.close()
            self._handler = None

    # ------------------------------------------------------------------ sources

    def source_started(self, source: str, pid: int, timeout_s: float) -> None:
        if not self.live and self.starts:
            self._print(f"… {source}: crawling (pid {pid}, timeout {timeout_s:.0f}s)")

    def progress(self, running: Sequence[RunningCrawl]) -> None:
        if not self.live or not running:
            return
        parts = [_running_part(r) for r in running]
        line = f"[{self._done}/{self._total}] " + " | ".join(parts)
        with self._lock:
            self.stream.write("\r\x1b[K" + line[: _width() - 1])
            self.stream.flush()
            self._line = True

    def source_finished(self, outcome: SourceOutcome) -> None:
        self._done += 1
        self._print(outcome_line(outcome))

    # ------------------------------------------------------------------ output

    def _clear_filter(self, record: logging.LogRecord) -> bool:
        self._clear()
        return True

    def _clear(self) -> None:
        with self._lock:
            if self._line:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self._line = False

    def _print(self, text: str) -> None:
        self._clear()
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()


def outcome_line(outcome: SourceOutcome) -> str:
    """✓/✗, the counters, and for a failure its last error."""
    mark = "✓" if outcome.status == "ok" else "✗"
    line = f"{mark} {outcome.line()}"
    if outcome.status != "ok" and outcome.stats.get("last_error"):
        line += f"\n    last error: {outcome.stats['last_error']}"
    return line


def _running_part(crawl: RunningCrawl) -> str:
    s = crawl.stats
    state = " stopping" if crawl.stopping else ""
    return (
        f"{crawl.source} {crawl.elapsed_s:.0f}s{state} {s.get('requests', 0)} req "
        f"{s.get('articles_new', 0)} new"
    )


def _width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns
