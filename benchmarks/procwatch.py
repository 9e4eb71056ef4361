"""Run a command and report its wall time and peak memory: ``python -m benchmarks.procwatch``.

Usage: ``python -m benchmarks.procwatch OUT.json MATCH -- COMMAND...``. The command
runs as a child of this small process, so ``getrusage(RUSAGE_CHILDREN).ru_maxrss``
here is the largest peak RSS of the command and everything it started and waited for
(Linux counts waited-for grandchildren). A sampling thread also reads ``VmHWM`` (the
kernel's own high-water mark) of each descendant whose command line contains MATCH
(e.g. ``crawler.crawl_process``), which names the crawl process's peak alone.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # the command may hold spaces and parentheses: the ppid follows the last ")"
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def descendants(pid: int) -> list[int]:
    out, queue = [], [pid]
    while queue:
        children = _children(queue.pop())
        out.extend(children)
        queue.extend(children)
    return out


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Sampler(threading.Thread):
    """Tracks the VmHWM of matching descendants of ``pid`` until stopped."""

    def __init__(self, pid: int, match: str, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.match = match
        self.interval = interval
        self.peak_kb = 0
        self.sum_peak_kb = 0  # highest sampled RSS of all matching processes together
        self.samples: list[tuple[float, int]] = []  # (seconds since start, RSS kB)
        self.stopping = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self.stopping.is_set():
            rss = 0
            for child in descendants(self.pid):
                if self.match and self.match not in _cmdline(child):
                    continue
                self.peak_kb = max(self.peak_kb, _status_kb(child, "VmHWM"))
                rss += _status_kb(child, "VmRSS")
            self.sum_peak_kb = max(self.sum_peak_kb, rss)
            if rss:
                self.samples.append((round(time.monotonic() - started, 2), rss))
            self.stopping.wait(self.interval)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 4 or args[2] != "--":
        print("usage: python -m benchmarks.procwatch OUT.json MATCH -- COMMAND...", file=sys.stderr)
        return 2
    out, match, command = Path(args[0]), args[1], args[3:]
    started = time.monotonic()
    proc = subprocess.Popen(command)
    sampler = Sampler(proc.pid, match)
    sampler.start()
    code = proc.wait()
    sampler.stopping.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "returncode": code,
        "wall_s": round(time.monotonic() - started, 3),
        "maxrss_children_kb": usage.ru_maxrss,
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "matched_peak_kb": sampler.peak_kb,
        "matched_sum_peak_kb": sampler.sum_peak_kb,
        "rss_samples": sampler.samples[:: max(1, len(sampler.samples) // 200)],
    }
    out.write_text(json.dumps(result), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
