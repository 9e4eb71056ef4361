"""vietnamplus.vn and en.vietnamplus.vn, the Vietnam News Agency's paper (MCMS)."""

from __future__ import annotations

from spiders.parsers.vn.families import MCMS


class VietnamPlusV1(MCMS):
    """Layout of 21/07/2026: the standfirst repeated as the body's first paragraph
    (normalise removes it), the only credit "(TTXVN/Vietnam+)" in
    ``.article__source`` inside the body, ad slots ``.sda_middle``. The English
    edition (en.vietnamplus.vn) runs the same templates.
    """

    name = "vietnamplus"
    version = "2026-07-21"
    domains = ("vietnamplus.vn",)
    site_names = ("Vietnam+ (VietnamPlus)", "VietnamPlus")
