"""Markup shared by several publishers: one CMS, many sites.

These classes have no ``name`` and are never registered; a publisher's module
subclasses one and adds what is its own.
"""

from __future__ import annotations

from typing import ClassVar

from spiders.parsers.base import BaseParser


class VCCorpCMS(BaseParser):
    """The CMS behind baochinhphu.vn, mst.gov.vn, tuoitre.vn, nld.com.vn (and, with
    their own headers, cafef.vn and genk.vn): ``data-role`` attributes on the title,
    standfirst, date and body, ``VCSortableInPreviewMode`` boxes inside the body for
    photos (``figcaption.PhotoCMS_Caption``), related links (``type=RelatedNewsBox``,
    ``RelatedOneNews``) and info boxes (``type=content``, kept: they are text).
    """

    title_selector = 'h1.detail-title, h1[data-role="title"]'
    summary_selector = 'h2.detail-sapo, [data-role="sapo"]'
    body_selector = 'div.detail-content.afcbc-body, [data-role="content"]'
    date_selector = '[data-role="publishdate"]'
    section_selector = '[data-role="cate-name"]'


class MCMS(BaseParser):
    """The CMS behind vietnamplus.vn and nhandan.vn (BEM ``article__*`` classes):
    ads as ``div.sda_*`` slots inside the body, the credit line or author box inside
    the body too, ISO times in ``time[datetime]`` and ``meta[itemprop=datePublished]``.
    """

    title_selector = "h1.article__title"
    summary_selector = "div.article__sapo"
    body_selector = "div.article__body.cms-body"
    date_selector = "div.article__meta time.time"
    authors_selector = "div.article__author .name, div.article__source .name"
    drop_selectors: ClassVar[tuple[str, ...]] = ("div.article__source", "div.article__author")
