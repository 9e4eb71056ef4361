"""Synthetic Vietnamese news text: a small vocabulary and sentence model.

Deterministic for a seed. The words and phrases are ordinary newspaper Vietnamese
(economy, government, education, health, technology) written for this module; the
sentence templates combine them with names, places, figures and dates, so text has the
length, syllable mix and diacritics of real articles without copying any. A share of
articles carries AI sentences and a smaller share open-source-AI sentences, so that
the classifier, search and digest have something realistic to find.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

NOUNS = (
    "doanh nghiệp", "chính phủ", "người dân", "thị trường", "công nghệ", "dữ liệu",
    "hệ thống", "dự án", "chương trình", "kinh tế", "giáo dục", "y tế", "bệnh viện",
    "trường đại học", "sinh viên", "giáo viên", "nông dân", "sản phẩm", "dịch vụ",
    "chính sách", "quy định", "nghị định", "nguồn vốn", "ngân hàng", "lãi suất",
    "cổ phiếu", "nhà đầu tư", "giá vàng", "xăng dầu", "năng lượng", "môi trường",
    "biến đổi khí hậu", "nông nghiệp", "du lịch", "xuất khẩu", "nhập khẩu", "hàng hóa",
    "giao thông", "đường cao tốc", "sân bay", "cảng biển", "nhà máy", "người lao động",
    "việc làm", "thu nhập", "bảo hiểm xã hội", "thuế", "ngân sách", "đầu tư công",
    "hạ tầng", "chuyển đổi số", "an ninh mạng", "điện thoại thông minh", "phần mềm",
    "ứng dụng", "mạng xã hội", "nền tảng số", "trung tâm dữ liệu", "cơ quan quản lý",
    "hội nghị", "báo cáo", "kết quả", "mục tiêu", "kế hoạch", "giải pháp", "nguồn lực",
    "nguồn nhân lực", "chuyên gia", "nhà khoa học", "công trình nghiên cứu",
    "đổi mới sáng tạo", "khởi nghiệp", "thủ tục hành chính", "dịch vụ công trực tuyến",
    "hồ sơ", "giấy phép", "khu công nghiệp", "vùng sâu vùng xa", "học sinh", "kỳ thi",
    "chất lượng", "tăng trưởng", "lạm phát", "tín dụng", "bất động sản", "nhà ở xã hội",
    "điện mặt trời", "điện gió", "lúa gạo", "cà phê", "thủy sản", "trái cây", "logistics",
    "thương mại điện tử", "thanh toán không dùng tiền mặt", "viễn thông", "mạng 5G",
    "vi mạch bán dẫn", "an toàn thực phẩm", "bảo vệ môi trường", "phòng chống thiên tai",
)  # fmt: skip
VERBS = (
    "triển khai", "thúc đẩy", "tăng cường", "hỗ trợ", "phát triển", "xây dựng",
    "hoàn thiện", "đánh giá", "công bố", "ký kết", "thông qua", "ban hành", "đề xuất",
    "kiến nghị", "thực hiện", "áp dụng", "mở rộng", "nâng cao", "cắt giảm", "điều chỉnh",
    "ghi nhận", "chia sẻ", "khuyến khích", "tổ chức", "đưa vào vận hành", "thu hút",
    "đào tạo", "rà soát", "kiểm tra", "giám sát", "tháo gỡ", "cải thiện", "đơn giản hóa",
    "số hóa", "kết nối", "bảo đảm", "ưu tiên", "huy động", "phân bổ", "giải ngân",
)  # fmt: skip
ADJECTIVES = (
    "mới", "quan trọng", "hiệu quả", "bền vững", "mạnh mẽ", "tích cực", "đáng kể",
    "cụ thể", "toàn diện", "hiện đại", "thông minh", "an toàn", "minh bạch", "đồng bộ",
    "kịp thời", "thiết thực", "ổn định", "linh hoạt", "chặt chẽ", "rõ rệt", "lâu dài",
)  # fmt: skip
PLACES = (
    "Hà Nội", "TP.HCM", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Quảng Ninh", "Bình Dương",
    "Đồng Nai", "Nghệ An", "Thanh Hóa", "Khánh Hòa", "Lâm Đồng", "Bắc Ninh", "Huế",
    "An Giang", "Đắk Lắk", "Lào Cai", "Quảng Nam", "Bà Rịa - Vũng Tàu", "Thái Nguyên",
)  # fmt: skip
ORGANISATIONS = (
    "Bộ Khoa học và Công nghệ", "Bộ Tài chính", "Ngân hàng Nhà nước", "Bộ Y tế",
    "Bộ Giáo dục và Đào tạo", "Bộ Công Thương", "Bộ Xây dựng", "Tổng cục Thống kê",
    "Quốc hội", "Chính phủ", "UBND thành phố", "Sở Kế hoạch và Đầu tư",
    "Hiệp hội Doanh nghiệp", "Phòng Thương mại và Công nghiệp Việt Nam",
    "Viện Hàn lâm Khoa học và Công nghệ Việt Nam", "Đại học Quốc gia Hà Nội",
    "Tập đoàn Điện lực Việt Nam", "Ủy ban Chứng khoán Nhà nước", "Cục Thuế",
)  # fmt: skip
ROLES = (
    "Thứ trưởng", "Giám đốc", "Phó giám đốc", "Chủ tịch", "Phó chủ tịch", "Tổng giám đốc",
    "Trưởng phòng", "Viện trưởng", "Hiệu trưởng", "chuyên gia kinh tế", "đại biểu Quốc hội",
)  # fmt: skip
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
MIDDLE = ("Văn", "Thị", "Minh", "Hữu", "Thanh", "Đức", "Quang", "Ngọc", "Thu", "Hoài")
GIVEN = (
    "An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hùng", "Lan", "Linh", "Long",
    "Mai", "Nam", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Việt", "Yến",
)  # fmt: skip
TIMES = (
    "trong năm nay", "từ đầu năm", "trong quý I", "trong tháng trước", "năm 2026",
    "giai đoạn 2026-2030", "trong thời gian tới", "hiện nay", "đến cuối năm",
    "trong 5 năm qua", "so với cùng kỳ năm trước", "từ ngày 1/7",
)  # fmt: skip
OPENERS = (
    "Theo", "Bên cạnh đó,", "Ngoài ra,", "Tuy nhiên,", "Đồng thời,", "Trong khi đó,",
    "Cũng theo", "Đáng chú ý,", "Trước đó,", "Về lâu dài,",
)  # fmt: skip
SECTIONS = (
    "Kinh doanh", "Thời sự", "Khoa học", "Công nghệ", "Giáo dục", "Sức khỏe", "Pháp luật",
    "Thế giới", "Số hóa", "Bất động sản",
)  # fmt: skip

AI_SENTENCES = (
    "{org} công bố chiến lược phát triển trí tuệ nhân tạo {time}.",
    "Các doanh nghiệp tại {place} đang ứng dụng AI để {verb} {noun}.",
    "Hệ thống sử dụng mô hình ngôn ngữ lớn được huấn luyện trên dữ liệu tiếng Việt.",
    "Chuyên gia cho rằng học máy giúp {verb} {noun} {adj} hơn.",
    "Trợ lý ảo dùng trí tuệ nhân tạo đã được thử nghiệm tại {count} bệnh viện.",
    "Nhiều trường đại học mở ngành trí tuệ nhân tạo để đáp ứng nhu cầu nhân lực.",
    "Theo {name}, các chatbot như ChatGPT đang thay đổi cách {noun} vận hành.",
)  # fmt: skip
OPEN_SOURCE_SENTENCES = (
    "Mô hình được phát hành dưới dạng mã nguồn mở trên Hugging Face để cộng đồng sử dụng.",
    "Nhóm nghiên cứu công bố mô hình AI mã nguồn mở với {count} tỷ tham số.",
    "Bộ dữ liệu và mã nguồn của mô hình trí tuệ nhân tạo được chia sẻ công khai trên GitHub.",
    "Các mô hình nguồn mở như Llama và Qwen được tinh chỉnh cho tiếng Việt.",
)  # fmt: skip


@dataclass
class Article:
    """One generated article (the fields the replica templates and the store need)."""

    title: str
    summary: str
    paragraphs: list[str]
    authors: list[str]
    section: str
    published_at: datetime
    topic: str = "general"  # general | ai | open_source_ai
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def replica(self, url: str) -> dict[str, object]:
        """The mapping :func:`crawler.replica.render.render_article` takes."""
        return {
            "title": self.title,
            "summary": self.summary,
            "paragraphs": self.paragraphs,
            "authors": self.authors,
            "language": "vi",
            "section": self.section,
            "url": url,
            "published_at": self.published_at,
        }


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


class TextModel:
    """Sentences, paragraphs and articles from the vocabulary, deterministic per seed."""

    def __init__(self, seed: int = 1, pool_size: int = 20_000) -> None:
        self.random = random.Random(seed)
        # Articles draw ordinary sentences from a pool: generating each sentence afresh
        # costs ~20 µs, too slow for 200,000 articles of ~30 sentences.
        self.pool = [self.sentence() for _ in range(pool_size)]

    def pick(self, values: Sequence[str]) -> str:
        return values[self.random.randrange(len(values))]

    def name(self) -> str:
        return f"{self.pick(SURNAMES)} {self.pick(MIDDLE)} {self.pick(GIVEN)}"

    def _slots(self) -> dict[str, str]:
        r = self.random
        return {
            "org": self.pick(ORGANISATIONS),
            "noun": self.pick(NOUNS),
            "noun2": self.pick(NOUNS),
            "verb": self.pick(VERBS),
            "adj": self.pick(ADJECTIVES),
            "place": self.pick(PLACES),
            "time": self.pick(TIMES),
            "opener": self.pick(OPENERS),
            "name": f"{self.pick(('ông', 'bà'))} {self.name()}",
            "role": self.pick(ROLES),
            "count": str(r.randint(2, 90)),
            "pct": f"{r.randint(1, 40)},{r.randint(0, 9)}",
            "money": f"{r.randint(2, 900):,}".replace(",", "."),
        }

    def sentence(self) -> str:
        """One sentence of ordinary news prose (15-40 syllables)."""
        s = self._slots()
        templates = (
            f"{s['org']} {s['verb']} {s['noun']} {s['adj']} tại {s['place']} {s['time']}.",
            f"{s['opener']} {s['noun']} tăng {s['pct']}% {s['time']}, đạt khoảng "
            f"{s['money']} tỷ đồng.",
            f"Theo {s['name']}, {s['role']} {s['org']}, việc {s['verb']} {s['noun']} là "
            f"yêu cầu {s['adj']} để {s['verb']} {s['noun2']}.",
            f"{s['opener']} {s['count']} {s['noun']} tại {s['place']} đã {s['verb']} "
            f"{s['noun2']} theo hướng {s['adj']}.",
            f"Nhiều {s['noun']} cho rằng cần {s['verb']} {s['noun2']} {s['adj']} hơn {s['time']}.",
            f"{_upper_first(s['name'])} cho biết {s['noun']} sẽ được {s['verb']} trên địa bàn "
            f"{s['place']} {s['time']}, góp phần {s['verb']} {s['noun2']}.",
        )
        return self.pick(templates)

    def special(self, pool: Sequence[str]) -> str:
        s = self._slots()
        return self.pick(pool).format(**s)

    def paragraph(self, sentences: int, pool: Sequence[str] = ()) -> str:
        """``sentences`` sentences from the pool, one of them from ``pool`` if given."""
        parts = self.random.choices(self.pool, k=sentences)
        if pool:
            parts[self.random.randrange(len(parts))] = self.special(pool)
        return " ".join(parts)

    def title(self, topic: str) -> str:
        s = self._slots()
        if topic == "open_source_ai":
            return f"{s['org']} công bố mô hình AI mã nguồn mở cho {s['noun']}"
        if topic == "ai":
            return f"Ứng dụng trí tuệ nhân tạo để {s['verb']} {s['noun']} tại {s['place']}"
        return self.pick(
            (
                f"{s['place']} {s['verb']} {s['noun']} {s['adj']} {s['time']}",
                f"{s['org']} {s['verb']} {s['noun']}: {s['count']} {s['noun2']} được hưởng lợi",
                f"{_upper_first(s['noun'])} tăng {s['pct']}% {s['time']}",
            )
        )

    def article(
        self,
        *,
        when: datetime | None = None,
        ai_share: float = 0.03,
        open_source_share: float = 0.01,
        paragraphs: tuple[int, int] = (6, 14),
    ) -> Article:
        """An article of realistic length (about 500-1,300 words by default)."""
        r = self.random
        roll = r.random()
        topic = (
            "open_source_ai"
            if roll < open_source_share
            else "ai"
            if roll < open_source_share + ai_share
            else "general"
        )
        count = r.randint(*paragraphs)
        body = []
        for i in range(count):
            pool: Sequence[str] = ()
            if topic != "general" and i % 3 == 0:
                pool = AI_SENTENCES
            if topic == "open_source_ai" and i % 3 == 1:
                pool = OPEN_SOURCE_SENTENCES
            body.append(self.paragraph(r.randint(2, 5), pool))
        summary = self.paragraph(2, AI_SENTENCES if topic != "general" else ())
        published = when or datetime(2026, 3, 1, tzinfo=UTC) - timedelta(
            minutes=r.randint(0, 60 * 24 * 365)
        )
        return Article(
            title=self.title(topic),
            summary=summary,
            paragraphs=body,
            authors=[self.name().split(" ", 1)[1]],
            section=self.pick(SECTIONS),
            published_at=published,
            topic=topic,
        )
