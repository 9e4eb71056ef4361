"""Each trap from the issue, against the shipped rules (config/topics.toml)."""

from __future__ import annotations

import unicodedata

import pytest

from crawler.classify import Classifier
from crawler.models import Article, Classification


def terms(result: Classification, topic: str | None = None) -> set[str]:
    """The evidence terms of a verdict, optionally for one topic."""
    return {m.term for m in result.matched_terms if topic is None or m.topic == topic}


# ------------------------------------------------------------- Vietnamese "ai" = who


@pytest.mark.parametrize(
    "text",
    [
        "Ai cũng biết rằng không ai muốn tắc đường.",
        "Từ 1/7, ai cũng có thể nộp hồ sơ trực tuyến; ai chưa có tài khoản cần đăng ký.",
        "Đại sứ Ai Cập thăm Khánh Hòa.",
    ],
)
def test_lowercase_and_capitalised_ai_mean_who(classifier: Classifier, text: str) -> None:
    result = classifier.classify(title=text, text=text, language="vi")
    assert "AI" not in terms(result)
    assert not result.is_ai


@pytest.mark.parametrize(
    "text",
    [
        "Anh Lê Văn Thái và chị Phạm Thị Mai bị thương trong vụ tai nạn.",
        "AIA Việt Nam chi trả quyền lợi bảo hiểm.",
        "Báo cáo sơ bộ về chuyến bay AI171 của Air India.",
        "Đoàn khảo sát tới Mai Châu, bản của đồng bào Thái.",
    ],
)
def test_ai_never_matches_inside_words(classifier: Classifier, text: str) -> None:
    result = classifier.classify(title=text, text=text, language="vi")
    assert result.matched_terms == ()
    assert not result.is_ai


@pytest.mark.parametrize(
    "title",
    ["Ứng dụng AI trong y tế", "Công cụ (AI) mới", "Ứng dụng AI/IoT", "Tin AI, tuần này"],
)
def test_uppercase_ai_token_counts(classifier: Classifier, title: str) -> None:
    result = classifier.classify(title=title, text="", language="vi")
    assert "AI" in terms(result, "ai")
    assert result.is_ai  # one AI term in the title is enough


def test_a_dot_i_dot_matches_in_any_case(classifier: Classifier) -> None:
    result = classifier.classify(title="The A.I. boom", text="how a.i. works", language="en")
    assert [(m.term, m.field) for m in result.matched_terms] == [
        ("A.I.", "text"),
        ("A.I.", "title"),
    ]


def test_all_caps_title_ai_is_who(classifier: Classifier) -> None:
    result = classifier.classify(
        title="AI CŨNG PHẢI BIẾT: 5 QUY ĐỊNH MỚI VỀ THUẾ", text="Từ tháng 7...", language="vi"
    )
    assert result.matched_terms == ()
    assert not result.is_ai


def test_all_caps_check_spares_acronym_neighbours(classifier: Classifier) -> None:
    result = classifier.classify(title="EU AI Act takes effect", text="", language="en")
    assert "AI" in terms(result)


def test_french_ia_is_uppercase_only(classifier: Classifier) -> None:
    assert "IA" in terms(classifier.classify(title="L'IA arrive", text="", language="fr"))
    assert "IA" in terms(classifier.classify(title="L’IA arrive", text="", language="fr"))
    noise = classifier.classify(title="ia", text="Ia Grai, Ia Pa; via", language="fr")
    assert noise.matched_terms == ()


def test_french_ia_is_not_used_for_english(classifier: Classifier) -> None:
    result = classifier.classify(title="Flights to Des Moines, IA resume", text="", language="en")
    assert result.matched_terms == ()


# ----------------------------------------------------------------- "mở" alone is open


AI_LEAD = "Trí tuệ nhân tạo đang được ứng dụng rộng rãi trong y tế và giáo dục."


@pytest.mark.parametrize(
    "sentence",
    [
        "Hội chợ mở cửa từ 8h đến 22h.",
        "Dự án mở rộng đường Vành đai 3 được khởi công.",
        "Lễ khai mạc diễn ra tối qua.",
        "Doanh nghiệp sẽ mở rộng mô hình này ra toàn quốc.",
        "Thư viện theo mô hình mở rộng.",
    ],
)
def test_mo_alone_is_not_open_source(classifier: Classifier, sentence: str) -> None:
    result = classifier.classify(title="AI trong y tế", text=f"{AI_LEAD} {sentence}", language="vi")
    assert result.is_ai
    assert terms(result, "open_source") == set()
    assert not result.is_open_source_ai


@pytest.mark.parametrize("verb", ["mở ra", "mở rộng", "mở đường", "mở ra cơ hội"])
def test_ai_opens_something_is_not_open_ai(classifier: Classifier, verb: str) -> None:
    result = classifier.classify(title=f"AI {verb} cho nông dân", text=AI_LEAD, language="vi")
    assert "AI mở" not in terms(result)
    assert not result.is_open_source_ai


def test_ai_mo_as_open_ai_counts(classifier: Classifier) -> None:
    result = classifier.classify(
        title="Phát triển hệ sinh thái AI mở cho tiếng Việt", text=AI_LEAD, language="vi"
    )
    assert "AI mở" in terms(result, "open_source")
    assert result.is_open_source_ai


def test_dai_hoc_mo_is_not_open_source(classifier: Classifier) -> None:
    result = classifier.classify(
        title="Trường Đại học Mở Hà Nội mở ngành Trí tuệ nhân tạo",
        text="Sinh viên học lập trình, học máy và thị giác máy tính.",
        language="vi",
    )
    assert result.is_ai
    assert not result.is_open_source_ai
    assert terms(result, "open_source") == set()


# -------------------------------------------------------- open source outside AI


def test_open_source_office_software_is_not_ai(classifier: Classifier) -> None:
    result = classifier.classify(
        title="Cơ quan nhà nước được khuyến khích sử dụng phần mềm nguồn mở",
        text="Danh mục gồm LibreOffice, Firefox và Ubuntu. Phần mềm mã nguồn mở giúp tiết "
        "kiệm chi phí bản quyền.",
        language="vi",
    )
    assert result.matched_terms == ()
    assert not result.is_ai and not result.is_open_source_ai


def test_open_data_portal_is_not_open_source_ai(classifier: Classifier) -> None:
    result = classifier.classify(
        title="Vietnam launches national open data portal",
        text="The portal offers 3,000 open datasets on health and transport.",
        language="en",
    )
    assert not result.is_ai and not result.is_open_source_ai


def test_open_source_far_from_ai_does_not_count(classifier: Classifier) -> None:
    filler = " ".join(["Thành phố tiếp tục cải cách thủ tục hành chính."] * 6)
    text = (
        "Sở cho biết trí tuệ nhân tạo được dùng để trả lời câu hỏi của người dân. "
        f"{filler} Các phòng ban cũng chuyển sang bộ phần mềm văn phòng nguồn mở."
    )
    result = classifier.classify(title="Đà Nẵng cải cách hành chính", text=text, language="vi")
    assert "nguồn mở" not in terms(result)


def test_open_source_in_the_same_sentence_as_ai_counts(classifier: Classifier) -> None:
    text = "Nhóm công bố mô hình trí tuệ nhân tạo dưới dạng mã nguồn mở cho cộng đồng."
    result = classifier.classify(title="Tin công nghệ", text=text, language="vi")
    assert "mã nguồn mở" in terms(result, "open_source")


def test_open_source_under_an_ai_headline_counts(classifier: Classifier) -> None:
    filler = " ".join(["The team spent two years collecting recordings."] * 4)
    result = classifier.classify(
        title="Researchers release speech dataset for AI",
        text=f"{filler} The recordings are published under a Creative Commons licence.",
        language="en",
    )
    assert "Creative Commons" in terms(result, "open_source")


def test_open_source_headline_over_an_ai_body_counts(classifier: Classifier) -> None:
    result = classifier.classify(
        title="Cộng đồng phát hành bộ mô hình tiếng Việt nguồn mở",
        text="Các mô hình AI dùng cho chatbot tra cứu tài liệu được chia sẻ miễn phí.",
        language="vi",
    )
    assert ("nguồn mở", "title") in {(m.term, m.field) for m in result.matched_terms}
    assert result.is_open_source_ai


def test_open_source_headline_over_a_passing_ai_mention_does_not(
    classifier: Classifier,
) -> None:
    result = classifier.classify(
        title="500 trường học dùng phần mềm nguồn mở để quản lý thư viện",
        text="Phần mềm hỗ trợ mượn trả sách bằng mã vạch; nhóm phát triển đang tìm hiểu AI.",
        language="vi",
    )
    assert "nguồn mở" not in terms(result)
    assert not result.is_ai


# --------------------------------------------------------------------------- OpenAI


def test_openai_is_ai_but_not_open_source(classifier: Classifier) -> None:
    result = classifier.classify(
        title="OpenAI ra mắt GPT-5",
        text="OpenAI cho biết người dùng ChatGPT tại Việt Nam được dùng GPT-5 ngay.",
        language="vi",
    )
    assert result.is_ai
    assert not result.is_open_source_ai
    assert terms(result, "open_source") == set()
    assert "AI" not in terms(result)  # "OpenAI" is one term, not "Open" + "AI"


def test_openai_open_weight_release_is_open_source(classifier: Classifier) -> None:
    result = classifier.classify(
        title="OpenAI returns to open weights with gpt-oss",
        text="OpenAI released gpt-oss-120b and gpt-oss-20b under the Apache 2.0 licence.",
        language="en",
    )
    assert result.is_open_source_ai


def test_github_copilot_is_not_open_source(classifier: Classifier) -> None:
    result = classifier.classify(
        title="GitHub survey: AI coding assistants used by most developers",
        text="Developers use GitHub Copilot and other AI tools every day.",
        language="en",
    )
    assert result.is_ai
    assert terms(result, "open_source") == set()


def test_published_on_github_near_ai_is_open_source_evidence(classifier: Classifier) -> None:
    result = classifier.classify(
        title="Tin công nghệ",
        text="Mã nguồn của mô hình học sâu được công khai trên GitHub.",
        language="vi",
    )
    assert "trên GitHub" in terms(result, "open_source")


# ---------------------------------------------------------------- passing mentions


def long_text(sentence: str, *, paragraphs: int = 12) -> str:
    """A long unrelated article (about 600 words) with ``sentence`` in the middle."""
    paragraph = (
        "Lượng khách du lịch tới phố cổ tăng mạnh trong tháng bảy, công suất phòng khách "
        "sạn đạt trên tám mươi phần trăm, nhiều nhà hàng phải tuyển thêm nhân viên phục "
        "vụ. Chính quyền tăng cường lực lượng giữ gìn trật tự và xử lý chèo kéo khách."
    )
    parts = [paragraph] * paragraphs
    parts.insert(paragraphs // 2, sentence)
    return "\n\n".join(parts)


def test_one_sentence_in_a_long_article_is_not_coverage(classifier: Classifier) -> None:
    sentence = "Một số doanh nghiệp lữ hành đã ứng dụng AI để gợi ý lịch trình."
    result = classifier.classify(title="Phố cổ đón khách kỷ lục", text=long_text(sentence))
    assert "AI" in terms(result)  # found, shown as evidence...
    assert not result.is_ai  # ...but too little to make the article AI


def test_related_links_box_is_not_coverage(classifier: Classifier) -> None:
    footer = "Tin liên quan:\n- Doanh nghiệp ứng dụng AI tạo sinh\n- Giá vàng hôm nay"
    result = classifier.classify(
        title="GDP quý III tăng 7,4%", text=long_text("") + "\n\n" + footer, language="vi"
    )
    assert not result.is_ai


def test_the_same_mention_weighs_more_in_the_title(classifier: Classifier) -> None:
    sentence = "Doanh nghiệp lữ hành ứng dụng AI"
    in_body = classifier.classify(title="Phố cổ đón khách", text=long_text(sentence))
    in_title = classifier.classify(title=sentence, text=long_text(""))
    assert in_title.ai_score > in_body.ai_score
    assert in_title.is_ai and not in_body.is_ai


def test_longer_bodies_discount_the_same_mention(classifier: Classifier) -> None:
    sentence = "Trí tuệ nhân tạo được nhắc tới."
    short = classifier.classify(title="", text=long_text(sentence, paragraphs=1))
    longer = classifier.classify(title="", text=long_text(sentence, paragraphs=12))
    assert 0 < longer.ai_score < short.ai_score


def test_passing_open_weight_mention_in_a_closed_model_review(classifier: Classifier) -> None:
    result = classifier.classify(
        title="GPT-5 review: a big step up, but rivals are closing in",
        text="OpenAI's GPT-5 is faster than its predecessors and writes better code. It "
        "remains a closed model available only through ChatGPT. Google's Gemini, "
        "Anthropic's Claude and open-weight models from Chinese labs are improving.",
        language="en",
    )
    assert result.is_ai
    assert "open-weight" in terms(result, "open_source")
    assert not result.is_open_source_ai  # a small share of the AI evidence


# ------------------------------------------------------ diacritics and whitespace


def test_multiword_terms_match_without_diacritics(classifier: Classifier) -> None:
    result = classifier.classify(
        title="Mo hinh ngon ngu lon ma nguon mo cho tieng Viet",
        text="Tri tue nhan tao dang phat trien.",
        language="vi",
    )
    assert {"mô hình ngôn ngữ lớn", "mã nguồn mở", "trí tuệ nhân tạo"} <= terms(result)
    assert result.is_open_source_ai


def test_short_terms_do_not_fold(classifier: Classifier) -> None:
    result = classifier.classify(
        title="Lop hoc may mien phi cho phu nu", text="Lớp học may khai giảng.", language="vi"
    )
    assert result.matched_terms == ()  # "học may" (sewing) is not "học máy"


def test_folding_never_accepts_other_diacritics(classifier: Classifier) -> None:
    result = classifier.classify(
        title="", text="Toàn bộ trọng số mô hình được công bố.", language="vi"
    )
    assert "trọng số mở" not in terms(result)
    assert "trọng số mô hình" in terms(result)


def test_terms_match_across_line_breaks_and_spaces(classifier: Classifier) -> None:
    result = classifier.classify(
        title="trí tuệ\nnhân   tạo",
        text="an open\u2011source\nmodel and an open\n source model",
        language=None,
    )
    assert ("trí tuệ nhân tạo", "title") in {(m.term, m.field) for m in result.matched_terms}
    assert "open-source model" in terms(result) and "open source model" in terms(result)


def test_decomposed_input_matches_like_precomposed(classifier: Classifier) -> None:
    text = "Mô hình ngôn ngữ lớn mã nguồn mở cho tiếng Việt"
    nfc = classifier.classify(title=text, text="", language="vi")
    nfd = classifier.classify(title=unicodedata.normalize("NFD", text), text="", language="vi")
    assert nfd == nfc
    assert nfc.is_open_source_ai


# ------------------------------------------------------------- names of open models


def test_version_numbers_glued_to_model_names(classifier: Classifier) -> None:
    result = classifier.classify(title="Qwen3 and Llama3.1 compared", text="", language="en")
    assert {"Qwen", "Llama"} <= terms(result, "open_source")
    assert result.is_open_source_ai


@pytest.mark.parametrize(
    ("title", "text", "language"),
    [
        ("Satellite to launch on Falcon 9", "SpaceX will launch the satellite.", "en"),
        ("Le mistral souffle fort", "Des rafales de mistral à 100 km/h.", "fr"),
        ("Le porte-hélicoptères Mistral rentre à Toulon", "Quatre mois en mer.", "fr"),
        ("Gemini North telescope images a nebula", "Astronomers in Hawaii.", "en"),
        ("Claude Monet au musée", "Une exposition consacrée à Claude Monet.", "fr"),
    ],
)
def test_ambiguous_names_need_ai_context(
    classifier: Classifier, title: str, text: str, language: str
) -> None:
    result = classifier.classify(title=title, text=text, language=language)
    assert result.matched_terms == ()


def test_ambiguous_name_counts_with_ai_context(classifier: Classifier) -> None:
    result = classifier.classify(
        title="Falcon 3: new open language models from Abu Dhabi",
        text="The Falcon 3 models are available on Hugging Face.",
        language="en",
    )
    assert "Falcon" in terms(result, "open_source")
    assert result.is_open_source_ai


def test_llama_counts_for_both_topics(classifier: Classifier) -> None:
    result = classifier.classify(title="Meta ra mắt Llama 4", text="", language="vi")
    assert {(m.term, m.topic) for m in result.matched_terms} == {
        ("Llama", "ai"),
        ("Llama", "open_source"),
    }
    assert result.is_ai and result.is_open_source_ai


# ----------------------------------------------------------------- API behaviour


def test_language_tags_select_the_language_table(classifier: Classifier) -> None:
    text = "Des Moines, IA"
    assert classifier.classify(title=text, text="", language="en-US").matched_terms == ()
    # An unconfigured language uses every table, French "IA" included.
    assert terms(classifier.classify(title=text, text="", language="es")) == {"IA"}


def test_evidence_is_sorted_and_scores_rounded(classifier: Classifier) -> None:
    result = classifier.classify(
        title="Meta ra mắt Llama 4 mã nguồn mở",
        text="Llama 4 là mô hình ngôn ngữ lớn. Llama được tải về nhiều. " * 3,
        summary="Mô hình AI mới của Meta.",
        language="vi",
    )
    keys = [(m.term, m.field, m.count, m.topic) for m in result.matched_terms]
    assert keys == sorted(keys)
    assert {m.field for m in result.matched_terms} == {"title", "summary", "text"}
    for score in (result.ai_score, result.open_source_ai_score):
        assert score == round(score, 3)
    again = classifier.classify(
        title="Meta ra mắt Llama 4 mã nguồn mở",
        text="Llama 4 là mô hình ngôn ngữ lớn. Llama được tải về nhiều. " * 3,
        summary="Mô hình AI mới của Meta.",
        language="vi",
    )
    assert again == result


def test_classify_article_uses_all_fields(classifier: Classifier) -> None:
    article = Article(
        url="https://example.vn/a",
        source="example",
        title="Tin công nghệ",
        text="Nội dung.",
        summary="Trí tuệ nhân tạo tạo sinh và mô hình ngôn ngữ lớn.",
        language="vi",
    )
    result = classifier.classify_article(article)
    assert result == classifier.classify(
        title=article.title, text=article.text, summary=article.summary, language="vi"
    )
    assert {m.field for m in result.matched_terms} == {"summary"}
    assert result.is_ai
