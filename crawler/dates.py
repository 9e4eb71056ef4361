"""Publication times as Vietnamese news sites write them.

Three kinds of input, most trustworthy first:

1. Machine times from JSON-LD and ``<meta>``: ISO 8601, with the quirks seen on the
   target sites: vietnamnet writes ``2026-03-07T08:52:11.000 +07:00`` (a space before
   the offset), cafef writes ``2026-03-07T09:40:00`` with no zone at all (meaning
   Vietnam time), dantri writes ``2026-03-07 08:07``. See :func:`parse_iso`.
2. The date line a reader sees: ``Thứ sáu, 26/9/2025, 15:35 (GMT+7)``,
   ``07-03-2026 - 09:40 AM``, ``15:35 26/09/2025``... Always day first: a Vietnamese
   page never writes the month first. See :func:`parse_vietnamese`.
3. The time encoded in a CMS article id (``-197250926153500643.htm``). It is when the
   draft was *created*, not published, so callers use it only as a last resort and
   mark the article with ``FLAG_DATE_FROM_URL_ID``. See :func:`time_from_url_id`.

US-style ``9/5/2026 1:30:00 PM`` (baochinhphu RSS, some ``data-date`` attributes) is
month first; it is only ever read by the explicit :func:`parse_us_datetime`.

Every parser returns a timezone-aware datetime or ``None``: an impossible date
(month 13, 30 February) gives ``None``, never an exception. The only exception any
function here raises is ``zoneinfo.ZoneInfoNotFoundError`` for an unknown zone name.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

DEFAULT_TZ_NAME = "Asia/Ho_Chi_Minh"
DEFAULT_TZ = ZoneInfo(DEFAULT_TZ_NAME)

# Offsets beyond ±14:00 do not exist; a larger one is a typo, not a zone.
_MAX_OFFSET = timedelta(hours=14)

_ISO_RE = re.compile(
    r"""^\s*
    (?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})
    (?:[T\s]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d{1,9})?)?)?
    \s*(?P<zone>[Zz]|(?:GMT|UTC)?\s*[+-]\d{1,2}(?::?\d{2}(?::\d{2})?)?)?
    \s*$""",
    re.VERBOSE,
)
# Seconds appear when Python writes an old local time: 1900 in Asia/Ho_Chi_Minh is
# +07:06:40 (local mean time), as a CMS's "1900-01-01" placeholder date comes out.
_OFFSET_RE = re.compile(
    r"(?:GMT|UTC)?\s*(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2})(?::(?P<s>\d{2}))?)?"
)

# A zone written in visible text: "(GMT+7)", "GMT+07:00", "UTC+7".
_TEXT_ZONE_RE = re.compile(
    r"\(?\s*(?:GMT|UTC)\s*(?:(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?)?\s*\)?",
    re.IGNORECASE,
)
_TEXT_DATE_RE = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})\s*[/.\-]\s*(?P<mo>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})(?!\d)"
)
_TEXT_WORDY_DATE_RE = re.compile(
    r"ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<mo>\d{1,2})\s+năm\s+(?P<y>\d{4})", re.IGNORECASE
)
# "15:35", "15h35", "9:40:12 AM", "09:40 SA" (sáng = morning) / "CH" (chiều = afternoon).
_TEXT_TIME_RE = re.compile(
    r"(?<![\d:])(?P<h>\d{1,2})\s*[:hH]\s*(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?!\d)"
    r"(?:\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?|SA|CH)(?!\w))?"
)
# .NET's en-US default rendering: month first. Day-first parsing would silently swap
# day and month whenever both are <= 12, so the Vietnamese parser refuses this shape.
_US_SHAPE_RE = re.compile(
    r"^\s*(?P<mo>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})\s+(?P<h>\d{1,2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp][Mm])\s*$"
)

# CMS article ids that embed the creation time after a 3-digit site prefix:
# "-" + prefix + yyMMddHHmmss + milliseconds (1-3 digits, not zero-padded).
URL_ID_PREFIXES: dict[str, str] = {
    "102": "baochinhphu.vn",
    "165": "genk.vn",
    "188": "cafef.vn",
    "196": "nld.com.vn",
    "197": "mst.gov.vn",
}
_URL_ID_RE = re.compile(r"-(?P<id>\d{15,18})\.(?:htm|html|chn)$", re.IGNORECASE)


def zone(tz: tzinfo | str | None = None) -> tzinfo:
    """The zone ``tz`` names (default Asia/Ho_Chi_Minh). Raises ZoneInfoNotFoundError."""
    if tz is None:
        return DEFAULT_TZ
    if isinstance(tz, str):
        return ZoneInfo(tz)
    return tz


def as_aware(value: datetime, tz: tzinfo | str | None = None) -> datetime:
    """``value`` unchanged when it has a zone, else the same wall time in ``tz``."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    return value.replace(tzinfo=zone(tz))


def _build(
    year: int, month: int, day: int, hour: int, minute: int, second: int, tz: tzinfo
) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:  # month 13, 30 February, hour 25...
        return None


def _offset_zone(
    sign: str, hours: str, minutes: str | None, seconds: str | None = None
) -> tzinfo | None:
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0), seconds=int(seconds or 0))
    if int(minutes or 0) >= 60 or int(seconds or 0) >= 60 or delta > _MAX_OFFSET:
        return None
    return timezone(-delta if sign == "-" else delta)


def parse_iso(
    value: str | None, tz: tzinfo | str | None = None, *, require_time: bool = False
) -> datetime | None:
    """An ISO 8601 date or date-time as found in JSON-LD and ``<meta>``.

    Accepts a space or ``T`` between date and time, fractional seconds, ``Z``, offsets
    with or without a colon and with a space before them (vietnamnet). A value without
    a zone is wall time in ``tz`` (cafef). A date alone is midnight in ``tz`` unless
    ``require_time`` is set, in which case it gives ``None``.
    """
    if not value:
        return None
    match = _ISO_RE.match(value)
    if match is None:
        return None
    if match["h"] is None and require_time:
        return None
    target: tzinfo | None = zone(tz)
    zone_text = match["zone"]
    if zone_text and zone_text.upper() == "Z":
        target = UTC
    elif zone_text:
        offset = _OFFSET_RE.search(zone_text)
        target = offset and _offset_zone(offset["sign"], offset["h"], offset["m"], offset["s"])
    if target is None:
        return None
    return _build(
        int(match["y"]),
        int(match["mo"]),
        int(match["d"]),
        int(match["h"] or 0),
        int(match["mi"] or 0),
        int(match["s"] or 0),
        target,
    )


def _hour_24(hour: int, ampm: str | None) -> int | None:
    """``hour`` on the 24-hour clock; ``None`` when hour and marker contradict.

    cafef prints a 24-hour clock followed by the designator ("00:01 AM", so
    presumably "15:30 PM"): an hour above 12 with PM is already on the 24-hour clock.
    """
    if not ampm:
        return hour
    marker = ampm.replace(".", "").replace(" ", "").upper()
    morning = marker in ("AM", "SA")
    if hour > 12:
        return None if morning else hour
    if morning:
        return 0 if hour == 12 else hour  # "12:15 AM" is 00:15
    return hour if hour == 12 else hour + 12


def parse_vietnamese(
    text: str | None, tz: tzinfo | str | None = None, *, require_time: bool = False
) -> datetime | None:
    """A date line as Vietnamese sites print it, always read day first.

    Finds a ``d/m/yyyy`` (or ``d-m-yyyy``, ``d.m.yyyy``, "ngày d tháng m năm yyyy")
    date and an optional ``HH:MM`` time anywhere in ``text``, in either order, with
    an optional AM/PM (or SA/CH) marker and an optional "GMT+7"-style zone; without
    a zone the time is in ``tz``. A date alone is midnight unless ``require_time``.
    The US shape ``1/15/2026 3:38:00 PM`` gives ``None``: use :func:`parse_us_datetime`.
    """
    if not text or _US_SHAPE_RE.match(text):
        return None
    target = zone(tz)
    zone_match = _TEXT_ZONE_RE.search(text)
    if zone_match is not None:
        if zone_match["sign"]:
            parsed = _offset_zone(zone_match["sign"], zone_match["h"], zone_match["m"])
            if parsed is None:
                return None
            target = parsed
        else:  # a bare "GMT"/"UTC"
            target = UTC
        text = text[: zone_match.start()] + " " + text[zone_match.end() :]
    date_match = _TEXT_DATE_RE.search(text) or _TEXT_WORDY_DATE_RE.search(text)
    if date_match is None:
        return None
    rest = text[: date_match.start()] + " " + text[date_match.end() :]
    time_match = _TEXT_TIME_RE.search(rest)
    if time_match is None:
        if require_time:
            return None
        hour: int | None = 0
        minute = second = 0
    else:
        hour = _hour_24(int(time_match["h"]), time_match["ampm"])
        minute, second = int(time_match["mi"]), int(time_match["s"] or 0)
    if hour is None:
        return None
    return _build(
        int(date_match["y"]),
        int(date_match["mo"]),
        int(date_match["d"]),
        hour,
        minute,
        second,
        target,
    )


def parse_us_datetime(text: str | None, tz: tzinfo | str | None = None) -> datetime | None:
    """Month-first ``9/5/2026 1:30:00 PM`` (baochinhphu RSS), wall time in ``tz``.

    Only for inputs known to be written this way: callers opt in explicitly.
    """
    if not text:
        return None
    match = _US_SHAPE_RE.match(text)
    if match is None:
        return None
    hour = _hour_24(int(match["h"]), match["ampm"])
    if hour is None:
        return None
    return _build(
        int(match["y"]),
        int(match["mo"]),
        int(match["d"]),
        hour,
        int(match["mi"]),
        int(match["s"] or 0),
        zone(tz),
    )


def parse_datetime(
    value: str | None, tz: tzinfo | str | None = None, *, require_time: bool = False
) -> datetime | None:
    """ISO 8601 first, then the Vietnamese day-first visible forms."""
    return parse_iso(value, tz, require_time=require_time) or parse_vietnamese(
        value, tz, require_time=require_time
    )


def time_from_url_id(url: str | None, tz: tzinfo | str | None = None) -> datetime | None:
    """The creation time a CMS encodes in an article id, or ``None``.

    Two layouts: a known 3-digit site prefix (see :data:`URL_ID_PREFIXES`) followed by
    ``yyMMddHHmmss`` (mst, baochinhphu, nld, cafef, genk), and ``yyyyMMddHHmmss``
    (tuoitre, dantri); both end with unpadded milliseconds. Older, shorter ids carry
    no time and give ``None``. The time is a *creation* time in ``tz``: use it only
    when the page states no publication time, and flag it.
    """
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    match = _URL_ID_RE.search(path)
    if match is None:
        return None
    digits = match["id"]
    if digits[:3] in URL_ID_PREFIXES:
        stamp = "20" + digits[3:15]
    elif digits.startswith("20") and len(digits) <= 17:
        stamp = digits[:14]
    else:
        return None
    return _build(
        int(stamp[0:4]),
        int(stamp[4:6]),
        int(stamp[6:8]),
        int(stamp[8:10]),
        int(stamp[10:12]),
        int(stamp[12:14]),
        zone(tz),
    )
