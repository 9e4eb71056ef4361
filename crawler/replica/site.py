"""Replica news sites: the model behind the loopback server used by tests, the offline
demo and the benchmarks.

A :class:`ReplicaState` holds, per real host (``vnexpress.net``...), the paths of the
source's feeds, sitemaps and listings (taken from its ``sources.toml`` block) and the
articles "published" there. Article URLs follow each CMS's real URL scheme so that the
source's ``article_pattern`` matches them, and article pages are rendered in the
site's real markup by :mod:`crawler.replica.render`. Feeds, sitemaps and listing pages
are generated from the published articles, newest first.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from crawler.config import Source

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PAGE_SIZE = 10


def slugify(title: str) -> str:
    text = unicodedata.normalize("NFD", title.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    # Cut first, then strip: a cut can end on a hyphen, and "--" breaks article patterns.
    return re.sub(r"[^a-z0-9]+", "-", text)[:80].strip("-") or "bai-viet"


def article_path(
    parser: str, title: str, published: datetime, serial: int, language: str = "vi"
) -> str:
    """A path in the site's real URL scheme (the scheme its article_pattern expects)."""
    slug = slugify(title)
    local = published.astimezone(VN)
    ms = 100 + serial % 900  # real ids mostly carry three millisecond digits
    short = local.strftime("%y%m%d%H%M%S")
    long = local.strftime("%Y%m%d%H%M%S")
    schemes = {
        "mst": f"/{slug}-197{short}{ms}.htm",
        "baochinhphu": f"/{slug}-102{short}{ms}.htm",
        "nld": f"/{slug}-196{short}{ms}.htm",
        "cafef": f"/{slug}-188{short}{ms}.chn",
        "genk": f"/{slug}-165{short}{ms}.chn",
        "tuoitre": f"/{slug}-{long}{ms}.htm",
        "dantri": f"/cong-nghe/{slug}-{long}{ms}.htm",
        "vnexpress": f"/{slug}-{4900000 + serial}.html",
        "vietnamnet": f"/{slug}-{2400000 + serial}.html",
        "vietnamplus": f"/{slug}-post{1100000 + serial}.vnp",
        "nhandan": f"/{slug}-post{900000 + serial}.html",
        "vietnamvn": f"/{'' if language == 'vi' else language + '/'}{slug}-{serial}-tin-moi-nhat/",
        "baodautu": f"/{slug}-d{530000 + serial}.html",
    }
    return schemes.get(parser, f"/tin-tuc/{slug}-{serial}.html")


@dataclass
class ReplicaSite:
    host: str
    source_id: str
    parser: str
    language: str
    feeds: list[str] = field(default_factory=list)  # paths
    sitemaps: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)
    page_template: str = ""
    articles: list[dict[str, Any]] = field(default_factory=list)  # published, oldest first
    robots: str = "User-agent: *\nDisallow: /admin/\n"
    # path (with query) or fnmatch pattern -> fault spec; see crawler.replica.faults
    faults: dict[str, str] = field(default_factory=dict)

    def published(self) -> list[dict[str, Any]]:
        return sorted(self.articles, key=lambda a: a["published_at"], reverse=True)

    def find(self, path: str) -> dict[str, Any] | None:
        return next((a for a in self.articles if a["path"] == path), None)

    def url(self, path: str) -> str:
        return f"https://{self.host}{path}"


@dataclass
class ReplicaState:
    sites: dict[str, ReplicaSite] = field(default_factory=dict)
    serial: int = 0

    # ------------------------------------------------------------------ building

    @classmethod
    def from_sources(cls, sources: Iterable[Source]) -> ReplicaState:
        state = cls()
        for source in sources:
            paths: dict[str, list[str]] = {"feeds": [], "sitemaps": [], "listings": []}
            host = urlsplit(source.home).hostname or source.id
            for kind in paths:
                for url in getattr(source, kind):
                    parts = urlsplit(url)
                    host = parts.hostname or host
                    paths[kind].append(parts.path + (f"?{parts.query}" if parts.query else ""))
            state.sites[host] = ReplicaSite(
                host=host,
                source_id=source.id,
                parser=source.parser,
                language=source.language,
                feeds=paths["feeds"],
                sitemaps=paths["sitemaps"],
                listings=paths["listings"],
                page_template=source.page_template,
            )
        return state

    def publish(
        self, host: str, article: dict[str, Any], *, published_at: datetime | None = None
    ) -> dict[str, Any]:
        """Publish one article (title, summary, paragraphs, authors, language...) on ``host``."""
        site = self.sites[host]
        self.serial += 1
        when = published_at or article.get("published_at") or datetime.now(UTC)
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        language = article.get("language", site.language)
        path = article.get("path") or article_path(
            site.parser, article["title"], when, self.serial, language
        )
        record = {
            **article,
            "language": language,
            "published_at": when.astimezone(VN).isoformat(),
            "path": path,
            "url": site.url(path),
            "serial": self.serial,
        }
        site.articles.append(record)
        return record

    # ------------------------------------------------------------------ persistence

    def to_json(self) -> dict[str, Any]:
        return {"serial": self.serial, "sites": {h: vars(s) for h, s in self.sites.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReplicaState:
        sites = {h: ReplicaSite(**s) for h, s in data.get("sites", {}).items()}
        return cls(sites=sites, serial=int(data.get("serial", 0)))

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> ReplicaState:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def mirrors(self, base_url: str) -> list[str]:
        """``--mirror`` values pointing each replica host at the server at ``base_url``."""
        return [f"{host}={base_url.rstrip('/')}/_site/{host}" for host in self.sites]


# ---------------------------------------------------------------------- rendering


def _rfc822(iso: str) -> str:
    return format_datetime(datetime.fromisoformat(iso))


def render_rss(site: ReplicaSite, feed_path: str, limit: int = 30) -> str:
    items = []
    for a in site.published()[:limit]:
        items.append(
            "<item>"
            f"<title><![CDATA[{a['title']}]]></title>"
            f"<link>{escape(a['url'])}</link>"
            f'<guid isPermaLink="true">{escape(a["url"])}</guid>'
            f"<description><![CDATA[{a.get('summary', '')}]]></description>"
            f"<pubDate>{_rfc822(a['published_at'])}</pubDate>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(site.host)}</title><link>{escape(site.url('/'))}</link>"
        f"<description>Replica feed {escape(feed_path)}</description>"
        + "".join(items)
        + "</channel></rss>\n"
    )


def render_sitemap_index(site: ReplicaSite) -> str:
    days = sorted({a["published_at"][:10] for a in site.articles}, reverse=True)
    entries = "".join(
        f"<sitemap><loc>{escape(site.url(f'/sitemap/sitemap-post/{day}.xml'))}</loc>"
        f"<lastmod>{day}T23:59:59+07:00</lastmod></sitemap>"
        for day in days
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n'
    )


def render_sitemap_day(site: ReplicaSite, day: str) -> str | None:
    articles = [a for a in site.published() if a["published_at"].startswith(day)]
    if not articles:
        return None
    urls = "".join(
        f"<url><loc>{escape(a['url'])}</loc><lastmod>{a['published_at']}</lastmod></url>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )


def listing_page_path(site: ReplicaSite, listing: str, page: int) -> str:
    if page == 1:
        return listing
    if site.page_template:
        from spiders.discovery import page_url

        return urlsplit(page_url(site.page_template, site.url(listing), page)).path
    return f"{listing.rstrip('/')}-page{page}"


def match_listing(site: ReplicaSite, path: str) -> tuple[str, int] | None:
    """(listing, page) for a listing page path, or None."""
    for listing in site.listings:
        for page in range(1, 1 + max(1, -(-len(site.articles) // PAGE_SIZE)) + 1):
            if listing_page_path(site, listing, page) == path:
                return listing, page
    return None


def render_listing(site: ReplicaSite, listing: str, page: int) -> str:
    articles = site.published()
    chunk = articles[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    pages = max(1, -(-len(articles) // PAGE_SIZE))
    items = "".join(
        f'<article class="item-news"><h3 class="title-news"><a href="{escape(a["path"])}" '
        f'title="{escape(a["title"])}">{escape(a["title"])}</a></h3>'
        f'<p class="description">{escape(a.get("summary", ""))}</p></article>'
        for a in chunk
    )
    head_next = ""
    nav = ""
    if page < pages:
        following = listing_page_path(site, listing, page + 1)
        head_next = f'<link rel="next" href="{escape(following)}">'
        nav = f'<a class="next-page" rel="next" href="{escape(following)}">Trang sau</a>'
    return (
        f'<!DOCTYPE html><html lang="{site.language}"><head><meta charset="utf-8">'
        f"<title>{escape(site.host)} - {escape(listing)}</title>{head_next}</head><body>"
        f'<nav class="main-nav"><a href="/">Trang chủ</a><a href="/lien-he.htm">Liên hệ</a>'
        f'<a href="{escape(listing)}">Chuyên mục</a></nav>'
        f'<section class="list-news">{items}</section><div class="pagination">{nav}</div>'
        "</body></html>"
    )


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'


def recent(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)
