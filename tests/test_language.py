"""Language detection among vi/en/fr and the check of a page's declared language."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.language import (
    SUPPORTED,
    detect,
    detect_language,
    normalise_language_code,
    resolve_language,
)

VI = (
    "Bộ Khoa học và Công nghệ vừa công bố mô hình ngôn ngữ lớn tiếng Việt được phát hành "
    "theo giấy phép mã nguồn mở. Các nhà nghiên cứu và doanh nghiệp có thể tải mô hình "
    "này về để thử nghiệm, tinh chỉnh cho các bài toán riêng của mình."
)
EN = (
    "The Ministry of Science and Technology has released a Vietnamese large language "
    "model under an open-source licence. Researchers and companies can download it from "
    "Hugging Face and fine-tune it for their own tasks, the ministry said."
)
FR = (
    "Le ministère des Sciences et des Technologies a publié un grand modèle de langue "
    "vietnamien sous une licence libre. Les chercheurs et les entreprises peuvent le "
    "télécharger pour l'adapter à leurs propres besoins, selon le ministère."
)
# English text quoting many Vietnamese names: the letters alone must not decide.
EN_WITH_NAMES = (
    "Nguyễn Văn An, Trần Thị Bình and Lê Hoàng said the model was released by the "
    "ministry in Hà Nội on Monday and that it would be updated every quarter."
)


@pytest.mark.parametrize(
    ("text", "expected"), [(VI, "vi"), (EN, "en"), (FR, "fr"), (EN_WITH_NAMES, "en")]
)
def test_detects_the_three_languages(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "AI",
        "Hugging Face PhoGPT Llama Qwen GPU LLM benchmark leaderboard",  # no function words
        "Xin chào",  # too short to overrule a declaration
        "12 345 678 910 !!! ???",
    ],
)
def test_unsure_text_gives_none(text: str) -> None:
    assert detect_language(text) is None


def test_scores_are_shares() -> None:
    scores = detect(VI).scores
    assert scores["vi_letters"] > 0.3
    assert all(0.0 <= value <= 1.0 for value in scores.values())


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("vi-VN", "vi"),
        ("vi_VN", "vi"),
        ("VI", "vi"),
        ("vn", "vi"),  # a common mistake for Vietnamese
        ("en-US", "en"),
        ("fr", "fr"),
        ("vi,en", "vi"),  # dantri's JSON-LD inLanguage
        ("es", "es"),
        ("", None),
        (None, None),
        ("12", None),
    ],
)
def test_normalise_language_code(code: str | None, expected: str | None) -> None:
    assert normalise_language_code(code) == expected


def test_resolve_keeps_a_confirmed_declaration() -> None:
    assert resolve_language("vi-VN", VI) == ("vi", False)
    assert resolve_language("en", EN) == ("en", False)


def test_resolve_detection_wins_and_flags_a_wrong_declaration() -> None:
    # vietnam.vn's /en/ pages can keep the Vietnamese template's lang="vi"
    assert resolve_language("vi", EN) == ("en", True)
    assert resolve_language("en-GB", FR) == ("fr", True)


def test_resolve_keeps_declaration_when_unsure() -> None:
    assert resolve_language("vi", "Hugging Face PhoGPT Llama") == ("vi", False)


def test_resolve_without_declaration_uses_detection() -> None:
    assert resolve_language(None, FR) == ("fr", False)
    assert resolve_language(None, "AI") == (None, False)


def test_resolve_keeps_other_declared_languages() -> None:
    assert resolve_language("es-ES", EN) == ("es", False)
    assert resolve_language("ko", VI) == ("ko", False)


@given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=12)))
def test_never_raises_and_answers_in_range(text: str, declared: str | None) -> None:
    detected = detect_language(text)
    assert detected is None or detected in SUPPORTED
    code, mismatch = resolve_language(declared, text)
    assert code is None or code.isalpha()
    assert isinstance(mismatch, bool)
    if mismatch:
        assert code in SUPPORTED and code == detected
