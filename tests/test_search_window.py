"""Search ranks the newest RANK_WINDOW matches: bounded cost on a large archive."""

from __future__ import annotations

import pytest
import sqlite_utils
from factories import make_article

from storage import articles
from storage import search as search_module
from storage.search import Filters, search


def store(db: sqlite_utils.Database, n: int, title: str) -> int:
    article = make_article(
        url=f"https://vnexpress.net/bai-viet-so-{n}-{4950000 + n}.html", title=title
    )
    return articles.upsert_article(db, article).id


@pytest.fixture
def stored(db: sqlite_utils.Database) -> list[int]:
    # The oldest is the best match (the word twice in its title), the newest the worst.
    return [
        store(db, 1, "Điện gió ngoài khơi: điện gió cho miền Trung"),
        store(db, 2, "Quy hoạch điện gió ngoài khơi"),
        store(db, 3, "Giá điện tăng, điện gió được nhắc tới"),
    ]


def test_every_match_is_ranked_when_they_fit_the_window(
    db: sqlite_utils.Database, stored: list[int]
) -> None:
    assert next(r["id"] for r in search(db, "điện gió")) == stored[0]
    assert {r["id"] for r in search(db, "dien gio")} == set(stored)


@pytest.mark.parametrize("filters", [Filters(), Filters(sources=("vnexpress",))])
def test_only_the_newest_matches_are_ranked(
    db: sqlite_utils.Database,
    stored: list[int],
    monkeypatch: pytest.MonkeyPatch,
    filters: Filters,
) -> None:
    monkeypatch.setattr(search_module, "RANK_WINDOW", 2)
    found = [r["id"] for r in search(db, "điện gió", filters)]
    assert sorted(found) == sorted(stored[1:])
    assert all(isinstance(r["rank"], float) for r in search(db, "điện gió", filters))
