"""The layered parser: which layer supplies each field, configuration, identity,
republished originals, dates, rejection of non-articles, and the registry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.models import (
    FLAG_DATE_FROM_URL_ID,
    FLAG_LANGUAGE_MISMATCH,
    METHOD_FALLBACK,
    METHOD_JSON_LD,
    METHOD_META,
    METHOD_SELECTOR,
    METHOD_TEXT,
    METHOD_URL_ID,
)
from spiders.parsers import (
    BaseParser,
    GenericParser,
    ParseError,
    all_parsers,
    get_parser,
    parse_article,
    parser_for_url,
)
from spiders.parsers.registry import parser_classes, parser_names

FETCHED = datetime(2026, 3, 9, tzinfo=UTC)
BODY = "".join(
    f"<p>Đoạn {i}: Bộ Khoa học và Công nghệ công bố mô hình ngôn ngữ mở cho tiếng Việt, "
    "kèm dữ liệu huấn luyện và hướng dẫn sử dụng cho doanh nghiệp.</p>"
    for i in range(1, 4)
)


def page(head: str = "", body: str = "", lang: str = "vi") -> bytes:
    if "<title>" not in head:
        head = "<title>Công bố mô hình ngôn ngữ mở</title>" + head
    return f'<html lang="{lang}"><head>{head}</head><body>{body}</body></html>'.encode()


def parse(html: bytes, url: str = "https://tin.example.vn/bai-viet", **kwargs: object):  # type: ignore[no-untyped-def]
    return parse_article(html, url, fetched_at=FETCHED, **kwargs)  # type: ignore[arg-type]


JSON_LD = """<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
{"@type":"WebPage","name":"x"},
{"@type":["NewsArticle"],"headline":"Tiêu đề JSON-LD","datePublished":"2026-03-07T09:40:00",
 "author":[{"@type":"Person","name":"Theo Hồ Hương"},{"@type":"Organization","name":"Báo X"}],
 "description":"Tóm tắt JSON-LD",}]}</script>"""


def test_json_ld_graph_lists_trailing_commas_and_zone_less_times() -> None:
    article = parse(page(JSON_LD, f"<article>{BODY}</article>"))
    assert article.title == "Tiêu đề JSON-LD"
    assert article.published_at == datetime.fromisoformat("2026-03-07T09:40:00+07:00")
    assert article.authors == ["Hồ Hương"]  # "Theo" dropped, the Organization skipped
    assert article.extraction["title"] == METHOD_JSON_LD
    assert article.extraction["published_at"] == METHOD_JSON_LD
    assert article.extraction["text"] == METHOD_FALLBACK


def test_selectors_from_configuration_override_and_record_their_use() -> None:
    html = page(
        JSON_LD,
        '<div class="td">Tiêu đề hiển thị</div><div class="ngay">Ngày 08/03/2026 - 10:15</div>'
        f'<div class="nd">{BODY}<div class="qc">Quảng cáo ở giữa bài viết</div></div>',
    )
    selectors = {"title": "div.td", "date": "div.ngay", "body": "div.nd", "drop": "div.qc"}
    article = parse(html, parser="generic", selectors=selectors)
    assert article.title == "Tiêu đề hiển thị"
    assert article.extraction["title"] == METHOD_SELECTOR
    assert article.extraction["text"] == METHOD_SELECTOR
    assert "Quảng cáo" not in article.text
    # JSON-LD still comes first for the time
    assert article.published_at == datetime.fromisoformat("2026-03-07T09:40:00+07:00")


def test_date_selector_reads_an_attribute_or_the_visible_text() -> None:
    attribute = page(
        "",
        '<time class="t" datetime="2026-03-08T10:15:00+07:00">hôm qua</time>'
        f"<article>{BODY}</article>",
    )
    article = parse(attribute, parser="generic", selectors={"date": "time.t@datetime"})
    assert article.published_at == datetime.fromisoformat("2026-03-08T10:15:00+07:00")
    assert article.extraction["published_at"] == METHOD_SELECTOR
    text = page(
        "", f'<span class="t">Thứ hai, 8/3/2026, 10:15 (GMT+7)</span><article>{BODY}</article>'
    )
    article = parse(text, parser="generic", selectors={"date": "span.t"})
    assert article.published_at == datetime.fromisoformat("2026-03-08T10:15:00+07:00")
    assert article.extraction["published_at"] == METHOD_TEXT


@pytest.mark.parametrize(
    ("selectors", "message"),
    [
        ({"headline": "h1"}, "unknown selector key 'headline'"),
        ({"title": "h1[["}, "invalid CSS selector for 'title'"),
        ({"date": "time@"}, "invalid CSS selector for 'date'"),
        ({"body": "  "}, "must be a non-empty string"),
    ],
)
def test_bad_configuration_is_a_clear_error(selectors: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GenericParser(selectors)


def test_a_class_with_an_invalid_selector_fails_at_definition() -> None:
    with pytest.raises(ValueError, match="invalid CSS selector for 'body'"):

        class Broken(BaseParser):  # defining it is the test
            body_selector = "div..x"


def test_canonical_on_the_same_site_is_the_url_elsewhere_is_related() -> None:
    meta = '<meta property="article:published_time" content="2026-03-07T08:00:00+07:00">'
    same = page(
        meta + '<link rel="canonical" href="/bai-viet-goc?utm_source=x">',
        f"<article>{BODY}</article>",
    )
    article = parse(same, "https://m.tin.example.vn/bai-viet-amp")
    assert article.url == "https://m.tin.example.vn/bai-viet-goc"
    assert article.fetched_url == "https://m.tin.example.vn/bai-viet-amp"
    assert article.extraction["url"] == METHOD_META
    other = page(
        meta
        + '<link rel="canonical" href="https://baochinhphu.vn/a-102260307080000123.htm">'
        + '<meta property="og:url" content="https://tin.example.vn/khac">',
        f"<article>{BODY}</article>",
    )
    article = parse(other)
    assert article.url == "https://tin.example.vn/bai-viet"
    assert article.related_urls == [
        "https://baochinhphu.vn/a-102260307080000123.htm",
        "https://tin.example.vn/khac",
    ]


def test_closing_source_link_becomes_original_url_and_leaves_the_body() -> None:
    meta = '<meta property="article:published_time" content="2026-03-07T08:00:00+07:00">'
    body = (
        f'<div class="nd">{BODY}<p>Source : <a href="https://lecourrier.vn/a/1.html">'
        "Le Courrier</a></p><p>Comment (0)</p></div>"
    )
    article = parse(page(meta, body), parser="generic", selectors={"body": "div.nd"})
    assert article.original_url == "https://lecourrier.vn/a/1.html"
    assert "Source" not in article.text and "Comment" not in article.text
    # a source line naming the same site is a reference, not an original
    body = f'<div class="nd">{BODY}<p>Nguồn: <a href="/khac.htm">bài khác</a></p></div>'
    article = parse(page(meta, body), parser="generic", selectors={"body": "div.nd"})
    assert article.original_url is None


def test_url_id_time_is_a_flagged_last_resort() -> None:
    url = "https://baochinhphu.vn/bai-viet-102260228093004191.htm"
    article = parse(
        page("<title>Tin</title>", f'<div class="detail-content afcbc-body">{BODY}</div>'), url
    )
    assert article.published_at == datetime.fromisoformat("2026-02-28T09:30:04+07:00")
    assert article.extraction["published_at"] == METHOD_URL_ID
    assert FLAG_DATE_FROM_URL_ID in article.flags


def test_a_date_alone_beats_a_url_id_of_another_day() -> None:
    url = "https://baochinhphu.vn/bai-viet-102260228093004191.htm"
    body = (
        '<div class="detail-time" data-role="publishdate">01/03/2026</div>'
        f'<div class="detail-content afcbc-body">{BODY}</div>'
    )
    article = parse(page("<title>Tin</title>", body), url)
    assert article.published_at == datetime.fromisoformat("2026-03-01T00:00:00+07:00")
    assert article.flags == []


def test_declared_language_is_checked() -> None:
    english = (
        "<p>The ministry has released an open-source Vietnamese language model, and "
        "researchers can download it from Hugging Face for their own work.</p>"
        "<p>The model was trained on licensed news, textbooks and legal documents, "
        "which the ministry says makes it suitable for public services.</p>"
    )
    meta = (
        '<meta property="article:published_time" content="2026-03-07T08:00:00+07:00">'
        "<title>Model released</title>"
    )
    article = parse(page(meta, f"<article>{english}</article>", lang="vi"))
    assert article.language == "en"
    assert FLAG_LANGUAGE_MISMATCH in article.flags


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (b"", "no article markup"),
        (page("<title>Tin</title>", "<p>Ngắn.</p>"), "no article markup"),
        (page(JSON_LD, "<article><p>Ngắn.</p></article>"), "body too short"),
    ],
)
def test_not_articles_raise_parse_error(html: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason) as caught:
        parse(html)
    assert reason in caught.value.reason


def test_registry() -> None:
    names = parser_names()
    expected = {
        "mst", "vietnamvn", "baochinhphu", "vnexpress", "vietnamplus", "vietnamnet",
        "nhandan", "tuoitre", "dantri", "nld", "genk", "cafef", "baodautu", "generic",
    }  # fmt: skip
    assert set(names) == expected
    assert {p.name for p in all_parsers()} == expected
    for cls in parser_classes():
        assert cls.version[:2] == "20" and len(cls.version) == 10, cls
        assert cls.name == "generic" or cls.domains, cls
    assert get_parser("vnexpress").id == "vnexpress@2025-10-22"
    assert get_parser("vnexpress", version="2025-10-22").name == "vnexpress"
    with pytest.raises(KeyError, match="no parser 'vnexpres'"):
        get_parser("vnexpres")
    with pytest.raises(KeyError, match="vnexpress@1999-01-01"):
        get_parser("vnexpress", version="1999-01-01")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://vnexpress.net/a-1.html", "vnexpress"),
        ("https://en.vietnamplus.vn/a-post1.vnp", "vietnamplus"),
        ("https://www.vietnam.vn/en/a", "vietnamvn"),
        ("https://mst.gov.vn/a-197250926153500643.htm", "mst"),
        ("https://notvnexpress.net/a", "generic"),
        ("https://tin.example.vn/a", "generic"),
    ],
)
def test_parser_for_url(url: str, name: str) -> None:
    assert parser_for_url(url).name == name


def test_a_new_version_overrides_only_what_changed() -> None:
    from spiders.parsers.vn.vnexpress import VnExpressV1

    class VnExpressV2(VnExpressV1):
        version = "2027-01-01"
        body_selector = "div.article-body"

    parser = VnExpressV2()
    assert parser.id == "vnexpress@2027-01-01"
    assert parser.title_selector == VnExpressV1.title_selector
    assert parser.body_selector != VnExpressV1.body_selector
