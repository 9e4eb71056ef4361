"""Shared fixtures: isolated environment, a real SQLite file, article factories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from factories import make_article


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


@pytest.fixture
def article_factory() -> Any:
    return make_article
