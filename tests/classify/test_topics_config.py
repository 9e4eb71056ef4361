"""Loading and validating topics.toml; scoring arithmetic on small rule files."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from crawler.classify import Classifier, Topics, TopicsError, load_topics

from .conftest import SHIPPED_TOPICS

MINIMAL = """
[ai.any]
"AI" = { weight = 1.5, case_sensitive = true }
"""


def test_shipped_rules_load(topics: Topics) -> None:
    assert topics.languages == {"vi", "en", "fr"}
    assert len(topics.terms) > 150
    assert {t.topic for t in topics.terms} == {"ai", "open_source"}


def test_digest_is_short_and_stable(topics: Topics) -> None:
    digest = topics.digest()
    assert len(digest) == 12 and int(digest, 16) >= 0
    assert load_topics(SHIPPED_TOPICS).digest() == digest


def test_digest_follows_rules_not_layout(write_topics: Callable[[str], Path]) -> None:
    base = load_topics(write_topics(MINIMAL)).digest()
    commented = load_topics(write_topics("# a comment\n" + MINIMAL + "\n\n")).digest()
    reweighted = load_topics(write_topics(MINIMAL.replace("1.5", "2.0"))).digest()
    stricter = load_topics(write_topics(MINIMAL + "[thresholds]\nai = 3.0\n")).digest()
    assert commented == base
    assert len({base, reweighted, stricter}) == 3


def test_defaults_apply_to_missing_sections(write_topics: Callable[[str], Path]) -> None:
    topics = load_topics(write_topics(MINIMAL))
    assert topics.scoring.title_boost == 3.0
    assert topics.thresholds.ai == 2.5
    assert topics.window_tokens == 12
    assert topics.fold_min_words == 3


# ------------------------------------------------------------------ invalid files


def assert_error(path: Path, key: str, expected: str, found: str | None = None) -> None:
    with pytest.raises(TopicsError) as caught:
        load_topics(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {key}: found ")
    assert f"expected {expected}" in message
    if found is not None:
        assert found in message
    assert caught.value.path == str(path) and caught.value.key == key


def test_missing_file(tmp_path: Path) -> None:
    assert_error(tmp_path / "nope.toml", "(file)", "a readable TOML file", "<no such file>")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "topics.toml"
    path.write_bytes(b'[ai.any]\n"\xff" = 1\n')
    assert_error(path, "(encoding)", "UTF-8", "<byte 0xff at 10>")


def test_a_directory_is_not_a_rules_file(tmp_path: Path) -> None:
    assert_error(tmp_path, "(file)", "a readable TOML file")


def test_toml_syntax_error(write_topics: Callable[[str], Path]) -> None:
    assert_error(write_topics("[ai.any\n"), "(syntax)", "valid TOML")


@pytest.mark.parametrize(
    ("body", "key", "expected", "found"),
    [
        ("[scorring]\n" + MINIMAL, "scorring", "one of scoring,", "<unknown section>"),
        ("scoring = 3\n" + MINIMAL, "scoring", "a table", "3"),
        (
            "[scoring]\ntitle_boost = -1\n" + MINIMAL,
            "scoring.title_boost",
            "a positive number",
            "-1",
        ),
        (
            '[scoring]\ntitle_boost = "3"\n' + MINIMAL,
            "scoring.title_boost",
            "a positive number",
            "'3'",
        ),
        ("[scoring]\ntitle_bost = 3\n" + MINIMAL, "scoring.title_bost", "one of title_boost", None),
        (
            "[scoring]\nreference_words = 1.5\n" + MINIMAL,
            "scoring.reference_words",
            "a positive integer",
            "1.5",
        ),
        ("[thresholds]\nai = true\n" + MINIMAL, "thresholds.ai", "a positive number", "True"),
        ("[thresholds]\nai = inf\n" + MINIMAL, "thresholds.ai", "a finite positive number", "inf"),
        (
            "[thresholds]\nopen_source_share = 1.5\n" + MINIMAL,
            "thresholds.open_source_share",
            "a number from 0 to 1",
            "1.5",
        ),
        (
            "[context]\nwindow_tokens = 0\n" + MINIMAL,
            "context.window_tokens",
            "a positive integer",
            "0",
        ),
        (
            "[matching]\nfold_min_words = 1\n" + MINIMAL,
            "matching.fold_min_words",
            "an integer >= 2",
            "1",
        ),
        ('[ai.vietnamese]\n"x y" = 1\n', "ai.vietnamese", "'any' or a language code", None),
        ("[ai]\nvi = 3\n", "ai.vi", "a table of terms", "3"),
        ('[ai.any]\n"AI" = 0\n', 'ai.any."AI"', "a positive weight", "0"),
        ('[ai.any]\n"AI" = "heavy"\n', 'ai.any."AI"', "a weight or an inline table", "'heavy'"),
        (
            '[ai.any]\n"AI" = { case_sensitive = true }\n',
            'ai.any."AI".weight',
            "a positive number",
            "<missing>",
        ),
        (
            '[ai.any]\n"AI" = { weight = 1, casesensitive = true }\n',
            'ai.any."AI".casesensitive',
            "one of weight,",
            "<unknown option>",
        ),
        (
            '[ai.any]\n"AI" = { weight = 1, case_sensitive = "yes" }\n',
            'ai.any."AI".case_sensitive',
            "true or false",
            "'yes'",
        ),
        (
            '[ai.any]\n"AI" = { weight = 1, also_ai = true }\n',
            'ai.any."AI".also_ai',
            "also_ai only on open_source terms",
            None,
        ),
        ('[ai.any]\n"học máy" = { weight = 1, fold = true }\n"AI" = 1\n', None, None, None),
        (
            '[ai.any]\n"máy" = { weight = 1, fold = true }\n',
            'ai.any."máy".fold',
            "fold only on multi-word",
            None,
        ),
        (
            '[ai.any]\n"AI" = { weight = 1, unless_followed_by = "ra" }\n',
            'ai.any."AI".unless_followed_by',
            "a list of words",
            "'ra'",
        ),
        ('[ai.any]\n" AI" = 1\n', 'ai.any." AI"', "a term in NFC that starts with a letter", None),
        ('[ai.any]\n"#AI" = 1\n', 'ai.any."#AI"', "a term in NFC that starts with a letter", None),
        (
            '[ai.vi]\n"chatbot" = 1\n[ai.en]\n"Chatbot" = 1\n',
            'ai.en."Chatbot"',
            "each term listed once",
            'also listed at ai.vi."chatbot"',
        ),
        (
            '[ai.any]\n"open-source" = 1\n[open_source.any]\n"open\u2011source" = 1\n',
            'open_source.any."open\u2011source"',
            "each term listed once",
            None,
        ),
        ('[open_source.any]\n"Llama" = 1\n', "ai", "at least one AI term", "<no terms>"),
    ],
)
def test_invalid_rules_name_file_key_found_and_expected(
    write_topics: Callable[[str], Path],
    body: str,
    key: str | None,
    expected: str | None,
    found: str | None,
) -> None:
    path = write_topics(body)
    if key is None:  # a valid variation, listed here to show the boundary
        load_topics(path)
        return
    assert expected is not None
    assert_error(path, key, expected, found)


def test_decomposed_term_is_rejected(write_topics: Callable[[str], Path]) -> None:
    path = write_topics('[ai.vi]\n"tri\u0301 tue\u0323" = 1\n')
    assert_error(path, 'ai.vi."tri\u0301 tue\u0323"', "a term in NFC")


# ----------------------------------------------------------------- scoring rules


SCORING = """
[scoring]
title_boost = 3.0
summary_boost = 2.0
text_boost = 1.0
reference_words = 10

[thresholds]
ai = 2.0
open_source_ai = 2.0
open_source_share = 0.0

[context]
window_tokens = 3

[ai.any]
"robot" = 1.0

[open_source.any]
"free code" = { weight = 1.0, needs_context = true }
"openbot" = { weight = 2.0, also_ai = true }
"""


@pytest.fixture
def small(write_topics: Callable[[str], Path]) -> Classifier:
    return Classifier(load_topics(write_topics(SCORING)))


def test_field_boosts(small: Classifier) -> None:
    assert small.classify(title="robot", text="").ai_score == 3.0
    assert small.classify(title="", summary="robot", text="").ai_score == 2.0
    assert small.classify(title="", text="robot").ai_score == 1.0


def test_repeats_add_logarithmically(small: Classifier) -> None:
    result = small.classify(title="", text="robot robot robot robot")
    assert result.ai_score == round(1 + math.log(4), 3)
    assert [(m.term, m.count) for m in result.matched_terms] == [("robot", 4)]


def test_long_bodies_are_discounted(small: Classifier) -> None:
    # 40 words against reference_words = 10: divided by sqrt(4) = 2.
    result = small.classify(title="", text="robot " + "word " * 39)
    assert result.ai_score == 0.5


def test_thresholds_decide_labels(small: Classifier) -> None:
    assert not small.classify(title="", text="robot").is_ai
    assert small.classify(title="", text="robot, robot and robot").is_ai


def test_context_window_in_tokens(small: Classifier) -> None:
    near = small.classify(title="", text="robot with free code")
    far = small.classify(title="", text="robot. One two three four. Free code")
    same_sentence = small.classify(title="", text="robot one two three four five free code")
    assert [m.term for m in near.matched_terms if m.topic == "open_source"] == ["free code"]
    assert [m.term for m in far.matched_terms if m.topic == "open_source"] == []
    assert [m.term for m in same_sentence.matched_terms if m.topic == "open_source"] == [
        "free code"
    ]


def test_also_ai_counts_for_both_topics(small: Classifier) -> None:
    result = small.classify(title="openbot", text="")
    assert result.ai_score == 6.0 and result.open_source_ai_score == 6.0
    assert result.is_ai and result.is_open_source_ai
    assert [(m.term, m.topic) for m in result.matched_terms] == [
        ("openbot", "ai"),
        ("openbot", "open_source"),
    ]


def test_open_source_requires_ai(small: Classifier) -> None:
    result = small.classify(title="free code", text="free code")
    assert result.open_source_ai_score == 0.0  # no AI term nearby: no evidence at all
    assert not result.is_open_source_ai


def test_open_source_share(write_topics: Callable[[str], Path]) -> None:
    body = SCORING.replace("open_source_share = 0.0", "open_source_share = 0.5")
    classifier = Classifier(load_topics(write_topics(body)))
    result = classifier.classify(title="robot robot robot", text="robot with free code")
    assert result.open_source_ai_score == 1.0
    assert result.ai_score > 2.0
    assert not result.is_open_source_ai


def test_unless_followed_by_and_digits_after(write_topics: Callable[[str], Path]) -> None:
    body = """
[ai.any]
"AI mở" = { weight = 1, case_sensitive = true, unless_followed_by = ["ra", "cơ hội"] }
"Qwen" = { weight = 1, digits_after = true }
"Gemma" = 1
"""
    classifier = Classifier(load_topics(write_topics(body)))

    def found(text: str) -> list[str]:
        return [m.term for m in classifier.classify(title="", text=text).matched_terms]

    assert found("AI mở") == ["AI mở"]
    assert found("AI mở ra") == []
    assert found("AI mở  cơ\nhội") == []
    assert found("AI mở cơ sở") == ["AI mở"]
    assert found("Qwen3 Qwen2.5 Qwenx") == ["Qwen"]
    assert found("Gemma3 Gemma") == ["Gemma"]


def test_explicit_fold_on_a_two_word_term(write_topics: Callable[[str], Path]) -> None:
    body = '[ai.vi]\n"học máy" = { weight = 1, fold = true }\n"học sâu" = 1\n'
    classifier = Classifier(load_topics(write_topics(body)))
    result = classifier.classify(title="", text="hoc may, hoc sau, học máy", language="vi")
    assert [(m.term, m.count) for m in result.matched_terms] == [("học máy", 2)]
