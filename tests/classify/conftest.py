"""Shared fixtures: the shipped rules, and small rule files written for one test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from crawler.classify import Classifier, Topics, load_topics

REPO = Path(__file__).resolve().parents[2]
SHIPPED_TOPICS = REPO / "config" / "topics.toml"
EVAL_DATA = REPO / "tests" / "data" / "classifier_eval.jsonl"


@pytest.fixture(scope="session")
def topics() -> Topics:
    return load_topics(SHIPPED_TOPICS)


@pytest.fixture(scope="session")
def classifier(topics: Topics) -> Classifier:
    return Classifier(topics)


@pytest.fixture
def write_topics(tmp_path: Path) -> Callable[[str], Path]:
    """Write a topics.toml with the given body and return its path."""

    def write(body: str) -> Path:
        path = tmp_path / "topics.toml"
        path.write_text(body, encoding="utf-8")
        return path

    return write
