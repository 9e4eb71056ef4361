"""Publication-time parsing: machine ISO, visible Vietnamese text, US RSS form, URL ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.dates import (
    DEFAULT_TZ,
    as_aware,
    parse_datetime,
    parse_iso,
    parse_us_datetime,
    parse_vietnamese,
    time_from_url_id,
)

VN = timezone(timedelta(hours=7))


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01T09:51:00+07:00", vn(2026, 3, 1, 9, 51)),
        # vietnamnet JSON-LD: milliseconds and a space before the offset
        ("2026-03-07T08:52:11.000 +07:00", vn(2026, 3, 7, 8, 52, 11)),
        # cafef: no zone means Vietnam time
        ("2026-03-07T09:40:00", vn(2026, 3, 7, 9, 40)),
        # dantri <time datetime>: space separator, no seconds, no zone
        ("2026-03-07 08:07", vn(2026, 3, 7, 8, 7)),
        ("2026-03-07T01:00:00Z", datetime(2026, 3, 7, 1, 0, tzinfo=UTC)),
        ("2026-03-07T01:00:00+0700", vn(2026, 3, 7, 1, 0)),
        (
            "2026-03-07T01:00:00-05:00",
            datetime(2026, 3, 7, 1, tzinfo=timezone(-timedelta(hours=5))),
        ),
        ("  2026-03-07T08:07:18.123456+07:00 ", vn(2026, 3, 7, 8, 7, 18)),
        ("2026-03-07", vn(2026, 3, 7)),
    ],
)
def test_parse_iso_accepts_site_variants(value: str, expected: datetime) -> None:
    parsed = parse_iso(value)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2026-13-07T08:00:00+07:00",
        "2026-02-30T08:00:00",
        "2026-03-07T25:00",
        "2026-03-07T08:61",
        "2026-03-07T08:00+15:00",
        "07/03/2026 08:07",  # visible form is not ISO
        "yesterday",
    ],
)
def test_parse_iso_rejects_invalid(value: str) -> None:
    assert parse_iso(value) is None


def test_parse_iso_require_time_rejects_date_only() -> None:
    assert parse_iso("2026-03-07", require_time=True) is None
    assert parse_iso("2026-03-07T08:00", require_time=True) == vn(2026, 3, 7, 8, 0)


def test_zone_less_values_take_the_given_zone() -> None:
    parsed = parse_iso("2026-03-07T09:40:00", "Europe/Paris")
    assert parsed is not None
    assert parsed.tzinfo == ZoneInfo("Europe/Paris")
    assert parse_vietnamese("07/03/2026 09:40", "UTC") == datetime(2026, 3, 7, 9, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thứ sáu, 26/9/2025, 15:35 (GMT+7)", vn(2025, 9, 26, 15, 35)),  # vnexpress
        ("Thứ bảy, 7/3/2026, 00:05 (GMT+7)", vn(2026, 3, 7, 0, 5)),
        ("26/09/2025 15:35", vn(2025, 9, 26, 15, 35)),
        ("15:35 26/09/2025", vn(2025, 9, 26, 15, 35)),
        ("Thứ Hai, ngày 20/07/2026 - 06:31", vn(2026, 7, 20, 6, 31)),  # nhandan
        ("07-03-2026 - 09:40 AM", vn(2026, 3, 7, 9, 40)),  # cafef
        ("07-03-2026 - 00:01 AM", vn(2026, 3, 7, 0, 1)),
        ("07-03-2026 - 12:15 AM", vn(2026, 3, 7, 0, 15)),
        ("07-03-2026 - 03:15 PM", vn(2026, 3, 7, 15, 15)),
        ("07-03-2026 - 12:15 PM", vn(2026, 3, 7, 12, 15)),
        ("07-03-2026 - 15:30 PM", vn(2026, 3, 7, 15, 30)),  # 24-hour clock + designator
        (" - 07/03/2026 08:47", vn(2026, 3, 7, 8, 47)),  # baodautu
        ("01/03/2026 09:51 GMT+7", vn(2026, 3, 1, 9, 51)),  # tuoitre/nld
        ("07/03/2026   08:52 (GMT+07:00)", vn(2026, 3, 7, 8, 52)),  # vietnamnet
        ("\n  01/03/2026\n   \n  09:51\n", vn(2026, 3, 1, 9, 51)),  # baochinhphu
        ("Thứ bảy, 07/03/2026 - 08:07", vn(2026, 3, 7, 8, 7)),  # dantri
        ("08:40 , 07/03/2026", vn(2026, 3, 7, 8, 40)),
        ("Cập nhật lúc 15h35 ngày 26/9/2025", vn(2025, 9, 26, 15, 35)),
        ("09:40 SA 07/03/2026", vn(2026, 3, 7, 9, 40)),
        ("09:40 CH 07/03/2026", vn(2026, 3, 7, 21, 40)),
        ("ngày 5 tháng 3 năm 2026", vn(2026, 3, 5)),
        ("23/09/2025", vn(2025, 9, 23)),
        ("10:00 07/03/2026 (GMT+0)", datetime(2026, 3, 7, 10, tzinfo=UTC)),
        ("10:00 07/03/2026 UTC", datetime(2026, 3, 7, 10, tzinfo=UTC)),
    ],
)
def test_parse_vietnamese_visible_forms(text: str, expected: datetime) -> None:
    parsed = parse_vietnamese(text)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Thứ sáu",
        "31/02/2026 10:00",  # 31 February
        "12/13/2026 10:00",  # day first: month 13 does not exist
        "07/03/2026 25:00",
        "07/03/2026 13:00 AM",
        "1/15/2026 3:38:00 PM",  # US-style attribute: refused, not misread
        "3/7/2026 8:01:53 AM",  # tuoitre data-date: would be 3 July day-first
        "07/03/2026 10:00 GMT+25",
    ],
)
def test_parse_vietnamese_rejects_invalid_and_us_style(text: str) -> None:
    assert parse_vietnamese(text) is None


def test_parse_vietnamese_require_time() -> None:
    assert parse_vietnamese("23/09/2025", require_time=True) is None
    assert parse_vietnamese("23/09/2025 10:11", require_time=True) == vn(2025, 9, 23, 10, 11)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9/5/2026 1:30:00 PM", vn(2026, 9, 5, 13, 30)),  # baochinhphu RSS: 5 September
        ("9/5/2026 12:34:00 PM", vn(2026, 9, 5, 12, 34)),
        ("1/15/2026 3:38:00 PM", vn(2026, 1, 15, 15, 38)),
        ("12/31/2025 12:05 AM", vn(2025, 12, 31, 0, 5)),
    ],
)
def test_parse_us_datetime_is_month_first(text: str, expected: datetime) -> None:
    assert parse_us_datetime(text) == expected


@pytest.mark.parametrize(
    "text", ["", "15/1/2026 3:38:00 PM", "2/30/2026 1:00 PM", "9/5/2026 13:30 AM"]
)
def test_parse_us_datetime_rejects_invalid(text: str) -> None:
    assert parse_us_datetime(text) is None


def test_parse_datetime_tries_iso_then_visible() -> None:
    assert parse_datetime("2026-03-07T08:07:00+07:00") == vn(2026, 3, 7, 8, 7)
    assert parse_datetime("07/03/2026 08:07") == vn(2026, 3, 7, 8, 7)
    assert parse_datetime(None) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://mst.gov.vn/bai-viet-197250926153500643.htm", vn(2025, 9, 26, 15, 35)),
        ("https://baochinhphu.vn/x-102260228093004191.htm", vn(2026, 2, 28, 9, 30, 4)),
        ("https://baochinhphu.vn/x-10225112819203167.htm", vn(2025, 11, 28, 19, 20, 31)),
        ("https://nld.com.vn/x-196260307071308923.htm", vn(2026, 3, 7, 7, 13, 8)),
        ("https://cafef.vn/x-18826030622484142.chn", vn(2026, 3, 6, 22, 48, 41)),
        ("https://genk.vn/x-165260716163514059.chn", vn(2026, 7, 16, 16, 35, 14)),
        ("https://tuoitre.vn/x-20260307075519174.htm", vn(2026, 3, 7, 7, 55, 19)),
        ("https://dantri.com.vn/kinh-doanh/x-20260307080054340.htm", vn(2026, 3, 7, 8, 0, 54)),
        ("https://dantri.com.vn/kinh-doanh/x-2026030708005434.htm", vn(2026, 3, 7, 8, 0, 54)),
    ],
)
def test_time_from_url_id(url: str, expected: datetime) -> None:
    assert time_from_url_id(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://mst.gov.vn/x-197144805.htm",  # older short id: no time
        "https://vnexpress.net/x-4954454.html",
        "https://www.vietnamplus.vn/x-post1125344.vnp",
        "https://baochinhphu.vn/x-102261328093004191.htm",  # month 13
        "https://example.com/x-999260228093004191.htm",  # unknown prefix
        "https://tuoitre.vn/x-20260230075519174.htm",  # 30 February
        "http://[::1/x",  # unparsable URL
        "",
    ],
)
def test_time_from_url_id_none(url: str) -> None:
    assert time_from_url_id(url) is None


def test_as_aware_keeps_zone_and_fills_default() -> None:
    naive = datetime(2026, 3, 7, 8, 0)
    assert as_aware(naive).tzinfo == DEFAULT_TZ
    utc = datetime(2026, 3, 7, 8, 0, tzinfo=UTC)
    assert as_aware(utc, "Europe/Paris") is utc


# --- property-based: any input, no exception; valid datetimes round-trip -----------------

_any_text = st.text(
    alphabet=st.sampled_from("0123456789/-.:+ TZAMPampGMTUCSHhngàytháng()\n,") | st.characters(),
    max_size=60,
)
_moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31, 23, 59)
).map(lambda d: d.replace(second=0, microsecond=0))


@given(_any_text)
def test_parsers_never_raise(text: str) -> None:
    for result in (
        parse_iso(text),
        parse_vietnamese(text),
        parse_us_datetime(text),
        parse_datetime(text, require_time=True),
        time_from_url_id("https://x.vn/a-" + text + ".htm"),
    ):
        assert result is None or result.tzinfo is not None


@given(_moments)
def test_visible_formats_round_trip(moment: datetime) -> None:
    expected = moment.replace(tzinfo=DEFAULT_TZ)
    hour12 = moment.hour % 12 or 12
    ampm = "AM" if moment.hour < 12 else "PM"
    for text in (
        f"{moment.day}/{moment.month}/{moment.year}, {moment:%H:%M} (GMT+7)",
        f"{moment:%d/%m/%Y %H:%M}",
        f"{moment:%H:%M %d/%m/%Y}",
        f"Thứ Hai, ngày {moment:%d/%m/%Y - %H:%M}",
        f"{moment:%d-%m-%Y} - {hour12:02d}:{moment:%M} {ampm}",
        f"{moment:%d-%m-%Y - %H:%M} {ampm}",  # cafef: 24-hour clock and designator
    ):
        assert parse_vietnamese(text) == expected, text
    assert parse_iso(moment.isoformat()) == expected
    assert parse_iso(moment.isoformat() + ".000 +07:00") == expected
    us = f"{moment.month}/{moment.day}/{moment.year} {hour12}:{moment:%M}:00 {ampm}"
    assert parse_us_datetime(us) == expected


@given(
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1, max_value=15),
    st.integers(min_value=1990, max_value=2099),
)
def test_impossible_days_give_none(day: int, month: int, year: int) -> None:
    try:
        datetime(year, month, day)
    except ValueError:
        assert parse_vietnamese(f"{day:02d}/{month:02d}/{year} 10:00") is None
        assert parse_iso(f"{year}-{month:02d}-{day:02d}T10:00:00") is None
    else:
        assert parse_vietnamese(f"{day:02d}/{month:02d}/{year} 10:00") == datetime(
            year, month, day, 10, tzinfo=DEFAULT_TZ
        )


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_url_id_round_trip(moment: datetime) -> None:
    stamp = moment.strftime("%y%m%d%H%M%S")
    millis = str(moment.microsecond // 1000)  # unpadded, as the CMS writes it
    expected = moment.replace(microsecond=0, tzinfo=DEFAULT_TZ)
    assert time_from_url_id(f"https://baochinhphu.vn/a-102{stamp}{millis}.htm") == expected
    long_stamp = moment.strftime("%Y%m%d%H%M%S")
    assert time_from_url_id(f"https://tuoitre.vn/a-{long_stamp}{millis}.htm") == expected
