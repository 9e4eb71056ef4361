"""Processes for scheduling tests: a lock holder, the daemon, bounded waits."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HOLD = textwrap.dedent(
    """
    import sys, time
    from crawler.lock import LockHeld, RunLock
    lock = RunLock(sys.argv[1])
    for _ in range(1200):  # wait for a running job to let go, up to a minute
        try:
            lock.acquire()
            break
        except LockHeld:
            time.sleep(0.05)
    print("LOCKED", flush=True)
    time.sleep(120)
    """
)


@contextmanager
def lock_holder(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the run lock at ``path`` until the block ends (or it is killed)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "LOCKED"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def wait_for(condition: Callable[[], Any], what: str, bound: float = 60.0) -> Any:
    """Poll ``condition`` until it is truthy; fail naming ``what`` if it never is."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


class Daemon:
    """`newswatch schedule` in a subprocess; its console log goes to a file."""

    def __init__(self, config: Path, log: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        self.log_path = log
        self._log = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crawler", "--config", str(config), "schedule", *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def wait_log(self, text: str, bound: float = 60.0) -> None:
        wait_for(
            lambda: text in self.log() or self.proc.poll() is not None,
            f"{text!r} in the daemon log",
            bound,
        )
        assert text in self.log(), self.log()

    def stop(self, signal_number: int, bound: float = 90.0) -> int:
        self.proc.send_signal(signal_number)
        try:
            return self.proc.wait(timeout=bound)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()


@contextmanager
def daemon(config: Path, log: Path, *args: str) -> Iterator[Daemon]:
    process = Daemon(config, log, *args)
    try:
        yield process
    finally:
        process.kill()


def processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text`` (e.g. a test's tmp dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found
