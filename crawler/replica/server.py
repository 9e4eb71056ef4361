"""A loopback HTTP server for the replica sites: ``python -m crawler.replica.server``.

Each replica host is served under ``/_site/<host>/``, so one server stands in for every
source and ``--mirror <host>=http://127.0.0.1:PORT/_site/<host>`` points a real source at
it. Feeds, sitemaps and listing pages answer conditional requests (ETag,
Last-Modified) with 304 when nothing changed, like the real sites.

Admin endpoints (JSON) for tests and the demo:
``GET /_admin/requests`` (the request log), ``POST /_admin/reset`` (clear it),
``POST /_admin/publish`` (body: ``{"host": ..., "article": {...}}``),
``POST /_admin/faults`` (body: ``{"host": ..., "faults": {target: spec}}``, replaces the
site's faults; see :mod:`crawler.replica.faults`), ``GET /_admin/state``.

Started as a subprocess it binds port 0 (or ``--port``) and prints
``READY http://127.0.0.1:PORT`` on its first line.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections import Counter
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from crawler.replica import faults
from crawler.replica import site as model


class ReplicaServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, state: model.ReplicaState, *, port: int = 0, state_file: Path | None = None
    ) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state
        self.state_file = state_file
        self.lock = threading.Lock()
        self.log: list[dict[str, Any]] = []
        self.fault_hits: Counter[tuple[str, str]] = Counter()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.log.append(entry)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client giving up on a hanging or huge answer is what fault tests provoke.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: ReplicaServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log endpoint replaces stderr noise

    # ------------------------------------------------------------------ dispatch

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/_admin/"):
            self._admin(method, path)
            return
        if path.startswith("/_site/"):
            host, _, rest = path[len("/_site/") :].partition("/")
            query = urlsplit(self.path).query
            self._site(method, host, "/" + rest, query)
            return
        # Outside every replica site: logged under host "" so tests can see strays.
        self.server.record({"method": method, "host": "", "path": path, "status": 404})
        self._send(404, b"not found", "text/plain")

    # ------------------------------------------------------------------ admin

    def _admin(self, method: str, path: str) -> None:
        server = self.server
        if path == "/_admin/requests":
            with server.lock:
                body = json.dumps(server.log).encode()
            self._send(200, body, "application/json")
        elif path == "/_admin/reset" and method == "POST":
            with server.lock:
                server.log.clear()
            self._send(200, b"{}", "application/json")
        elif path == "/_admin/state":
            with server.lock:
                body = json.dumps(server.state.to_json(), ensure_ascii=False).encode()
            self._send(200, body, "application/json")
        elif path == "/_admin/publish" and method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(length) or b"{}")
            with server.lock:
                record = server.state.publish(data["host"], data["article"])
                if server.state_file:
                    server.state.save(server.state_file)
            self._send(200, json.dumps(record, ensure_ascii=False).encode(), "application/json")
        elif path == "/_admin/faults" and method == "POST":
            self._set_faults()
        else:
            self._send(404, b"unknown admin endpoint", "text/plain")

    def _set_faults(self) -> None:
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        data = json.loads(self.rfile.read(length) or b"{}")
        try:
            for spec in data["faults"].values():
                faults.parse_spec(spec)
        except (KeyError, ValueError, AttributeError) as exc:
            self._send(400, str(exc).encode(), "text/plain")
            return
        with server.lock:
            site = server.state.sites.get(data.get("host", ""))
            if site is None:
                self._send(404, b"unknown host", "text/plain")
                return
            site.faults = dict(data["faults"])
            if server.state_file:
                server.state.save(server.state_file)
        self._send(200, json.dumps(site.faults).encode(), "application/json")

    # ------------------------------------------------------------------ sites

    def _site(self, method: str, host: str, path: str, query: str) -> None:
        server = self.server
        target = unquote(path) + (f"?{query}" if query else "")
        with server.lock:
            site = server.state.sites.get(host)
            response = route(site, unquote(path), query) if site else None
            spec = faults.lookup(site.faults, target) if site else None
            if spec is not None:
                seen = server.fault_hits[(host, target)]
                server.fault_hits[(host, target)] += 1
        if site is not None and spec is not None:
            server.record(
                {"method": method, "host": host, "path": path, "status": None, "fault": spec}
            )
            normal = response[:3] if response else None
            faults.serve(faults.FaultRequest(self, site, target, "", normal, seen), spec)
            return
        status, body, ctype, conditional = response or (
            404,
            b"<h1>404</h1>",
            "text/html; charset=utf-8",
            False,
        )
        headers: dict[str, str] = {}
        if conditional and status == 200:
            etag = model.etag_for(body)
            headers["ETag"] = etag
            if site and site.articles:
                newest = max(datetime.fromisoformat(a["published_at"]) for a in site.articles)
                headers["Last-Modified"] = format_datetime(newest, usegmt=False)
            if self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
        server.record({"method": method, "host": host, "path": path, "status": status})
        self._send(status, body, ctype, headers, head_only=method == "HEAD")

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        *,
        head_only: bool = False,
    ) -> None:
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if status != 304 and not head_only:
            self.wfile.write(body)


def route(site: model.ReplicaSite, path: str, query: str) -> tuple[int, bytes, str, bool] | None:
    """(status, body, content type, conditional?) for a path on a replica site."""
    html = "text/html; charset=utf-8"
    xml = "application/xml; charset=utf-8"
    full = path + (f"?{query}" if query else "")
    if path == "/robots.txt":
        return 200, site.robots.encode(), "text/plain; charset=utf-8", False
    if full in site.feeds or path in site.feeds:
        return (
            200,
            model.render_rss(site, path).encode(),
            "application/rss+xml; charset=utf-8",
            True,
        )
    if path in site.sitemaps:
        return 200, model.render_sitemap_index(site).encode(), xml, True
    if path.startswith("/sitemap/sitemap-post/") and path.endswith(".xml"):
        day = path.rsplit("/", 1)[1].removesuffix(".xml")
        body = model.render_sitemap_day(site, day)
        return (200, body.encode(), xml, True) if body else None
    listing = model.match_listing(site, path)
    if listing is not None:
        return 200, model.render_listing(site, *listing).encode(), html, listing[1] == 1
    article = site.find(path)
    if article is not None:
        from crawler.replica.render import render_article

        data = {**article, "published_at": datetime.fromisoformat(article["published_at"])}
        return 200, render_article(site.parser, data).encode("utf-8"), html, False
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--state", type=Path, required=True, help="replica state JSON (see crawler.replica.site)"
    )
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    state = model.ReplicaState.load(args.state)
    server = ReplicaServer(state, port=args.port, state_file=args.state)
    print(f"READY {server.base_url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
