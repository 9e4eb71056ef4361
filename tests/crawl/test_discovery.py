"""Discovery from feeds, sitemaps and listing pages (pure functions)."""

from __future__ import annotations

import contextlib
import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import REAL_PAGES_MISSING, real_pages_dir
from hypothesis import given, settings
from hypothesis import strategies as st

from spiders import discovery

REAL = real_pages_dir() or Path("/nonexistent/real-pages")

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>T</title>
<item><title><![CDATA[M\xc3\xb4 h\xc3\xacnh m\xe1\xbb\x9f]]></title><link>https://vnexpress.net/a-4950001.html</link>
<pubDate>Sat, 07 Mar 2026 08:05:00 +0700</pubDate></item>
<item><title>No link</title></item>
<item><title>JS</title><link>javascript:alert(1)</link></item>
<item><title>Relative</title><link>/b-4950002.html</link><pubDate>9/5/2026 1:30:00 PM</pubDate></item>
<item><title>Guid</title><guid>https://vnexpress.net/c-4950003.html</guid></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>One</title><link rel="alternate" href="https://mst.gov.vn/x-197260307080054340.htm"/>
<updated>2026-03-07T08:00:00+07:00</updated></entry></feed>"""


def test_rss_items_links_and_dates() -> None:
    entries = discovery.parse_feed(RSS, "https://vnexpress.net/rss/so-hoa.rss")
    assert [e.url for e in entries] == [
        "https://vnexpress.net/a-4950001.html",
        "https://vnexpress.net/b-4950002.html",
        "https://vnexpress.net/c-4950003.html",
    ]
    assert entries[0].published == datetime(2026, 3, 7, 1, 5, tzinfo=UTC)
    assert entries[0].title == "Mô hình mở"
    # baochinhphu's US-style local time: 5 September, 13:30 in Vietnam
    assert entries[1].published is not None and entries[1].published.astimezone(UTC) == datetime(
        2026, 9, 5, 6, 30, tzinfo=UTC
    )


def test_atom() -> None:
    entries = discovery.parse_feed(ATOM, "https://mst.gov.vn/")
    assert entries[0].url.endswith("-197260307080054340.htm")
    assert entries[0].published == datetime(2026, 3, 7, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "name",
    [
        "baochinhphu.vn/rss_kinh-te.xml",
        "vneconomy.vn/rss_doanh-nghiep-niem-yet.xml",
        "vnexpress.net/rss_the-gioi_1item_trimmed.xml",
    ],
)
def test_real_feeds(name: str) -> None:
    path = REAL / name
    if not path.exists():
        pytest.skip(REAL_PAGES_MISSING)
    entries = discovery.parse_feed(path.read_bytes(), "https://example.vn/")
    assert entries and all(
        e.url.startswith("https://") and e.published is not None for e in entries
    )


def test_billion_laughs_and_external_entities_are_inert(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    laughs = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss version="2.0"><channel><item><title>&lol9;</title><link>https://x.vn/a-4950001.html</link></item></channel></rss>"""
    entries = discovery.parse_feed(laughs, "https://x.vn/")
    assert all(len(e.title or "") < 1000 for e in entries)
    xxe = f"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><item><title>&x;</title><link>https://x.vn/&x;</link></item></channel></rss>""".encode()
    for entry in discovery.parse_feed(xxe, "https://x.vn/"):
        assert "TOP-SECRET" not in (entry.title or "") + entry.url


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<html><body>not xml</body></html>",
        b"<rss><channel><item><link>https://x.vn/1",
        b"\x00\xff garbage",
    ],
)
def test_malformed_feeds_give_nothing_or_a_named_error(body: bytes) -> None:
    try:
        entries = discovery.parse_feed(body, "https://x.vn/")
    except discovery.DiscoveryError as exc:
        assert str(exc)
    else:
        assert all(e.url.startswith("https://x.vn/") for e in entries)


def test_sitemap_index_urlset_news_and_gzip() -> None:
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://www.vietnam.vn/sitemap/sitemap-post/2026-11-27.xml</loc><lastmod>2026-11-27T16:00:00Z</lastmod></sitemap>
</sitemapindex>"""
    parsed = discovery.parse_sitemap(index, "https://www.vietnam.vn/sitemap.xml")
    assert parsed.kind == "index" and parsed.entries[0].url.endswith("2026-11-27.xml")
    news = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://www.vietnam.vn/en/ai-news/</loc>
<news:news><news:publication_date>2026-11-27T09:00:00+07:00</news:publication_date><news:title>AI</news:title></news:news></url></urlset>"""
    parsed = discovery.parse_sitemap(gzip.compress(news), "https://www.vietnam.vn/x.xml")
    assert parsed.kind == "urlset" and parsed.entries[0].title == "AI"
    assert parsed.entries[0].published == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<" + b"a" * (discovery.MAX_XML_BYTES + 10))
    with pytest.raises(discovery.DiscoveryError, match="gzip bomb"):
        discovery.parse_sitemap(bomb, "https://x.vn/")


def test_listing_links_next_page_and_templates() -> None:
    html = b"""<html><head><link rel="next" href="/kinh-doanh-p2"></head><body>
<a href="/a-4950001.html#box-comment">A</a><a href="/a-4950001.html">A again</a>
<a href="javascript:void(0)">x</a><a href="mailto:x@y.vn">m</a><a href="https://other.vn/b-4950002.html">other</a>
</body></html>"""
    links = discovery.listing_links(html, "https://vnexpress.net/kinh-doanh")
    assert links == ["https://vnexpress.net/a-4950001.html", "https://other.vn/b-4950002.html"]
    assert (
        discovery.next_page(html, "https://vnexpress.net/kinh-doanh", "link[rel=next], a[rel=next]")
        == "https://vnexpress.net/kinh-doanh-p2"
    )
    assert (
        discovery.page_url("{listing}-p{page}", "https://vnexpress.net/kinh-doanh", 2)
        == "https://vnexpress.net/kinh-doanh-p2"
    )
    assert (
        discovery.page_url("{stem}/trang-{page}.htm", "https://dantri.com.vn/cong-nghe.htm", 3)
        == "https://dantri.com.vn/cong-nghe/trang-3.htm"
    )
    selected = discovery.select_articles(links, domains=["vnexpress.net"], pattern=r"-\d{7}\.html$")
    assert selected == ["https://vnexpress.net/a-4950001.html"]


def test_real_listing_pages_yield_article_links() -> None:
    cases = {
        "vnexpress.net/listing_kinh-doanh.html": (
            "https://vnexpress.net/kinh-doanh",
            r"-\d{7}\.html$",
            ["vnexpress.net"],
        ),
        "dantri.com.vn/listing_kinh-doanh.html": (
            "https://dantri.com.vn/kinh-doanh.htm",
            r"-\d{17,18}\.htm$",
            ["dantri.com.vn"],
        ),
        "tuoitre.vn/listing_kinh-doanh.html": (
            "https://tuoitre.vn/kinh-doanh.htm",
            r"-\d{17,18}\.htm$",
            ["tuoitre.vn"],
        ),
        "vietnamnet.vn/listing_kinh-doanh.html": (
            "https://vietnamnet.vn/kinh-doanh",
            r"-\d{7}\.html$",
            ["vietnamnet.vn"],
        ),
        "nld.com.vn/listing_kinh-te.html": (
            "https://nld.com.vn/kinh-te.htm",
            r"-196\d{12,}\.htm$",
            ["nld.com.vn"],
        ),
        "baochinhphu.vn/listing_chinh-sach-va-cuoc-song_chinh-sach-moi.html": (
            "https://baochinhphu.vn/chinh-sach-va-cuoc-song/chinh-sach-moi.htm",
            r"-102\d{12,}\.htm$",
            ["baochinhphu.vn"],
        ),
    }
    for name, (base, pattern, domains) in cases.items():
        path = REAL / name
        if not path.exists():
            pytest.skip(REAL_PAGES_MISSING)
        links = discovery.listing_links(path.read_bytes(), base)
        articles = discovery.select_articles(links, domains=domains, pattern=pattern)
        assert len(articles) >= 10, (name, len(articles))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_fuzzed_xml_never_raises_unexpectedly(body: bytes) -> None:
    for parse in (discovery.parse_feed, discovery.parse_sitemap):
        with contextlib.suppress(discovery.DiscoveryError):
            parse(body, "https://x.vn/")
