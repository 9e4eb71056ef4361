"""Finding article URLs: RSS/Atom feeds, sitemaps (index, urlset, news) and listing pages.

Pure functions over bytes; no Scrapy. XML is parsed with entity resolution, DTD loading
and network access off, so a billion-laughs feed or an external entity pointing at a
local file yields nothing harmful; broken XML is recovered as far as it goes.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Literal
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html
from parsel.csstranslator import HTMLTranslator

from crawler.dates import parse_iso, parse_us_datetime
from crawler.urls import is_http_url

MAX_XML_BYTES = 20 * 1024 * 1024  # a decompressed sitemap larger than this is refused
GZIP_MAGIC = b"\x1f\x8b"


class DiscoveryError(ValueError):
    """A feed, sitemap or listing that cannot be read; the message names the reason."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A candidate article URL with what the feed or sitemap said about it."""

    url: str
    published: datetime | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Sitemap:
    kind: Literal["index", "urlset"]
    entries: tuple[Entry, ...]  # for an index: the child sitemaps


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )


def maybe_gunzip(body: bytes, limit: int = MAX_XML_BYTES) -> bytes:
    """Decompress a gzip body (``sitemap.xml.gz``); a gzip bomb stops at ``limit`` bytes."""
    if not body.startswith(GZIP_MAGIC):
        return body
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
            while chunk := fh.read(64 * 1024):
                out.write(chunk)
                if out.tell() > limit:
                    raise DiscoveryError(f"decompressed body exceeds {limit} bytes (gzip bomb?)")
    except (OSError, EOFError, zlib.error) as exc:
        raise DiscoveryError(f"corrupt gzip body: {exc}") from None
    return out.getvalue()


def parse_xml(body: bytes) -> etree._Element:
    """Parse XML safely; raises DiscoveryError when nothing usable is there."""
    body = maybe_gunzip(body)
    if len(body) > MAX_XML_BYTES:
        raise DiscoveryError(f"XML body exceeds {MAX_XML_BYTES} bytes")
    stripped = body.lstrip()
    if not stripped:
        raise DiscoveryError("empty XML body")
    try:
        root = etree.fromstring(stripped, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"malformed XML: {exc}") from None
    if root is None:
        raise DiscoveryError("malformed XML: no root element")
    return root


def _local(tag: object) -> str:
    """Local name of an element tag, namespace removed ("" for comments and the like)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _children(element: etree._Element, name: str) -> Iterator[etree._Element]:
    for child in element:
        if _local(child.tag) == name:
            yield child


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext()).strip()


def _first(element: etree._Element, *names: str) -> etree._Element | None:
    wanted = set(names)
    for child in element.iter():
        if child is not element and _local(child.tag) in wanted:
            return child
    return None


def parse_feed_date(value: str | None) -> datetime | None:
    """RFC 822 (RSS), ISO 8601 (Atom) or baochinhphu's US-style local time."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = parsedate_to_datetime(value)
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    return parse_iso(value) or parse_us_datetime(value)


def _absolute(url: str, base_url: str) -> str | None:
    url = url.strip()
    if not url:
        return None
    try:
        joined = urljoin(base_url, url)
    except ValueError:  # "http://[": urllib refuses to split it
        return None
    return joined if is_http_url(joined) else None


def parse_feed(body: bytes, base_url: str) -> list[Entry]:
    """Items of an RSS 2.0 / RSS 1.0 / Atom feed. Items without an http(s) link are skipped."""
    root = parse_xml(body)
    kind = _local(root.tag)
    entries: list[Entry] = []
    if kind == "feed":  # Atom
        for item in _children(root, "entry"):
            link = _atom_link(item)
            url = _absolute(link, base_url) if link else None
            if url:
                when = _text(_first(item, "published")) or _text(_first(item, "updated"))
                entries.append(
                    Entry(url, parse_feed_date(when), _text(_first(item, "title")) or None)
                )
        return entries
    if kind not in ("rss", "rdf"):
        raise DiscoveryError(f"not a feed: root element <{kind}>")
    for item in root.iter():
        if _local(item.tag) != "item":
            continue
        link = _text(_first(item, "link"))
        if not link:
            guid = _first(item, "guid")
            if guid is not None and guid.get("isPermaLink", "true").lower() != "false":
                link = _text(guid)
        url = _absolute(link, base_url) if link else None
        if url:
            when = _text(_first(item, "pubdate")) or _text(_first(item, "date"))
            entries.append(Entry(url, parse_feed_date(when), _text(_first(item, "title")) or None))
    return entries


def _atom_link(item: etree._Element) -> str | None:
    fallback = None
    for link in _children(item, "link"):
        rel = (link.get("rel") or "alternate").lower()
        href = link.get("href")
        if href and rel == "alternate":
            return href
        fallback = fallback or href
    return fallback


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """A sitemap index (child sitemaps) or urlset (pages, with news:publication_date)."""
    root = parse_xml(body)
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise DiscoveryError(f"not a sitemap: root element <{kind}>")
    child_name = "sitemap" if kind == "sitemapindex" else "url"
    entries = []
    for node in _children(root, child_name):
        url = _absolute(_text(_first(node, "loc")), base_url)
        if not url:
            continue
        when = _text(_first(node, "publication_date")) or _text(_first(node, "lastmod"))
        title = _text(_first(node, "title")) or None
        entries.append(Entry(url, parse_feed_date(when), title))
    return Sitemap("index" if kind == "sitemapindex" else "urlset", tuple(entries))


def html_tree(html: bytes | str) -> etree._Element | None:
    """A listing page as an lxml tree (lenient; None for an empty page).

    lxml directly rather than parsel: a listing of 100,000 links costs a few tens of MB
    this way, against several hundred through 100,000 Selector objects.
    """
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    body = text.strip().replace("\x00", "").encode("utf-8")
    if not body:
        return None
    parser = lxml_html.HTMLParser(recover=True, encoding="utf-8", no_network=True)
    try:
        return etree.fromstring(body, parser=parser)
    except etree.LxmlError:
        return None


def _root(html: bytes | str | etree._Element | None) -> etree._Element | None:
    if html is None or isinstance(html, etree._Element):
        return html
    return html_tree(html)


@cache
def _href_xpath(css: str) -> etree.XPath:
    """``@href`` of the elements ``css`` selects, as plain strings."""
    return etree.XPath(f"({HTMLTranslator().css_to_xpath(css)})/@href", smart_strings=False)


def _hrefs(root: etree._Element | None, css: str) -> list[str]:
    if root is None:
        return []
    return [str(href) for href in _href_xpath(css)(root)]


def listing_links(
    html: bytes | str | etree._Element | None,
    base_url: str,
    link_selector: str = "a[href]",
    *,
    limit: int = 1000,
) -> list[str]:
    """Absolute http(s) URLs of the links on a listing page, in page order, de-duplicated.

    ``html`` may be a tree from :func:`html_tree` (None for an empty page), to parse a
    page once for its links and its next page.
    """
    root = _root(html)
    seen: dict[str, None] = {}
    for href in _hrefs(root, link_selector):
        url = _absolute(href.split("#", 1)[0], base_url)
        if url and url not in seen:
            seen[url] = None
            if len(seen) >= limit:
                break
    return list(seen)


def next_page(
    html: bytes | str | etree._Element | None, base_url: str, selector: str
) -> str | None:
    """The listing's next page, from ``<link rel=next>``, ``<a rel=next>`` or ``selector``."""
    if not selector:
        return None
    root = _root(html)
    for href in _hrefs(root, selector):
        url = _absolute(href, base_url)
        if url and url.rstrip("/") != base_url.rstrip("/"):
            return url
    return None


def page_url(template: str, listing: str, page: int) -> str:
    """Page ``page`` of a listing from a template: ``{listing}``, ``{stem}``, ``{page}``."""
    stem = re.sub(r"\.(html?|chn|aspx?|php)$", "", listing.rstrip("/"))
    return template.format(listing=listing.rstrip("/"), stem=stem, page=page)


def select_articles(
    urls: Iterable[str],
    *,
    domains: Iterable[str],
    pattern: str = "",
    exclude: str = "",
) -> list[str]:
    """Keep URLs on the source's domains (subdomains included) matching its article pattern."""
    from crawler.urls import on_domains

    allowed = tuple(domains)
    include_re = re.compile(pattern) if pattern else None
    exclude_re = re.compile(exclude) if exclude else None
    out: dict[str, None] = {}
    for url in urls:
        if not on_domains(url, allowed):
            continue
        if include_re and not include_re.search(url):
            continue
        if exclude_re and exclude_re.search(url):
            continue
        out[url] = None
    return list(out)
