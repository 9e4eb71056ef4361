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

# Nouns by subject: an article keeps to one subject, as real ones do, so a subject's
# words occur in a few percent of articles and not in all of them.
TOPICS: dict[str, tuple[str, ...]] = {
    "tài chính": (
        "ngân hàng",
        "lãi suất",
        "tín dụng",
        "tỷ giá",
        "trái phiếu",
        "nợ xấu",
        "tiền gửi",
        "khoản vay",
        "thanh khoản",
        "ngân hàng thương mại",
        "quỹ đầu tư",
        "bảo hiểm nhân thọ",
        "thẻ tín dụng",
        "ví điện tử",
    ),
    "chứng khoán": (
        "cổ phiếu",
        "nhà đầu tư",
        "thị trường chứng khoán",
        "chỉ số VN-Index",
        "thanh khoản thị trường",
        "khối ngoại",
        "cổ tức",
        "phiên giao dịch",
        "mã chứng khoán",
        "công ty niêm yết",
        "vốn hóa",
        "chứng chỉ quỹ",
        "công ty chứng khoán",
    ),
    "hàng hóa": (
        "giá vàng",
        "vàng miếng",
        "xăng dầu",
        "giá xăng",
        "giá điện",
        "giá lúa",
        "cà phê",
        "hồ tiêu",
        "cao su",
        "thép xây dựng",
        "phân bón",
        "giá thịt lợn",
        "sầu riêng",
        "thanh long",
    ),
    "bất động sản": (
        "bất động sản",
        "nhà ở xã hội",
        "căn hộ chung cư",
        "dự án nhà ở",
        "giá đất",
        "quy hoạch đô thị",
        "khu đô thị mới",
        "sổ đỏ",
        "thị trường nhà đất",
        "chủ đầu tư",
        "đất nền",
        "tiền sử dụng đất",
        "giấy phép xây dựng",
    ),
    "giáo dục": (
        "học sinh",
        "sinh viên",
        "giáo viên",
        "kỳ thi tốt nghiệp",
        "tuyển sinh đại học",
        "sách giáo khoa",
        "học phí",
        "chương trình giáo dục phổ thông",
        "trường mầm non",
        "điểm chuẩn",
        "học bổng",
        "du học",
        "giảng viên",
        "thạc sĩ",
    ),
    "y tế": (
        "bệnh viện",
        "bác sĩ",
        "bệnh nhân",
        "bảo hiểm y tế",
        "vắc xin",
        "dịch sốt xuất huyết",
        "ca phẫu thuật",
        "thuốc chữa bệnh",
        "trạm y tế",
        "khám chữa bệnh",
        "bệnh không lây nhiễm",
        "ung thư",
        "điều dưỡng",
        "thiết bị y tế",
    ),
    "công nghệ": (
        "chuyển đổi số",
        "dữ liệu",
        "phần mềm",
        "ứng dụng di động",
        "điện toán đám mây",
        "an ninh mạng",
        "mạng 5G",
        "điện thoại thông minh",
        "thương mại điện tử",
        "vi mạch bán dẫn",
        "trung tâm dữ liệu",
        "nền tảng số",
        "mã độc",
        "định danh điện tử",
    ),
    "năng lượng": (
        "điện gió",
        "điện mặt trời",
        "lưới điện",
        "nhà máy nhiệt điện",
        "thủy điện",
        "năng lượng tái tạo",
        "khí hóa lỏng",
        "tiết kiệm điện",
        "quy hoạch điện",
        "điện hạt nhân",
        "trạm biến áp",
        "công suất lắp đặt",
        "hydro xanh",
    ),
    "nông nghiệp": (
        "nông dân",
        "lúa gạo",
        "thủy sản",
        "tôm xuất khẩu",
        "trái cây",
        "hợp tác xã",
        "vùng nguyên liệu",
        "mùa vụ",
        "giống cây trồng",
        "chăn nuôi",
        "rừng trồng",
        "nông sản",
        "sản xuất hữu cơ",
        "mã số vùng trồng",
    ),
    "giao thông": (
        "đường cao tốc",
        "sân bay",
        "cảng biển",
        "đường sắt tốc độ cao",
        "xe buýt",
        "tai nạn giao thông",
        "ùn tắc",
        "cầu vượt",
        "tuyến metro",
        "đăng kiểm",
        "giấy phép lái xe",
        "vành đai",
        "hàng không",
        "bến xe",
    ),
    "môi trường": (
        "biến đổi khí hậu",
        "ô nhiễm không khí",
        "rác thải nhựa",
        "xâm nhập mặn",
        "sạt lở",
        "mưa lũ",
        "nước sạch",
        "bảo vệ môi trường",
        "phát thải khí nhà kính",
        "tín chỉ carbon",
        "thiên tai",
        "hạn hán",
        "rừng ngập mặn",
    ),
    "lao động": (
        "người lao động",
        "việc làm",
        "tiền lương",
        "lương tối thiểu",
        "bảo hiểm xã hội",
        "công đoàn",
        "khu công nghiệp",
        "lao động nhập cư",
        "đào tạo nghề",
        "xuất khẩu lao động",
        "trợ cấp thất nghiệp",
        "nhà trọ công nhân",
        "lương hưu",
    ),
    "hành chính": (
        "thủ tục hành chính",
        "dịch vụ công trực tuyến",
        "hồ sơ",
        "giấy phép",
        "cán bộ công chức",
        "bộ máy",
        "sáp nhập tỉnh",
        "chính quyền địa phương",
        "cải cách hành chính",
        "văn bản pháp luật",
        "nghị định",
        "thông tư",
        "luật đất đai",
    ),
    "thương mại": (
        "xuất khẩu",
        "nhập khẩu",
        "hàng hóa",
        "hiệp định thương mại",
        "thuế quan",
        "chuỗi cung ứng",
        "logistics",
        "doanh nghiệp vừa và nhỏ",
        "thị trường nội địa",
        "sức mua",
        "bán lẻ",
        "hàng giả",
        "kim ngạch",
        "khuyến mại",
    ),
}
GENERIC_NOUNS = (
    "doanh nghiệp", "chính sách", "kết quả", "mục tiêu", "kế hoạch", "giải pháp",
    "nguồn lực", "chương trình", "dự án", "hệ thống", "chất lượng", "người dân",
    "cơ quan quản lý", "địa phương", "hiệu quả", "quy định",
)  # fmt: skip
NOUNS = tuple(word for words in TOPICS.values() for word in words) + GENERIC_NOUNS
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
        # Articles draw ordinary sentences from a pool per subject: generating each
        # sentence afresh costs ~20 µs, too slow for 200,000 articles of ~30 sentences.
        share = max(1, pool_size // len(TOPICS))
        self.pools = {t: [self.sentence(t) for _ in range(share)] for t in TOPICS}
        self.topics = list(TOPICS)

    def pick(self, values: Sequence[str]) -> str:
        return values[self.random.randrange(len(values))]

    def name(self) -> str:
        return f"{self.pick(SURNAMES)} {self.pick(MIDDLE)} {self.pick(GIVEN)}"

    def _noun(self, topic: str) -> str:
        words = TOPICS.get(topic)
        if words is None or self.random.random() < 0.25:
            return self.pick(GENERIC_NOUNS)
        return self.pick(words)

    def _slots(self, topic: str = "") -> dict[str, str]:
        r = self.random
        return {
            "org": self.pick(ORGANISATIONS),
            "noun": self._noun(topic),
            "noun2": self._noun(topic),
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

    def sentence(self, topic: str = "") -> str:
        """One sentence of ordinary news prose (15-40 syllables) on ``topic``."""
        s = self._slots(topic)
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

    def paragraph(self, sentences: int, pool: Sequence[str] = (), topic: str = "") -> str:
        """``sentences`` sentences on ``topic`` (one of them from ``pool`` if given); now
        and then a paragraph strays to another subject, as articles do."""
        if topic not in self.pools or self.random.random() < 0.1:
            topic = self.pick(self.topics)
        parts = self.random.choices(self.pools[topic], k=sentences)
        if pool:
            parts[self.random.randrange(len(parts))] = self.special(pool)
        return " ".join(parts)

    def title(self, topic: str, subject: str = "") -> str:
        s = self._slots(subject)
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
        subject = self.pick(self.topics)
        count = r.randint(*paragraphs)
        body = []
        for i in range(count):
            pool: Sequence[str] = ()
            if topic != "general" and i % 3 == 0:
                pool = AI_SENTENCES
            if topic == "open_source_ai" and i % 3 == 1:
                pool = OPEN_SOURCE_SENTENCES
            body.append(self.paragraph(r.randint(2, 5), pool, subject))
        summary = self.paragraph(2, AI_SENTENCES if topic != "general" else (), subject)
        published = when or datetime(2026, 3, 1, tzinfo=UTC) - timedelta(
            minutes=r.randint(0, 60 * 24 * 365)
        )
        return Article(
            title=self.title(topic, subject),
            summary=summary,
            paragraphs=body,
            authors=[self.name().split(" ", 1)[1]],
            section=self.pick(SECTIONS),
            published_at=published,
            topic=topic,
        )
