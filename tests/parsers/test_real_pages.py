"""Contract tests: each parser on the pages third parties saved from the live sites.

Expected values are what each page visibly shows (headline, date line, byline); the
pages themselves are never copied into the repository (see conftest.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.models import Article
from spiders.parsers import ParseError, parse_article
from spiders.parsers.boilerplate import is_boilerplate, is_caption

FETCHED_AT = datetime(2026, 11, 28, tzinfo=UTC)


@dataclass(frozen=True)
class Page:
    file: str
    url: str
    parser: str
    title: str
    published: str  # to the minute, with the zone: what the date line shows
    authors: tuple[str, ...]
    summary_start: str | None
    # text that must not reach the body: captions, related titles, widgets, bylines
    absent: tuple[str, ...]
    original_url: str | None = None
    min_paragraphs: int = 3
    machine_date: bool = True  # JSON-LD or <meta> states the time (baodautu does not)


PAGES = [
    Page(
        "vnexpress.net/article_dau-bung-keo-dai-lymphoma_4954454.html",
        "https://vnexpress.net/dau-bung-keo-dai-phat-hien-ung-thu-lymphoma-ruot-non-4954454.html",
        "vnexpress",
        "Đau bụng kéo dài, phát hiện ung thư lymphoma ruột non",
        "2025-10-22T19:25+07:00",  # "Thứ tư, 22/10/2025, 19:25 (GMT+7)"
        ("Lê Phương",),
        "Người đàn ông 63 tuổi đau bụng kéo dài",
        ("Ảnh:", "Y bác sĩ nội soi cho bệnh nhân", "Lê Phương"),
        min_paragraphs=5,
    ),
    Page(
        "vnexpress.net/article_doi-pho-cu-soc-nang-luong-trung-dong_5047363.html",
        "https://vnexpress.net/cach-cac-nuoc-doi-pho-cu-soc-nang-luong-tu-trung-dong-5047363.html",
        "vnexpress",
        "Cách các nước đối phó cú sốc năng lượng từ Trung Đông",
        "2026-03-07T00:05+07:00",  # "Thứ bảy, 7/3/2026, 00:05 (GMT+7)"
        ("Hà Thu",),
        "Trung Quốc, Nhật Bản, Thái Lan hạn chế xuất khẩu nhiên liệu",
        ("Ảnh:", "Công nhân đi qua các ống dẫn dầu", "tổng hợp", "Trở lại Kinh doanh"),
        min_paragraphs=20,
    ),
    Page(
        "baochinhphu.vn/article_chinh-sach-moi-thang-3-2026_102260228093004191.html",
        "https://baochinhphu.vn/chinh-sach-moi-co-hieu-luc-tu-thang-3-2026-102260228093004191.htm",
        "baochinhphu",
        "Chính sách mới có hiệu lực từ tháng 3/2026",
        "2026-03-01T09:51+07:00",  # "01/03/2026 09:51" (the URL id says 28/02 09:30)
        (),
        "Tháng 3/2026 có nhiều chính sách mới có hiệu lực",
        ("Tham khảo thêm", "Chính sách mới có hiệu lực từ tháng 2/2026", "Châu Âu: Nhiều"),
        min_paragraphs=40,
    ),
    Page(
        "baodautu.vn/article_xu-phat-giam-doc-tai-chinh-tien-son_d538952.html",
        "https://baodautu.vn/xu-phat-giam-doc-tai-chinh-tap-doan-tien-son-thanh-hoa-vi-thao-tung-co-phieu-d538952.html",
        "baodautu",
        "Xử phạt Giám đốc tài chính Tập đoàn Tiên Sơn Thanh Hoá vì thao túng cổ phiếu",
        "2026-03-07T08:47+07:00",  # " - 07/03/2026 08:47"
        ("Nguyên Minh",),
        "Ông Tống Anh Linh - Giám đốc tài chính",
        (
            "TIN LIÊN QUAN",
            "Một cá nhân bị xử phạt vì dùng 19 tài khoản",
            "Diễn biến cổ phiếu AAT trong giai đoạn",
            "Xử phạt hai cá nhân thao túng cổ phiếu SJS",
            "#xử phạt",
        ),
        min_paragraphs=10,
        machine_date=False,
    ),
    Page(
        "cafef.vn/article_mbs-30-co-phieu-ftse_18826030622484142.html",
        "https://cafef.vn/thoi-diem-nang-hang-can-ke-mbs-diem-ten-30-co-phieu-viet-nam-co-kha-nang-lot-ro-chi-so-ftse-18826030622484142.chn",
        "cafef",
        "Thời điểm nâng hạng cận kề, MBS điểm tên 30 cổ phiếu Việt Nam "
        "có khả năng lọt rổ chỉ số FTSE",
        "2026-03-07T00:01+07:00",  # "07-03-2026 - 00:01 AM"
        ("Dương Ngọc",),
        "“Sau tháng 9/2026, dòng vốn thụ động",
        ("TIN MỚI", "CÙNG CHUYÊN MỤC", "Một cổ phiếu trên HOSE bất ngờ", "Nhịp sống thị trường"),
        original_url="https://markettimes.vn/thoi-diem-nang-hang-can-ke-mbs-diem-ten-30-co-phieu-viet-nam-co-kha-nang-lot-ro-chi-so-ftse-109319.html",
        min_paragraphs=10,
    ),
    Page(
        "cafef.vn/article_chuyen-muc-dich-su-dung-dat_188260307071033787.html",
        "https://cafef.vn/tang-ho-tro-giam-ap-luc-tai-chinh-khi-chuyen-muc-dich-su-dung-dat-188260307071033787.chn",
        "cafef",
        "Tăng hỗ trợ, giảm áp lực tài chính khi chuyển mục đích sử dụng đất",
        "2026-03-07T09:40+07:00",  # "07-03-2026 - 09:40 AM"
        ("Hồ Hương",),  # "Theo Hồ Hương"
        "Bộ Tài chính cho biết các quy định mới về tiền sử dụng đất",
        ("TIN MỚI", "Ảnh minh hoạ", "Siêu đô thị 18 tỷ USD", "Theo Hồ Hương", "Đại Đoàn kết"),
        original_url="https://daidoanket.vn/tang-ho-tro-giam-ap-luc-tai-chinh-khi-chuyen-muc-dich-su-dung-dat.html",
        min_paragraphs=8,
    ),
    Page(
        "dantri.com.vn/article_gia-vang-giam_20260307080054340.html",
        "https://dantri.com.vn/kinh-doanh/gia-vang-giam-van-cao-hon-the-gioi-gan-20-trieu-dongluong-20260307080054340.htm",
        "dantri",
        "Giá vàng giảm, vẫn cao hơn thế giới gần 20 triệu đồng/lượng",
        "2026-03-07T08:07+07:00",  # "Thứ bảy, 07/03/2026 - 08:07"
        ("Tri Túc",),
        "Giá vàng trong nước tiếp tục giảm",  # "(Dân trí) - " credit removed
        ("(Dân trí)", "Tri Túc"),
        min_paragraphs=10,
    ),
    Page(
        "genk.vn/article_apple-cat-qua-tang-sinh-vien_165260716163514059.html",
        "https://genk.vn/vi-sao-apple-bat-ngo-cat-qua-tang-sinh-vien-165260716163514059.chn",
        "genk",
        "Vì sao Apple bất ngờ cắt quà tặng sinh viên?",
        "2026-07-16T16:35+07:00",  # "16/07/2026 16:35"
        ("Thế Duyệt",),
        "Chương trình ưu đãi giáo dục thường niên của Apple",
        ("Ảnh chụp màn hình", "Đời sống Pháp luật", "Copy link", "Lấy link", "&#"),
        original_url="https://doisongphapluat.nguoiduatin.vn/vi-sao-apple-bat-ngo-cat-qua-tang-sinh-vien-a650753.html",
        min_paragraphs=8,
    ),
    Page(
        "nhandan.vn/article_tay-ban-nha-vo-dich-world-cup_976641.html",
        "https://nhandan.vn/danh-bai-argentina-tay-ban-nha-vo-dich-world-cup-lan-thu-hai-post976641.html",
        "nhandan",
        "Đánh bại Argentina, Tây Ban Nha vô địch World Cup lần thứ hai",
        "2026-07-20T06:31+07:00",  # "Thứ Hai, ngày 20/07/2026 - 06:31"
        ("TP",),
        "Đội tuyển Tây Ban Nha đã trở thành tân vương của World Cup 2026",
        (
            "Đội hình thi đấu",  # the notebox
            "Ferran Torres (106')",
            "Tin liên quan",
            "[Ảnh] Chung kết World Cup 2026",
            "(Ảnh: FIFA)",
        ),
        min_paragraphs=10,
    ),
    Page(
        "nld.com.vn/article_sai-sot-ho-kinh-doanh-thue_196260307071308923.html",
        "https://nld.com.vn/nhung-sai-sot-ho-kinh-doanh-thuong-gap-khi-thuc-hien-quy-dinh-moi-ve-thue-196260307071308923.htm",
        "nld",
        # the h1; og:title and the JSON-LD headline say "quy định thuế mới"
        "Những sai sót hộ kinh doanh thường gặp khi thực hiện quy định mới về thuế",
        "2026-03-07T08:06+07:00",  # "07/03/2026 08:06 GMT+7"
        ("Minh Chiến",),
        "Không ít hộ kinh doanh chưa quen",  # "(NLĐO)- " credit removed
        (
            "Hộ kinh doanh phải kê khai tất cả tài khoản",  # related box in the body
            "Chuyên gia về thuế đã nêu một số sai sót",  # caption
            "Tin liên quan",
            "Chia sẻ",
            "(NLĐO)",
        ),
        min_paragraphs=15,
    ),
    Page(
        "tuoitre.vn/article_gia-hoa-nhap-khau-8-3_20260307075519174.html",
        "https://tuoitre.vn/chien-su-day-gia-hoa-nhap-khau-dip-8-3-tang-manh-20260307075519174.htm",
        "tuoitre",
        "Chiến sự đẩy giá hoa nhập khẩu dịp 8-3 tăng mạnh",
        "2026-03-07T08:01+07:00",  # "07/03/2026 08:01 GMT+7"
        ("NHẬT XUÂN", "NGHI VŨ"),
        "Xung đột ở khu vực Trung Đông khiến các shop hoa",
        (
            "Ảnh: H.Y.T.",
            "Xung đột ở Trung Đông khiến xuất khẩu Việt lao đao",  # RelatedOneNews
            "Đọc tiếp",
            "Về trang Chủ đề",
            "Tặng sao",
            "NHẬT XUÂN",
        ),
        min_paragraphs=20,
    ),
    Page(
        "vietnamnet.vn/article_co-phieu-flc_2495349.html",
        "https://vietnamnet.vn/co-phieu-flc-duoc-giao-dich-tro-lai-2495349.html",
        "vietnamnet",
        "Cổ phiếu FLC được giao dịch trở lại",
        "2026-03-07T08:52+07:00",  # "Thứ Bảy, 07/03/2026 - 08:52"
        ("Duy Anh",),
        "CTCP Tập đoàn FLC cho biết cổ phiếu FLC",
        ("Ảnh: Hồng Khanh", "Xem các bài viết của tác giả", "Sao chép liên kết"),
        min_paragraphs=7,
    ),
    Page(
        "vietnamplus.vn/article_bach-mai-ninh-binh-ngo-doc-khi_1125344.html",
        "https://www.vietnamplus.vn/benh-vien-bach-mai-co-so-ninh-binh-bao-dong-do-cuu-8-nan-nhan-ngo-doc-khi-post1125344.vnp",
        "vietnamplus",
        "Bệnh viện Bạch Mai cơ sở Ninh Bình: Báo động đỏ cứu 8 nạn nhân ngộ độc khí",
        "2026-07-21T07:17+07:00",  # "21/07/2026 07:17"
        ("TTXVN/Vietnam+",),  # the only credit the page gives
        "8 nạn nhân sống sót trong vụ ngạt khí",
        (
            "(TTXVN/Vietnam+)",
            "Đưa kỹ thuật tim mạch chuyên sâu",  # sidebar related video
            "Theo dõi VietnamPlus",
            "8 nạn nhân sống sót trong vụ ngạt khí",  # the standfirst repeated in the body
        ),
    ),
]


def parse(real_pages: Path, page: Page, parser: str | None) -> Article:
    html = (real_pages / page.file).read_bytes()
    return parse_article(html, page.url, parser=parser, fetched_at=FETCHED_AT)


@pytest.fixture(params=PAGES, ids=lambda p: p.file.split("/")[1][:40])
def page(request: pytest.FixtureRequest) -> Page:
    return request.param  # type: ignore[no-any-return]


@pytest.mark.parametrize("by", ["name", "url"])
def test_page_contract(real_pages: Path, page: Page, by: str) -> None:
    article = parse(real_pages, page, page.parser if by == "name" else None)
    assert article.parser is not None and article.parser.startswith(page.parser + "@")
    assert article.title == page.title
    assert article.published_at is not None
    assert article.published_at.isoformat(timespec="minutes") == page.published
    assert article.authors == list(page.authors)
    if page.summary_start is not None:
        assert article.summary is not None
        assert article.summary.startswith(page.summary_start)
    assert article.original_url == page.original_url
    assert article.language == "vi"
    assert article.url == page.url
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) >= page.min_paragraphs
    for paragraph in paragraphs:
        assert not is_caption(paragraph), paragraph
        assert not is_boilerplate(paragraph), paragraph
        for text in page.absent:
            assert text not in paragraph, (text, paragraph)
    assert article.title not in paragraphs


def test_body_is_article_text_not_fallback(real_pages: Path, page: Page) -> None:
    article = parse(real_pages, page, page.parser)
    assert article.extraction["text"] == "selector"
    assert article.extraction["title"] == "selector"


def test_vnexpress_matches_fundus_reference(real_pages: Path) -> None:
    """fundus's expected extraction of the same page (a reference, not a spec: it keeps
    the photo caption as a paragraph, which this project drops)."""
    page = PAGES[0]
    reference = json.loads(
        (real_pages / page.file.replace(".html", ".expected.json")).read_text("utf-8")
    )["V1"]
    article = parse(real_pages, page, "vnexpress")
    assert article.title == reference["title"]
    assert article.authors == reference["authors"]
    assert article.published_at == datetime.fromisoformat(reference["publishing_date"])
    assert article.summary == reference["body"]["summary"][0]
    expected = [
        p
        for section in reference["body"]["sections"]
        for p in section["paragraphs"]
        if not is_caption(p)
    ]
    assert article.text.split("\n\n") == expected


def test_generic_parser_reads_real_pages_without_site_rules(real_pages: Path, page: Page) -> None:
    """The fallback a changed layout ends up on still yields the article, as long as
    the page states it is one (JSON-LD or a machine-readable time). baodautu states
    nothing: without its site rules it cannot be told from a section page, and the
    generic parser rejects it rather than store a listing as an article."""
    if not page.machine_date:
        with pytest.raises(ParseError, match="no article markup"):
            parse(real_pages, page, "generic")
        return
    article = parse(real_pages, page, "generic")
    assert article.title == page.title or article.title.startswith(page.title[:30])
    assert article.published_at is not None
    assert article.published_at.isoformat(timespec="minutes") == page.published
    assert len(article.text.split("\n\n")) >= min(3, page.min_paragraphs)


LISTINGS = [
    (
        "baochinhphu.vn/listing_chinh-sach-va-cuoc-song_chinh-sach-moi.html",
        "https://baochinhphu.vn/chinh-sach-va-cuoc-song/chinh-sach-moi.htm",
    ),
    (
        "baodautu.vn/listing_tai-chinh-chung-khoan-d6.html",
        "https://baodautu.vn/tai-chinh-chung-khoan-d6/",
    ),
    ("cafef.vn/listing_thi-truong-chung-khoan.html", "https://cafef.vn/thi-truong-chung-khoan.chn"),
    ("dantri.com.vn/listing_kinh-doanh.html", "https://dantri.com.vn/kinh-doanh.htm"),
    ("nld.com.vn/listing_kinh-te.html", "https://nld.com.vn/kinh-te.htm"),
    ("tuoitre.vn/listing_kinh-doanh.html", "https://tuoitre.vn/kinh-doanh.htm"),
    ("vietnamnet.vn/listing_kinh-doanh.html", "https://vietnamnet.vn/kinh-doanh"),
    ("vnexpress.net/listing_kinh-doanh.html", "https://vnexpress.net/kinh-doanh"),
]


@pytest.mark.parametrize(("file", "url"), LISTINGS, ids=lambda v: v.split("/")[0])
@pytest.mark.parametrize("parser", [None, "generic"])
def test_listing_pages_are_not_articles(
    real_pages: Path, file: str, url: str, parser: str | None
) -> None:
    # several of them even say og:type "article"
    with pytest.raises(ParseError):
        parse_article((real_pages / file).read_bytes(), url, parser=parser, fetched_at=FETCHED_AT)
