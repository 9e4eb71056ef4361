"""Small loopback servers for scheduling and health tests.

* :class:`HungServer` accepts TCP connections and never answers: a crawl of it hangs
  until newswatch's hard timeout (or a shutdown) stops it.
* :class:`ChangingSite` is a tiny news site (an RSS feed and article pages) whose
  article layout can be switched to one the generic parser cannot read, the way a site
  moves to a client-side app overnight. It is served as ``https://site.test/`` through
  ``--mirror site.test=<base_url>``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "site.test"

SOURCES_TOML = """
[sources.sitetest]
name = "Site Test"
home = "https://site.test/"
parser = "generic"
feeds = ["https://site.test/rss.xml"]
article_pattern = '/tin/\\d+\\.html$'
"""

PARAGRAPHS = (
    "Bộ Khoa học và Công nghệ vừa công bố chương trình hỗ trợ doanh nghiệp khởi nghiệp sáng tạo "
    "trong lĩnh vực trí tuệ nhân tạo, với tổng kinh phí dự kiến khoảng 500 tỷ đồng đến năm 2030.",
    "Theo đại diện Bộ, các doanh nghiệp tham gia sẽ được tiếp cận hạ tầng tính toán, dữ liệu dùng "
    "chung và chuyên gia tư vấn, đồng thời được ưu tiên trong các chương trình mua sắm công.",
    "Các chuyên gia đánh giá chương trình là bước đi cần thiết để hình thành hệ sinh thái đổi mới "
    "sáng tạo, nhưng lưu ý cần cơ chế đánh giá minh bạch và công khai kết quả định kỳ hằng năm.",
)


class HungServer:
    """Accepts connections and holds them open without reading or answering."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()


@contextmanager
def hung_server() -> Iterator[HungServer]:
    server = HungServer()
    try:
        yield server
    finally:
        server.close()


class ChangingSite(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.articles: list[dict[str, Any]] = []
        self.layout = "normal"  # or "app": a client-side shell with nothing to extract
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def mirror(self) -> str:
        return f"{HOST}={self.base_url}"

    def publish(self, count: int) -> None:
        with self.lock:
            for _ in range(count):
                n = len(self.articles) + 1
                self.articles.append(
                    {
                        "n": n,
                        "title": f"Chương trình hỗ trợ khởi nghiệp trí tuệ nhân tạo, đợt {n}",
                        "published": datetime.now(UTC) - timedelta(minutes=30 + n),
                    }
                )

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>{escape(a['title'])}</title>"
            f"<link>https://{HOST}/tin/{a['n']}.html</link>"
            f"<pubDate>{format_datetime(a['published'])}</pubDate></item>"
            for a in reversed(self.articles)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Site Test</title><link>https://{HOST}/</link>{items}</channel></rss>"
        ).encode()

    def article(self, n: int) -> bytes | None:
        found = next((a for a in self.articles if a["n"] == n), None)
        if found is None:
            return None
        if self.layout == "app":
            return (
                b'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
                b'<div id="root"></div><script src="/static/app.js"></script></body></html>'
            )
        when = found["published"].isoformat()
        body = "".join(f"<p>{escape(p)} (Bài {n}.)</p>" for p in PARAGRAPHS)
        title = escape(found["title"])
        return (
            f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:title" content="{title}">'
            f'<meta property="article:published_time" content="{when}"></head>'
            f'<body><article><h1>{title}</h1><time datetime="{when}">{when}</time>'
            f'<div class="content">{body}</div></article></body></html>'
        ).encode()


class _Handler(BaseHTTPRequestHandler):
    server: ChangingSite

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        with self.server.lock:
            if path == "/rss.xml":
                self._send(200, self.server.feed(), "application/rss+xml; charset=utf-8")
                return
            if path.startswith("/tin/") and path.endswith(".html"):
                body = self.server.article(int(path[5:-5]))
                if body is not None:
                    self._send(200, body, "text/html; charset=utf-8")
                    return
        self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def changing_site() -> Iterator[ChangingSite]:
    site = ChangingSite()
    thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.shutdown()
        site.server_close()
