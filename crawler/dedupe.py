"""Grouping coverage into stories: syndicated copies, edited republications, translations.

Pipeline position: after ``storage.articles.upsert_article`` returns "new" or "updated",
call :meth:`Deduper.assign` with the article id. It

1. normalises title + body (:func:`normalise_for_dedupe`: NFC, lowercase, diacritics
   folded, agency datelines, bylines, "Theo TTXVN" and photo captions removed) and
   computes a MinHash of its word shingles (:func:`signature`);
2. finds candidate copies through an LSH index persisted in SQLite: the signature is
   cut into bands, each band hashed to a bucket, and articles sharing any (band, bucket)
   are found by primary-key lookups, so the cost per article does not grow with the
   database; candidates are kept when their estimated Jaccard similarity reaches
   ``settings.dedupe.threshold``;
3. follows links: a "Source:/Nguồn:" link (``original_url``) or a canonical/og:url
   pointing at another stored page (``related_urls``) joins that page's story even
   across languages; links to pages not stored yet wait in ``dedupe_links`` and join
   when the page arrives;
4. merges every story touched into the one with the smallest id and makes its
   earliest-published member the primary (``duplicate_of IS NULL``), the others
   pointing at it.

Grouping is sticky: an edit that makes an article less similar to its copies does not
split the story (splitting could announce the story twice). ``Deduper.rebuild``
recomputes everything from scratch, e.g. after a threshold change. The SQL lives in
:mod:`storage.stories`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import numpy as np
import sqlite_utils
from datasketch import MinHash

from crawler.config import DedupeSettings
from crawler.text import fold, nfc
from crawler.urls import InvalidURL, canonical_url
from storage import stories
from storage.db import write_transaction
from storage.stories import DedupeRow, Grouping, StoredSignature

log = logging.getLogger(__name__)

# Bump when normalise_for_dedupe changes what it keeps: stored signatures then differ
# from fresh ones, and `newswatch dedupe status` asks for a rebuild.
NORMALISER_VERSION = 1
MINHASH_SCHEME = "affine32"  # pinned: datasketch's default may change between versions
MINHASH_SEED = 1
# Fewer words than this and shingle overlap says little (a caption-only video page, a
# one-line brief): such articles are grouped by their links only.
MIN_TOKENS = 30
# Bounds on the work per article, whatever the size of the database: entries read per
# LSH bucket (the newest) and candidates verified (those sharing the most bands). A
# bucket this crowded holds near-identical texts, already grouped together, so the
# newest of them link the story.
MAX_BUCKET_ENTRIES = 100
MAX_CANDIDATES = 100
# LSH layout: the probability that a pair exactly at the threshold becomes a candidate.
TARGET_RECALL = 0.99

Reason = Literal[
    "new-story",
    "near-duplicate",
    "translation-link",
    "canonical-link",
    "pending-link",
    "existing-story",
]
# When several links put an article in its story, the reason reported is the first.
REASON_ORDER: tuple[Reason, ...] = (
    "translation-link",
    "canonical-link",
    "pending-link",
    "near-duplicate",
)


class UnknownArticle(LookupError):
    """``assign`` was given an id that is not in the articles table."""


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    """Where :meth:`Deduper.assign` put an article, and why.

    ``reason``: "new-story" (alone), "near-duplicate" (text similarity), "translation-link"
    (its "Source:" link names a stored article), "canonical-link" (its canonical/og:url
    is another stored article), "pending-link" (stored articles were waiting for this
    page), "existing-story" (no link found now, it stays where earlier links put it).
    ``similarity`` is the best estimated Jaccard with a near-duplicate, if any;
    ``merged_story_ids`` the stories folded into ``story_id`` by this assignment.
    """

    article_id: int
    story_id: int
    duplicate_of: int | None
    reason: Reason
    similarity: float | None = None
    merged_story_ids: tuple[int, ...] = ()


# --------------------------------------------------------------------------- normalising

_WORD_RE = re.compile(r"\w+")
# Agency dateline with the agency in brackets: "(Dân trí) - ", "Hà Nội, 7/3 (TTXVN) - ",
# "HANOI (VNA) – ". Matched on folded text.
_DATELINE_BRACKET_RE = re.compile(r"^\s*[^()\n]{0,40}?\(\s*[^()\n]{1,40}\)\s*[-–—]+\s*")
# Dateline without brackets: "TTO - ", "VOV.VN - ", "HÀ NỘI - ", "VietNamNet - ".
_DATELINE_PLAIN_RE = re.compile(r"^\s*((?:\S+\s+){0,2}\S+)\s*[-–—]+\s+")
_CAPTION_INLINE_RE = re.compile(r"\(\s*(?:anh|nguon anh|photo|do hoa|video)\s*:[^()]{0,100}\)")
_CAPTION_TAIL_RE = re.compile(r"(?:^|(?<=[.!?|/\-–—]))\s*(?:anh|nguon anh|photo|do hoa)\s*:.*$")
_ILLUSTRATION_RE = re.compile(r"\(?\s*anh\s+minh\s+hoa\s*\)?\.?")
_LEAD_IN_RE = re.compile(
    r"^\s*(?:xem them|doc them|tin lien quan|bai lien quan|video|clip|read more|see also"
    r"|related|lire aussi|voir aussi|a lire)\b"
)
_ATTRIBUTION_RE = re.compile(
    r"^\s*[(\[]?\s*(?:theo|nguon|source|sources|according to|selon|d'apres|bai va anh|bai"
    r"|tin|tin va anh|by|par)\b"
)
_SHORT_ATTRIBUTION = 12  # words: "Theo TTXVN", "Nguồn: Bộ KH&CN", "Bài và ảnh: Minh Châu"
_SHORT_CAPTION = 40  # words: a paragraph this short holding "Ảnh:" is a caption
_BYLINE_WORDS = 6  # trailing paragraphs this short without a sentence are bylines


def _word_count(text: str) -> int:
    return len(_WORD_RE.findall(text))


def _is_dateline_agency(original: str) -> bool:
    """True for "TTO", "VOV.VN", "HÀ NỘI", "VietNamNet": not for an ordinary first word."""
    letters = [c for c in original if c.isalpha()]
    if not letters:
        return False
    if all(c.isupper() for c in letters) or "." in original:
        return True
    return all(sum(c.isupper() for c in word) >= 2 for word in original.split())


def _strip_dateline(folded: str, original: str) -> str:
    match = _DATELINE_BRACKET_RE.match(folded)
    if match:
        return folded[match.end() :]
    match = _DATELINE_PLAIN_RE.match(folded)
    if match and _is_dateline_agency(original[match.start(1) : match.end(1)]):
        return folded[match.end() :]
    return folded


def _clean_paragraph(folded: str) -> str | None:
    """A folded paragraph without captions and credits; None when nothing is left."""
    words = _word_count(folded)
    if _LEAD_IN_RE.match(folded) and words <= 25:
        return None
    if _ATTRIBUTION_RE.match(folded) and words <= _SHORT_ATTRIBUTION:
        return None
    folded = _CAPTION_INLINE_RE.sub(" ", folded)
    tail = _CAPTION_TAIL_RE.search(folded)
    if tail:
        if words <= _SHORT_CAPTION:
            return None
        if len(folded) - tail.start() <= 120:
            folded = folded[: tail.start()]
    if _ILLUSTRATION_RE.search(folded):
        if words <= _SHORT_CAPTION:
            return None
        folded = _ILLUSTRATION_RE.sub(" ", folded)
    return folded if _WORD_RE.search(folded) else None


def _is_byline(folded: str) -> bool:
    stripped = folded.strip().rstrip(".")
    return _word_count(stripped) <= _BYLINE_WORDS and not re.search(r"[.!?:;]", stripped)


def normalise_for_dedupe(title: str, text: str) -> str:
    """Title and body reduced to what copies of one article share: folded words.

    NFC, lowercase, diacritics removed (đ -> d, so "Điện toán" == "dien toan"), and the
    parts that differ between republications removed: the agency dateline opening the
    body ("(Dân trí) -", "TTO -", "Hà Nội, 7/3 (TTXVN) -"), photo captions and credits
    ("Ảnh: ...", "(Ảnh: TTXVN)", "Ảnh minh họa"), "Xem thêm/Video" lead-ins, source
    lines ("Theo TTXVN", "Nguồn: ...") and short trailing bylines. Returns the words
    separated by single spaces.
    """
    paragraphs: list[tuple[str, str]] = []
    for raw in nfc(text).splitlines():
        original = " ".join(raw.split())
        if original:
            paragraphs.append((fold(original), original))
    kept: list[str] = []
    first = True
    for folded, original in paragraphs:
        if first:
            folded = _strip_dateline(folded, original)
        cleaned = _clean_paragraph(folded)
        if cleaned is None:
            continue
        first = False
        kept.append(cleaned)
    while kept and _is_byline(kept[-1]):
        kept.pop()
    if kept and _ATTRIBUTION_RE.match(kept[-1]) and _word_count(kept[-1]) <= _SHORT_ATTRIBUTION:
        kept.pop()
    words = _WORD_RE.findall(fold(nfc(title)))
    for paragraph in kept:
        words.extend(_WORD_RE.findall(paragraph))
    return " ".join(words)


# --------------------------------------------------------------------------- signatures


def shingles(text: str, size: int) -> list[bytes]:
    """Overlapping ``size``-word shingles of whitespace-separated ``text``, deduplicated."""
    words = text.split()
    if not words:
        return []
    if len(words) <= size:
        return [" ".join(words).encode("utf-8")]
    grams = (" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    return [g.encode("utf-8") for g in dict.fromkeys(grams)]


def signature(
    text: str,
    num_perm: int = DedupeSettings.num_perm,
    shingle_size: int = DedupeSettings.shingle_size,
) -> MinHash:
    """MinHash of the word shingles of ``text`` (normally :func:`normalise_for_dedupe` output).

    The permutation scheme and seed are pinned, so signatures stored today compare
    with signatures computed after a datasketch upgrade.
    """
    minhash = MinHash(num_perm=num_perm, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)
    grams = shingles(text, shingle_size)
    if grams:
        minhash.update_batch(grams)
    return minhash


def estimated_jaccard(a: bytes, b: bytes) -> float:
    """Share of equal MinHash values: ``MinHash.jaccard`` on the stored form."""
    left = np.frombuffer(a, dtype="<u4")
    right = np.frombuffer(b, dtype="<u4")
    if left.shape != right.shape:
        raise ValueError("signatures of different sizes cannot be compared")
    return float(np.count_nonzero(left == right)) / float(left.size)


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that two articles of this Jaccard similarity share an LSH bucket."""
    return 1.0 - (1.0 - similarity**rows) ** bands


def lsh_layout(
    threshold: float, num_perm: int, target_recall: float = TARGET_RECALL
) -> tuple[int, int]:
    """(bands, rows) for the index: the most selective layout that still makes a pair
    at ``threshold`` a candidate with probability >= ``target_recall``.

    Verification is cheap (a few hundred bytes per candidate), a missed candidate is a
    story announced twice: so recall at the threshold comes first, and among the
    layouts that reach it the one with the most rows per band (fewest chance
    collisions) wins.
    """
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if candidate_probability(threshold, bands, rows) >= target_recall:
            return bands, rows
    return num_perm, 1


def band_buckets(hashvalues: np.ndarray, bands: int, rows: int) -> list[tuple[int, int]]:
    """(band, bucket) pairs: a signed 64-bit hash of each band's slice of the MinHash."""
    data = np.asarray(hashvalues, dtype="<u4")
    out = []
    for band in range(bands):
        chunk = data[band * rows : (band + 1) * rows].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8).digest()
        out.append((band, int.from_bytes(digest, "little", signed=True)))
    return out


@dataclass(frozen=True)
class IndexParams:
    """What stored signatures and bands depend on; recorded in ``dedupe_meta``."""

    num_perm: int
    shingle_size: int
    bands: int
    rows: int
    scheme: str = MINHASH_SCHEME
    seed: int = MINHASH_SEED
    normaliser: int = NORMALISER_VERSION

    @classmethod
    def from_settings(cls, settings: DedupeSettings) -> IndexParams:
        bands, rows = lsh_layout(settings.threshold, settings.num_perm)
        return cls(settings.num_perm, settings.shingle_size, bands, rows)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexParams:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Prepared:
    """An article's signature and LSH buckets, computed outside the write lock."""

    content_hash: str
    tokens: int
    hashvalues: bytes | None
    buckets: list[tuple[int, int]] = field(default_factory=list)


def prepare(row: DedupeRow, params: IndexParams) -> Prepared:
    """Normalise, sign and band one article (pure: no database access)."""
    normalised = normalise_for_dedupe(row.title, row.text)
    tokens = len(normalised.split())
    if tokens < MIN_TOKENS:
        return Prepared(row.content_hash, tokens, None)
    minhash = signature(normalised, params.num_perm, params.shingle_size)
    values = np.asarray(minhash.hashvalues, dtype="<u4")
    return Prepared(
        row.content_hash, tokens, values.tobytes(), band_buckets(values, params.bands, params.rows)
    )


# --------------------------------------------------------------------------- links


def _canonical_or_none(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return canonical_url(url)
    except InvalidURL:
        return None


def own_urls(row: DedupeRow) -> list[str]:
    """The URLs other pages may use to name this article."""
    urls = [row.url]
    if row.fetched_url:
        urls.append(row.fetched_url)
        canonical = _canonical_or_none(row.fetched_url)
        if canonical:
            urls.append(canonical)
    return list(dict.fromkeys(urls))


def outgoing_links(row: DedupeRow) -> dict[str, str]:
    """canonical URL -> "original" | "related": the other pages this article names.

    A site's home page is never a link target: some CMSs put it in og:url of every page.
    """
    own = set(own_urls(row))
    links: dict[str, str] = {}
    named = [(row.original_url, "original"), *((u, "related") for u in row.related_urls)]
    for raw, kind in named:
        url = _canonical_or_none(raw)
        if url is None or url in own or url in links:
            continue
        parts = urlsplit(url)
        if not parts.path.strip("/") and not parts.query:
            continue
        links[url] = kind
    return links


# --------------------------------------------------------------------------- the deduper


@dataclass
class _Links:
    """The articles an assignment found reasons to join, with the best reason each."""

    reasons: dict[int, Reason] = field(default_factory=dict)
    similarity: dict[int, float] = field(default_factory=dict)

    def add(self, article_id: int, reason: Reason, similarity: float | None = None) -> None:
        current = self.reasons.get(article_id)
        if current is None or REASON_ORDER.index(reason) < REASON_ORDER.index(current):
            self.reasons[article_id] = reason
        if similarity is not None:
            self.similarity[article_id] = max(similarity, self.similarity.get(article_id, 0.0))

    def best(self) -> tuple[Reason, int] | None:
        """The strongest reason and the article behind it (most similar copy on ties)."""
        if not self.reasons:
            return None
        return min(
            ((reason, article_id) for article_id, reason in self.reasons.items()),
            key=lambda item: (
                REASON_ORDER.index(item[0]),
                -self.similarity.get(item[1], 0.0),
                item[1],
            ),
        )


class Deduper:
    """Assigns stored articles to stories. One per database connection; cheap to build."""

    def __init__(self, db: sqlite_utils.Database, settings: DedupeSettings) -> None:
        self.db = db
        self.settings = settings
        self.wanted = IndexParams.from_settings(settings)
        self._warned_stale = False

    # ----------------------------------------------------------------- parameters

    def index_params(self) -> IndexParams:
        """The parameters signatures are computed with: those the stored index was built
        with (so old and new signatures compare), or the settings' for a new index."""
        stored = stories.index_params(self.db)
        if stored is None:
            return self.wanted
        params = IndexParams.from_dict(stored)
        if params != self.wanted and not self._warned_stale:
            self._warned_stale = True
            log.warning(
                "the story index was built with %s but the settings ask for %s; "
                "run `newswatch dedupe rebuild` to apply them",
                params.to_dict(),
                self.wanted.to_dict(),
            )
        return params

    def is_stale(self) -> bool:
        """True when stored groupings were made with other settings (or normaliser) than
        the current ones: ``rebuild`` would regroup them."""
        stored = stories.index_params(self.db)
        if stored is None:
            return False
        built_with = stories.grouping_threshold(self.db)
        return IndexParams.from_dict(stored) != self.wanted or (
            built_with is not None and built_with != self.settings.threshold
        )

    # ----------------------------------------------------------------- assigning

    def assign(self, article_id: int) -> StoryAssignment:
        """Put a stored article in its story (see the module docstring). Idempotent."""
        with write_transaction(self.db):
            row = stories.dedupe_row(self.db, article_id)
            if row is None:
                raise UnknownArticle(f"no stored article with id {article_id}")
            params = self._ensure_params()
            return self._assign_row(row, params, None)

    def _ensure_params(self) -> IndexParams:
        """``index_params``, recording the settings' parameters when the index is new."""
        if stories.index_params(self.db) is None:
            stories.set_index_params(self.db, self.wanted.to_dict(), self.settings.threshold)
        return self.index_params()

    def _assign_row(
        self, row: DedupeRow, params: IndexParams, prepared: Prepared | None
    ) -> StoryAssignment:
        hashvalues, buckets = self._signature(row, params, prepared)
        links = _Links()
        self._follow_links(row, links)
        if hashvalues is not None:
            self._near_duplicates(row.id, hashvalues, buckets, links)
        return self._group(row, links)

    def _signature(
        self, row: DedupeRow, params: IndexParams, prepared: Prepared | None
    ) -> tuple[bytes | None, list[tuple[int, int]]]:
        """The article's MinHash and buckets; recomputed only when its content changed."""
        stored = stories.stored_signature(self.db, row.id)
        if stored is not None and stored.content_hash == row.content_hash:
            if stored.hashvalues is None:
                return None, []
            values = np.frombuffer(stored.hashvalues, dtype="<u4")
            return stored.hashvalues, band_buckets(values, params.bands, params.rows)
        if prepared is None or prepared.content_hash != row.content_hash:
            prepared = prepare(row, params)
        stories.save_signature(
            self.db,
            row.id,
            StoredSignature(prepared.content_hash, prepared.tokens, prepared.hashvalues),
            prepared.buckets,
            now=_now(),
        )
        return prepared.hashvalues, prepared.buckets

    def _follow_links(self, row: DedupeRow, links: _Links) -> None:
        outgoing = outgoing_links(row)
        stories.replace_links(self.db, row.id, outgoing.items())
        targets = stories.article_ids_for_urls(self.db, outgoing)
        for url, target in targets.items():
            if target != row.id:
                kind = outgoing[url]
                links.add(target, "translation-link" if kind == "original" else "canonical-link")
        for source_id in stories.articles_linking_to(self.db, own_urls(row)):
            if source_id != row.id:
                links.add(source_id, "pending-link")

    def _near_duplicates(
        self, article_id: int, hashvalues: bytes, buckets: list[tuple[int, int]], links: _Links
    ) -> None:
        found = stories.candidates(
            self.db,
            buckets,
            exclude=article_id,
            limit=MAX_CANDIDATES,
            per_bucket=MAX_BUCKET_ENTRIES,
        )
        for other_id, other in stories.signatures_of(self.db, found).items():
            similarity = estimated_jaccard(hashvalues, other)
            if similarity >= self.settings.threshold:
                links.add(other_id, "near-duplicate", round(similarity, 4))

    def _group(self, row: DedupeRow, links: _Links) -> StoryAssignment:
        """Merge the stories involved into the smallest id; re-elect the primary."""
        current = stories.story_ids(self.db, [row.id, *links.reasons])
        own_story = current[row.id]
        involved = set(current.values())
        target = min(involved)
        merged = sorted(
            s
            for s in involved - {target}
            if s != own_story or stories.story_size(self.db, own_story) > 1
        )
        stories.merge_stories(self.db, target, involved)
        primary = stories.repoint_primary(self.db, target)
        best = links.best()
        if best is not None:
            reason, matched = best
        else:
            matched = None
            reason = "new-story" if stories.story_size(self.db, target) == 1 else "existing-story"
        similarity = max(links.similarity.values()) if links.similarity else None
        stories.record_grouping(
            self.db, row.id, Grouping(reason, similarity, matched, assigned_at=_now())
        )
        return StoryAssignment(
            article_id=row.id,
            story_id=target,
            duplicate_of=None if primary == row.id else primary,
            reason=reason,
            similarity=similarity,
            merged_story_ids=tuple(merged),
        )

    # ----------------------------------------------------------------- rebuilding

    def rebuild(
        self, *, batch_size: int = 500, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Recompute every signature, band, link and story from scratch; returns the
        number of articles processed.

        Articles are regrouped in id order (so each story again takes the id of its
        first stored member), ``batch_size`` per transaction: signatures are computed
        outside the write lock and a crawl can store articles between batches; those
        are picked up before the rebuild ends. While it runs, stories are incomplete;
        if it is interrupted, run it again.
        """
        total = int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])
        params = self.wanted
        with write_transaction(self.db):
            stories.reset_all(self.db)
            stories.set_index_params(self.db, params.to_dict(), self.settings.threshold)
        self._warned_stale = False
        done, last_id = 0, 0
        while True:
            batch = stories.dedupe_rows_after(self.db, last_id, batch_size)
            if not batch:
                return done
            prepared = {row.id: prepare(row, params) for row in batch}
            with write_transaction(self.db):
                for article_id in prepared:
                    row = stories.dedupe_row(self.db, article_id)
                    if row is not None:
                        self._assign_row(row, params, prepared[article_id])
            done += len(batch)
            last_id = batch[-1].id
            if progress is not None:
                progress(done, max(total, done))


def _now() -> str:
    return datetime.now(UTC).isoformat()
