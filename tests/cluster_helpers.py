"""Real Scrapyd servers on loopback ports, and a gate that holds requests, for tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

STARTUP_LIMIT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class ScrapydServer:
    url: str
    home: Path
    process: subprocess.Popen[bytes]

    def api(self, endpoint: str, **params: str) -> dict[str, Any]:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        with _opener().open(f"{self.url}/{endpoint}?{query}", timeout=10) as response:
            return dict(json.loads(response.read()))

    def jobs(self, project: str = "newswatch") -> dict[str, list[dict[str, Any]]]:
        return self.api("listjobs.json", project=project)  # type: ignore[return-value]

    def kill(self) -> None:
        """Stop the node and every crawl it runs, at once (a machine going down)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@contextmanager
def scrapyd_server(workdir: Path, name: str, *, max_proc: int = 2) -> Iterator[ScrapydServer]:
    """A Scrapyd subprocess with its own folders and scrapyd.conf (read from its CWD)."""
    home = workdir / name
    home.mkdir(parents=True)
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"items_dir = {home / 'items'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        f"max_proc = {max_proc}\n"
        "poll_interval = 0.2\n"
        "jobs_to_keep = 100\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    with (home / "scrapyd.out").open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"],
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its crawl processes share its group: kill() ends all
        )
    server = ScrapydServer(f"http://127.0.0.1:{port}", home, process)
    try:
        _wait_until_up(server)
        yield server
    finally:
        server.kill()


def _wait_until_up(server: ScrapydServer) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            if server.api("daemonstatus.json").get("status") == "ok":
                return
        except OSError:
            time.sleep(0.1)
    output = (server.home / "scrapyd.out").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"Scrapyd did not start on {server.url}:\n{output}")


def wait_for(predicate: Any, what: str, limit: float = 120.0) -> Any:
    """Poll ``predicate`` until it returns something truthy (fails the test past ``limit``)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


class Gate:
    """A loopback proxy in front of the replica server that holds every request until
    :meth:`open` is called; then it forwards them (and all later ones) unchanged."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.opened = threading.Event()
        self.held = 0
        self.lock = threading.Lock()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with gate.lock:
                    gate.held += 1
                gate.opened.wait(timeout=120)
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
                }
                request = urllib.request.Request(gate.upstream + self.path, headers=headers)
                try:
                    with _opener().open(request, timeout=30) as response:
                        status, body, reply = response.status, response.read(), response.headers
                except urllib.error.HTTPError as exc:
                    status, body, reply = exc.code, exc.read(), exc.headers
                self.send_response(status)
                for key, value in reply.items():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def open(self) -> None:
        self.opened.set()

    def close(self) -> None:
        self.opened.set()
        self.server.shutdown()
        self.server.server_close()

    def mirrors(self, replica_mirrors: list[str]) -> list[str]:
        """The replica's ``host=base`` mirrors, pointed through the gate."""
        out = []
        for mirror in replica_mirrors:
            host, _, base = mirror.partition("=")
            path = base.split("/", 3)[3] if base.count("/") >= 3 else ""
            out.append(f"{host}={self.url}/{path}")
        return out
