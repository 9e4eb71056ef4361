"""Broken servers and hostile pages, on demand: the replica server's fault injection.

A replica site's ``faults`` maps a request target to a fault, written ``name`` or
``name:argument``. Keys are the path with its query (``/bai/a.html``,
``/bai/a.html?v=2``) or ``fnmatch`` patterns (``/bai/*``, ``*``); an exact key wins
over a pattern, and patterns are tried in order. Everything else on the site behaves
normally, so one crawl meets the faulty paths and the healthy ones side by side::

    site.faults = {
        "/bai/mat-ket-noi.html": "reset_mid_body",
        "/bai/qua-tai.html": "status:503",
        "/robots.txt": "status:500",
    }

Network faults: ``reset_mid_body``, ``close`` (no answer at all), ``hang`` (never
answers), ``hang_after_headers``, ``trickle`` (one byte at a time), ``slow:SECONDS``
(the normal page, late). HTTP: ``status:CODE``, ``rate_limited:SECONDS`` (429 with
Retry-After on the first request for the path, the normal page after that),
``redirect:TARGET``. Content: ``huge:MB`` and ``huge_unsized:MB`` (with and without
Content-Length), ``gzip_bomb``, ``truncated`` (the connection closes before
Content-Length bytes), ``truncated_html`` (a complete response of half a page),
``empty``, ``content_type:TYPE``, ``soft_404`` (a 200 "page not found" page),
``malformed_html``, ``cp1258_undeclared`` and ``cp1258_declared_utf8`` (Vietnamese in
windows-1258 without a charset, or labelled UTF-8), ``nfd`` (decomposed Vietnamese),
``many_links:COUNT``. Feeds and sitemaps: ``xml_garbage``, ``xml_truncated``,
``billion_laughs``, ``xxe:FILE``, ``feed_bad_links``, ``sitemap_self_index``.
"""

from __future__ import annotations

import gzip
import io
import re
import select
import socket
import struct
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from html import escape
from http.server import BaseHTTPRequestHandler

from crawler.replica.site import ReplicaSite, render_rss

# How long a hanging or trickling connection is held at most (the crawler gives up
# long before; the bound only keeps a forgotten server thread from living forever).
HOLD_SECONDS = 120.0
CHUNK = 64 * 1024

Normal = tuple[int, bytes, str]  # what the site would answer: status, body, content type


@dataclass
class FaultRequest:
    """One request meeting a fault: the handler to answer on and what is known."""

    handler: BaseHTTPRequestHandler
    site: ReplicaSite
    target: str  # path and query as requested, inside the site
    arg: str
    normal: Normal | None  # the site's normal answer, when it has one
    seen: int  # how many times this fault already answered this target

    def page(self) -> bytes:
        """The normal body, or a small article-like page when the path has none."""
        if self.normal is not None:
            return self.normal[1]
        return _fallback_page(self.site, self.target).encode("utf-8")

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        *,
        length: int | None = None,
    ) -> None:
        """Status, headers and ``body``; ``length`` overrides Content-Length (None: exact)."""
        h = self.handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body) if length is None else length))
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.end_headers()
        _write(h, body)

    def head(self, status: int, headers: dict[str, str]) -> None:
        h = self.handler
        h.send_response(status)
        for key, value in headers.items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.flush()


FaultFunc = Callable[[FaultRequest], None]
FAULTS: dict[str, FaultFunc] = {}


def fault(name: str) -> Callable[[FaultFunc], FaultFunc]:
    def register(func: FaultFunc) -> FaultFunc:
        FAULTS[name] = func
        return func

    return register


def parse_spec(spec: str) -> tuple[str, str]:
    """``"status:503"`` -> ``("status", "503")``; raises ValueError for an unknown fault."""
    name, _, arg = spec.partition(":")
    if name not in FAULTS:
        raise ValueError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULTS))}")
    return name, arg


def lookup(faults: dict[str, str], target: str) -> str | None:
    """The fault spec for ``target`` (path and query), or None."""
    if target in faults:
        return faults[target]
    for pattern, spec in faults.items():
        if any(c in pattern for c in "*?[") and fnmatchcase(target, pattern):
            return spec
    return None


def serve(request: FaultRequest, spec: str) -> None:
    """Answer ``request`` the broken way ``spec`` names."""
    name, arg = parse_spec(spec)
    request.arg = arg
    FAULTS[name](request)


# ---------------------------------------------------------------------- connection


def _write(handler: BaseHTTPRequestHandler, data: bytes) -> bool:
    """Write and flush; False once the client has gone away."""
    try:
        handler.wfile.write(data)
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
        handler.close_connection = True
        return False
    return True


def _client_gone(sock: socket.socket, wait: float) -> bool:
    """True when the client closed the connection within ``wait`` seconds."""
    try:
        readable, _, _ = select.select([sock], [], [], wait)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _html_headers(length: int | None) -> dict[str, str]:
    headers = {"Content-Type": "text/html; charset=utf-8"}
    if length is not None:
        headers["Content-Length"] = str(length)
    return headers


def _hold(handler: BaseHTTPRequestHandler) -> None:
    """Keep the connection open, silent, until the client gives up."""
    handler.close_connection = True
    deadline = time.monotonic() + HOLD_SECONDS
    while time.monotonic() < deadline:
        if _client_gone(handler.connection, 0.5):
            return


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0), not an orderly close."""
    handler.close_connection = True
    sock = handler.connection
    try:
        handler.wfile.flush()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


# ---------------------------------------------------------------------- network


@fault("close")
def _close(request: FaultRequest) -> None:
    """Accept the request and close the connection without a byte of answer."""
    request.handler.close_connection = True


@fault("reset_mid_body")
def _reset_mid_body(request: FaultRequest) -> None:
    body = request.page()
    request.head(200, _html_headers(len(body)))
    _write(request.handler, body[: len(body) // 2])
    _reset(request.handler)


@fault("hang")
def _hang(request: FaultRequest) -> None:
    """Read the request, answer nothing."""
    _hold(request.handler)


@fault("hang_after_headers")
def _hang_after_headers(request: FaultRequest) -> None:
    body = request.page()
    request.head(200, _html_headers(len(body)))
    _hold(request.handler)


@fault("trickle")
def _trickle(request: FaultRequest) -> None:
    """The page one byte at a time, a few bytes a second."""
    body = request.page()
    handler = request.handler
    request.head(200, _html_headers(len(body)))
    handler.close_connection = True
    deadline = time.monotonic() + HOLD_SECONDS
    for i in range(len(body)):
        if time.monotonic() > deadline or not _write(handler, body[i : i + 1]):
            return
        if _client_gone(handler.connection, 0.2):
            return


@fault("slow")
def _slow(request: FaultRequest) -> None:
    """The normal answer, after ``arg`` seconds."""
    time.sleep(float(request.arg or 1.0))
    status, body, ctype = request.normal or (200, request.page(), "text/html; charset=utf-8")
    request.send(status, body, ctype)


# ---------------------------------------------------------------------- HTTP


@fault("status")
def _status(request: FaultRequest) -> None:
    code = int(request.arg or 500)
    body = f"<html><body><h1>{code}</h1><p>Lỗi máy chủ.</p></body></html>".encode()
    request.send(code, body)


@fault("rate_limited")
def _rate_limited(request: FaultRequest) -> None:
    """429 with Retry-After on the first request for the target, the normal page after."""
    if request.seen == 0:
        body = b"<html><body><h1>429 Too Many Requests</h1></body></html>"
        request.send(429, body, headers={"Retry-After": request.arg or "1"})
        return
    status, body, ctype = request.normal or (200, request.page(), "text/html; charset=utf-8")
    request.send(status, body, ctype)


@fault("redirect")
def _redirect(request: FaultRequest) -> None:
    """301 to ``arg``: a path on the same site (relative, as servers mostly send) or a URL."""
    request.send(301, b"", headers={"Location": request.arg})


# ---------------------------------------------------------------------- content


@fault("huge")
def _huge(request: FaultRequest) -> None:
    """An endless-looking page of ``arg`` MB, streamed, with its Content-Length."""
    size = int(float(request.arg or 50) * 1024 * 1024)
    request.head(200, _html_headers(size))
    _stream(request.handler, size)


@fault("huge_unsized")
def _huge_unsized(request: FaultRequest) -> None:
    """The same without Content-Length: the body ends when the connection closes."""
    size = int(float(request.arg or 50) * 1024 * 1024)
    request.head(200, {"Content-Type": "text/html; charset=utf-8", "Connection": "close"})
    request.handler.close_connection = True
    _stream(request.handler, size)


def _stream(handler: BaseHTTPRequestHandler, size: int) -> None:
    chunk = (b"<p>" + b"a" * (CHUNK - 8) + b"</p>\n")[:CHUNK]
    sent = 0
    while sent < size:
        piece = chunk[: min(CHUNK, size - sent)]
        if not _write(handler, piece):
            return
        sent += len(piece)


@cache
def _bomb(megabytes: int) -> bytes:
    """``megabytes`` MB of zeros, gzipped (about a thousandth of that on the wire)."""
    zeros = b"\0" * (1024 * 1024)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as fh:
        for _ in range(megabytes):
            fh.write(zeros)
    return buffer.getvalue()


@fault("gzip_bomb")
def _gzip_bomb(request: FaultRequest) -> None:
    body = _bomb(int(request.arg or 64))
    request.send(200, body, headers={"Content-Encoding": "gzip"})


@fault("truncated")
def _truncated(request: FaultRequest) -> None:
    """Content-Length promises the page; the connection closes (FIN) at 60% of it."""
    body = request.page()
    request.handler.close_connection = True
    request.send(200, body[: len(body) * 6 // 10], length=len(body))


@fault("truncated_html")
def _truncated_html(request: FaultRequest) -> None:
    """A complete HTTP response carrying only the first part of the page."""
    body = request.page()
    request.send(200, body[: len(body) * int(request.arg or 45) // 100])


@fault("empty")
def _empty(request: FaultRequest) -> None:
    request.send(200, b"")


@fault("content_type")
def _content_type(request: FaultRequest) -> None:
    ctype = request.arg or "application/pdf"
    body = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
    request.send(200, body, ctype)


@fault("soft_404")
def _soft_404(request: FaultRequest) -> None:
    """A 200 answer whose page says the article is not there (a CMS error page)."""
    body = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        "<title>Không tìm thấy trang</title></head><body>"
        '<nav><a href="/">Trang chủ</a></nav><h1>Không tìm thấy trang</h1>'
        "<p>Trang bạn tìm không tồn tại.</p></body></html>"
    ).encode()
    request.send(200, body)


@fault("malformed_html")
def _malformed_html(request: FaultRequest) -> None:
    """The page with its closing tags gone, stray brackets, NULs and a broken comment."""
    text = request.page().decode("utf-8")
    text = re.sub(r"</(p|div|article|main|li|ul|span|a|strong|nav|header)>", "", text)
    text = text.replace("<p>", "<p><<b>\x00", 3).replace("<h1>", '<h1 class="x y=">')
    text = text.replace("</body>", "<!-- unterminated comment <div <table><tr><td>")
    request.send(200, text.encode("utf-8"))


@fault("cp1258_undeclared")
def _cp1258_undeclared(request: FaultRequest) -> None:
    """Vietnamese in windows-1258 (decomposed tones), no charset anywhere."""
    text = _without_charset(request.page().decode("utf-8"))
    request.send(200, _cp1258(text), "text/html")


@fault("cp1258_declared_utf8")
def _cp1258_declared_utf8(request: FaultRequest) -> None:
    """windows-1258 bytes, with both the header and the page claiming UTF-8."""
    request.send(200, _cp1258(request.page().decode("utf-8")), "text/html; charset=utf-8")


def _without_charset(text: str) -> str:
    return re.sub(r"<meta[^>]*charset[^>]*>", "", text, flags=re.IGNORECASE)


_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _cp1258(text: str) -> bytes:
    """windows-1258 bytes as Vietnamese software writes them: the letter (â, ơ, đ... are
    in the code page) followed by its tone as a combining mark."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in _TONE_MARKS)
        letter = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONE_MARKS))
        try:
            out.append((letter + tones).encode("cp1258"))
        except UnicodeEncodeError:
            out.append(f"&#{ord(char)};".encode("ascii"))
    return b"".join(out)


@fault("nfd")
def _nfd(request: FaultRequest) -> None:
    text = unicodedata.normalize("NFD", request.page().decode("utf-8"))
    request.send(200, text.encode("utf-8"))


@fault("many_links")
def _many_links(request: FaultRequest) -> None:
    """A listing with ``arg`` article-looking links (and javascript:/data: ones)."""
    count = int(request.arg or 100_000)
    parts = [
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Mục lục</title>'
        '</head><body><a href="javascript:alert(1)">x</a><a href="data:text/html,hi">y</a>'
    ]
    parts.extend(f'<a href="/bai/lien-ket-so-{i}.html">Liên kết {i}</a>\n' for i in range(count))
    parts.append("</body></html>")
    request.send(200, "".join(parts).encode("utf-8"))


# ---------------------------------------------------------------------- feeds, sitemaps

_XML = "application/xml; charset=utf-8"
_RSS = "application/rss+xml; charset=utf-8"


@fault("xml_garbage")
def _xml_garbage(request: FaultRequest) -> None:
    request.send(200, b"\x00\xff\xfe<<<not xml at all>>>\x1f\x8b", _RSS)


@fault("xml_truncated")
def _xml_truncated(request: FaultRequest) -> None:
    """The site's feed cut in the middle of its last item."""
    feed = render_rss(request.site, request.target).encode("utf-8")
    cut = feed.rfind(b"<item>") + 20
    request.send(200, feed[:cut], _RSS)


@fault("billion_laughs")
def _billion_laughs(request: FaultRequest) -> None:
    entities = ['<!ENTITY lol "lol">']
    entities += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    entities[1] = '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE rss [\n'
        + "\n".join(entities)
        + "\n]>\n"
        + _rss_items(request.site, ["&lol9;"], extra_title="&lol9;")
    )
    request.send(200, body.encode("utf-8"), _RSS)


@fault("xxe")
def _xxe(request: FaultRequest) -> None:
    """External entities naming a local file (``arg``) and a DTD on this very server
    (``/_site/<host>/xxe.dtd``: a request for it would show in the request log)."""
    base = getattr(request.handler.server, "base_url", "http://127.0.0.1")
    dtd = f"{base}/_site/{request.site.host}/xxe.dtd"
    doctype = (
        f'<!DOCTYPE rss SYSTEM "{escape(dtd)}" [\n'
        f'<!ENTITY xxe SYSTEM "file://{escape(request.arg)}">\n'
        f'<!ENTITY % remote SYSTEM "file://{escape(request.arg)}">\n%remote;\n]>\n'
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + doctype
        + _rss_items(
            request.site, [request.site.url("/bai/&xxe;.html"), "&xxe;"], extra_title="&xxe;"
        )
    )
    request.send(200, body.encode("utf-8"), _RSS)


@fault("feed_bad_links")
def _feed_bad_links(request: FaultRequest) -> None:
    """Items with no link, a javascript: link, a data: URL, an empty link, and good ones."""
    bad = [
        "",
        "javascript:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "   ",
        "vbscript:msgbox(1)",
    ]
    request.send(200, _rss_items(request.site, bad, no_link_item=True).encode("utf-8"), _RSS)


@fault("sitemap_self_index")
def _sitemap_self_index(request: FaultRequest) -> None:
    """A sitemap index listing itself (twice) and the child sitemap ``arg``."""
    own = request.site.url(request.target)
    child = request.site.url(request.arg or "/sitemap-bai-viet.xml")
    entries = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>" for u in (own, own, child))
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex '
        f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n'
    )
    request.send(200, body.encode("utf-8"), _XML)


@fault("sitemap_urlset")
def _sitemap_urlset(request: FaultRequest) -> None:
    """A urlset of every article of the site (the child of ``sitemap_self_index``)."""
    urls = "".join(f"<url><loc>{escape(a['url'])}</loc></url>" for a in request.site.published())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset '
        f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )
    request.send(200, body.encode("utf-8"), _XML)


def _rss_items(
    site: ReplicaSite, bad_links: list[str], *, extra_title: str = "", no_link_item: bool = False
) -> str:
    """An RSS body: items with ``bad_links`` first, then the site's real articles."""
    items = [
        f"<item><title>Bài lỗi {i} {extra_title}</title><link>{link}</link></item>"
        for i, link in enumerate(bad_links)
    ]
    if no_link_item:
        items.append("<item><title>Không có liên kết</title><description>x</description></item>")
    items += [
        f"<item><title>{escape(a['title'])}</title><link>{escape(a['url'])}</link></item>"
        for a in site.published()
    ]
    return (
        '<rss version="2.0"><channel><title>Nguồn tin</title>'
        f"<link>{escape(site.url('/'))}</link>" + "".join(items) + "</channel></rss>\n"
    )


def _fallback_page(site: ReplicaSite, target: str) -> str:
    paragraphs = "".join(
        f"<p>Đoạn văn số {i} của trang thử nghiệm lỗi, đủ dài để là một bài báo.</p>"
        for i in range(12)
    )
    return (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Trang {escape(target)}'
        f"</title></head><body><article><h1>Trang {escape(target)}</h1>{paragraphs}</article>"
        "</body></html>"
    )
