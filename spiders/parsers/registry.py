"""Every parser by name and version, and the choice of one for a URL.

To add a source: write ``spiders/parsers/vn/<name>.py`` with a version class, add the
class to :data:`PARSERS`, and add a golden page under ``tests/parsers/golden/<name>/``
(a test fails until you do). To follow a redesign: subclass the latest version with a
newer ``version`` date, override what changed, add it here, and add a golden page of
the new layout; the old page keeps testing the old version.
"""

from __future__ import annotations

from collections.abc import Mapping

from spiders.parsers.base import BaseParser, host_matches
from spiders.parsers.generic import GenericParser
from spiders.parsers.vn.baochinhphu import BaoChinhPhuV1
from spiders.parsers.vn.baodautu import BaoDauTuV1
from spiders.parsers.vn.cafef import CafeFV1
from spiders.parsers.vn.dantri import DanTriV1
from spiders.parsers.vn.genk import GenkV1
from spiders.parsers.vn.mst import MstV1
from spiders.parsers.vn.nhandan import NhanDanV1
from spiders.parsers.vn.nld import NldV1
from spiders.parsers.vn.tuoitre import TuoiTreV1
from spiders.parsers.vn.vietnamnet import VietNamNetV1
from spiders.parsers.vn.vietnamplus import VietnamPlusV1
from spiders.parsers.vn.vietnamvn import VietnamVnV1
from spiders.parsers.vn.vnexpress import VnExpressV1

PARSERS: tuple[type[BaseParser], ...] = (
    MstV1,
    VietnamVnV1,
    BaoChinhPhuV1,
    VnExpressV1,
    VietnamPlusV1,
    VietNamNetV1,
    NhanDanV1,
    TuoiTreV1,
    DanTriV1,
    NldV1,
    GenkV1,
    CafeFV1,
    BaoDauTuV1,
    GenericParser,
)


def parser_classes(name: str | None = None) -> list[type[BaseParser]]:
    """Registered classes (of one parser when ``name`` is given), oldest first."""
    chosen = [cls for cls in PARSERS if name is None or cls.name == name]
    return sorted(chosen, key=lambda cls: (cls.name, cls.version))


def parser_names() -> list[str]:
    return sorted({cls.name for cls in PARSERS})


def get_parser(
    name: str, *, version: str | None = None, selectors: Mapping[str, str] | None = None
) -> BaseParser:
    """The parser called ``name``: its latest version, or exactly ``version``.

    Raises ``KeyError`` naming the known parsers when there is no such parser.
    """
    classes = [cls for cls in parser_classes(name) if version in (None, cls.version)]
    if not classes:
        known = ", ".join(f"{c.name}@{c.version}" for c in parser_classes())
        wanted = f"{name}@{version}" if version else name
        raise KeyError(f"no parser {wanted!r}; known: {known}")
    return classes[-1](selectors)


def all_parsers() -> list[BaseParser]:
    """The latest version of every registered parser, generic included."""
    return [get_parser(name) for name in parser_names()]


def parser_for_url(url: str, *, selectors: Mapping[str, str] | None = None) -> BaseParser:
    """The latest parser whose domains include ``url``'s host, else the generic one."""
    for cls in PARSERS:
        if cls.domains and host_matches(url, cls.domains):
            return get_parser(cls.name, selectors=selectors)
    return GenericParser(selectors)
