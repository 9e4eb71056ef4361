"""From page bytes to text a parser can read: decoding, the tree, and paragraphs.

Pure functions over bytes and lxml trees; nothing here knows about a site. The tree is
libxml2's (lxml), built and searched in C: the page is walked in Python only where
its text is read (a body, a headline), never to find an element.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

from lxml import etree
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
_TEXT_NODES = etree.XPath("descendant::text()", smart_strings=True)


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


def decode_html(
    data: bytes, encoding: str | None = None, *, normalise: bool = True
) -> tuple[str, str]:
    """``(text, encoding)`` for page bytes, in Unicode NFC (``normalise=False``: as
    decoded, for callers that normalise the pieces they read; on a whole page NFC costs
    as much as building its tree).

    ``encoding`` is the HTTP charset (or the whole Content-Type value). Order: a byte
    order mark; the declared encoding (HTTP, else ``<meta>``) when the bytes decode
    strictly with it; UTF-8; else windows-1258 or cp1252, whichever reads cleaner.
    A page that declares a single-byte encoding but is valid UTF-8 with non-ASCII
    bytes is read as UTF-8: the reverse mistake is what servers make.
    """
    norm = nfc if normalise else str
    bom_encoding, bom = read_bom(data)
    if bom_encoding and bom is not None:
        return norm(data[len(bom) :].decode(bom_encoding, "replace")), bom_encoding
    declared = _declared_encoding(data, encoding)
    candidates = [declared] if declared else []
    if declared and _is_single_byte(declared) and not data.isascii():
        candidates.insert(0, "utf-8")
    candidates.append("utf-8")
    for name in candidates:
        try:
            return norm(data.decode(name)), name
        except (UnicodeDecodeError, LookupError):
            continue
    text, name = _legacy_decode(data)
    return norm(text), name


# lxml ships no type information: for mypy an element is Any.
Element: TypeAlias = etree._Element


class _TreeTarget:
    """Builds a tree from parser events, for pages nested deeper than libxml2 lets its
    own tree builder go (2048 levels): the event interface has no depth limit."""

    def __init__(self) -> None:
        self.stack: list[Element] = []
        self.root: Element | None = None
        self.last: Element | None = None  # the element just closed: text goes to its tail

    def _append(self, element: Element) -> None:
        if self.stack:
            self.stack[-1].append(element)
        elif self.root is None:
            self.root = element

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        try:
            element = etree.Element(tag)
        except ValueError:  # a tag name XML cannot hold ("<a:b:c>"): keep its content
            element = etree.Element("span")
        for key, value in attrib.items():
            try:
                element.set(key, value)
            except ValueError:
                continue  # an attribute name XML cannot hold ('"', "a<b")
        self._append(element)
        self.stack.append(element)
        self.last = None

    def end(self, tag: str) -> None:
        if self.stack:
            self.last = self.stack.pop()

    def data(self, text: str) -> None:
        if self.last is not None:
            self.last.tail = (self.last.tail or "") + text
        elif self.stack:
            self.stack[-1].text = (self.stack[-1].text or "") + text

    def comment(self, text: str) -> None:
        if self.stack:
            self._append(etree.Comment(text.replace("--", "- -")))
            self.last = self.stack[-1][-1]

    def close(self) -> Element | None:
        return self.root


def _too_deep(parser: Any) -> bool:
    return any(e.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for e in parser.error_log)


def make_tree(text: str, *, utf8: bytes | None = None) -> Element:
    """The page as a tree (libxml2's lenient HTML parser): its ``<html>`` element.

    ``utf8`` may give ``text`` already encoded (the page's own bytes, when they were
    valid UTF-8), which saves encoding it again. Never fails: an empty or unreadable
    page is an empty ``<html>``.
    """
    data = utf8 if utf8 is not None else text.encode("utf-8", "replace")
    parser = etree.HTMLParser(encoding="utf-8", huge_tree=True)
    root = etree.fromstring(data, parser) if data.strip() else None
    if root is not None and _too_deep(parser):
        events = etree.HTMLParser(encoding="utf-8", huge_tree=True, target=_TreeTarget())
        events.feed(data)
        root = events.close()
    return root if root is not None else etree.Element("html")


def attr(tag: Element | None, name: str) -> str:
    """An attribute, whitespace-trimmed and in NFC ("" when absent)."""
    if tag is None:
        return ""
    value = tag.get(name)
    if not value:
        return ""
    return value.strip() if value.isascii() else nfc(value).strip()


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph of visible text and the links inside it."""

    text: str
    links: tuple[str, ...] = ()


def owner(parent: Element, root: Element) -> Element:
    """The element that starts the paragraph of text inside ``parent``: ``parent``
    itself or its nearest ancestor that is not inline (``root`` at the latest)."""
    node: Element | None = parent
    while node is not None and node is not root and node.tag in INLINE_TAGS:
        node = node.getparent()
    return node if node is not None else root


def text_nodes(root: Element) -> Iterator[tuple[str, Element]]:
    """Every piece of text below ``root`` (in NFC) and the element that contains it, in
    order (comments excluded)."""
    for text in _TEXT_NODES(root):
        holder = text.getparent()
        parent = holder.getparent() if text.is_tail else holder
        if parent is not None:
            yield (str(text) if text.isascii() else nfc(text)), parent


def drop(element: Element) -> None:
    """Remove ``element`` and its content from the tree, keeping the text after it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def blocks(root: Element) -> list[Block]:
    """The paragraphs of ``root``: text grouped by the nearest block element.

    Inline elements (a, b, span...) continue a paragraph, ``<br>`` and any other
    element break it. Iterative, so a pathologically deep page cannot exhaust the
    stack. Whitespace is collapsed; empty paragraphs are skipped.
    """
    out: list[Block] = []
    parts: list[str] = []
    links: list[str] = []
    current: Element | None = None

    def flush() -> None:
        text = clean_line("".join(parts))
        if text:
            out.append(Block(text, tuple(links)))
        parts.clear()
        links.clear()

    def add(text: str | None, parent: Element) -> None:
        nonlocal current
        if not text:
            return
        paragraph = owner(parent, root)
        if paragraph is not current:
            flush()
            current = paragraph
        parts.append(text)

    for event, node in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            if node is not root:
                add(node.tail, node.getparent())
            continue
        if not isinstance(node.tag, str):
            continue  # a comment or processing instruction: its tail is still text
        if node is root:
            pass  # only what is inside ``root`` breaks or links a paragraph
        elif node.tag == "br":
            flush()
        elif node.tag == "a" and attr(node, "href"):
            paragraph = owner(node.getparent(), root)
            if paragraph is not current:
                flush()
                current = paragraph
            links.append(attr(node, "href"))
        add(node.text, node)
    flush()
    return out


def text_of(tag: Element | None) -> str:
    """The visible text of ``tag`` on one line ("" for ``None``)."""
    if tag is None:
        return ""
    return " ".join(block.text for block in blocks(tag))
