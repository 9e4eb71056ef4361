"""A generated news site for crawl benchmarks, pre-rendered to bytes.

Article pages are the replica templates (:mod:`crawler.replica.render`) of one source,
padded to the size and shape of the real pages in ``shared/real-pages`` (100-300 KB:
mostly inline CSS and scripts, a mega-menu, "most read" boxes with pictures, SVG
icons, a long footer). The padding that a real site repeats on every page (styles,
scripts, menus, footer) is shared between pages here too, so 10,000 pages cost about
20 KB of memory each; what differs per page (the article, its "most read" box) is
rendered once, up front. Listing pages (30 articles each, ``rel=next`` pagination),
an RSS feed of the 30 newest articles and ``robots.txt`` complete the site.

Only the first ``visible`` articles are published; :meth:`Site.set_visible` publishes
more (or fewer) so that one generated site serves crawls of several sizes and the
"k new articles" crawl.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

from benchmarks.textgen import NOUNS, SECTIONS, Article, TextModel
from crawler.replica.render import render_article
from crawler.replica.site import article_path

PER_PAGE = 30
FEED_ITEMS = 30
# One source's block, as the crawl benchmark configures it (see crawl.py).
SOURCE_ID = "benchsite"


@dataclass(frozen=True)
class SiteSpec:
    """What to generate: ``size`` articles of the ``parser``'s template on ``host``."""

    size: int
    seed: int = 7
    parser: str = "vnexpress"
    host: str = "vnexpress.net"
    padding: float = 1.0  # 1.0: pages of 100-300 KB like the real ones; 0: bare templates


@dataclass
class Resource:
    """A response: status, content type and body chunks (shared chunks not copied)."""

    chunks: list[bytes]
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None

    @property
    def size(self) -> int:
        return sum(len(c) for c in self.chunks)


def _etag(chunks: list[bytes]) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for chunk in chunks:
        digest.update(chunk)
    return '"' + digest.hexdigest()[:20] + '"'


class Padding:
    """The markup a real site puts around an article, generated (never copied)."""

    def __init__(self, seed: int, scale: float) -> None:
        self.random = random.Random(seed)
        self.scale = scale
        variants = [0.5, 0.9, 1.1, 1.4] if scale > 0 else [0.0]
        self.heads = [self._head(v * scale) for v in variants]
        self.nav = self._nav() if scale > 0 else b""
        self.footer = self._footer() if scale > 0 else b""

    def _css(self, rules: int) -> str:
        r = self.random
        props = (
            "margin:0 {0}px", "padding:{0}px {1}px", "color:#{2:06x}", "font-size:{0}px",
            "line-height:{1}px", "border-bottom:1px solid #{2:06x}", "display:flex",
            "justify-content:space-between", "background:#{2:06x}", "width:{3}%",
            "position:relative", "overflow:hidden", "text-overflow:ellipsis",
        )  # fmt: skip
        out = []
        for i in range(rules):
            chosen = r.sample(props, r.randint(2, 6))
            body = ";".join(
                p.format(
                    r.randint(1, 40), r.randint(1, 60), r.randrange(1 << 24), r.randint(1, 100)
                )
                for p in chosen
            )
            out.append(f".c{i:x} .item-{r.randint(1, 99)}>a:hover,.w-{i % 97}{{{body}}}")
        return "\n".join(out)

    def _script(self, statements: int) -> str:
        r = self.random
        out = ["(function(w,d){'use strict';var cfg={};"]
        for i in range(statements):
            out.append(
                f"cfg['k{i}']={{id:{r.randint(1, 10**6)},zone:'z{r.randint(1, 999)}',"
                f"size:[{r.randint(100, 970)},{r.randint(50, 600)}],"
                f"lazy:{str(r.random() < 0.5).lower()}}};"
                f"function f{i}(e){{if(!e||!e.target)return;var t=e.target.closest('.w-{i % 97}');"
                f"t&&t.classList.toggle('open');}}"
            )
        out.append("w.__cfg=cfg;})(window,document);")
        return "\n".join(out)

    def _svg(self) -> str:
        r = self.random
        points = " ".join(f"L{r.uniform(0, 24):.2f} {r.uniform(0, 24):.2f}" for _ in range(60))
        return f'<svg viewBox="0 0 24 24" width="24" height="24"><path d="M0 0 {points}Z"/></svg>'

    def _head(self, scale: float) -> bytes:
        if scale <= 0:
            return b""
        css = self._css(int(1300 * scale))
        js = self._script(int(180 * scale))
        return (f"<style>{css}</style>\n<script>{js}</script>\n").encode()

    def _nav(self) -> bytes:
        r = self.random
        items = []
        for section in SECTIONS:
            subs = "".join(
                f'<li><a href="/{_slug(section)}/{_slug(r.choice(NOUNS))}-{j}" '
                f'title="{escape(r.choice(NOUNS))}">{escape(r.choice(NOUNS))}</a></li>'
                for j in range(12)
            )
            items.append(
                f'<li class="has-sub"><a href="/{_slug(section)}">{escape(section)}</a>'
                f'<ul class="sub-menu">{subs}</ul></li>'
            )
        icons = "".join(self._svg() for _ in range(8))
        return (
            f'<div class="top-bar">{icons}</div><nav class="main-nav mega-menu"><ul>'
            f"{''.join(items)}</ul></nav>\n"
        ).encode()

    def _footer(self) -> bytes:
        r = self.random
        links = "".join(
            f'<li><a href="/{_slug(r.choice(SECTIONS))}/{_slug(r.choice(NOUNS))}">'
            f"{escape(r.choice(NOUNS))}</a></li>"
            for _ in range(120)
        )
        return (
            f'<footer class="footer"><div class="footer-links"><ul>{links}</ul></div>'
            '<div class="copyright"><p>Cơ quan chủ quản: Công ty cổ phần truyền thông mẫu. '
            "Giấy phép số 000/GP-BTTTT. Địa chỉ: số 1 phố Mẫu, Hà Nội.</p></div>"
            f"<script>{self._script(25)}</script></footer>\n"
        ).encode()

    def head(self, index: int) -> bytes:
        return self.heads[index % len(self.heads)]


def _slug(text: str) -> str:
    from crawler.replica.site import slugify

    return slugify(text)


def _most_read(entries: list[tuple[str, str]]) -> bytes:
    """A "most read" box: teasers with pictures and links to other articles."""
    items = "".join(
        f'<article class="item-news item-news-common"><div class="thumb-art">'
        f'<a href="{escape(path)}" title="{escape(title)}"><picture>'
        f'<img loading="lazy" src="https://img.example.vn/{i}.jpg?w=300&amp;h=180" '
        f'alt="{escape(title)}" width="300" height="180"></picture></a></div>'
        f'<h3 class="title-news"><a href="{escape(path)}">{escape(title)}</a></h3></article>'
        for i, (path, title) in enumerate(entries)
    )
    return f'<aside class="sidebar most-read"><h2>Xem nhiều</h2>{items}</aside>\n'.encode()


def _insert(page: str, padding: Padding, index: int, sidebar: bytes) -> list[bytes]:
    """The rendered page cut where the padding goes: styles and scripts at the end of
    ``<head>``, the menu after ``<body>``, the sidebar and footer before ``</body>``."""
    data = page.encode("utf-8")
    head_end = data.find(b"</head>")
    body_start = data.find(b">", data.find(b"<body")) + 1
    body_end = data.rfind(b"</body>")
    if head_end < 0 or body_start <= 0 or body_end < 0 or not head_end < body_start < body_end:
        raise ValueError("template has no <head>...</head><body>...</body> to pad")
    return [
        data[:head_end],
        padding.head(index),
        data[head_end:body_start],
        padding.nav,
        data[body_start:body_end],
        sidebar,
        padding.footer,
        data[body_end:],
    ]


@dataclass
class Site:
    """The generated site: articles oldest first; the first ``visible`` are published."""

    spec: SiteSpec
    articles: list[Article] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    pages: list[list[bytes]] = field(default_factory=list)
    visible: int = 0
    resources: dict[str, Resource] = field(default_factory=dict)
    padding: Padding | None = None

    @classmethod
    def generate(cls, spec: SiteSpec, now: datetime | None = None) -> Site:
        model = TextModel(spec.seed)
        padding = Padding(spec.seed, spec.padding)
        site = cls(spec, padding=padding)
        start = (now or datetime.now(UTC)) - timedelta(minutes=spec.size + 90)
        for i in range(spec.size):
            article = model.article(when=start + timedelta(minutes=i))
            site.articles.append(article)
            site.paths.append(article_path(spec.parser, article.title, article.published_at, i + 1))
        for i, article in enumerate(site.articles):
            site.pages.append(site._render(i, article))
        site.set_visible(spec.size)
        return site

    def url(self, path: str) -> str:
        return f"https://{self.spec.host}{path}"

    def _render(self, i: int, article: Article) -> list[bytes]:
        assert self.padding is not None
        html = render_article(self.spec.parser, article.replica(self.url(self.paths[i])))
        if self.spec.padding <= 0:
            return [html.encode("utf-8")]
        rng = random.Random(self.spec.seed * 1_000_003 + i)
        others = [rng.randrange(len(self.articles)) for _ in range(12)]
        sidebar = _most_read([(self.paths[j], self.articles[j].title) for j in others])
        return _insert(html, self.padding, i, sidebar)

    # ------------------------------------------------------------------ structure

    @property
    def listing_path(self) -> str:
        return "/tin-moi-nhat"

    @property
    def feed_path(self) -> str:
        return "/rss/tin-moi-nhat.rss"

    def listing_page_path(self, page: int) -> str:
        return self.listing_path if page == 1 else f"{self.listing_path}-p{page}"

    def listing_pages(self) -> int:
        return max(1, -(-self.visible // PER_PAGE))

    def newest(self) -> list[int]:
        return list(range(self.visible - 1, -1, -1))

    def set_visible(self, count: int) -> None:
        """Publish exactly the ``count`` oldest articles; rebuild listings and the feed."""
        if not 0 <= count <= len(self.articles):
            raise ValueError(f"visible must be in 0..{len(self.articles)}, got {count}")
        self.visible = count
        res: dict[str, Resource] = {
            "/robots.txt": Resource(
                [b"User-agent: *\nDisallow: /admin/\n"], "text/plain; charset=utf-8"
            )
        }
        feed = self._feed()
        res[self.feed_path] = Resource([feed], "application/rss+xml; charset=utf-8", _etag([feed]))
        for page in range(1, self.listing_pages() + 1):
            chunks = self._listing(page)
            res[self.listing_page_path(page)] = Resource(
                chunks, etag=_etag(chunks) if page == 1 else None
            )
        for i in range(count):
            res[self.paths[i]] = Resource(self.pages[i])
        self.resources = res

    def _feed(self) -> bytes:
        items = []
        for i in self.newest()[:FEED_ITEMS]:
            a = self.articles[i]
            url = escape(self.url(self.paths[i]))
            items.append(
                f"<item><title><![CDATA[{a.title}]]></title><link>{url}</link>"
                f'<guid isPermaLink="true">{url}</guid>'
                f"<description><![CDATA[{a.summary}]]></description>"
                f"<pubDate>{format_datetime(a.published_at)}</pubDate></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{self.spec.host}</title><link>{escape(self.url('/'))}</link>"
            "<description>Tin mới nhất</description>" + "".join(items) + "</channel></rss>\n"
        ).encode()

    def _listing(self, page: int) -> list[bytes]:
        newest = self.newest()
        chunk = newest[(page - 1) * PER_PAGE : page * PER_PAGE]
        items = "".join(
            f'<article class="item-news"><h3 class="title-news"><a href="{escape(self.paths[i])}"'
            f' title="{escape(self.articles[i].title)}">{escape(self.articles[i].title)}</a></h3>'
            f'<p class="description">{escape(self.articles[i].summary)}</p></article>'
            for i in chunk
        )
        following = ""
        if page < self.listing_pages():
            href = escape(self.listing_page_path(page + 1))
            following = f'<link rel="next" href="{href}">'
        pager = ""
        if following:
            href = escape(self.listing_page_path(page + 1))
            pager = (
                f'<div class="pagination"><a class="next-page" href="{href}">Trang sau</a></div>'
            )

        html = (
            f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
            f"<title>Tin mới nhất - trang {page}</title>{following}</head><body>"
            f'<section class="list-news">{items}</section>{pager}</body></html>'
        )
        if self.spec.padding <= 0:
            return [html.encode("utf-8")]
        sidebar = _most_read([(self.paths[i], self.articles[i].title) for i in newest[:10]])
        assert self.padding is not None
        return _insert(html, self.padding, page, sidebar)

    def fetch_paths(self) -> list[str]:
        """Every path a full crawl of the published site fetches, in crawl order."""
        listing = [self.listing_page_path(p) for p in range(1, self.listing_pages() + 1)]
        return ["/robots.txt", self.feed_path, *listing, *(self.paths[i] for i in self.newest())]
