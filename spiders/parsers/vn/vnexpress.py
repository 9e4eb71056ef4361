"""vnexpress.net."""

from __future__ import annotations

from spiders.parsers.base import BaseParser

# The byline is the body's last paragraph, right-aligned: "<strong>Hà Thu</strong>
# <em>(tổng hợp)</em>"; older pages use p.author_mail.
_BYLINE = 'article.fck_detail p.Normal[style*="text-align:right"], article.fck_detail p.author_mail'


class VnExpressV1(BaseParser):
    """Layout of 22/10/2025 (fundus's test page) to 07/03/2026: ``span.date``
    "Thứ bảy, 7/3/2026, 00:05 (GMT+7)", ``p.description``, ``article.fck_detail``
    with ``figure.tplCaption`` photos and a related-links component at the end.
    """

    name = "vnexpress"
    version = "2025-10-22"
    domains = ("vnexpress.net",)
    site_names = ("VnExpress", "Tin nhanh VnExpress")
    title_selector = "h1.title-detail"
    summary_selector = "p.description"
    body_selector = "article.fck_detail"
    date_selector = "span.date"
    authors_selector = ", ".join(f"{css} strong" for css in _BYLINE.split(", "))
    section_selector = "ul.breadcrumb li a"
    drop_selectors = (*_BYLINE.split(", "), "[data-component-type]", "#article-end")
