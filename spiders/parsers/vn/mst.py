"""mst.gov.vn, the Ministry of Science and Technology.

No page of it was available to save: this parser follows other crawlers' notes (the
same CMS family as baochinhphu.vn, ``div.detail-time`` with the date, the body in
``div.detail-content.afcbc-body > p``, the byline in ``meta[name=author]``, ids like
``-197250926153500643.htm``). JSON-LD/meta and trafilatura cover what differs.
"""

from __future__ import annotations

from spiders.parsers.vn.families import VCCorpCMS


class MstV1(VCCorpCMS):
    name = "mst"
    version = "2025-09-26"
    domains = ("mst.gov.vn",)
    site_names = ("Bộ Khoa học và Công nghệ", "Bộ KH&CN", "Ministry of Science and Technology")
    date_selector = 'div.detail-time, [data-role="publishdate"]'
    authors_selector = "div.detail-author, p.detail-author"
