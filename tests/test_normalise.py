"""normalise_article: the consistent form every later stage relies on."""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.models import (
    FLAG_DATE_CLAMPED,
    FLAG_DATE_FROM_URL_ID,
    FLAG_DATE_IMPLAUSIBLE,
    FLAG_LANGUAGE_MISMATCH,
    METHOD_JSON_LD,
    METHOD_SELECTOR,
    Article,
)
from crawler.normalise import (
    EARLIEST_PLAUSIBLE,
    FUTURE_TOLERANCE,
    MIN_BODY_CHARS,
    check_article,
    normalise_article,
)
from crawler.urls import InvalidURL

VN = timezone(timedelta(hours=7))
FETCHED = datetime(2026, 3, 7, 10, 0, tzinfo=VN)
BODY = (
    "Bộ Khoa học và Công nghệ vừa công bố mô hình ngôn ngữ lớn tiếng Việt mã nguồn mở.\n\n"
    "Mô hình được phát hành trên Hugging Face để các nhà nghiên cứu tải về và thử nghiệm."
)


def make(**changes: object) -> Article:
    base = Article(
        url="https://vnexpress.net/mo-hinh-ngon-ngu-5047363.html",
        source="vnexpress",
        title="Bộ KH&CN công bố mô hình ngôn ngữ mã nguồn mở",
        text=BODY,
        summary="Mô hình tiếng Việt được công bố theo giấy phép mở.",
        authors=["Hà Thu"],
        published_at=datetime(2026, 3, 7, 8, 5, tzinfo=VN),
        language="vi",
        extraction={"title": METHOD_SELECTOR, "published_at": METHOD_JSON_LD},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def norm(article: Article) -> Article:
    return normalise_article(article, fetched_at=FETCHED)


def test_text_is_nfc_with_entities_decoded_and_whitespace_cleaned() -> None:
    decomposed = unicodedata.normalize("NFD", "Mô hình ngôn ngữ")
    article = norm(
        make(
            title=f"  {decomposed} &amp;amp; Chi&amp;#7871;n\n lược ",
            summary="Tóm&nbsp;tắt &#7909; ",
            text="Đoạn  một\u00a0có &quot;trích dẫn&quot;.\n\n\n  Đoạn hai. \n",
            authors=[" Hà\tThu "],
        )
    )
    assert article.title == "Mô hình ngôn ngữ & Chiến lược"
    assert unicodedata.is_normalized("NFC", article.title)
    assert article.summary == "Tóm tắt ụ"
    assert article.text == 'Đoạn một có "trích dẫn".\n\nĐoạn hai.'
    assert article.authors == ["Hà Thu"]


def test_url_is_canonicalised_and_fetched_url_kept_only_when_different() -> None:
    article = norm(make(url="HTTPS://VnExpress.net/a-1.html?utm_source=x#top", fetched_url=None))
    assert article.url == "https://vnexpress.net/a-1.html"
    same = norm(make(fetched_url="https://vnexpress.net/mo-hinh-ngon-ngu-5047363.html?utm_x=1"))
    assert same.fetched_url is None
    moved = norm(make(fetched_url="https://m.vnexpress.net/a-1.html"))
    assert moved.fetched_url == "https://m.vnexpress.net/a-1.html"


def test_invalid_url_raises() -> None:
    with pytest.raises(InvalidURL):
        norm(make(url="javascript:void(0)"))


def test_naive_dates_take_the_default_zone() -> None:
    article = norm(make(published_at=datetime(2026, 3, 7, 9, 40), modified_at=None))
    assert article.published_at == datetime(2026, 3, 7, 9, 40, tzinfo=VN)
    other = normalise_article(
        make(published_at=datetime(2026, 3, 7, 1, 40)), fetched_at=FETCHED, tz="UTC"
    )
    assert other.published_at == datetime(2026, 3, 7, 1, 40, tzinfo=UTC)


def test_future_dates_are_clamped_and_flagged() -> None:
    # a zone-less time read as UTC lands 7 hours in the future
    article = norm(make(published_at=FETCHED + timedelta(hours=7)))
    assert article.published_at == FETCHED
    assert FLAG_DATE_CLAMPED in article.flags
    skew = norm(make(published_at=FETCHED + FUTURE_TOLERANCE))
    assert skew.published_at == FETCHED + FUTURE_TOLERANCE
    assert FLAG_DATE_CLAMPED not in skew.flags


def test_implausible_dates_are_dropped_and_flagged() -> None:
    article = norm(make(published_at=datetime(1, 1, 1, tzinfo=UTC)))
    assert article.published_at is None
    assert FLAG_DATE_IMPLAUSIBLE in article.flags
    assert "published_at" not in article.extraction
    assert norm(make(published_at=EARLIEST_PLAUSIBLE)).published_at == EARLIEST_PLAUSIBLE


def test_modified_time_is_dropped_when_doubtful() -> None:
    published = datetime(2026, 3, 7, 8, 5, tzinfo=VN)
    assert norm(make(modified_at=published + timedelta(minutes=3))).modified_at is not None
    assert norm(make(modified_at=published - timedelta(days=1))).modified_at is None
    assert norm(make(modified_at=FETCHED + timedelta(days=1))).modified_at is None


def test_existing_flags_are_kept_once() -> None:
    article = norm(make(flags=[FLAG_DATE_FROM_URL_ID, FLAG_DATE_FROM_URL_ID]))
    assert article.flags == [FLAG_DATE_FROM_URL_ID]


def test_language_declared_is_normalised_and_checked() -> None:
    assert norm(make(language="vi-VN")).language == "vi"
    english = norm(
        make(
            language="vi",
            title="Ministry releases open-source Vietnamese language model",
            summary=None,
            text=(
                "The Ministry of Science and Technology has released a Vietnamese large "
                "language model under an open licence, and researchers can download it."
            ),
        )
    )
    assert english.language == "en"
    assert FLAG_LANGUAGE_MISMATCH in english.flags


def test_authors_deduplicated_loosely() -> None:
    article = norm(make(authors=["Hà Thu", "HÀ THU", "", "Ha Thu", "Minh Chiến"]))
    assert article.authors == ["Hà Thu", "Minh Chiến"]


def test_non_http_links_dropped_and_related_deduplicated() -> None:
    article = norm(
        make(
            original_url="javascript:;",
            image_url="data:image/gif;base64,R0lGOD",
            related_urls=[
                "https://baochinhphu.vn/a-1.htm",
                "https://baochinhphu.vn/a-1.htm?utm_source=fb",
                "mailto:x@y.vn",
                "https://vnexpress.net/mo-hinh-ngon-ngu-5047363.html",  # itself
            ],
        )
    )
    assert article.original_url is None
    assert article.image_url is None
    assert article.related_urls == ["https://baochinhphu.vn/a-1.htm"]
    kept = norm(
        make(
            original_url="https://baochinhphu.vn/b-2.htm", image_url=" https://i.vn/x.jpg?s=B&a=1 "
        )
    )
    assert kept.original_url == "https://baochinhphu.vn/b-2.htm"
    assert kept.image_url == "https://i.vn/x.jpg?s=B&a=1"  # signed CDN query untouched


def test_summary_equal_to_title_is_dropped() -> None:
    article = norm(make(summary=" Bộ KH&amp;CN công bố mô hình ngôn ngữ mã nguồn mở. "))
    assert article.summary is None


def test_summary_repeated_as_first_paragraph_is_removed_from_body() -> None:
    summary = "Mô hình tiếng Việt được công bố theo giấy phép mở."
    article = norm(make(summary=summary, text=f"{summary}\n\n{BODY}"))
    assert article.text == BODY
    assert article.summary == summary
    # a body that merely starts with similar words keeps its paragraph
    other = norm(make(summary=summary, text=f"{summary} Thêm nữa.\n\n{BODY}"))
    assert other.text.startswith(summary)


def test_input_article_is_not_modified() -> None:
    original = make(title=" Tiêu  đề ", authors=["A", "A"])
    norm(original)
    assert original.title == " Tiêu  đề "
    assert original.authors == ["A", "A"]


def test_check_article() -> None:
    assert check_article(norm(make())) == []
    problems = check_article(norm(make(title=" ", text="Ngắn.")))
    assert problems[0] == "no title"
    assert problems[1].startswith("body too short")
    assert check_article(norm(make(text="x" * MIN_BODY_CHARS))) == []


# --- property-based -----------------------------------------------------------------

_texts = st.lists(
    st.text(st.characters(codec="utf-8"), max_size=20)
    | st.sampled_from(["&amp;", "&amp;amp;", "&#7871;", "o\u0302\u0301", "\n\n", " ", "\u00a0"]),
    max_size=12,
).map("".join)
_dates = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
)
_urls = st.one_of(
    st.none(), st.sampled_from(["https://a.vn/x", "javascript:;", "", "http://[::1/", "ftp://a"])
)


@settings(max_examples=200)
@given(
    title=_texts,
    summary=st.one_of(st.none(), _texts),
    text=_texts,
    authors=st.lists(_texts, max_size=4),
    published=_dates,
    modified=_dates,
    language=st.one_of(st.none(), st.sampled_from(["vi-VN", "en", "fr_FR", "es", "", "xx-1"])),
    original=_urls,
    related=st.lists(_urls.filter(lambda u: u is not None), max_size=3),
)
def test_normalise_is_total_consistent_and_idempotent(
    title: str,
    summary: str | None,
    text: str,
    authors: list[str],
    published: datetime | None,
    modified: datetime | None,
    language: str | None,
    original: str | None,
    related: list[str],
) -> None:
    article = make(
        title=title,
        summary=summary,
        text=text,
        authors=authors,
        published_at=published,
        modified_at=modified,
        language=language,
        original_url=original,
        related_urls=related,
        image_url=original,
    )
    once = norm(article)
    for value in (once.title, once.summary or "", once.text, *once.authors):
        assert unicodedata.is_normalized("NFC", value)
        assert "&amp;" not in value
    for moment in (once.published_at, once.modified_at):
        if moment is not None:
            assert moment.tzinfo is not None
            assert EARLIEST_PLAUSIBLE <= moment <= FETCHED + FUTURE_TOLERANCE
    assert norm(once) == once
