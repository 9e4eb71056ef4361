"""Property tests: no input makes the classifier or the rules loader fail unexpectedly."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.classify import Classifier, Topics, TopicsError, load_topics

# The loader's second half (dict in, Topics or TopicsError out), fuzzed directly below.
from crawler.classify import _parse_topics as parse_topics
from crawler.models import Classification

from .conftest import SHIPPED_TOPICS

CLASSIFIER = Classifier(load_topics(SHIPPED_TOPICS))
TERMS = sorted({t.text for t in CLASSIFIER.topics.terms})

# Text made of real terms, their pieces, Vietnamese/French letters, separators and
# capitals, so the matcher's edge cases (overlaps, boundaries, folding) get exercised.
fragments = st.one_of(
    st.sampled_from(TERMS),
    st.sampled_from(TERMS).map(str.upper),
    st.sampled_from(TERMS).map(lambda t: t[: len(t) // 2]),
    st.sampled_from([" ", "\n", "\n\n", ". ", "-", "\u2011", "’", "İ", "ẞ", "đ", "Đ", "x"]),
    st.text(max_size=8),
)
texts = st.one_of(st.text(), st.lists(fragments, max_size=40).map("".join))
languages = st.one_of(st.none(), st.sampled_from(["vi", "en", "fr", "vi-VN", "es", "", "EN_us"]))


def check(result: Classification) -> None:
    """Invariants every verdict keeps, whatever the input."""
    assert math.isfinite(result.ai_score) and result.ai_score >= 0
    assert math.isfinite(result.open_source_ai_score) and result.open_source_ai_score >= 0
    assert result.is_ai or not result.is_open_source_ai
    keys = [(m.term, m.field, m.count, m.topic) for m in result.matched_terms]
    assert keys == sorted(keys)
    assert all(
        m.count >= 1 and m.field in {"title", "summary", "text"} for m in result.matched_terms
    )


@settings(max_examples=300, deadline=None)
@given(title=texts, text=texts, summary=st.one_of(st.none(), texts), language=languages)
def test_classify_never_fails(
    title: str, text: str, summary: str | None, language: str | None
) -> None:
    result = CLASSIFIER.classify(title=title, text=text, summary=summary, language=language)
    check(result)
    assert CLASSIFIER.classify(title=title, text=text, summary=summary, language=language) == result


toml_scalars = st.one_of(
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.lists(st.text(max_size=4), max_size=3),
)
toml_values = st.recursive(
    toml_scalars,
    lambda children: st.dictionaries(
        st.one_of(
            st.sampled_from(
                [
                    "ai",
                    "open_source",
                    "scoring",
                    "thresholds",
                    "any",
                    "vi",
                    "weight",
                    "AI",
                    "fold",
                    "case_sensitive",
                    "also_ai",
                    "needs_context",
                    "unless_followed_by",
                    "title_boost",
                    "open_source_share",
                    "window_tokens",
                    "fold_min_words",
                ]
            ),
            st.text(max_size=6),
        ),
        children,
        max_size=4,
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    data=st.dictionaries(
        st.sampled_from(
            ["ai", "open_source", "scoring", "thresholds", "context", "matching", "other"]
        ),
        toml_values,
        max_size=4,
    )
)
def test_rules_loader_fails_only_with_topics_error(data: dict[str, Any]) -> None:
    try:
        topics = parse_topics("fuzz.toml", data)
    except TopicsError as exc:
        assert str(exc).startswith("fuzz.toml: ") and "\n" not in str(exc)
        return
    assert isinstance(topics, Topics)
    check(Classifier(topics).classify(title="AI Llama open source", text="trí tuệ nhân tạo"))
