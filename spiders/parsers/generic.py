"""The parser for sites without a module of their own."""

from __future__ import annotations

from spiders.parsers.base import BaseParser


class GenericParser(BaseParser):
    """JSON-LD and ``<meta>`` first, trafilatura for the body and whatever else is
    missing. Selectors given from a source's configuration (``[sources.<id>.selectors]``
    with ``parser = "generic"``) are tried before trafilatura, so an ordinary site can
    be added without code.
    """

    name = "generic"
    version = "2026-11-28"
