"""Real crawls (the `newswatch` command in a subprocess) against loopback replica sites."""

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

SOURCE_IDS = ["vnexpress", "tuoitre", "vietnamvn", "mst"]


def article_fetches(requests: list[dict], state: ReplicaState) -> list[str]:
    """Requests for article pages (the replica's own view of what it published)."""
    paths = {(host, a["path"]) for host, site in state.sites.items() for a in site.articles}
    return [f"{r['host']}{r['path']}" for r in requests if (r["host"], r["path"]) in paths]


@pytest.fixture
def setup(tmp_path: Path):
    toml, sources = sources_subset(SOURCE_IDS)
    state = ReplicaState.from_sources(sources)
    n = 0
    for host in state.sites:
        for _ in range(3):
            n += 1
            state.publish(host, sample_article(n))
    config = write_test_config(tmp_path, toml)
    with replica_server(state, tmp_path) as replica:
        yield replica, config, tmp_path


def test_first_crawl_second_crawl_and_one_new_article(setup) -> None:
    replica, config, workdir = setup
    db_path = workdir / "newswatch.db"

    first = newswatch("--config", str(config), "crawl", *replica.mirror_args())
    db = connect(db_path)
    urls = [r["url"] for r in db.query("SELECT url FROM articles")]
    expected = sorted(a["url"] for site in replica.state.sites.values() for a in site.articles)
    assert sorted(urls) == expected, first.stderr
    assert all("127.0.0.1" not in u for u in urls)  # stored URLs keep the real host
    fetched = article_fetches(replica.requests(), replica.state)
    assert len(fetched) == len(expected) and len(set(fetched)) == len(fetched)
    stats = {r["source"]: r for r in db.query("SELECT * FROM run_sources")}
    assert all(s["status"] == "ok" for s in stats.values()), stats
    assert sum(s["articles_new"] for s in stats.values()) == len(expected)
    # Each request the server saw is counted once, and mirrored requests never fetch the
    # mirror server's own robots.txt (robots.txt is the real host's, served via the mirror).
    served: dict[str, int] = {}
    for r in replica.requests():
        served[r["host"]] = served.get(r["host"], 0) + 1
    assert "" not in served, "a request went to the mirror server itself, outside every site"
    hosts = {site.source_id: host for host, site in replica.state.sites.items()}
    assert {sid: s["requests"] for sid, s in stats.items()} == {
        sid: served[hosts[sid]] for sid in stats
    }
    assert all(s["coverage_title"] == 1.0 for s in stats.values())

    # Second crawl of the unchanged sites: no article page at all, entry points answer 304.
    replica.reset()
    newswatch("--config", str(config), "crawl", *replica.mirror_args())
    requests = replica.requests()
    assert article_fetches(requests, replica.state) == []
    entry_statuses = [r["status"] for r in requests if r["path"].endswith((".rss", "sitemap.xml"))]
    assert entry_statuses and set(entry_statuses) == {304}
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == len(expected)

    # One new article on one site: the only article page fetched.
    replica.reset()
    new = replica.publish(
        "vnexpress.net",
        sample_article(
            99, title="Bộ KH&CN ra mắt mô hình ngôn ngữ nguồn mở tiếng Việt", hours_ago=0.1
        ),
    )
    newswatch("--config", str(config), "crawl", *replica.mirror_args())
    assert article_fetches(replica.requests(), replica.server_state()) == [
        f"vnexpress.net{new['path']}"
    ]
    assert (
        db.execute("SELECT count(*) FROM articles WHERE url = ?", [new["url"]]).fetchone()[0] == 1
    )


def test_unreachable_source_does_not_stop_the_others(setup) -> None:
    replica, config, workdir = setup
    # tuoitre.vn goes to a closed port: connection refused, recorded, others crawl on.
    mirrors = [m for m in replica.mirrors if not m.startswith("tuoitre.vn=")]
    mirrors.append("tuoitre.vn=http://127.0.0.1:9")
    result = newswatch(
        "--config", str(config), "crawl", *[a for m in mirrors for a in ("--mirror", m)]
    )
    db = connect(workdir / "newswatch.db")
    statuses = {
        r["source"]: (r["status"], r["errors"]) for r in db.query("SELECT * FROM run_sources")
    }
    assert statuses["tuoitre"][0] == "failed" and "connection_refused" in statuses["tuoitre"][1]
    assert all(status == "ok" for sid, (status, _) in statuses.items() if sid != "tuoitre")
    assert "tuoitre: failed" in result.stderr
