"""baodautu.vn, Báo Đầu tư."""

from __future__ import annotations

from spiders.parsers.base import BaseParser


class BaoDauTuV1(BaseParser):
    """Layout of 07/03/2026: no h1 and no machine date; ``div.title-detail``,
    ``span.post-time`` " - 07/03/2026 08:47", ``a.author``, the body in
    ``#content_detail_news`` with photos in ``table.MASTERCMS_TPL_TABLE`` and a
    "TIN LIÊN QUAN" box before it.
    """

    name = "baodautu"
    version = "2026-03-07"
    domains = ("baodautu.vn",)
    site_names = ("Báo Đầu tư", "baodautu")
    title_selector = "div.title-detail, .title-detail"
    summary_selector = "div.sapo_detail"
    body_selector = "#content_detail_news"
    date_selector = "div.author-share-top span.post-time"
    authors_selector = "div.author-share-top a.author"
    section_selector = "div.fs16.text-uppercase > a"
    drop_selectors = ("table.MASTERCMS_TPL_TABLE td.media-caption", "#boxcauhoi")
