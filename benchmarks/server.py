"""A fast loopback server for the generated site: ``python -m benchmarks.server``.

asyncio, one process, HTTP/1.1 keep-alive, every response pre-rendered: a request
costs a dictionary lookup and one ``write`` of chunks already in memory. The crawl
benchmark measures its capacity with :func:`measure_capacity`, so a reader can see the
server is not what limits the crawlers.

Started as a subprocess it prints ``READY http://127.0.0.1:PORT`` when the site is
generated. Control endpoints (JSON):

* ``GET /_bench/paths``: every path a full crawl fetches;
* ``GET /_bench/log``: requests since the last reset, ``{"count", "by_kind", "paths"}``;
* ``POST /_bench/reset``: clear the log;
* ``POST /_bench/visible?n=N``: publish exactly the N oldest articles.

Feeds and the first listing page answer ``If-None-Match`` with 304, like real sites.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

from benchmarks.site import Resource, Site, SiteSpec

_REASONS = {200: b"OK", 304: b"Not Modified", 404: b"Not Found", 400: b"Bad Request"}


class Log:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def kinds(self, site: Site) -> Counter[str]:
        article_paths = set(site.paths)
        kinds: Counter[str] = Counter()
        for path in self.paths:
            if path == "/robots.txt":
                kinds["robots"] += 1
            elif path == site.feed_path:
                kinds["feed"] += 1
            elif path.startswith(site.listing_path):
                kinds["listing"] += 1
            elif path in article_paths:
                kinds["article"] += 1
            else:
                kinds["other"] += 1
        return kinds


def _head(status: int, length: int, content_type: str, extra: dict[str, str]) -> bytes:
    lines = [b"HTTP/1.1 %d %s" % (status, _REASONS.get(status, b"OK"))]
    if status != 304:
        lines.append(b"Content-Type: " + content_type.encode())
        lines.append(b"Content-Length: %d" % length)
    lines.extend(f"{k}: {v}".encode("latin-1") for k, v in extra.items())
    return b"\r\n".join(lines) + b"\r\n\r\n"


class HttpProtocol(asyncio.Protocol):
    def __init__(self, server: BenchServer) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            length = 0
            headers: dict[str, str] = {}
            lines = head.decode("latin-1").split("\r\n")
            for line in lines[1:]:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            body, self.buffer = self.buffer[:length], self.buffer[length:]
            parts = lines[0].split(" ")
            if len(parts) != 3:
                self._write(400, [b"bad request"], "text/plain", {}, close=True)
                return
            close = headers.get("connection", "").lower() == "close"
            self._respond(parts[0], parts[1], headers, body, close)

    def _write(
        self,
        status: int,
        chunks: list[bytes],
        content_type: str,
        extra: dict[str, str],
        *,
        close: bool = False,
        head_only: bool = False,
    ) -> None:
        assert self.transport is not None
        length = sum(len(c) for c in chunks)
        if close:
            extra = {**extra, "Connection": "close"}
        out = [_head(status, length, content_type, extra)]
        if status != 304 and not head_only:
            out.extend(chunks)
        self.transport.writelines(out)
        if close:
            self.transport.close()

    def _respond(
        self, method: str, target: str, headers: dict[str, str], body: bytes, close: bool
    ) -> None:
        parts = urlsplit(target)
        path = parts.path
        if path.startswith("/_bench/"):
            data = self.server.control(method, path, parse_qs(parts.query))
            self._write(200, [json.dumps(data).encode()], "application/json", {}, close=close)
            return
        self.server.log.paths.append(path)
        resource: Resource | None = self.server.site.resources.get(path)
        if resource is None:
            self._write(404, [b"<h1>404</h1>"], "text/html; charset=utf-8", {}, close=close)
            return
        extra: dict[str, str] = {}
        status = 200
        if resource.etag:
            extra["ETag"] = resource.etag
            if headers.get("if-none-match") == resource.etag:
                status = 304
        self._write(
            status,
            resource.chunks,
            resource.content_type,
            extra,
            close=close,
            head_only=method == "HEAD",
        )


class BenchServer:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.log = Log()

    def control(self, method: str, path: str, query: dict[str, list[str]]) -> Any:
        if path == "/_bench/paths":
            return self.site.fetch_paths()
        if path == "/_bench/log":
            return {
                "count": len(self.log.paths),
                "by_kind": dict(self.log.kinds(self.site)),
                "paths": self.log.paths,
            }
        if path == "/_bench/reset":
            self.log = Log()
            return {}
        if path == "/_bench/visible":
            self.site.set_visible(int(query["n"][0]))
            return {"visible": self.site.visible, "listing_pages": self.site.listing_pages()}
        if path == "/_bench/info":
            sizes = [r.size for p, r in self.site.resources.items() if p in set(self.site.paths)]
            return {
                "visible": self.site.visible,
                "articles": len(self.site.articles),
                "listing_pages": self.site.listing_pages(),
                "article_bytes_mean": sum(sizes) / len(sizes) if sizes else 0,
                "article_bytes_min": min(sizes, default=0),
                "article_bytes_max": max(sizes, default=0),
            }
        return {"error": f"unknown control endpoint {path}"}


async def serve(site: Site, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = BenchServer(site)
    listener = await loop.create_server(
        lambda: HttpProtocol(server), "127.0.0.1", port, backlog=1024
    )
    sockets = listener.sockets or []
    print(f"READY http://127.0.0.1:{sockets[0].getsockname()[1]}", flush=True)
    async with listener:
        await listener.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, required=True, help="articles to generate")
    parser.add_argument("--visible", type=int, help="articles published at start [all]")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--parser", default="vnexpress", help="replica template to render")
    parser.add_argument("--host", default="vnexpress.net")
    parser.add_argument("--padding", type=float, default=1.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.monotonic()
    spec = SiteSpec(args.size, args.seed, args.parser, args.host, args.padding)
    site = Site.generate(spec)
    if args.visible is not None:
        site.set_visible(args.visible)
    print(f"generated {args.size} pages in {time.monotonic() - started:.1f}s", file=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(site, args.port))


if __name__ == "__main__":
    main()
