"""nld.com.vn, Người Lao Động (VCCorp CMS)."""

from __future__ import annotations

from spiders.parsers.vn.families import VCCorpCMS


class NldV1(VCCorpCMS):
    """Layout of 07/03/2026: ``time[data-role=publishdate]`` "07/03/2026 08:06 GMT+7",
    byline ``p.name[data-role=author]``, standfirst opening with "(NLĐO)- ". The h1
    differs from og:title and the JSON-LD headline: the visible one is taken.
    """

    name = "nld"
    version = "2026-03-07"
    domains = ("nld.com.vn",)
    site_names = ("Người Lao Động",)
    authors_selector = 'div.detail-author [data-role="author"], div.detail-author p.name'
