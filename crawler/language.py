"""Which language an article is written in: Vietnamese, English or French.

The sources publish in three languages (vietnamplus and vietnam.vn also have /en/ and
/fr/ editions) and a page's declared ``lang`` is not always right: a translated page
may keep ``lang="vi"`` from its template. Detection checks the declaration.

Why statistics instead of a language-identification library: the question here is a
three-way choice, and it is an easy one. Vietnamese is unmistakable from its letters
(ă, đ, ơ, ư and the stacked tone marks of U+1EA0-U+1EF9 occur in about half of all
syllables of running text, and in no English or French word); English and French are
told apart by their function words, which make up a third of any running text. A
library such as fastText's lid.176, lingua or langid would add a model of tens to
hundreds of megabytes or a slow start for no gain on this choice, would answer for
languages the project does not handle, and would be harder to reason about in tests.
This module is deterministic, has no data files and returns "not sure" (``None``) on
short or mixed text rather than guessing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

SUPPORTED = ("vi", "en", "fr")

# Fewer words than this and no verdict is confident enough to overrule a declaration.
MIN_WORDS = 8
# Share of syllables carrying a Vietnamese-only letter from which text may be
# Vietnamese. Running Vietnamese text measures 0.35-0.6; English or French quoting
# Vietnamese names stays around 0.05 and rarely passes 0.2 even in a name-heavy line.
VI_LETTER_SHARE = 0.2
# English/French: the winner's function-word share must reach this and beat each of
# the other two languages' shares by this factor.
MIN_STOPWORD_SHARE = 0.08
MIN_MARGIN = 2.0

_VI_ONLY_LETTERS = frozenset(
    "ăđơưĩũ" + "".join(chr(c) for c in range(0x1EA1, 0x1EFA, 2))  # ạ ả ấ ... ỹ (lower case)
)
_WORD_RE = re.compile(r"[^\W\d_]+")

# Frequent function words, chosen to avoid overlap between the languages (no "on",
# "plus", "par", "son", which English and French share).


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "vi": _word_set(
        "của và là các những được trong có cho với này một người không đã đến từ về "
        "khi theo để tại cũng như nhiều sẽ ra đó nhưng vào lại hơn đang thì phải làm "
        "trên mới đây việc năm cùng"
    ),
    "en": _word_set(
        "the of and to in is that for with as by was are at from it this be an have "
        "has were not which or but its their will been would can they said also who"
    ),
    "fr": _word_set(
        "le la les de des du et à un une est que qui dans pour sur au aux avec ce "
        "cette sont pas il elle ont été ses leur leurs mais nous vous être selon où"
    ),
}

# Spellings of declared codes seen in the wild that do not follow BCP 47.
_CODE_ALIASES = {"vn": "vi", "vie": "vi", "eng": "en", "fra": "fr", "fre": "fr"}


@dataclass(frozen=True, slots=True)
class Detection:
    """A detection verdict: ``language`` is ``None`` when not confident."""

    language: str | None
    scores: dict[str, float]


def normalise_language_code(code: str | None) -> str | None:
    """Primary subtag of a declared language, lowercased: "vi-VN" and "vi_VN" -> "vi"."""
    if not code:
        return None
    primary = re.split(r"[-_,;\s]", code.strip().lower(), maxsplit=1)[0]
    if not primary.isalpha():
        return None
    return _CODE_ALIASES.get(primary, primary)


def detect(text: str) -> Detection:
    """Score ``text`` for vi/en/fr and pick a language only when the evidence is clear.

    Scores are shares of the words: ``vi``/``en``/``fr`` count function words,
    ``vi_letters`` counts words holding a Vietnamese-only letter. Vietnamese needs
    both its letters and function words at least as frequent as the others' (English
    text quoting many Vietnamese names has the letters but English function words).
    """
    words = _WORD_RE.findall(text.lower())
    if len(words) < MIN_WORDS:
        return Detection(None, {})
    total = len(words)
    # Each distinct word once, weighted by its count: the same sums, a fraction of the work.
    counts = Counter(words)
    scores = {
        lang: sum(n for w, n in counts.items() if w in stopwords) / total
        for lang, stopwords in _STOPWORDS.items()
    }
    scores["vi_letters"] = (
        sum(n for w, n in counts.items() if not _VI_ONLY_LETTERS.isdisjoint(w)) / total
    )
    if scores["vi_letters"] >= VI_LETTER_SHARE and scores["vi"] >= max(scores["en"], scores["fr"]):
        return Detection("vi", scores)
    best, other = ("en", "fr") if scores["en"] >= scores["fr"] else ("fr", "en")
    share = scores[best]
    if share >= MIN_STOPWORD_SHARE and share >= MIN_MARGIN * max(scores[other], scores["vi"]):
        return Detection(best, scores)
    return Detection(None, scores)


def detect_language(text: str) -> str | None:
    """The language of ``text`` among :data:`SUPPORTED`, or ``None`` when unsure."""
    return detect(text).language


def resolve_language(declared: str | None, text: str) -> tuple[str | None, bool]:
    """The article's language and whether the page declared a different one.

    The declaration is normalised ("vi-VN" -> "vi"). Detection decides when it is
    confident; a confident disagreement returns the detected language and ``True``
    (callers flag ``FLAG_LANGUAGE_MISMATCH``). A declared language outside vi/en/fr is
    kept as it is: detection cannot judge it.
    """
    code = normalise_language_code(declared)
    if code is not None and code not in SUPPORTED:
        return code, False
    detected = detect_language(text)
    if detected is None:
        return code, False
    return detected, code is not None and detected != code
