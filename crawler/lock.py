"""An inter-process lock so that two runs never overlap.

``fcntl.flock`` on a lock file next to the database: the kernel releases it when the
holder exits, however it exits, so a lock left by a killed process never blocks the
next run. The file holds the holder's pid and start time, for the message.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType


class LockHeld(Exception):
    """Another process holds the lock; the message names it."""


class RunLock:
    """An exclusive, non-blocking lock on ``path``; ``holder`` names its kind in messages."""

    def __init__(self, path: str | os.PathLike[str], holder: str = "newswatch run") -> None:
        self.path = Path(path)
        self.holder = holder
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise LockHeld(
                f"another {self.holder} is active ({holder}); lock file {self.path}"
            ) from None
        os.ftruncate(fd, 0)
        os.write(
            fd, json.dumps({"pid": os.getpid(), "since": datetime.now(UTC).isoformat()}).encode()
        )
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {data.get('pid', '?')} since {data.get('since', '?')}"
    except (OSError, ValueError):
        return "holder unknown"


def lock_path_for(db_path: str | os.PathLike[str]) -> Path:
    """The lock file that guards runs writing to ``db_path``."""
    return Path(f"{db_path}.lock")
