"""cafef.vn (VCCorp CMS, its own header)."""

from __future__ import annotations

from spiders.parsers.vn.families import VCCorpCMS


class CafeFV1(VCCorpCMS):
    """Layout of 07/03/2026: ``h1.title``, ``h2.sapo``, "07-03-2026 - 09:40 AM",
    zone-less machine times (Vietnam time), a "TIN MỚI" box opening the body, the
    byline ``p.author`` ("Theo Hồ Hương") after it and, for republished articles,
    the original's address in ``.link-source-full`` ("Link bài gốc").
    """

    name = "cafef"
    version = "2026-03-07"
    domains = ("cafef.vn",)
    site_names = ("CafeF", "VCCorp")
    title_selector = 'h1.title, h1[data-role="title"]'
    summary_selector = 'h2.sapo, [data-role="sapo"]'
    date_selector = 'span.pdate, [data-role="publishdate"]'
    authors_selector = "div.content_source p.author, p.author"
    original_link_selector = ".btn-copy-link-source[data-link], .link-source-full"
