"""From page bytes to text a parser can read: decoding, the tree, and paragraphs.

Pure functions over bytes and BeautifulSoup trees; nothing here knows about a site.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, Comment, Declaration, Doctype, ProcessingInstruction
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

from crawler.text import clean_line, nfc

# Single-byte encodings a Vietnamese page may really be in when its bytes are not
# UTF-8, in the order ties are broken (cp1252 is by far the commoner mislabel).
_LEGACY_ENCODINGS = ("cp1252", "cp1258")
# cp1252 renders windows-1258's đ/Đ and the combining hook/tilde as these letters,
# which Vietnamese, English and French text never contains.
_LEGACY_MOJIBAKE = frozenset("ðÐþÞ\ufffd")

# Elements that continue the current line of text; every other element starts and
# ends a paragraph (p, div, h1-h6, li, td, blockquote, section...).
INLINE_TAGS = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em",
        "font", "i", "ins", "kbd", "label", "mark", "nobr", "q", "s", "samp", "small",
        "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
    }
)  # fmt: skip
_NOT_TEXT = (Comment, CData, Declaration, Doctype, ProcessingInstruction)


def _declared_encoding(data: bytes, encoding: str | None) -> str | None:
    """The encoding the HTTP header (``encoding``) or the page's own ``<meta>`` names."""
    if encoding:
        name = http_content_type_encoding(encoding) if "=" in encoding else encoding
        resolved = resolve_encoding(name.strip()) if name else None
        if resolved:
            return resolved
    declared = html_body_declared_encoding(data)
    return resolve_encoding(declared) if declared else None


def _is_single_byte(encoding: str) -> bool:
    return encoding.startswith("cp") or encoding.startswith(("latin", "iso8859", "windows"))


def _legacy_decode(data: bytes) -> tuple[str, str]:
    """Decode bytes that are not UTF-8: windows-1258 (Vietnamese) or cp1252 (Western).

    Decoding Vietnamese as cp1252 fills the text with ð/Þ (đ and the tone marks);
    decoding a Western page as windows-1258 leaves tone marks that compose with
    nothing. The reading with fewer such oddities wins.
    """

    def oddness(text: str) -> int:
        composed = unicodedata.normalize("NFC", text)
        odd = sum(1 for char in composed if char in _LEGACY_MOJIBAKE)
        return odd + sum(1 for char in composed if unicodedata.combining(char))

    readings = [(data.decode(name, "replace"), name) for name in _LEGACY_ENCODINGS]
    return min(readings, key=lambda reading: oddness(reading[0]))


def decode_html(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """``(text, encoding)`` for page bytes, in Unicode NFC.

    ``encoding`` is the HTTP charset (or the whole Content-Type value). Order: a byte
    order mark; the declared encoding (HTTP, else ``<meta>``) when the bytes decode
    strictly with it; UTF-8; else windows-1258 or cp1252, whichever reads cleaner.
    A page that declares a single-byte encoding but is valid UTF-8 with non-ASCII
    bytes is read as UTF-8: the reverse mistake is what servers make.
    """
    bom_encoding, bom = read_bom(data)
    if bom_encoding and bom is not None:
        return nfc(data[len(bom) :].decode(bom_encoding, "replace")), bom_encoding
    declared = _declared_encoding(data, encoding)
    candidates = [declared] if declared else []
    if declared and _is_single_byte(declared) and not data.isascii():
        candidates.insert(0, "utf-8")
    candidates.append("utf-8")
    for name in candidates:
        try:
            return nfc(data.decode(name)), name
        except (UnicodeDecodeError, LookupError):
            continue
    text, name = _legacy_decode(data)
    return nfc(text), name


def make_soup(text: str) -> BeautifulSoup:
    """The page as a tree (lxml's lenient HTML parser)."""
    return BeautifulSoup(text, "lxml")


def attr(tag: Tag | None, name: str) -> str:
    """An attribute as one string ("" when absent; multi-valued ones space-joined)."""
    if tag is None:
        return ""
    value = tag.get(name)
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return " ".join(value).strip()


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph of visible text and the links inside it."""

    text: str
    links: tuple[str, ...] = ()


def owner(node: NavigableString | Tag, root: Tag) -> Tag:
    """The nearest ancestor of ``node`` that starts a paragraph (or ``root``)."""
    parent = node.parent
    while parent is not None and parent is not root and parent.name in INLINE_TAGS:
        parent = parent.parent
    return parent if parent is not None else root


def blocks(root: Tag) -> list[Block]:
    """The paragraphs of ``root``: text grouped by the nearest block element.

    Inline elements (a, b, span...) continue a paragraph, ``<br>`` and any other
    element break it. Iterative, so a pathologically deep page cannot exhaust the
    stack. Whitespace is collapsed; empty paragraphs are skipped.
    """
    out: list[Block] = []
    parts: list[str] = []
    links: list[str] = []
    current: Tag | None = None

    def flush() -> None:
        text = clean_line("".join(parts))
        if text:
            out.append(Block(text, tuple(links)))
        parts.clear()
        links.clear()

    for node in root.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                flush()
            elif node.name == "a" and attr(node, "href"):
                parent = owner(node, root)
                if parent is not current:
                    flush()
                    current = parent
                links.append(attr(node, "href"))
            continue
        if isinstance(node, _NOT_TEXT) or not isinstance(node, NavigableString):
            continue
        parent = owner(node, root)
        if parent is not current:
            flush()
            current = parent
        parts.append(str(node))
    flush()
    return out


def text_of(tag: Tag | None) -> str:
    """The visible text of ``tag`` on one line ("" for ``None``)."""
    if tag is None:
        return ""
    return " ".join(block.text for block in blocks(tag))
