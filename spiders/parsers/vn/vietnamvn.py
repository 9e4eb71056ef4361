"""vietnam.vn, the national promotion platform (translations of other papers' news).

No page of it was available to save, and it has answered crawlers with 403 for long
stretches, so this parser leans on what any page states (JSON-LD, ``<meta>``) and on
trafilatura for the body, then removes the boilerplate other crawlers report: the
"Vietnam.vn - Nền tảng quảng bá Việt Nam" banner, the source paper's name run into
the date ("Tạp chí Doanh NghiệpTạp chí Doanh Nghiệp23/09/2025"), the closing
"Source: <link>" (fr "Source :", vi "Nguồn:"), which becomes ``original_url``, and
"Comment (0)". Editions live under /en/, /fr/, /es/...; the path names the language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from crawler.models import METHOD_SELECTOR, METHOD_TEXT
from spiders.parsers.base import BaseParser, Found, Page
from spiders.parsers.markup import text_of

# The source's name twice, then the date: the two spans the page runs together.
_SOURCE_AND_DATE_RE = re.compile(
    r"^(?P<name>\D{2,80}?)\s*(?P=name)\s*(?P<date>\d{1,2}/\d{1,2}/\d{4})$"
)
_EDITION_RE = re.compile(r"^/(?P<code>[a-z]{2})(?:/|$)")


class VietnamVnV1(BaseParser):
    name = "vietnamvn"
    version = "2025-09-23"
    domains = ("vietnam.vn",)
    site_names = ("Vietnam.vn", "Nền tảng quảng bá Việt Nam")
    boilerplate_patterns = (
        re.compile(r"^vietnam\.vn\s*[-–—:|]", re.IGNORECASE),
        _SOURCE_AND_DATE_RE,
    )

    def date_values(self, page: Page) -> Iterator[Found[str]]:
        yield from super().date_values(page)
        for tag in page.soup.find_all(string=re.compile(r"\d{1,2}/\d{1,2}/\d{4}\s*$")):
            match = _SOURCE_AND_DATE_RE.match(text_of(tag.parent))
            if match:
                yield match["date"], METHOD_TEXT

    def language_candidates(self, page: Page) -> Iterator[Found[str]]:
        edition = _EDITION_RE.match(urlsplit(page.url).path)
        if edition:  # the template keeps lang="vi" on translated editions
            yield edition["code"], METHOD_SELECTOR
        yield from super().language_candidates(page)
