"""nhandan.vn, Nhân Dân (MCMS)."""

from __future__ import annotations

from spiders.parsers.vn.families import MCMS


class NhanDanV1(MCMS):
    """Layout of 20/07/2026: "Thứ Hai, ngày 20/07/2026 - 06:31", the body opening
    with a ``div.notebox`` fact box (scores, line-ups: not prose) and closing with
    the author box ``div.article__author p.name``.
    """

    name = "nhandan"
    version = "2026-07-20"
    domains = ("nhandan.vn",)
    site_names = ("Báo Nhân Dân điện tử", "Nhân Dân")
    drop_selectors = (*MCMS.drop_selectors, "div.notebox")
