"""Hostile input, generated: parsers, URLs, discovery and HTTP headers never raise
anything but their documented errors.

Complements the fuzzing next to each module (dates: tests/test_dates.py, normalise:
tests/test_normalise.py, feeds and sitemaps as XML: tests/crawl/test_discovery.py,
search queries: tests/test_storage.py, the classifier: tests/classify/test_fuzz.py).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.dates import parse_datetime
from crawler.middlewares import mirrored_url, retry_after_seconds
from crawler.normalise import MIN_BODY_CHARS
from crawler.state import IncrementalState
from crawler.urls import InvalidURL, canonical_url, is_http_url
from spiders import discovery
from spiders.parsers import ParseError, golden, parse_article
from spiders.parsers.markup import decode_html
from spiders.parsers.registry import parser_names

FETCHED = datetime(2026, 3, 7, 3, 0, tzinfo=UTC)
PARSERS = parser_names()
SLOW = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@cache
def golden_pages() -> dict[str, tuple[bytes, str]]:
    """Parser name -> (a golden page, its URL): real markup to mutate."""
    pages: dict[str, tuple[bytes, str]] = {}
    for case in golden.cases():
        pages.setdefault(case.parser, (case.html(), case.meta["url"]))
    return pages


@st.composite
def mutated_page(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """A parser, and one of the golden pages cut, spliced, flipped or padded at random."""
    name = draw(st.sampled_from(PARSERS))
    pages = golden_pages()
    html, url = pages.get(name) or pages[draw(st.sampled_from(sorted(pages)))]
    data = bytearray(html)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["cut", "flip", "insert", "drop", "repeat"]))
        if action == "cut":
            del data[at:]
        elif action == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"<script>",
                        b"</div></div></article>",
                        b"<!--",
                        b"\x00",
                        b"\xff\xfe",
                        b"<meta charset='cp1258'>",
                        b'<script type="application/ld+json">{"@type":"NewsArticle",',
                        "<h1>Tiêu đề\r\nchen ngang</h1>".encode(),
                        b"&#xD800;&#0;&#x110000;",
                        b"<time datetime='99999-99-99T99:99'>",
                    ]
                )
                | st.binary(max_size=40)
            )
        elif action == "drop":
            del data[at : at + draw(st.integers(1, 2000))]
        elif action == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 3000))]
    return name, bytes(data), url


def _check_parse(name: str, data: bytes, url: str, encoding: str | None) -> None:
    try:
        article = parse_article(
            data, url, parser=name, source=name, fetched_at=FETCHED, encoding=encoding
        )
    except ParseError as exc:
        assert exc.reason
        return
    assert article.title.strip() and "\n" not in article.title and "\r" not in article.title
    assert len(article.text.strip()) >= MIN_BODY_CHARS
    assert unicodedata.is_normalized("NFC", article.title + article.text)
    assert article.url == canonical_url(article.url)
    assert article.published_at is None or article.published_at.tzinfo is not None


@SLOW
@given(mutated_page(), st.none() | st.sampled_from(["utf-8", "cp1258", "latin-1", "x-unknown"]))
def test_every_parser_survives_mutated_real_pages(
    page: tuple[str, bytes, str], encoding: str | None
) -> None:
    name, data, url = page
    _check_parse(name, data, url, encoding)


@SLOW
@given(st.sampled_from(PARSERS), st.binary(max_size=3000))
def test_every_parser_survives_random_bytes(name: str, data: bytes) -> None:
    _check_parse(name, data, "https://vnexpress.net/bai-viet-4950001.html", None)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.text(max_size=60))
def test_any_bytes_with_any_declared_charset_decode(data: bytes, content_type: str) -> None:
    """The HTTP charset comes from the server: whatever it says, decoding never fails."""
    text, encoding = decode_html(data, content_type or None)
    assert isinstance(text, str) and encoding
    assert unicodedata.is_normalized("NFC", text)


# ---------------------------------------------------------------------- URLs

url_parts = st.sampled_from(
    ["http://", "https://", "HTTPS://", "javascript:", "data:", "//", "ftp://", "", " ", "\t"]
)
hosts = st.sampled_from(
    ["vnexpress.net", "WWW.Tuoitre.VN", "[::1]", "[::1", "127.0.0.1:99999", "xn--d-hia.vn", ""]
) | st.text(max_size=12)
paths = st.text(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from(list("/?#&=%.:@[]")),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80) | st.builds(lambda a, b, c: a + b + c, url_parts, hosts, paths))
def test_canonical_url_raises_only_invalid_url_and_is_idempotent(url: str) -> None:
    try:
        canonical = canonical_url(url)
    except InvalidURL:
        return
    assert is_http_url(canonical)
    assert canonical_url(canonical) == canonical
    assert IncrementalState({canonical}).is_known(url)


@settings(max_examples=200, deadline=None)
@given(st.builds(lambda a, b, c: a + b + c, url_parts, hosts, paths))
def test_mirrored_url_never_raises(url: str) -> None:
    target = mirrored_url(url, {"vnexpress.net": "http://127.0.0.1:8000/_site/vnexpress.net"})
    assert target is None or target.startswith("http://127.0.0.1:8000/_site/vnexpress.net/")


# ---------------------------------------------------------------------- discovery, headers


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=2000)
    | st.lists(
        st.sampled_from(
            [
                '<a href="javascript:alert(1)">',
                '<a href="/bai/a.html">',
                '<a href="//other.vn/x">',
                '<a href="data:text/html,x">',
                '<link rel="next" href="?page=2">',
                '<a rel="next" href="https://[::1/">',
                "<a href='\x00'>",
                "<base href='ftp://x'>",
                "<!--",
                "&#0;",
            ]
        ),
        max_size=30,
    ).map(lambda parts: "".join(parts).encode()),
    st.sampled_from(["a[href]", "link[rel=next], a[rel=next]", "article a"]),
)
def test_listing_discovery_never_raises_and_yields_only_http_urls(
    body: bytes, selector: str
) -> None:
    base = "https://vnexpress.net/khoa-hoc"
    tree = discovery.html_tree(body)
    links = discovery.listing_links(tree, base, selector, limit=50)
    assert all(is_http_url(url) for url in links) and len(links) <= 50
    following = discovery.next_page(tree, base, selector)
    assert following is None or is_http_url(following)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_feed_and_page_dates_never_raise(value: str) -> None:
    for parsed in (discovery.parse_feed_date(value), parse_datetime(value)):
        assert parsed is None or parsed.tzinfo is not None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40) | st.from_regex(r"\A\s*\d{1,30}\s*\Z").map(str.encode))
def test_retry_after_is_a_number_of_seconds_or_nothing(value: bytes) -> None:
    seconds = retry_after_seconds(value)
    assert seconds is None or seconds >= 0
