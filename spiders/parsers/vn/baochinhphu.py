"""baochinhphu.vn, the Government's newspaper (VCCorp CMS)."""

from __future__ import annotations

from spiders.parsers.vn.families import VCCorpCMS


class BaoChinhPhuV1(VCCorpCMS):
    """Layout of the saved page of 01/03/2026: ``div.detail-time > [data-role=
    publishdate]`` "01/03/2026 09:51", standfirst opening with "(Chinhphu.vn) - ",
    related box "Tham khảo thêm" in the body. That page has no byline
    (``meta[name=author]`` is the site); its stylesheet styles one in
    ``.detail-author-top-content``, where the CMS prints it when there is one.
    """

    name = "baochinhphu"
    version = "2026-03-01"
    domains = ("baochinhphu.vn",)
    site_names = ("Báo Chính phủ", "Cổng Thông tin điện tử Chính phủ")
    authors_selector = "div.detail-author-top .detail-author-top-content"
