"""Unicode helpers shared by extraction, search, classification and deduplication.

Vietnamese text arrives both precomposed (NFC) and decomposed (NFD); everything is NFC
before it is stored or compared. ``fold`` removes every diacritic *and* maps đ/Đ to d,
which no SQLite tokenizer does, so "dien toan" matches "điện toán".
"""

from __future__ import annotations

import re
import unicodedata

_SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")
# Characters that never belong in stored text: C0/C1 controls except tab and newline.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode normal form C."""
    return unicodedata.normalize("NFC", text)


def clean_line(text: str) -> str:
    """NFC, control characters removed, all whitespace (newlines too) collapsed to one space."""
    text = _CONTROL_RE.sub(" ", nfc(text))
    return " ".join(text.split())


def clean_paragraphs(text: str) -> str:
    """NFC, each paragraph's whitespace collapsed, paragraphs separated by one blank line."""
    text = _CONTROL_RE.sub(" ", nfc(text)).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (_SPACE_RE.sub(" ", p).strip() for p in _BLANK_LINES_RE.split(text))
    return "\n\n".join(" ".join(p.split("\n")).strip() for p in paragraphs if p.strip())


def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", char)[0]
    return base.lower()


_FOLD_TABLE: dict[int, str] = {}


def fold_char(char: str) -> str:
    """Fold one character: lowercase, diacritics removed, đ -> d. Always one character."""
    code = ord(char)
    folded = _FOLD_TABLE.get(code)
    if folded is None:
        folded = _fold_char(char)
        if len(folded) != 1:  # pragma: no cover - NFD of one char never starts empty
            folded = char
        _FOLD_TABLE[code] = folded
    return folded


def fold(text: str) -> str:
    """Lowercase ``text`` with every diacritic removed and đ/Đ mapped to d.

    The result has exactly the same length as ``nfc(text)``, character for character,
    so offsets found in folded text are offsets in the NFC original.
    """
    return "".join(fold_char(c) for c in nfc(text))


def fold_dd(text: str) -> str:
    """Map only đ/Đ to d/D (the part of folding no SQLite tokenizer does)."""
    return text.replace("đ", "d").replace("Đ", "D")
