"""dantri.com.vn."""

from __future__ import annotations

from spiders.parsers.base import BaseParser


class DanTriV1(BaseParser):
    """Layout of 07/03/2026: generated utility classes (``dt-…``) that change with
    every build, so everything is selected by structure and ``data-slot``:
    ``article > h1``, ``time[datetime="2026-03-07 08:07"]`` (no zone: Vietnam time),
    the standfirst opening with "(Dân trí) - ", in-body related ``aside`` modules.
    """

    name = "dantri"
    version = "2026-03-07"
    domains = ("dantri.com.vn",)
    site_names = ("Dân Trí", "Báo Dân trí")
    title_selector = 'article h1[data-slot="title"], article > h1'
    summary_selector = 'article h2[data-slot="sapo"]'
    body_selector = 'article [data-slot="content"]'
    date_selector = "article time[datetime]@datetime"
    authors_selector = 'article a[href*="/tac-gia/"]'
