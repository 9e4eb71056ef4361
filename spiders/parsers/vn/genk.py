"""genk.vn (VCCorp)."""

from __future__ import annotations

from spiders.parsers.base import BaseParser


class GenkV1(BaseParser):
    """Layout of 16/07/2026: ``h1.kbwc-title``, ``time.kbwcm-time[datetime]``, the
    byline's ``[itemprop=name]`` followed by the source paper's name, the body in
    ``#ContentDetail`` written as numeric character references, and for republished
    articles the original's address in ``.btn-copy-link-source[data-link]``.
    """

    name = "genk"
    version = "2026-07-16"
    domains = ("genk.vn",)
    site_names = ("GenK", "VCCorp")
    title_selector = "h1.kbwc-title"
    summary_selector = "p.knc-sapo"
    body_selector = "div.knc-content#ContentDetail, #ContentDetail"
    date_selector = "time.kbwcm-time@datetime"
    authors_selector = 'span.kbwcm-author [itemprop="name"]'
    section_selector = "ul.gbrcw-list li.active [itemprop=name]"
    original_link_selector = ".btn-copy-link-source[data-link], a.link-source-full"
