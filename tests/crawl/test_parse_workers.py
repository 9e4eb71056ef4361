"""A crawl whose pages are parsed (and signed for story grouping) in a worker process
stores and groups what an in-process one does."""

from __future__ import annotations

from pathlib import Path

import pytest
from replica_helpers import (
    newswatch,
    replica_server,
    sample_article,
    sources_subset,
    write_test_config,
)

from crawler.replica.site import ReplicaState
from storage import connect

pytestmark = pytest.mark.slow


def site() -> tuple[str, ReplicaState]:
    toml, sources = sources_subset(["vnexpress", "tuoitre"])
    state = ReplicaState.from_sources(sources)
    for n, host in enumerate(sorted(state.sites) * 3):
        state.publish(host, sample_article(n, hours_ago=1 + n))
    return toml, state


def crawl(tmp_path: Path, toml: str, state: ReplicaState, workers: int) -> list:
    workdir = tmp_path / f"workers-{workers}"
    workdir.mkdir()
    config = write_test_config(workdir, toml, crawl={"parse_workers": workers})
    with replica_server(state, workdir) as replica:
        newswatch("--config", str(config), "crawl", *replica.mirror_args())
    db = connect(workdir / "newswatch.db")
    columns = "url, title, summary, text, authors, published_at, language, is_ai"
    rows = list(db.query(f"SELECT {columns} FROM articles ORDER BY url"))
    stories: dict[int, set[str]] = {}
    for url, story_id in db.execute("SELECT url, story_id FROM articles"):
        stories.setdefault(story_id, set()).add(url)
    # stories as sets of URLs (ids and primaries depend on the order pages arrived)
    return [rows, sorted(sorted(urls) for urls in stories.values())]


def test_parse_workers_store_the_same_articles(tmp_path: Path) -> None:
    toml, state = site()
    in_process = crawl(tmp_path, toml, state, 0)
    in_workers = crawl(tmp_path, toml, state, 1)
    assert len(in_process[0]) == 6
    assert in_workers == in_process


def test_negative_parse_workers_is_a_configuration_error(tmp_path: Path) -> None:
    toml, _ = sources_subset(["vnexpress"])
    config = write_test_config(tmp_path, toml, crawl={"parse_workers": -1})
    result = newswatch("--config", str(config), "crawl", check=False)
    assert result.returncode != 0
    assert "crawl.parse_workers" in result.stderr
