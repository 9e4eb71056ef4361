"""Fixtures for parser tests: where the saved real pages live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# Read at import: the project's autouse fixture clears NEWSWATCH_* variables per test.
_CONFIGURED = os.environ.get("NEWSWATCH_REAL_PAGES")


def real_pages_dir() -> Path | None:
    """The saved real pages, which stay outside the repository (third parties' copies).

    ``NEWSWATCH_REAL_PAGES`` when set; else ``shared/real-pages`` beside the repository
    root or beside one of its ancestors (a worktree under /work/wt/ and the main
    checkout /work/main both find /work/shared/real-pages).
    """
    if _CONFIGURED:
        path = Path(_CONFIGURED)
        return path.resolve() if path.is_dir() else None
    for base in REPO_ROOT.parents:
        candidate = base / "shared" / "real-pages"
        if candidate.is_dir():
            return candidate.resolve()
    return None


@pytest.fixture(scope="session")
def real_pages() -> Path:
    path = real_pages_dir()
    if path is None:
        pytest.skip(
            "real pages not found: set NEWSWATCH_REAL_PAGES or place them in "
            "shared/real-pages next to the repository (they are not part of it)"
        )
    return path
