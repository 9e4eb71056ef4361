"""Crawling on two real Scrapyd servers (loopback) against the replica sites.

Each test deploys the project with `newswatch cluster deploy`, then runs the real
`newswatch` command; the Scrapyd nodes run the crawls, this process stores the items.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import ScrapydServer, scrapyd_server
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

SOURCE_IDS = ["vnexpress", "tuoitre", "vietnamvn", "mst"]
# Columns that record when newswatch did something, not what it stored.
TIME_COLUMNS = {"id", "first_seen_at", "last_seen_at", "updated_at", "story_id", "duplicate_of"}


def article_fetches(requests: list[dict], state: ReplicaState) -> list[str]:
    paths = {(host, a["path"]) for host, site in state.sites.items() for a in site.articles}
    return [f"{r['host']}{r['path']}" for r in requests if (r["host"], r["path"]) in paths]


def article_rows(db_path: Path) -> dict[str, dict[str, Any]]:
    """Article rows by URL, without bookkeeping times and row ids."""
    db = connect(db_path)
    rows = {
        r["url"]: {k: v for k, v in r.items() if k not in TIME_COLUMNS}
        for r in db.query("SELECT * FROM articles")
    }
    db.close()
    return rows


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("scrapyd")
    with scrapyd_server(workdir, "node-a") as a, scrapyd_server(workdir, "node-b") as b:
        yield a, b


@pytest.fixture
def site(tmp_path: Path, nodes: tuple[ScrapydServer, ScrapydServer]):
    toml, sources = sources_subset(SOURCE_IDS)
    state = ReplicaState.from_sources(sources)
    n = 0
    for host in state.sites:
        for _ in range(3):
            n += 1
            state.publish(host, sample_article(n))
    config = write_test_config(
        tmp_path,
        toml,
        cluster={"nodes": [n.url for n in nodes], "capacity": 2, "poll_seconds": 0.2},
    )
    with replica_server(state, tmp_path) as replica:
        newswatch("--config", str(config), "cluster", "deploy")
        yield replica, config, tmp_path


def jobs_by_node(db_path: Path) -> dict[str, list[str]]:
    db = connect(db_path)
    out: dict[str, list[str]] = {}
    for row in db.query("SELECT node, source FROM cluster_jobs ORDER BY rowid"):
        out.setdefault(row["node"], []).append(row["source"])
    db.close()
    return out


def test_cluster_crawl_matches_local_and_second_run_fetches_no_articles(site, nodes) -> None:
    replica, config, workdir = site
    db_path = workdir / "newswatch.db"

    result = newswatch("--config", str(config), "crawl", *replica.mirror_args())
    expected = sorted(a["url"] for s in replica.state.sites.values() for a in s.articles)
    rows = article_rows(db_path)
    assert sorted(rows) == expected, result.stderr
    # Sources were spread over both nodes, one job each.
    placed = jobs_by_node(db_path)
    assert set(placed) == {n.url for n in nodes}, placed
    assert sorted(s for sources in placed.values() for s in sources) == sorted(SOURCE_IDS)
    db = connect(db_path)
    statuses = {r["source"]: r["status"] for r in db.query("SELECT * FROM run_sources")}
    assert statuses == dict.fromkeys(SOURCE_IDS, "ok"), result.stderr
    jobs = list(db.query("SELECT * FROM cluster_jobs"))
    assert all(j["state"] == "ingested" and j["outcome"] == "ok" for j in jobs)
    assert sum(j["articles_new"] for j in jobs) == len(expected)
    assert all(j["validators_saved"] > 0 for j in jobs)
    fetched = article_fetches(replica.requests(), replica.state)
    assert sorted(fetched) == sorted(f"{u.split('://')[1]}" for u in expected) or len(
        fetched
    ) == len(expected)

    # The same sites crawled locally into another database: the same article rows.
    local_config = write_local_config(workdir, config)
    newswatch("--config", str(local_config), "crawl", *replica.mirror_args())
    assert article_rows(workdir / "local" / "newswatch.db") == rows

    # Second cluster run: the state travels with the jobs, no article page is fetched.
    replica.reset()
    newswatch("--config", str(config), "crawl", *replica.mirror_args())
    requests = replica.requests()
    assert article_fetches(requests, replica.state) == []
    entry = [r["status"] for r in requests if r["path"].endswith((".rss", "sitemap.xml"))]
    assert entry and set(entry) == {304}
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == len(expected)


def write_local_config(workdir: Path, cluster_config: Path) -> Path:
    """The same configuration without cluster nodes, storing into workdir/local."""
    local = workdir / "local"
    local.mkdir()
    text = cluster_config.read_text(encoding="utf-8")
    lines = [
        line
        for line in text.splitlines()
        if not line.startswith(("[cluster]", "nodes =", "capacity =", "poll_seconds ="))
    ]
    text = "\n".join(lines).replace(str(workdir / "newswatch.db"), str(local / "newswatch.db"))
    for name in ("sources.toml", "topics.toml"):
        (local / name).write_text((workdir / name).read_text(encoding="utf-8"), encoding="utf-8")
    path = local / "newswatch.toml"
    path.write_text(text + "\n", encoding="utf-8")
    return path
