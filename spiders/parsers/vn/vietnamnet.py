"""vietnamnet.vn."""

from __future__ import annotations

from spiders.parsers.base import BaseParser


class VietNamNetV1(BaseParser):
    """Layout of 07/03/2026: "Thứ Bảy, 07/03/2026 - 08:52" in the breadcrumb, JSON-LD
    times with a space before the offset, ``div.maincontent`` with
    ``figure.vnn-content-image`` photos and ``vmcadszone`` ad slots around it.
    """

    name = "vietnamnet"
    version = "2026-03-07"
    domains = ("vietnamnet.vn",)
    site_names = ("VietNamNet", "VietNamNet News")
    title_selector = "h1.content-detail-title"
    summary_selector = "h2.content-detail-sapo"
    body_selector = "div.maincontent#maincontent, div.maincontent"
    date_selector = "div.bread-crumb-detail__time, div.publish-date"
    authors_selector = ".article-detail-author__info .name"
    section_selector = "div.bread-crumb-detail > ul > li:nth-of-type(2) > a"
