"""tuoitre.vn (VCCorp CMS)."""

from __future__ import annotations

from spiders.parsers.vn.families import VCCorpCMS


class TuoiTreV1(VCCorpCMS):
    """Layout of 07/03/2026: "07/03/2026 08:01 GMT+7", authors as ``a.name`` links
    (also in JSON-LD, entity-encoded twice), a "Đọc tiếp" box closing the body.
    Attributes such as ``data-date="3/7/2026 8:01:53 AM"`` are month first and unread.
    """

    name = "tuoitre"
    version = "2026-03-07"
    domains = ("tuoitre.vn",)
    authors_selector = "div.detail-author .author-info a.name, div.author-item-name a.name"
    drop_selectors = ("div.readmore-body-box",)
