"""The demo corpus: articles written for the replica sites, shipped as package data.

Each ``<source id>.json`` holds the articles "published" on that source's replica site
when the demo starts; ``reserve.json`` holds articles kept back for ``newswatch demo
--add N`` (each names its source). All of them were written for newswatch: the people,
start-ups, models and figures in them are fictional.

An entry has ``id``, ``title``, ``summary``, ``paragraphs``, ``authors``, ``section``,
``topic`` (what a careful reader would label it: ``open-source-ai``, ``ai`` or
``other``; the ground truth the tests compare the classifier's labels with),
``hours_ago`` (publication time relative to the moment the demo publishes the corpus, so
that feeds never look stale) and optionally ``language`` (default: the site's),
``original`` (the id of the article this one translates or republishes with a
"Source:/Nguồn:" link), ``source_name`` (that original paper's name, which vietnam.vn
prints above the text) and ``copy_of`` (the id of a story this one republishes with
light edits and no link).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from crawler.replica.site import ReplicaSite, ReplicaState

TOPICS = ("open-source-ai", "ai", "other")
LANGUAGES = ("vi", "en", "fr")
RESERVE_FILE = "reserve.json"
# The closing line of a republished copy, per language.
CREDIT = {"vi": "(Theo {host})", "en": "(Reported by {host})", "fr": "(D'après {host})"}


class CorpusError(ValueError):
    """A corpus file that does not follow the format; the message names file and entry."""


@dataclass(frozen=True)
class CorpusArticle:
    """One article of the demo corpus."""

    id: str
    source: str
    topic: str
    title: str
    summary: str
    paragraphs: tuple[str, ...]
    authors: tuple[str, ...] = ()
    section: str = ""
    language: str | None = None
    hours_ago: float | None = None
    original: str | None = None
    copy_of: str | None = None
    source_name: str = ""
    reserve: bool = False

    def record(
        self,
        language: str,
        original_url: str | None = None,
        related: Sequence[dict[str, str]] = (),
    ) -> dict[str, Any]:
        """The article as :meth:`ReplicaState.publish` takes it (no time, no path)."""
        record: dict[str, Any] = {
            "corpus_id": self.id,
            "title": self.title,
            "summary": self.summary,
            "paragraphs": list(self.paragraphs),
            "authors": list(self.authors),
            "section": self.section,
            "language": self.language or language,
            "topic": self.topic,
        }
        if original_url:
            record["original_url"] = original_url
        if self.source_name:
            record["source_name"] = self.source_name
        if related:
            record["related"] = list(related)
        return record


_REQUIRED = ("id", "topic", "title", "summary", "paragraphs")
_KNOWN = {*_REQUIRED, "source", "authors", "section", "language", "hours_ago", "original"}
_KNOWN |= {"copy_of", "source_name"}


def corpus_dir() -> Path:
    return Path(str(resources.files(__name__)))


def load_corpus(directory: Path | None = None) -> list[CorpusArticle]:
    """Every corpus article (main part first, in file order, then the reserve), validated."""
    folder = directory or corpus_dir()
    files = sorted(p for p in folder.glob("*.json") if p.name != RESERVE_FILE)
    if (folder / RESERVE_FILE).is_file():
        files.append(folder / RESERVE_FILE)
    articles: list[CorpusArticle] = []
    for path in files:
        articles.extend(_load_file(path))
    _check_references(articles)
    return articles


def _load_file(path: Path) -> list[CorpusArticle]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{path}: cannot read corpus file: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise CorpusError(f"{path}: expected an object with an 'articles' list")
    reserve = bool(data.get("reserve", False))
    default_source = data.get("source")
    out = []
    for index, entry in enumerate(data["articles"]):
        where = f"{path.name}: articles[{index}]"
        if not isinstance(entry, dict):
            raise CorpusError(f"{where}: expected an object")
        out.append(_entry(entry, where, default_source, reserve))
    return out


def _entry(
    entry: dict[str, Any], where: str, default_source: str | None, reserve: bool
) -> CorpusArticle:
    missing = [key for key in _REQUIRED if not entry.get(key)]
    unknown = sorted(set(entry) - _KNOWN)
    if missing or unknown:
        problem = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
        raise CorpusError(f"{where} ({entry.get('id', '?')}): {problem}")
    source = entry.get("source") or default_source
    if not source:
        raise CorpusError(f"{where} ({entry['id']}): no source (set it in the file or entry)")
    if entry["topic"] not in TOPICS:
        raise CorpusError(f"{where} ({entry['id']}): topic must be one of {', '.join(TOPICS)}")
    if entry.get("language") not in (None, *LANGUAGES):
        raise CorpusError(f"{where} ({entry['id']}): language must be one of vi, en, fr")
    if not reserve and not isinstance(entry.get("hours_ago"), int | float):
        raise CorpusError(f"{where} ({entry['id']}): hours_ago (a number) is required")
    return CorpusArticle(
        id=entry["id"],
        source=source,
        topic=entry["topic"],
        title=entry["title"],
        summary=entry["summary"],
        paragraphs=tuple(entry["paragraphs"]),
        authors=tuple(entry.get("authors", ())),
        section=entry.get("section", ""),
        language=entry.get("language"),
        hours_ago=entry.get("hours_ago"),
        original=entry.get("original"),
        copy_of=entry.get("copy_of"),
        source_name=entry.get("source_name", ""),
        reserve=reserve,
    )


def _check_references(articles: Sequence[CorpusArticle]) -> None:
    by_id: dict[str, CorpusArticle] = {}
    for article in articles:
        if article.id in by_id:
            raise CorpusError(f"duplicate corpus id {article.id!r}")
        by_id[article.id] = article
    for article in articles:
        for ref in (article.original, article.copy_of):
            if ref is None:
                continue
            target = by_id.get(ref)
            if target is None:
                raise CorpusError(f"{article.id}: refers to unknown article {ref!r}")
            if target.reserve and not article.reserve:
                raise CorpusError(f"{article.id}: refers to reserve article {ref!r}")
            if target.original or target.copy_of:
                raise CorpusError(f"{article.id}: refers to {ref!r}, itself a copy")


# ---------------------------------------------------------------------- publishing


def site_for(state: ReplicaState, source_id: str) -> ReplicaSite:
    """The replica site of a source id (KeyError naming the id when there is none)."""
    for site in state.sites.values():
        if site.source_id == source_id:
            return site
    raise KeyError(f"no replica site for source {source_id!r}")


def published_ids(state: ReplicaState) -> set[str]:
    """Corpus ids already published on any replica site."""
    return {
        a["corpus_id"] for site in state.sites.values() for a in site.articles if "corpus_id" in a
    }


def _related(site: ReplicaSite, limit: int = 2) -> list[dict[str, str]]:
    """The "related articles" box: the site's latest articles so far (page boilerplate
    that parsers must leave out of the body)."""
    return [{"title": a["title"], "url": a["url"]} for a in site.published()[:limit]]


def _url_of(state: ReplicaState, corpus_id: str | None) -> str | None:
    if corpus_id is None:
        return None
    for site in state.sites.values():
        for a in site.articles:
            if a.get("corpus_id") == corpus_id:
                return str(a["url"])
    return None


def publish_main(
    state: ReplicaState, articles: Iterable[CorpusArticle], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Publish the main (non-reserve) part, ``hours_ago`` before ``now``.

    Originals go first, so that a translation's "Source:" link has a URL to point at.
    """
    now = now or datetime.now(UTC)
    main = [a for a in articles if not a.reserve]
    ordered = sorted(main, key=lambda a: a.original is not None)
    records = []
    for article in ordered:
        site = site_for(state, article.source)
        when = now - timedelta(hours=float(article.hours_ago or 0))
        record = article.record(site.language, _url_of(state, article.original), _related(site))
        records.append(state.publish(site.host, record, published_at=when))
    return records


def publish_more(
    state: ReplicaState,
    articles: Sequence[CorpusArticle],
    count: int,
    *,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Publish ``count`` articles not published yet: reserve entries first, then copies.

    When the reserve is used up, earlier stories are republished on another site of the
    same language with a closing "(Theo <site>)" line, as papers do with wire copy; such
    a copy is a new article to fetch and belongs to the original's story.
    """
    now = now or datetime.now(UTC)
    done = published_ids(state)
    pending = [a for a in articles if a.reserve and a.id not in done]
    records: list[dict[str, Any]] = []
    for index in range(count):
        when = now - timedelta(minutes=count - index)
        if pending:
            article = pending.pop(0)
            site = site_for(state, article.source)
            record = article.record(site.language, _url_of(state, article.original), _related(site))
        else:
            site, record = _republication(state, articles, done)
        done.add(record["corpus_id"])
        records.append(state.publish(site.host, record, published_at=when))
    return records


def _republication(
    state: ReplicaState, articles: Sequence[CorpusArticle], done: set[str]
) -> tuple[ReplicaSite, dict[str, Any]]:
    for article in articles:
        if article.original or article.copy_of or article.id not in done:
            continue
        home = site_for(state, article.source)
        language = article.language or home.language
        for site in state.sites.values():
            copy_id = f"{article.id}@{site.source_id}"
            if site is home or site.language != language or copy_id in done:
                continue
            record = article.record(language)
            record["corpus_id"] = copy_id
            record["copy_of"] = article.id
            credit = CREDIT.get(language, CREDIT["vi"]).format(host=home.host)
            record["paragraphs"] = [*article.paragraphs, credit]
            return site, record
    raise CorpusError("every corpus story has been republished on every site of its language")
