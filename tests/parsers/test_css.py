"""CSS selection over lxml trees, and building the tree from any page."""

from __future__ import annotations

import pytest

from spiders.parsers.css import check, select, select_one, select_page
from spiders.parsers.markup import blocks, drop, make_tree, text_nodes, text_of

PAGE = (
    "<html lang='vi'><body><article class='fck_detail'>"
    "<p class='Normal'>Một</p><p class='Normal' style='text-align:right'>Tác giả</p>"
    "<div class='PhotoCMS_Caption'>Ảnh</div><div class='box'><p class='Normal'>Hai</p></div>"
    "</article><p class='Normal'>Ngoài</p></body></html>"
)


def texts(elements: list) -> list[str]:
    return [text_of(e) for e in elements]


def test_select_finds_descendants_in_document_order() -> None:
    root = make_tree(PAGE)
    article = select_one(root, "article")
    assert texts(select(article, "p.Normal")) == ["Một", "Tác giả", "Hai"]


def test_ancestors_of_a_selector_may_lie_above_the_element() -> None:
    # querySelectorAll: the article itself satisfies "article.fck_detail".
    root = make_tree(PAGE)
    article = select_one(root, "article")
    found = select(article, 'article.fck_detail p.Normal[style*="text-align:right"]')
    assert texts(found) == ["Tác giả"]
    # a match outside the element is not returned
    assert texts(select(article, "body p.Normal")) == ["Một", "Tác giả", "Hai"]


def test_a_group_mixing_both_kinds_keeps_document_order() -> None:
    article = select_one(make_tree(PAGE), "article")
    found = select(article, "div.box p, article > p:nth-of-type(1)")
    assert texts(found) == ["Một", "Hai"]


def test_the_element_itself_is_not_among_its_matches() -> None:
    article = select_one(make_tree(PAGE), "article")
    assert select(article, "article") == []


def test_case_insensitive_attribute_flag() -> None:
    article = select_one(make_tree(PAGE), "article")
    assert texts(select(article, '[class*="caption" i]')) == ["Ảnh"]
    assert select(article, '[class*="caption"]') == []


def test_page_selection_includes_the_html_element() -> None:
    root = make_tree(PAGE)
    assert [e.get("lang") for e in select_page(root, "html[lang]")] == ["vi"]
    assert texts(select_page(root, "html > body > p")) == ["Ngoài"]


@pytest.mark.parametrize("selector", ["h1[[", "div..x", "p::before", "p:no-such-pseudo", ""])
def test_invalid_selectors_are_value_errors(selector: str) -> None:
    with pytest.raises(ValueError):
        check(selector)


def test_drop_keeps_the_text_after_the_element() -> None:
    root = make_tree("<div>Trước <span>bỏ</span> giữa <b>bỏ</b> sau</div>")
    for element in select(root, "span, b"):
        drop(element)
    assert [b.text for b in blocks(root.find(".//div"))] == ["Trước giữa sau"]


def test_text_nodes_name_the_element_holding_each_piece() -> None:
    root = make_tree("<div>đầu<b>đậm</b>đuôi<!-- chú thích --></div>")
    assert [(text, parent.tag) for text, parent in text_nodes(root)] == [
        ("đầu", "div"),
        ("đậm", "b"),
        ("đuôi", "div"),
    ]


@pytest.mark.parametrize("page", ["", "   ", "\x00", "<", "<html>", "<?xml version='1.0'?><p>x"])
def test_any_text_makes_a_tree(page: str) -> None:
    assert make_tree(page).tag == "html"


def test_a_page_deeper_than_libxml2s_limit_keeps_its_text_and_odd_markup() -> None:
    depth = 2500
    page = "<div>" * depth + '<p class="x" a"b="1">sâu <b>đậm</b></p>đuôi' + "</div>" * depth
    root = make_tree(page)
    assert [b.text for b in blocks(root)] == ["sâu đậm", "đuôi"]
    assert texts(select_page(root, "p.x")) == ["sâu đậm"]


def test_a_page_written_in_decomposed_unicode_reads_like_its_nfc_twin() -> None:
    """The page is not normalised as a whole: everything read from it is."""
    import unicodedata
    from datetime import UTC, datetime

    from crawler.replica.render import render_article
    from spiders.parsers import parse_article

    url = "https://www.vietnam.vn/bo-khoa-hoc-cong-bo-mo-hinh-ngon-ngu-nguon-mo"
    article = {
        "title": "Bộ Khoa học công bố mô hình ngôn ngữ nguồn mở",
        "summary": "Mô hình được chia sẻ miễn phí cho cộng đồng nghiên cứu trong nước.",
        "paragraphs": [
            "Theo Bộ Khoa học và Công nghệ, mô hình được huấn luyện trên dữ liệu tiếng Việt "
            "và phát hành để doanh nghiệp, trường đại học sử dụng.",
            "Nhóm phát triển cho biết mô hình đạt kết quả tốt trên các bài kiểm tra đọc hiểu, "
            "tóm tắt văn bản và trả lời câu hỏi bằng tiếng Việt.",
            "Tạp chí Khoa họcTạp chí Khoa học07/03/2026",
            "Nguồn: https://khoahoc.example.vn/mo-hinh-ngon-ngu",
        ],
        "authors": ["Minh Anh"],
        "url": url,
        "published_at": datetime(2026, 3, 7, 8, 30, tzinfo=UTC),
    }
    html = render_article("vietnamvn", article)
    fetched = datetime(2026, 3, 9, tzinfo=UTC)
    nfc_page = parse_article(html.encode(), url, fetched_at=fetched)
    nfd_page = parse_article(unicodedata.normalize("NFD", html).encode(), url, fetched_at=fetched)
    assert nfd_page.to_dict() == nfc_page.to_dict()
    assert nfc_page.original_url == "https://khoahoc.example.vn/mo-hinh-ngon-ngu"
