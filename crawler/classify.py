"""Rule-based classifier: is an article about AI, and is it about open-source AI?

The rules live in ``config/topics.toml`` (see the comments there and ``docs/classifier.md``):
weighted terms per topic and language, field boosts, a context window and two thresholds.
:func:`load_topics` validates the file; :class:`Classifier` compiles the terms once into
regular expressions and then classifies articles as a pure function of their text.

How a verdict is reached, in short:

* Terms are matched on NFC text at word boundaries, across line breaks and extra spaces.
  Case-sensitive terms ("AI", "IA", "LLM") match only as written, never inside a word and
  never in an all-caps line (where "AI CŨNG" is the Vietnamese "anyone"). Multi-word
  terms may also match text typed without diacritics ("fold" matching).
* A term marked ``needs_context`` (generic "open source", ambiguous names like "Falcon"
  or "Claude") only counts when tied to AI: in the body by an AI term in the same
  sentence or within ``window_tokens`` tokens, or by an AI headline (title + summary);
  in the headline by an AI term there, or by a body that is about AI on its own.
* Each (term, field) contributes ``weight x field boost x (1 + ln count)``; the body's
  part is divided by ``sqrt(words / reference_words)`` for long bodies, so a passing
  mention in a long article weighs little.
* ``is_ai`` when the AI score reaches its threshold; ``is_open_source_ai`` when the
  article is AI and the open-source score reaches its own threshold and a minimum share
  of the AI score (one open-source sentence in a closed-model review is not enough).
* The evidence lists every (term, field, count, topic) that counted, sorted.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import os
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Final, TextIO

from crawler.models import Article, Classification, TermMatch
from crawler.text import fold as fold_text
from crawler.text import nfc

__all__ = [
    "ALGORITHM_VERSION",
    "Classifier",
    "JsonlError",
    "Topics",
    "TopicsError",
    "classify_jsonl",
    "load_topics",
]

# Bumped whenever the scoring code changes what the same rules produce, so that
# Topics.digest() (recorded by storage next to each label) changes with it.
ALGORITHM_VERSION: Final = 1

TOPIC_AI: Final = "ai"
TOPIC_OPEN_SOURCE: Final = "open_source"
TOPICS: Final = (TOPIC_AI, TOPIC_OPEN_SOURCE)
ANY_LANGUAGE: Final = "any"
HEAD_FIELDS: Final = frozenset({"title", "summary"})

_LANGUAGE_KEY_RE = re.compile(r"[a-z]{2,3}")
_WORD_RE = re.compile(r"\w+")
# Hyphen-like characters writers and CMSs put inside "open-source", "nơ-ron", "gpt-oss".
_HYPHENS = "-\u2010\u2011\u2012\u2013"
_HYPHEN_RE = re.compile(f"[{_HYPHENS}]")
_APOSTROPHES = "'\u2019"
_APOSTROPHE_RE = re.compile(f"[{_APOSTROPHES}]")
# A sentence ends at . ! ? … (optionally followed by a closing quote or bracket) and
# whitespace, or at a line break. "2.0", "A.I. model" and "TP.HCM" do not end one
# because no whitespace follows, or the next word starts in lowercase (checked below).
_SENTENCE_END_RE = re.compile(r"[.!?…][\"'”’)\]]*\s+(\S)|\n")
# How far (in characters) to look either side of a match for all-caps neighbours.
_SHOUT_SPAN = 40
# A word with at least one letter (digits and "5G" style codes count if they have one).
_CASED_WORD_RE = re.compile(r"\w*[^\W\d_]\w*")
# Never look further than this many characters for a context anchor: bounds the cost of
# one pathological sentence without punctuation.
_MAX_CONTEXT_CHARS = 2000


class TopicsError(ValueError):
    """An invalid topics file. The message is one line: file, key, found, expected."""

    def __init__(self, path: str, key: str, found: object, expected: str) -> None:
        self.path = path
        self.key = key
        self.found = found
        self.expected = expected
        shown = found if isinstance(found, str) and found.startswith("<") else repr(found)
        message = f"{path}: {key}: found {shown}, expected {expected}"
        # TOML keys may hold line breaks; the CLI prints this message as one line.
        super().__init__("".join(c if c.isprintable() else repr(c)[1:-1] for c in message))


class JsonlError(ValueError):
    """Some input lines of :func:`classify_jsonl` were unusable; the others were written.

    ``errors`` lists ``(line_number, reason)`` for every bad line; ``written`` counts the
    objects that were classified and written.
    """

    def __init__(self, errors: list[tuple[int, str]], written: int) -> None:
        self.errors = errors
        self.written = written
        shown = "; ".join(f"line {n}: {reason}" for n, reason in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} bad input line(s), {written} classified: {shown}{more}")


@dataclass(frozen=True, slots=True)
class Term:
    """One term of the rules, as loaded from topics.toml."""

    text: str  # as written in topics.toml; also the label shown as evidence
    topic: str  # TOPIC_AI or TOPIC_OPEN_SOURCE
    language: str  # a language code or ANY_LANGUAGE
    weight: float
    case_sensitive: bool = False
    fold: bool = False  # also match text typed without diacritics
    needs_context: bool = False  # counts only near an AI term
    also_ai: bool = False  # an open-source term that also counts toward the AI score
    digits_after: bool = False  # may be glued to a version number: "Qwen3", "Llama3"
    unless_followed_by: tuple[str, ...] = ()  # "AI mở" but not "AI mở ra"

    @property
    def counts_for_ai(self) -> bool:
        return self.topic == TOPIC_AI or self.also_ai

    @property
    def is_anchor(self) -> bool:
        """Whether this term, once found, gives context to ``needs_context`` terms."""
        return self.counts_for_ai and not self.needs_context


@dataclass(frozen=True, slots=True)
class Scoring:
    """How matches become scores (see topics.toml ``[scoring]``)."""

    title_boost: float = 3.0
    summary_boost: float = 2.0
    text_boost: float = 1.0
    reference_words: int = 150

    def boost(self, field_name: str) -> float:
        if field_name == "title":
            return self.title_boost
        if field_name == "summary":
            return self.summary_boost
        return self.text_boost


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Minimum scores for the two labels (see topics.toml ``[thresholds]``)."""

    ai: float = 2.5
    open_source_ai: float = 2.5
    # Open-source evidence must also be at least this share of the AI evidence, so that
    # one sentence about open models in a long review of a closed model does not count.
    open_source_share: float = 0.2


@dataclass(frozen=True, slots=True)
class Topics:
    """Validated classifier rules. Build with :func:`load_topics`."""

    path: str
    scoring: Scoring
    thresholds: Thresholds
    window_tokens: int
    fold_min_words: int
    terms: tuple[Term, ...] = ()

    @property
    def languages(self) -> frozenset[str]:
        """Languages that have their own term tables (``any`` excluded)."""
        return frozenset(t.language for t in self.terms if t.language != ANY_LANGUAGE)

    def digest(self) -> str:
        """A short hash of the rules (not of the file's comments or layout).

        Storage records it with each label so that one can tell which rules produced it.
        """
        payload = {
            "algorithm": ALGORITHM_VERSION,
            "scoring": asdict(self.scoring),
            "thresholds": asdict(self.thresholds),
            "window_tokens": self.window_tokens,
            "fold_min_words": self.fold_min_words,
            "terms": sorted((asdict(t) for t in self.terms), key=lambda d: (d["topic"], d["text"])),
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:12]


_DEFAULT_SCORING: Final = Scoring()
_DEFAULT_THRESHOLDS: Final = Thresholds()

# --------------------------------------------------------------------------- loading


def load_topics(path: str | os.PathLike[str]) -> Topics:
    """Read and validate a topics file; raise :class:`TopicsError` when it is invalid."""
    where = os.fspath(path)
    try:
        with Path(where).open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise TopicsError(where, "(file)", "<no such file>", "a readable TOML file") from None
    except OSError as exc:
        raise TopicsError(where, "(file)", f"<{exc.strerror}>", "a readable TOML file") from None
    except UnicodeDecodeError as exc:
        raise TopicsError(
            where, "(encoding)", f"<byte {exc.object[exc.start]:#04x} at {exc.start}>", "UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise TopicsError(where, "(syntax)", f"<{exc}>", "valid TOML") from None
    return _parse_topics(where, data)


_TOP_KEYS: Final = ("scoring", "thresholds", "context", "matching", *TOPICS)


def _parse_topics(where: str, data: dict[str, Any]) -> Topics:
    for key in data:
        if key not in _TOP_KEYS:
            raise TopicsError(where, key, "<unknown section>", f"one of {', '.join(_TOP_KEYS)}")
    scoring_table = _table(where, data, "scoring")
    thresholds_table = _table(where, data, "thresholds")
    context_table = _table(where, data, "context")
    matching_table = _table(where, data, "matching")
    scoring = Scoring(
        title_boost=_number(
            where, scoring_table, "scoring", "title_boost", _DEFAULT_SCORING.title_boost
        ),
        summary_boost=_number(
            where, scoring_table, "scoring", "summary_boost", _DEFAULT_SCORING.summary_boost
        ),
        text_boost=_number(
            where, scoring_table, "scoring", "text_boost", _DEFAULT_SCORING.text_boost
        ),
        reference_words=_integer(
            where, scoring_table, "scoring", "reference_words", _DEFAULT_SCORING.reference_words
        ),
    )
    _no_extra_keys(where, scoring_table, "scoring", asdict(scoring))
    thresholds = Thresholds(
        ai=_number(where, thresholds_table, "thresholds", "ai", _DEFAULT_THRESHOLDS.ai),
        open_source_ai=_number(
            where,
            thresholds_table,
            "thresholds",
            "open_source_ai",
            _DEFAULT_THRESHOLDS.open_source_ai,
        ),
        open_source_share=_share(where, thresholds_table),
    )
    _no_extra_keys(where, thresholds_table, "thresholds", asdict(thresholds))
    window = _integer(where, context_table, "context", "window_tokens", 12)
    _no_extra_keys(where, context_table, "context", {"window_tokens": window})
    fold_min_words = _integer(where, matching_table, "matching", "fold_min_words", 3)
    if fold_min_words < 2:
        raise TopicsError(
            where, "matching.fold_min_words", fold_min_words, "an integer >= 2 (see comment)"
        )
    _no_extra_keys(where, matching_table, "matching", {"fold_min_words": fold_min_words})
    terms = tuple(_parse_terms(where, data, fold_min_words))
    if not any(t.counts_for_ai for t in terms):
        raise TopicsError(where, "ai", "<no terms>", "at least one AI term")
    return Topics(
        path=where,
        scoring=scoring,
        thresholds=thresholds,
        window_tokens=window,
        fold_min_words=fold_min_words,
        terms=terms,
    )


def _table(where: str, data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise TopicsError(where, key, value, "a table")
    return value


def _no_extra_keys(
    where: str, table: Mapping[str, Any], section: str, known: Iterable[str]
) -> None:
    allowed = list(known)
    for key in table:
        if key not in allowed:
            raise TopicsError(
                where, f"{section}.{key}", "<unknown key>", f"one of {', '.join(allowed)}"
            )


def _number(where: str, table: Mapping[str, Any], section: str, key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise TopicsError(where, f"{section}.{key}", value, "a positive number")
    if not math.isfinite(value):
        raise TopicsError(where, f"{section}.{key}", value, "a finite positive number")
    return float(value)


def _share(where: str, table: Mapping[str, Any]) -> float:
    value = table.get("open_source_share", _DEFAULT_THRESHOLDS.open_source_share)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise TopicsError(where, "thresholds.open_source_share", value, "a number from 0 to 1")
    return float(value)


def _integer(where: str, table: Mapping[str, Any], section: str, key: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise TopicsError(where, f"{section}.{key}", value, "a positive integer")
    return value


_TERM_OPTIONS: Final = (
    "weight",
    "case_sensitive",
    "fold",
    "needs_context",
    "also_ai",
    "digits_after",
    "unless_followed_by",
)


def _parse_terms(where: str, data: Mapping[str, Any], fold_min_words: int) -> Iterator[Term]:
    seen: dict[str, str] = {}  # identity of a term -> the key where it was first listed
    for topic in TOPICS:
        for language, table in _table(where, data, topic).items():
            section = f"{topic}.{language}"
            if language != ANY_LANGUAGE and not _LANGUAGE_KEY_RE.fullmatch(language):
                raise TopicsError(
                    where, section, "<unknown language key>", "'any' or a language code like 'vi'"
                )
            if not isinstance(table, dict):
                raise TopicsError(where, section, table, "a table of terms")
            for text, spec in table.items():
                term = _parse_term(where, f'{section}."{text}"', topic, language, text, spec)
                term = _with_fold_default(where, f'{section}."{text}"', term, spec, fold_min_words)
                identity = _term_key(term.text, term.case_sensitive)
                if identity in seen:
                    raise TopicsError(
                        where,
                        f'{section}."{text}"',
                        f"<also listed at {seen[identity]}>",
                        "each term listed once (use 'any' for all languages, also_ai for both)",
                    )
                seen[identity] = f'{section}."{text}"'
                yield term


def _parse_term(where: str, key: str, topic: str, language: str, text: str, spec: Any) -> Term:
    # A term starts with a letter or digit: matching anchors it at a word start.
    if text != nfc(text).strip() or not text[:1].isalnum():
        raise TopicsError(
            where, key, text, "a term in NFC that starts with a letter or digit, no outer spaces"
        )
    if isinstance(spec, bool | int | float):
        if isinstance(spec, bool) or spec <= 0 or not math.isfinite(spec):
            raise TopicsError(where, key, spec, "a positive weight or an inline table")
        return Term(text, topic, language, float(spec))
    if not isinstance(spec, dict):
        raise TopicsError(where, key, spec, "a weight or an inline table with a weight")
    for option in spec:
        if option not in _TERM_OPTIONS:
            raise TopicsError(
                where, f"{key}.{option}", "<unknown option>", f"one of {', '.join(_TERM_OPTIONS)}"
            )
    if "weight" not in spec:
        raise TopicsError(where, f"{key}.weight", "<missing>", "a positive number")
    weight = _number(where, spec, key, "weight", 1.0)
    flags = {
        name: _boolean(where, spec, key, name)
        for name in ("case_sensitive", "needs_context", "also_ai", "digits_after")
    }
    if flags["also_ai"] and topic != TOPIC_OPEN_SOURCE:
        raise TopicsError(where, f"{key}.also_ai", True, "also_ai only on open_source terms")
    unless = spec.get("unless_followed_by", [])
    if not isinstance(unless, list) or not all(
        isinstance(u, str) and u.strip() and _WORD_RE.search(u) for u in unless
    ):
        raise TopicsError(where, f"{key}.unless_followed_by", unless, "a list of words")
    return Term(
        text=text,
        topic=topic,
        language=language,
        weight=weight,
        unless_followed_by=tuple(nfc(u).strip() for u in unless),
        **flags,
    )


def _with_fold_default(where: str, key: str, term: Term, spec: Any, fold_min_words: int) -> Term:
    """Decide diacritic-free matching: explicit ``fold`` wins, else long phrases fold."""
    words = len(term.text.split())
    if isinstance(spec, dict) and "fold" in spec:
        fold = _boolean(where, spec, key, "fold")
        if fold and (words < 2 or term.case_sensitive):
            raise TopicsError(
                where, f"{key}.fold", True, "fold only on multi-word, case-insensitive terms"
            )
    else:
        fold = words >= fold_min_words and not term.case_sensitive
    if fold and fold_text(term.text) == term.text.lower():
        fold = False  # nothing to fold: a plain ASCII term matches the same either way
    return replace(term, fold=fold)


def _boolean(where: str, spec: Mapping[str, Any], key: str, name: str) -> bool:
    value = spec.get(name, False)
    if not isinstance(value, bool):
        raise TopicsError(where, f"{key}.{name}", value, "true or false")
    return value


def _term_key(text: str, case_sensitive: bool) -> str:
    """What makes two terms the same: separators normalised, case unless case-sensitive."""
    key = " ".join(_APOSTROPHE_RE.sub("'", _HYPHEN_RE.sub("-", text)).split())
    return key if case_sensitive else key.casefold()


# -------------------------------------------------------------------------- matching


# Per letter: the letters a diacritic-free ("folded") term may show in its place.
_BARE_LETTER: Final = {"đ": "d", "Đ": "D"}


def _letter_pattern(char: str, *, fold: bool) -> str:
    """Regex for one letter of a term; with ``fold`` its bare form is accepted too.

    Each letter may lose its marks ("mo" for "mở") but never carry other ones ("mô" is
    not "mở"), so "trọng số mở" never matches "trọng số mô hình".
    """
    if not fold:
        return re.escape(char)
    bare = _BARE_LETTER.get(char) or unicodedata.normalize("NFD", char)[0]
    return re.escape(char) if bare == char else f"[{re.escape(char)}{re.escape(bare)}]"


def _units(text: str, *, fold: bool) -> list[str]:
    """A term as a list of regex units: letters, and flexible separators between them."""
    units: list[str] = []
    for n, word in enumerate(text.split()):
        if n:
            units.append(r"\s+")
        for char in word:
            if char in _HYPHENS:
                units.append(rf"\s*[{_HYPHENS}]\s*")
            elif char in _APOSTROPHES:
                units.append(f"[{_APOSTROPHES}]")  # French elision: "d'IA", "d’IA"
            else:
                units.append(_letter_pattern(char, fold=fold))
    return units


def _term_end(term: Term) -> str:
    """What must (not) follow a term: no letter, no digit unless digits_after, and none
    of its unless_followed_by words."""
    end = r"(?![^\W\d_])" if term.digits_after else r"(?!\w)"
    if term.unless_followed_by:
        alternatives = "|".join("".join(_units(u, fold=term.fold)) for u in term.unless_followed_by)
        end += rf"(?!\s+(?i:{alternatives})(?!\w))"
    return end


class _Trie:
    """Terms merged on shared prefixes, emitted as one regex.

    Python's ``re`` tries the branches of an alternation one after another; with 250
    terms that is 250 attempts at every word start. A trie turns it into a handful of
    first-letter branches. Each term ends in an empty named group ``(?P<tN>)`` so that
    ``match.lastgroup`` says which term matched; longer continuations are tried before
    a term's own end, so the longest term wins ("mô hình ngôn ngữ lớn").
    """

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.terminal: str | None = None  # the regex that ends a term here

    def add(self, units: list[str], terminal: str) -> None:
        node = self
        for unit in units:
            node = node.children.setdefault(unit, _Trie())
        node.terminal = terminal

    def pattern(self, *, after_first: str = "") -> str:
        """The regex; ``after_first`` is inserted after each first unit (root only)."""
        branches = [
            unit + after_first + child.pattern() for unit, child in sorted(self.children.items())
        ]
        if self.terminal is not None:
            branches.append(self.terminal)
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    end: int
    term: Term


class _MatcherSet:
    """The compiled regexes for one set of terms (one article language)."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self._terms = sorted(terms, key=lambda t: (t.topic, t.text))
        self._cased = self._compile(case_sensitive=True)
        # Case-insensitive terms are searched in lowercased text with lowercase patterns:
        # twice as fast as re.IGNORECASE. The flagged regex is the fallback for the rare
        # text whose lowercase form changes length ("İ"), where offsets would not map.
        self._lower = self._compile(case_sensitive=False)
        self._ignorecase = (
            re.compile(self._lower.pattern, re.IGNORECASE) if self._lower is not None else None
        )

    def _compile(self, *, case_sensitive: bool) -> re.Pattern[str] | None:
        trie = _Trie()
        for index, term in enumerate(self._terms):
            if term.case_sensitive == case_sensitive:
                terminal = f"{_term_end(term)}(?P<t{index}>)"
                text = term.text if case_sensitive else term.text.lower()
                trie.add(_units(text, fold=term.fold), terminal)
        if not trie.children:
            return None
        # The look-behind keeps terms from starting mid-word: "Thái", "Mai" and "AIA"
        # never reach "AI". It sits after the first letter rather than before it so that
        # the regex starts with plain letters, which lets ``re`` skip ahead to positions
        # holding a possible first letter instead of trying every position.
        return re.compile(trie.pattern(after_first=r"(?<!\w.)"))

    def find(self, text: str) -> list[_Match]:
        """All non-overlapping term matches in NFC ``text``, leftmost-longest."""
        passes: list[tuple[re.Pattern[str], str]] = []
        if self._cased is not None:
            passes.append((self._cased, text))
        if self._lower is not None and self._ignorecase is not None:
            lowered = text.lower()
            if len(lowered) == len(text):
                passes.append((self._lower, lowered))
            else:
                passes.append((self._ignorecase, text))
        found = [
            _Match(m.start(), m.end(), self._terms[int(m.lastgroup[1:])])
            for regex, haystack in passes
            for m in regex.finditer(haystack)
            if m.lastgroup
        ]
        if len(found) < 2:
            return found
        # Case-sensitive and -insensitive terms are separate passes that may overlap
        # ("open source" inside "open source AI"): keep the leftmost, then the longest.
        found.sort(key=lambda m: (m.start, -m.end))
        kept = [found[0]]
        for match in found[1:]:
            if match.start >= kept[-1].end:
                kept.append(match)
        return kept


def _is_shouted(text: str, start: int, end: int) -> bool:
    """Whether a match sits in an all-caps run ("AI CŨNG PHẢI BIẾT", "KHÔNG AI BIẾT").

    Case-sensitive terms mean nothing there: in capitals Vietnamese "ai" (who) is "AI".
    The run is judged on up to two words either side on the same line: all of them in
    capitals, and at least two of them. "EU AI Act" and "IBM AI" are not shouting.
    """
    line_start = text.rfind("\n", max(0, start - _SHOUT_SPAN), start) + 1
    line_end = text.find("\n", end, end + _SHOUT_SPAN)
    if line_end < 0:
        line_end = end + _SHOUT_SPAN
    before = _CASED_WORD_RE.findall(text, max(line_start, start - _SHOUT_SPAN), start)[-2:]
    after = _CASED_WORD_RE.findall(text, end, line_end)[:2]
    neighbours = before + after
    return len(neighbours) >= 2 and all(word.isupper() for word in neighbours)


# ------------------------------------------------------------------------ classifying


@dataclass(slots=True)
class _FieldMatches:
    name: str
    text: str
    matches: list[_Match]


class Classifier:
    """Classifies articles with compiled :class:`Topics` rules. Pure and deterministic."""

    def __init__(self, topics: Topics) -> None:
        self.topics = topics
        self._languages = topics.languages
        self._all = _MatcherSet(topics.terms)
        self._by_language = {
            lang: _MatcherSet(t for t in topics.terms if t.language in (lang, ANY_LANGUAGE))
            for lang in sorted(self._languages)
        }

    def classify(
        self,
        *,
        title: str,
        text: str,
        summary: str | None = None,
        language: str | None = None,
    ) -> Classification:
        """Classify one article from its title, body, optional summary and language.

        ``language`` ("vi", "en-US", ...) selects that language's terms plus the shared
        ones; when it is missing or not configured, every term applies.
        """
        matcher = self._matcher(language)
        fields = [("title", title), ("summary", summary or ""), ("text", text)]
        found = []
        for name, raw in fields:
            normalised = nfc(raw)
            found.append(_FieldMatches(name, normalised, matcher.find(normalised)))
        body = found[2]
        # Counting words costs as much as a regex pass: only done when the body matters.
        length_factor = self._length_factor(body.text) if body.matches else 1.0
        counts = self._count(found, length_factor)
        return self._verdict(counts, length_factor)

    def classify_article(self, article: Article) -> Classification:
        """Classify an :class:`~crawler.models.Article`."""
        return self.classify(
            title=article.title,
            text=article.text,
            summary=article.summary,
            language=article.language,
        )

    def _matcher(self, language: str | None) -> _MatcherSet:
        if language:
            primary = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]
            matcher = self._by_language.get(primary)
            if matcher is not None:
                return matcher
        return self._all

    def _count(
        self, found: list[_FieldMatches], length_factor: float
    ) -> dict[tuple[Term, str], int]:
        """How often each term counts in each field, after case and context checks.

        A ``needs_context`` term counts in the body when an AI term is near it or the
        headline (title + summary) is about AI; in the headline, when the headline holds
        an AI term or the body is about AI on its own.
        """
        valid = {
            f.name: (
                f.text,
                [
                    m
                    for m in f.matches
                    if not (m.term.case_sensitive and _is_shouted(f.text, m.start, m.end))
                ],
            )
            for f in found
        }
        head_anchored = any(m.term.is_anchor for name in HEAD_FIELDS for m in valid[name][1])
        counts: dict[tuple[Term, str], int] = {}
        body, body_matches = valid["text"]
        anchors = [m.start for m in body_matches if m.term.is_anchor]
        for m in body_matches:
            if m.term.needs_context and not (head_anchored or self._near_anchor(body, m, anchors)):
                continue
            counts[(m.term, "text")] = counts.get((m.term, "text"), 0) + 1
        head_context = head_anchored or self._body_is_ai(counts, length_factor)
        for name in ("title", "summary"):
            for m in valid[name][1]:
                if m.term.needs_context and not head_context:
                    continue
                counts[(m.term, name)] = counts.get((m.term, name), 0) + 1
        return counts

    def _body_is_ai(self, counts: dict[tuple[Term, str], int], length_factor: float) -> bool:
        """Whether the body's own AI evidence reaches the AI threshold."""
        if not counts:
            return False
        score = sum(
            self._value(term, "text", count, length_factor)
            for (term, _), count in counts.items()
            if term.counts_for_ai
        )
        return round(score, 3) >= self.topics.thresholds.ai

    def _length_factor(self, body: str) -> float:
        """Divisor of body scores: long bodies are discounted so that one sentence in
        2,000 words weighs little."""
        words = len(body.split())
        return math.sqrt(max(1.0, words / self.topics.scoring.reference_words))

    def _value(self, term: Term, field_name: str, count: int, length_factor: float) -> float:
        """What ``count`` matches of ``term`` in a field add to its topic's score."""
        value = term.weight * self.topics.scoring.boost(field_name) * (1.0 + math.log(count))
        return value / length_factor if field_name == "text" else value

    def _near_anchor(self, text: str, match: _Match, anchors: list[int]) -> bool:
        """Whether an anchor is in the same sentence or within the token window."""
        i = bisect.bisect_left(anchors, match.start)
        candidates = []
        if i > 0:
            candidates.append((anchors[i - 1], match.start))
        if i < len(anchors):
            candidates.append((match.end, anchors[i]))
        return any(self._close(text, a, b) for a, b in candidates)

    def _close(self, text: str, start: int, end: int) -> bool:
        if end - start > _MAX_CONTEXT_CHARS:
            return False
        between = text[start:end]
        if len(_WORD_RE.findall(between)) <= self.topics.window_tokens:
            return True
        return not _has_sentence_end(between)

    def _verdict(self, counts: dict[tuple[Term, str], int], length_factor: float) -> Classification:
        scores = {TOPIC_AI: 0.0, TOPIC_OPEN_SOURCE: 0.0}
        evidence = []
        for (term, field_name), count in counts.items():
            value = self._value(term, field_name, count, length_factor)
            topics = [term.topic] + ([TOPIC_AI] if term.also_ai else [])
            for topic in topics:
                scores[topic] += value
                evidence.append(TermMatch(term.text, field_name, count, topic))
        ai_score = round(scores[TOPIC_AI], 3)
        os_score = round(scores[TOPIC_OPEN_SOURCE], 3)
        is_ai = ai_score >= self.topics.thresholds.ai
        thresholds = self.topics.thresholds
        is_os = (
            is_ai
            and os_score >= thresholds.open_source_ai
            and os_score >= thresholds.open_source_share * ai_score
        )
        evidence.sort(key=lambda m: (m.term, m.field, m.count, m.topic))
        return Classification(
            is_ai=is_ai,
            is_open_source_ai=is_os,
            ai_score=ai_score,
            open_source_ai_score=os_score,
            matched_terms=tuple(evidence),
        )


def _has_sentence_end(text: str) -> bool:
    for m in _SENTENCE_END_RE.finditer(text):
        following = m.group(1)
        if following is None or not following.islower():
            return True
    return False


# ----------------------------------------------------------------------------- JSONL


def classify_jsonl(in_stream: TextIO, out_stream: TextIO, classifier: Classifier) -> int:
    """Classify JSON lines from ``in_stream`` and write them, labelled, to ``out_stream``.

    Each line is an object with string ``title`` and ``text`` and optional ``summary``
    and ``language`` (string or null); it is written back with every other key kept and
    the five result fields added (replaced if present). Blank lines are skipped.

    A bad line (invalid JSON, not an object, missing or non-string title/text) does not
    stop the run: the good lines are all written, then :class:`JsonlError` is raised
    naming every bad line number, so nothing is lost silently. Returns the number of
    objects written.
    """
    errors: list[tuple[int, str]] = []
    written = 0
    for number, line in enumerate(in_stream, start=1):
        if not line.strip():
            continue
        try:
            record = _parse_record(line)
        except ValueError as exc:
            errors.append((number, str(exc)))
            continue
        result = classifier.classify(
            title=record["title"],
            text=record["text"],
            summary=record.get("summary"),
            language=record.get("language"),
        )
        record.update(result.to_dict())
        out_stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        written += 1
    if errors:
        raise JsonlError(errors, written)
    return written


def _parse_record(line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, found {type(record).__name__}")
    for key in ("title", "text"):
        if key not in record:
            raise ValueError(f"missing {key!r}")
        if not isinstance(record[key], str):
            raise ValueError(f"{key!r} must be a string")
    for key in ("summary", "language"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise ValueError(f"{key!r} must be a string or null")
    return record
