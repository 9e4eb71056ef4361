"""Test data factories, importable from any test folder (pytest's pythonpath has tests/).

Kept out of conftest.py: several folders have a conftest.py, and ``from factories import``
would pick whichever was imported first.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.models import Article

REPO_ROOT = Path(__file__).resolve().parents[1]
# Read at import: the project's autouse fixture clears NEWSWATCH_* variables per test.
_REAL_PAGES = os.environ.get("NEWSWATCH_REAL_PAGES")
REAL_PAGES_MISSING = (
    "real pages not found: set NEWSWATCH_REAL_PAGES or place them in "
    "shared/real-pages next to the repository (they are not part of it)"
)


def real_pages_dir() -> Path | None:
    """The saved real pages, which stay outside the repository (third parties' copies).

    ``NEWSWATCH_REAL_PAGES`` when set; else ``shared/real-pages`` beside the repository
    root or beside one of its ancestors (a worktree and the main checkout both find it).
    """
    if _REAL_PAGES:
        path = Path(_REAL_PAGES)
        return path.resolve() if path.is_dir() else None
    for base in REPO_ROOT.parents:
        candidate = base / "shared" / "real-pages"
        if candidate.is_dir():
            return candidate.resolve()
    return None


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
