"""The layered article parser every source parser specialises.

A parser is a pure function of a page: bytes and URL in, :class:`Article` out, no
network, no Scrapy. Each field is taken from the first layer that supplies it, and
``article.extraction[field]`` records which one did:

1. JSON-LD and ``<meta>``: machine-readable and stable across redesigns. They come
   first for dates, authors, the canonical URL, language, image and section.
2. The source's CSS selectors (class attributes below, overridable per instance from
   configuration). They come first for the headline and the standfirst, because the
   meta copies are SEO variants edited separately (nld.com.vn's og:title differs
   from its h1, dantri's meta description stops mid-sentence), and they are the only
   layer for the body.
3. trafilatura's ``bare_extraction``: the generic fallback for unknown sources and
   for known ones whose layout changed (a selector finds nothing).

A new layout of a known site is a subclass with a newer ``version`` that overrides
only the selectors that changed; see ``spiders/parsers/vn/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property
from typing import Any, ClassVar, TypeVar
from urllib.parse import urljoin

import trafilatura

from crawler.dates import DEFAULT_TZ_NAME, parse_datetime, time_from_url_id, zone
from crawler.models import (
    FLAG_DATE_FROM_URL_ID,
    METHOD_FALLBACK,
    METHOD_JSON_LD,
    METHOD_META,
    METHOD_SELECTOR,
    METHOD_TEXT,
    METHOD_URL_ID,
    Article,
)
from crawler.text import clean_line, fold, nfc
from crawler.urls import InvalidURL, canonical_url, is_http_url, on_domains, same_site
from spiders.parsers import boilerplate
from spiders.parsers.css import check as css_check
from spiders.parsers.css import select, select_page
from spiders.parsers.markup import (
    Block,
    Element,
    attr,
    blocks,
    decode_html,
    drop,
    make_tree,
    owner,
    text_nodes,
    text_of,
)
from spiders.parsers.structured import Structured, json_text, json_url, read_structured

T = TypeVar("T")
Found = tuple[T, str]  # a value and the METHOD_* that supplied it

# Keys a source's configuration may set (``[sources.<id>.selectors]``).
SELECTOR_KEYS = ("title", "summary", "body", "date", "authors", "drop")
# "time.published@datetime": read an attribute instead of the element's text.
_ATTRIBUTE_SUFFIX_RE = re.compile(r"^(?P<css>.+?)@(?P<attr>[A-Za-z_:][-\w:.]*)$")

_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "pubdate",
    "datepublished",
    "publishdate",
    "publish-date",
    "dc.date.issued",
    "parsely-pub-date",
    "sailthru.date",
)
_MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "lastmod",
    "dc.date.modified",
)
_AUTHOR_META = ("author", "article:author", "dable:author", "parsely-author", "dc.creator")
# Attributes that hold a link when ``original_link_selector`` names none.
_LINK_ATTRIBUTES = ("data-link", "href", "title")


class ParseError(Exception):
    """The page is not an article that can be stored: no title, or a stub body.

    Raised by :func:`spiders.parsers.parse_article`; ``reason`` says why in a few
    words ("no title; body too short (12 < 150 characters)") so that the spider can
    count and report rejected pages per source instead of storing them.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def split_attribute(selector: str) -> tuple[str, str | None]:
    """``"time@datetime"`` -> ``("time", "datetime")``; plain selectors read text."""
    match = _ATTRIBUTE_SUFFIX_RE.match(selector.strip())
    if match is None:
        return selector.strip(), None
    return match["css"].strip(), match["attr"]


def _check_selector(key: str, selector: str) -> None:
    css, _ = split_attribute(selector)
    try:
        css_check(css)
    except ValueError as exc:
        raise ValueError(f"invalid CSS selector for {key!r}: {selector!r} ({exc})") from exc


def first(candidates: Iterable[Found[T]]) -> Found[T] | None:
    """The first candidate whose value is not empty (candidates are produced lazily)."""
    for value, method in candidates:
        if value:
            return value, method
    return None


@dataclass
class Fallback:
    """What trafilatura extracts from a page, reduced to the fields used here."""

    title: str = ""
    author: str = ""
    description: str = ""
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Page:
    """One page being parsed: its text (as decoded, not normalised: everything read
    from the page is), tree (the ``<html>`` element), structured data and zone."""

    url: str
    html: str
    root: Element
    data: Structured
    tz: tzinfo
    site_keys: frozenset[str]

    def select(self, selector: str) -> list[Element]:
        """Elements of the page that the CSS ``selector`` matches, in document order."""
        return select_page(self.root, selector)

    def select_one(self, selector: str) -> Element | None:
        """The first element of the page that ``selector`` matches, or None."""
        found = self.select(selector)
        return found[0] if found else None

    @cached_property
    def fallback(self) -> Fallback:
        """trafilatura's reading of the original HTML, computed only when needed."""
        doc: Any = trafilatura.bare_extraction(
            nfc(self.html),
            url=self.url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
        )
        if doc is None:
            return Fallback()
        lines = (clean_line(line) for line in (doc.text or "").split("\n"))
        return Fallback(
            title=clean_line(doc.title or ""),
            author=doc.author or "",
            description=clean_line(doc.description or ""),
            paragraphs=[line for line in lines if line],
        )


class BaseParser:
    """Layered extraction; subclasses set the class attributes of one source.

    Selectors are CSS (:mod:`spiders.parsers.css`). ``date_selector`` may end in
    ``@attribute`` to read that attribute instead of the text. ``drop_selectors`` are
    removed from the body in addition to :data:`boilerplate.DROP_SELECTORS`. A
    configuration mapping (keys :data:`SELECTOR_KEYS`) overrides the class's selectors
    for one instance; its ``drop`` adds to the class's list.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = ""  # ISO date of the earliest page this layout is known from
    domains: ClassVar[tuple[str, ...]] = ()
    site_names: ClassVar[tuple[str, ...]] = ()  # bylines naming the site, not a person

    title_selector: ClassVar[str] = ""
    summary_selector: ClassVar[str] = ""
    body_selector: ClassVar[str] = ""
    date_selector: ClassVar[str] = ""
    authors_selector: ClassVar[str] = ""
    section_selector: ClassVar[str] = ""
    # where a republished article names its original: "css@attr", or elements whose
    # data-link, href, title or text holds the URL
    original_link_selector: ClassVar[str] = ""
    drop_selectors: ClassVar[tuple[str, ...]] = ()
    # extra paragraph patterns (searched in the text) that are never article text
    boilerplate_patterns: ClassVar[tuple[re.Pattern[str], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for key in ("title", "summary", "body", "date", "authors", "section", "original_link"):
            selector = getattr(cls, f"{key}_selector")
            if selector:
                _check_selector(key, selector)
        for selector in cls.drop_selectors:
            _check_selector("drop", selector)

    def __init__(self, selectors: Mapping[str, str] | None = None) -> None:
        self._drop = tuple(boilerplate.DROP_SELECTORS) + tuple(self.drop_selectors)
        self._drop_selector = ", ".join(self._drop)
        for key, selector in (selectors or {}).items():
            if key not in SELECTOR_KEYS:
                raise ValueError(
                    f"unknown selector key {key!r}; expected one of {', '.join(SELECTOR_KEYS)}"
                )
            if not isinstance(selector, str) or not selector.strip():
                raise ValueError(f"selector {key!r} must be a non-empty string")
            _check_selector(key, selector)
            if key == "drop":
                self._drop += (selector,)
                self._drop_selector = ", ".join(self._drop)
            else:
                setattr(self, f"{key}_selector", selector)

    @property
    def id(self) -> str:
        """``"name@version"``, recorded in ``Article.parser``."""
        return f"{self.name}@{self.version}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"

    # --- the whole page ----------------------------------------------------------

    def read_page(
        self, html: bytes | str, url: str, *, encoding: str | None, tz: tzinfo | str
    ) -> Page:
        # Not normalised as a whole: text is NFC'd where it is read (clean_line, attr,
        # text_nodes), which costs a fraction of normalising every byte of markup.
        if isinstance(html, str):
            text, utf8 = html, None
        else:
            text, used = decode_html(html, encoding, normalise=False)
            utf8 = html if used == "utf-8" else None  # decoded strictly: the same text
        root = make_tree(text, utf8=utf8)
        data = read_structured(root)
        publisher = data.article.get("publisher")
        names = [
            *self.site_names,
            data.first_meta("og:site_name", "application-name"),
            json_text(publisher) if isinstance(publisher, dict) else "",
        ]
        keys = boilerplate.site_keys(url, [n for n in names if n])
        return Page(url, text, root, data, zone(tz), keys)

    def parse(
        self,
        html: bytes | str,
        url: str,
        *,
        encoding: str | None = None,
        tz: tzinfo | str = DEFAULT_TZ_NAME,
    ) -> Article:
        """Extract an article (not yet normalised; see ``parse_article``).

        Raises :class:`ParseError` for a page that states nothing making it an article
        and whose body only the generic extractor found (a listing or index page).
        """
        page = self.read_page(html, url, encoding=encoding, tz=tz)
        found = self.fields(page)
        article = Article(url=url, source="", title="", text="", parser=self.id)
        article.url, article.related_urls, url_method = self.identity(page)
        if url_method:
            article.extraction["url"] = url_method
        if article.url != url:
            article.fetched_url = url
        title = found["title"][0] if found["title"] else ""
        paragraphs, body_method, source_link = self.body(page, title)  # last: edits the tree
        if body_method == METHOD_FALLBACK and not page.data.article and not found["published_at"]:
            # og:type says "article" on cafef's and nld's section pages too: no evidence
            raise ParseError(
                "no article markup (no JSON-LD article, no publication time, body selector "
                "matched nothing): a listing or index page?"
            )
        if paragraphs:
            found["text"] = "\n\n".join(paragraphs), body_method
        if source_link and not found["original_url"]:
            found["original_url"] = source_link, METHOD_TEXT
        for name, result in found.items():
            if result is not None:
                setattr(article, name, result[0])
                article.extraction[name] = result[1]
        if found["published_at"] and found["published_at"][1] == METHOD_URL_ID:
            article.flags.append(FLAG_DATE_FROM_URL_ID)
        return article

    def fields(self, page: Page) -> dict[str, Found[Any] | None]:
        """Every field but the body and the URL: its value and the layer that gave it."""
        return {
            "title": first(self.title_candidates(page)),
            "summary": first(self.summary_candidates(page)),
            "authors": first(self.author_candidates(page)),
            "published_at": self.published(page),
            "modified_at": first(self.modified_candidates(page)),
            "language": first(self.language_candidates(page)),
            "image_url": first(self.image_candidates(page)),
            "section": first(self.section_candidates(page)),
            "original_url": first(self.original_candidates(page)),
        }

    # --- helpers for candidates --------------------------------------------------

    def select_text(self, page: Page, selector: str) -> str:
        """Text of the first element ``selector`` matches ("" when none)."""
        if not selector:
            return ""
        css, attribute = split_attribute(selector)
        tag = page.select_one(css)
        return attr(tag, attribute) if attribute else text_of(tag)

    def absolute(self, page: Page, url: str) -> str:
        return urljoin(page.url, url.strip()) if url else ""

    # --- fields, each a lazy sequence of candidates, best first ------------------

    def title_candidates(self, page: Page) -> Iterator[Found[str]]:
        yield self.select_text(page, self.title_selector), METHOD_SELECTOR
        yield json_text(page.data.article.get("headline")), METHOD_JSON_LD
        og_title = page.data.first_meta("og:title", "twitter:title")
        yield boilerplate.strip_site_suffix(og_title, page.site_keys), METHOD_META
        html_title = text_of(page.select_one("head > title"))
        yield boilerplate.strip_site_suffix(html_title, page.site_keys), METHOD_META
        yield page.fallback.title, METHOD_FALLBACK

    def summary_candidates(self, page: Page) -> Iterator[Found[str]]:
        def clean(text: str) -> str:
            return boilerplate.strip_dateline(boilerplate.strip_site_suffix(text, page.site_keys))

        yield clean(self.select_text(page, self.summary_selector)), METHOD_SELECTOR
        yield clean(json_text(page.data.article.get("description"))), METHOD_JSON_LD
        description = page.data.first_meta("og:description", "description", "twitter:description")
        yield clean(description), METHOD_META
        if not self.summary_selector:
            yield clean(page.fallback.description), METHOD_FALLBACK

    def people(self, page: Page, bylines: Iterable[str]) -> list[str]:
        """Person names from bylines, without the site's own name (checked before and
        after cleaning: "Vietnam+ (VietnamPlus)" is the site, "Vietnam+" alone is not
        recognisable)."""
        keys = page.site_keys
        names = (
            name
            for byline in bylines
            if not boilerplate.is_site_name(byline, keys)
            for name in boilerplate.clean_authors(byline)
        )
        return [name for name in names if not boilerplate.is_site_name(name, keys)]

    def json_ld_bylines(self, page: Page) -> list[str]:
        value = page.data.article.get("author")
        entries = value if isinstance(value, list) else [value]
        bylines = []
        for entry in entries:
            if isinstance(entry, dict) and "Organization" in str(entry.get("@type", "")):
                continue  # the publisher standing in for a byline (vnexpress)
            bylines.append(json_text(entry))
        return bylines

    def author_candidates(self, page: Page) -> Iterator[Found[list[str]]]:
        yield self.people(page, self.json_ld_bylines(page)), METHOD_JSON_LD
        if self.authors_selector:
            tags = page.select(self.authors_selector)
            yield self.people(page, (text_of(tag) for tag in tags)), METHOD_SELECTOR
        yield self.people(page, page.data.all_meta(*_AUTHOR_META)), METHOD_META
        if not self.authors_selector:  # a site's byline selector finding none means none
            yield self.people(page, [page.fallback.author.replace(";", ",")]), METHOD_FALLBACK

    def date_values(self, page: Page) -> Iterator[Found[str]]:
        """Raw publication-time strings, most trustworthy first."""
        yield json_text(page.data.article.get("datePublished")), METHOD_JSON_LD
        for value in page.data.all_meta(*_PUBLISHED_META):
            yield value, METHOD_META
        if self.date_selector:
            method = METHOD_SELECTOR if split_attribute(self.date_selector)[1] else METHOD_TEXT
            yield self.select_text(page, self.date_selector), method

    def published(self, page: Page) -> Found[datetime] | None:
        """A time with hours and minutes from the page; else the URL-id creation time
        (when no date-only value contradicts its day); else a date alone at midnight."""
        values = list(self.date_values(page))
        timed = _first_time(values, page.tz, require_time=True)
        if timed:
            return timed
        dated = _first_time(values, page.tz, require_time=False)
        canonical = self.absolute(page, page.data.canonical)
        from_id = time_from_url_id(page.url, page.tz) or time_from_url_id(canonical, page.tz)
        if from_id and (dated is None or dated[0].date() == from_id.date()):
            return from_id, METHOD_URL_ID
        return dated

    def modified_candidates(self, page: Page) -> Iterator[Found[datetime | None]]:
        yield (
            parse_datetime(json_text(page.data.article.get("dateModified")), page.tz),
            METHOD_JSON_LD,
        )
        for value in page.data.all_meta(*_MODIFIED_META):
            yield parse_datetime(value, page.tz), METHOD_META

    def language_candidates(self, page: Page) -> Iterator[Found[str]]:
        """The declared language (checked against the text later, in normalise)."""
        yield page.data.html_lang, METHOD_META
        yield page.data.first_meta("content-language", "og:locale", "inlanguage"), METHOD_META
        yield json_text(page.data.article.get("inLanguage")), METHOD_JSON_LD

    def image_candidates(self, page: Page) -> Iterator[Found[str]]:
        yield self.absolute(page, page.data.first_meta("og:image", "twitter:image")), METHOD_META
        yield self.absolute(page, json_url(page.data.article.get("image"))), METHOD_JSON_LD

    def section_candidates(self, page: Page) -> Iterator[Found[str]]:
        def head(text: str) -> str:
            return clean_line(text.split(",")[0])

        yield head(json_text(page.data.article.get("articleSection"))), METHOD_JSON_LD
        yield head(page.data.first_meta("article:section", "articlesection")), METHOD_META
        yield self.select_text(page, self.section_selector), METHOD_SELECTOR

    def original_candidates(self, page: Page) -> Iterator[Found[str]]:
        """The article this page republishes or translates (another site's page)."""
        if self.original_link_selector:
            css, attribute = split_attribute(self.original_link_selector)
            for tag in page.select(css):
                values = (
                    [attr(tag, attribute)]
                    if attribute
                    else [attr(tag, a) for a in _LINK_ATTRIBUTES] + [text_of(tag)]
                )
                for value in values:
                    link = self.off_site_link(page, value)
                    if link:
                        yield link, METHOD_SELECTOR

    def off_site_link(self, page: Page, value: str) -> str:
        """``value`` (or the first URL in it) made absolute, when on another site."""
        found = boilerplate.URL_IN_TEXT_RE.search(value or "")
        link = self.absolute(page, found.group(0) if found else value)
        if is_http_url(link) and not same_site(link, page.url):
            return link
        return ""

    # --- identity ------------------------------------------------------------------

    def identity(self, page: Page) -> tuple[str, list[str], str | None]:
        """The article URL, other pages it names as itself, and where the URL came from.

        ``<link rel=canonical>`` is the URL when it is on the fetched site; a canonical
        or og:url naming another site or page goes to ``related_urls``.
        """
        related: list[str] = []
        url, method = page.url, None
        canonical = self.absolute(page, page.data.canonical)
        if canonical and _canonical_or_none(canonical):
            if same_site(canonical, page.url):
                url, method = canonical, METHOD_META
            else:
                related.append(canonical)
        og_url = self.absolute(page, page.data.first_meta("og:url"))
        if og_url and _canonical_or_none(og_url) not in (None, _canonical_or_none(url)):
            related.append(og_url)
        return url, related, method

    # --- body ----------------------------------------------------------------------

    def body_roots(self, page: Page) -> list[Element]:
        """Elements the body selector matches, outermost only."""
        if not self.body_selector:
            return []
        matches = page.select(self.body_selector)
        chosen = set(matches)
        return [tag for tag in matches if not any(p in chosen for p in tag.iterancestors())]

    def drop_boilerplate(self, root: Element) -> None:
        """Remove everything in :attr:`_drop` from ``root`` (outermost first)."""
        dropped: set[Element] = set()
        for tag in select(root, self._drop_selector):
            if not any(p in dropped for p in tag.iterancestors()):
                drop(tag)
                dropped.add(tag)

    def is_article_text(self, page: Page, text: str) -> bool:
        """False for captions, navigation and this site's own boilerplate lines."""
        if boilerplate.is_caption(text) or boilerplate.is_boilerplate(text):
            return False
        return not any(pattern.search(text) for pattern in self.boilerplate_patterns)

    def source_link(self, page: Page, block: Block) -> str:
        """The original's URL when ``block`` is a closing "Source: <link>" line."""
        match = boilerplate.SOURCE_LINE_RE.match(block.text)
        if match is None:
            return ""
        for value in (*block.links, match["rest"]):
            link = self.off_site_link(page, value)
            if link:
                return link
        return ""

    def clean_blocks(self, page: Page, items: list[Block], title: str) -> tuple[list[str], str]:
        """Article paragraphs from body blocks (the headline repeated in the body
        dropped), and the link of a closing "Source: <link>" line if any."""
        folded_title = fold(title)
        kept = [
            b for b in items if self.is_article_text(page, b.text) and fold(b.text) != folded_title
        ]
        for index in range(len(kept) - 1, max(len(kept) - 4, -1), -1):
            link = self.source_link(page, kept[index])
            if link:
                return [b.text for b in kept[:index]], link
        return [b.text for b in kept], ""

    def page_source_link(self, page: Page) -> str:
        """The last "Source: <link>" paragraph anywhere on the page (fallback bodies
        are plain text, so the link is looked up in the tree)."""
        starts = [
            parent
            for text, parent in text_nodes(page.root)
            if boilerplate.SOURCE_START_RE.search(text)
        ]
        for parent in reversed(starts):
            for block in blocks(owner(parent, page.root)):
                link = self.source_link(page, block)
                if link:
                    return link
        return ""

    def body(self, page: Page, title: str) -> tuple[list[str], str, str]:
        """Body paragraphs, the method that found them, and a closing source link."""
        roots = self.body_roots(page)
        for root in roots:
            self.drop_boilerplate(root)
        items = [block for root in roots for block in blocks(root)]
        paragraphs, link = self.clean_blocks(page, items, title)
        if paragraphs:
            return paragraphs, METHOD_SELECTOR, link
        lines = [Block(text) for text in page.fallback.paragraphs]
        paragraphs, link = self.clean_blocks(page, lines, title)
        return paragraphs, METHOD_FALLBACK, link or self.page_source_link(page)


def _first_time(
    values: Iterable[Found[str]], tz: tzinfo, *, require_time: bool
) -> Found[datetime] | None:
    for value, method in values:
        moment = parse_datetime(value, tz, require_time=require_time)
        if moment is not None:
            return moment, method
    return None


def _canonical_or_none(url: str) -> str | None:
    try:
        return canonical_url(url)
    except InvalidURL:
        return None


def host_matches(url: str, domains: Iterable[str]) -> bool:
    """True when ``url``'s host is one of ``domains`` or a subdomain of one."""
    return on_domains(url, domains)
