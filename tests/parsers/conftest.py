"""Fixtures for parser tests: where the saved real pages live."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import REAL_PAGES_MISSING, real_pages_dir


@pytest.fixture(scope="session")
def real_pages() -> Path:
    path = real_pages_dir()
    if path is None:
        pytest.skip(REAL_PAGES_MISSING)
    return path
