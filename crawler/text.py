"""Unicode helpers shared by extraction, search, classification and deduplication.

Vietnamese text arrives both precomposed (NFC) and decomposed (NFD); everything is NFC
before it is stored or compared. ``fold`` removes every diacritic *and* maps đ/Đ to d,
which no SQLite tokenizer does, so "dien toan" matches "điện toán".
"""

from __future__ import annotations

import html
import re
import unicodedata

_SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")
# Characters that never belong in stored text: C0/C1 controls except tab and newline.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# A character reference with its semicolon. Legacy references without one ("&copy")
# are left alone: in plain text "R&D" or "Q&A" must not change.
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode normal form C."""
    return unicodedata.normalize("NFC", text)


def decode_entities(text: str) -> str:
    """Decode HTML character references left in extracted text, repeatedly.

    Some pages encode twice (tuoitre's JSON-LD headline holds ``Chi&amp;#7871;n``), so
    decoding runs until nothing changes; each round shortens the text, so it ends, and
    the result is a fixed point (decoding it again changes nothing).
    """
    while True:
        decoded = _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), text)
        if decoded == text:
            return text
        text = decoded


def clean_line(text: str) -> str:
    """NFC, control characters removed, all whitespace (newlines too) collapsed to one space."""
    text = _CONTROL_RE.sub(" ", nfc(text))
    return " ".join(text.split())


def clean_paragraphs(text: str) -> str:
    """NFC, each paragraph's whitespace collapsed, paragraphs separated by one blank line."""
    text = _CONTROL_RE.sub(" ", nfc(text)).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (_SPACE_RE.sub(" ", p).strip() for p in _BLANK_LINES_RE.split(text))
    # split() also collapses what joining the lines of a paragraph brings together
    # ("a\r b" -> "a\n b" -> "a  b"), so the result is a fixed point.
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", char)[0]
    return base.lower()


class _FoldTable(dict[int, str]):
    """Code point -> folded character, filled on first use; ``str.translate`` reads it
    in C, so folding costs one lookup per character instead of a Python call."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(folded) != 1:  # pragma: no cover - NFD of one char never starts empty
            folded = chr(code)
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def fold_char(char: str) -> str:
    """Fold one character: lowercase, diacritics removed, đ -> d. Always one character."""
    return _FOLD_TABLE[ord(char)]


def fold(text: str) -> str:
    """Lowercase ``text`` with every diacritic removed and đ/Đ mapped to d.

    The result has exactly the same length as ``nfc(text)``, character for character,
    so offsets found in folded text are offsets in the NFC original.
    """
    return nfc(text).translate(_FOLD_TABLE)


def fold_dd(text: str) -> str:
    """Map only đ/Đ to d/D (the part of folding no SQLite tokenizer does)."""
    return text.replace("đ", "d").replace("Đ", "D")
