"""Shared fixtures: isolated environment, a real SQLite file, article factories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from crawler.models import Article

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's NEWSWATCH_* variables or writes into the repository."""
    for name in list(os.environ):
        if name.startswith("NEWSWATCH_") and name != "NEWSWATCH_REAL_PAGES":
            monkeypatch.delenv(name)
    # Keep any proxy settings from routing loopback test traffic elsewhere.
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # Relative paths (data/newswatch.db, data/digests) land in the test's own folder.
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "newswatch.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[sqlite_utils.Database]:
    from storage import connect

    database = connect(db_path)
    yield database
    database.close()


def make_article(**overrides: Any) -> Article:
    """A plausible normalised Article; override any field."""
    values: dict[str, Any] = {
        "url": "https://vnexpress.net/bo-khoa-hoc-cong-bo-mo-hinh-ngon-ngu-4950001.html",
        "source": "vnexpress",
        "title": "Bộ Khoa học và Công nghệ công bố mô hình ngôn ngữ lớn nguồn mở",
        "summary": "Mô hình được phát hành với trọng số mở trên Hugging Face.",
        "text": "Điện toán đám mây và trí tuệ nhân tạo là hai trụ cột.\n\nMô hình có 7 tỷ tham số.",
        "authors": ["Lê Phương"],
        "published_at": datetime(2026, 3, 7, 1, 52, tzinfo=UTC),
        "language": "vi",
    }
    values.update(overrides)
    return Article(**values)


@pytest.fixture
def article_factory() -> Any:
    return make_article
