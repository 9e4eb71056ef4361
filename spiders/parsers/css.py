"""CSS selectors over lxml trees.

Selectors (the parsers' class attributes and a source's configured overrides) are
translated to XPath by cssselect once and cached, so a selector costs one pass of
libxml2's XPath engine over the tree instead of a Python-level walk. The dialect is
cssselect's: CSS 3 selectors plus ``:is()``, ``:has()``, ``:contains()`` and the
``i`` flag on attribute selectors (``[class*="caption" i]``).

Matching follows ``querySelectorAll``: :func:`select` returns descendants of an
element, but a selector's ancestors may lie above it (``article.body p.byline`` run
on the ``article`` finds its bylines).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cssselect import HTMLTranslator, SelectorError, parse
from cssselect.parser import CombinedSelector, Selector
from lxml import etree

_TRANSLATOR = HTMLTranslator()
_UNION = etree.XPath("$a | $b")


@dataclass(frozen=True)
class _Scoped:
    """A selector group split for matching below an element: compound selectors
    (no combinator) are searched below it; the others are matched in the whole
    document and kept when they lie below it."""

    below: Any  # etree.XPath | None
    anchored: Any  # etree.XPath | None


def _xpath(expressions: list[str]) -> Any:
    return etree.XPath(" | ".join(expressions)) if expressions else None


def _merged(selectors: list[Selector]) -> str:
    """One XPath for compound selectors: a single pass whose predicate ORs theirs.

    A union of one path per selector walks the element's subtree once per selector;
    the drop list of ~45 selectors made that the costliest step of a parse.
    """
    predicates = []
    for selector in selectors:
        if selector.pseudo_element:  # let cssselect reject or translate it its own way
            return " | ".join(
                _TRANSLATOR.selector_to_xpath(s, prefix="descendant::") for s in selectors
            )
        expr = _TRANSLATOR.xpath(selector.parsed_tree)
        tests = [f"({expr.condition})"] if expr.condition else []
        if expr.element != "*":
            tests.append(f"self::{expr.element}")
        predicates.append(" and ".join(tests) or "true()")
    return "descendant::*[" + " or ".join(f"({p})" for p in predicates) + "]"


@lru_cache(maxsize=1024)
def _scoped(selector: str) -> _Scoped:
    try:
        group = parse(selector)
        below = [s for s in group if not isinstance(s.parsed_tree, CombinedSelector)]
        anchored = [
            _TRANSLATOR.selector_to_xpath(s, prefix="descendant-or-self::")
            for s in group
            if isinstance(s.parsed_tree, CombinedSelector)
        ]
        return _Scoped(
            etree.XPath(_merged(below)) if below else None,
            _xpath(anchored),
        )
    except (SelectorError, etree.XPathError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from exc


@lru_cache(maxsize=1024)
def _page(selector: str) -> Any:
    try:
        return etree.XPath(_TRANSLATOR.css_to_xpath(selector, prefix="descendant-or-self::"))
    except (SelectorError, etree.XPathError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from exc


def check(selector: str) -> None:
    """Raise ``ValueError`` naming the problem when ``selector`` is not valid CSS or
    uses something cssselect cannot express (``::before``, unknown pseudo-classes)."""
    _scoped(selector)
    _page(selector)


def _is_below(element: etree._Element, ancestor: etree._Element) -> bool:
    return any(parent is ancestor for parent in element.iterancestors())


def select(element: etree._Element, selector: str) -> list[etree._Element]:
    """Descendants of ``element`` that ``selector`` matches, in document order."""
    compiled = _scoped(selector)
    found: list[etree._Element] = compiled.below(element) if compiled.below is not None else []
    if compiled.anchored is not None:
        top = element.getroottree().getroot()
        inside = [m for m in compiled.anchored(top) if _is_below(m, element)]
        if inside:
            found = _UNION(element, a=found, b=inside) if found else inside
    return found


def select_one(element: etree._Element, selector: str) -> etree._Element | None:
    """The first descendant of ``element`` that ``selector`` matches, or None."""
    found = select(element, selector)
    return found[0] if found else None


def select_page(root: etree._Element, selector: str) -> list[etree._Element]:
    """Elements of a whole page (``root`` is its ``<html>``, which may match too)."""
    found: list[etree._Element] = _page(selector)(root)
    return found
