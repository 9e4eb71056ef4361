"""Captions, navigation lines, bylines and site names."""

from __future__ import annotations

import pytest

from spiders.parsers.boilerplate import (
    clean_authors,
    is_boilerplate,
    is_caption,
    is_site_name,
    site_keys,
    strip_dateline,
    strip_site_suffix,
)


@pytest.mark.parametrize(
    "text",
    [
        "Ảnh: Reuters",
        "Một dự án của FLC. Ảnh: Hồng Khanh",
        "Theo cửa hàng hoa, một bó hoa hồng dao động từ 400.000 đồng - Ảnh: H.Y.T.",
        "(Ảnh: TTXVN)",
        "Ảnh minh hoạ.",
        "(Ảnh minh họa)",
        "Video: Lễ ra mắt mô hình",
        "Nguồn ảnh: Bộ KH&CN",
        "Workers at a refinery in Wuhan. (Photo: VNA)",
    ],
)
def test_captions(text: str) -> None:
    assert is_caption(text)


@pytest.mark.parametrize(
    "text",
    [
        "Trong ảnh: ông A phát biểu tại hội nghị về trí tuệ nhân tạo, nói về dữ liệu mở.",
        "Ông A nói mọi người nên xem ảnh gốc trước khi chia sẻ lên mạng xã hội.",
        "Nhóm nghiên cứu dùng ảnh vệ tinh để theo dõi rừng.",
    ],
)
def test_article_sentences_are_not_captions(text: str) -> None:
    assert not is_caption(text)


@pytest.mark.parametrize(
    "text",
    [
        "TIN MỚI",
        "Tin liên quan",
        "Xem thêm: Giá vàng hôm nay",
        ">> Đọc thêm bài này",
        "Comment (0)",
        "Bình luận (12)",
        "Chia sẻ",
        "Lire aussi : le modèle",
    ],
)
def test_navigation_lines(text: str) -> None:
    assert is_boilerplate(text)


@pytest.mark.parametrize(
    "text",
    [
        "Bình luận về vấn đề này, ông A cho rằng cần thêm dữ liệu.",
        "Chia sẻ với phóng viên, bà B cho biết mô hình sẽ được cập nhật.",
        "Đọc thêm về chính sách này tại cổng thông tin của Bộ.",
    ],
)
def test_sentences_starting_like_navigation_are_kept(text: str) -> None:
    assert not is_boilerplate(text)


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("Theo Hồ Hương", ["Hồ Hương"]),
        ("(TTXVN/Vietnam+)", ["TTXVN/Vietnam+"]),
        ("Hà Thu (tổng hợp)", ["Hà Thu"]),
        ("Minh Anh (TTXVN)", ["Minh Anh"]),
        ("NHẬT XUÂN;NGHI VŨ", ["NHẬT XUÂN", "NGHI VŨ"]),
        ("Minh Chiến - Thanh Hà", ["Minh Chiến", "Thanh Hà"]),
        ("Bài và ảnh: Lê Phương", ["Lê Phương"]),
        ("Thanh Tâm - Sở Thông tin", ["Thanh Tâm"]),
        ("Phòng Truyền thông", ["Phòng Truyền thông"]),
        ("By Minh Son and Lan Anh", ["Minh Son", "Lan Anh"]),
        ("", []),
    ],
)
def test_clean_authors(byline: str, names: list[str]) -> None:
    assert clean_authors(byline) == names


def test_site_names_are_not_people() -> None:
    tuoitre = site_keys("https://tuoitre.vn/a.htm")
    assert is_site_name("TUOI TRE ONLINE", tuoitre)
    assert is_site_name("baotuoitre", tuoitre)
    assert is_site_name("https://www.facebook.com/baotuoitre", tuoitre)
    assert is_site_name("NLD.COM.VN", site_keys("https://nld.com.vn/"))
    assert is_site_name("Dân Trí", site_keys("https://dantri.com.vn/"))
    plus = site_keys("https://www.vietnamplus.vn/", ["Vietnam+ (VietnamPlus)"])
    assert is_site_name("Vietnam+ (VietnamPlus)", plus)
    assert not is_site_name("TTXVN/Vietnam+", plus)
    assert not is_site_name("NHẬT XUÂN", tuoitre)


def test_strip_dateline_and_site_suffix() -> None:
    assert strip_dateline("(Chinhphu.vn) - Tháng 3/2026 có") == "Tháng 3/2026 có"
    assert strip_dateline("(NLĐO)- Không ít hộ") == "Không ít hộ"
    assert strip_dateline("(Dân trí)") == "(Dân trí)"  # nothing would be left
    dantri = site_keys("https://dantri.com.vn/")
    assert strip_site_suffix("Giá vàng giảm | Báo Dân trí", dantri) == "Giá vàng giảm"
    assert strip_site_suffix("AI - trí tuệ nhân tạo", dantri) == "AI - trí tuệ nhân tạo"
