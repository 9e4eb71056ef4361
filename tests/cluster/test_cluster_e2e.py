"""Crawling on two real Scrapyd servers (loopback) against the replica sites.

Each test deploys the project with `newswatch cluster deploy`, then runs the real
`newswatch` command; the Scrapyd nodes run the crawls, this process stores the items.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import Gate, ScrapydServer, scrapyd_server, wait_for
from replica_helpers import (
    newswatch,
    replica_server,
    sample_article,
    sources_subset,
    write_test_config,
)

from crawler.cluster.egg import build_egg
from crawler.cluster.scrapyd import ScrapydNode
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
    """Article rows by URL, without bookkeeping times, row ids and story pointers."""
    db = connect(db_path)
    rows = {
        r["url"]: {k: v for k, v in r.items() if k not in TIME_COLUMNS}
        for r in db.query("SELECT * FROM articles")
    }
    db.close()
    return rows


def stories(db_path: Path) -> set[frozenset[str]]:
    """The grouping into stories, as sets of URLs.

    Which member is the story's primary (whose id the story takes, and what
    ``duplicate_of`` points at) depends on which copy was stored first, which varies
    between any two crawls of several sources in parallel; the grouping does not.
    """
    db = connect(db_path)
    groups: dict[int, set[str]] = {}
    for r in db.query("SELECT url, story_id FROM articles"):
        groups.setdefault(r["story_id"], set()).add(r["url"])
    db.close()
    return {frozenset(g) for g in groups.values()}


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
    assert len(fetched) == len(expected) and len(set(fetched)) == len(fetched)

    # The same sites crawled locally into another database: the same article rows.
    local_config = write_local_config(workdir, config)
    newswatch("--config", str(local_config), "crawl", *replica.mirror_args())
    local_db = workdir / "local" / "newswatch.db"
    assert article_rows(local_db) == rows
    assert stories(local_db) == stories(db_path)

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


def start_crawl(config: Path, mirrors: list[str], workdir: Path) -> subprocess.Popen[bytes]:
    """`newswatch crawl` in the background (its output in workdir/crawl.err)."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    args = [a for m in mirrors for a in ("--mirror", m)]
    with (workdir / "crawl.err").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler", "--config", str(config), "crawl", *args],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )


def dispatched(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    db = connect(db_path)
    try:
        return int(db.execute("SELECT count(*) FROM cluster_jobs").fetchone()[0])
    finally:
        db.close()


@pytest.fixture
def fresh_nodes(tmp_path: Path):
    """Nodes of this test only (the test stops one of them)."""
    with scrapyd_server(tmp_path, "node-c") as c, scrapyd_server(tmp_path, "node-d") as d:
        yield c, d


def test_node_stopped_mid_run_its_sources_are_crawled_on_the_other(
    tmp_path: Path, fresh_nodes: tuple[ScrapydServer, ScrapydServer]
) -> None:
    toml, sources = sources_subset(SOURCE_IDS)
    state = ReplicaState.from_sources(sources)
    for n, host in enumerate(state.sites, 1):
        state.publish(host, sample_article(n))
    first, second = fresh_nodes
    config = write_test_config(
        tmp_path,
        toml,
        crawl={"download_timeout": 60.0},
        cluster={"nodes": [first.url, second.url], "capacity": 2, "poll_seconds": 0.2},
    )
    db_path = tmp_path / "newswatch.db"
    with replica_server(state, tmp_path) as replica:
        newswatch("--config", str(config), "cluster", "deploy")
        gate = Gate(replica.base_url)
        try:
            crawl = start_crawl(config, gate.mirrors(replica.mirrors), tmp_path)
            # Every job is running and waiting on the gate: the crawls are mid-way.
            wait_for(lambda: dispatched(db_path) == 4 and gate.held >= 4, "4 jobs mid-crawl")
            on_first = [
                s
                for node, placed in jobs_by_node(db_path).items()
                if node == first.url
                for s in placed
            ]
            assert len(on_first) == 2
            first.kill()
            gate.open()
            assert crawl.wait(timeout=300) == 0, (tmp_path / "crawl.err").read_text()
        finally:
            gate.close()
        err = (tmp_path / "crawl.err").read_text()
        db = connect(db_path)
        expected = sorted(a["url"] for s in replica.state.sites.values() for a in s.articles)
        assert sorted(r["url"] for r in db.query("SELECT url FROM articles")) == expected, err
        jobs = list(db.query("SELECT * FROM cluster_jobs ORDER BY rowid"))
        for source in on_first:
            attempts = [
                (j["node"], j["state"], j["attempt"]) for j in jobs if j["source"] == source
            ]
            assert attempts == [(first.url, "lost", 1), (second.url, "ingested", 2)], attempts
            rows = list(
                db.query("SELECT * FROM run_sources WHERE source = ? ORDER BY id", [source])
            )
            assert [(r["status"], r["finish_reason"]) for r in rows] == [
                ("failed", "node_down"),
                ("ok", "finished"),
            ]
            assert "is down" in rows[0]["last_error"]
        # Every article stored once: the lost jobs' items were never ingested.
        ingested = [j for j in jobs if j["state"] == "ingested"]
        assert sum(j["articles_new"] for j in ingested) == len(expected)
        assert "is down" in err


def test_jobs_left_by_a_run_that_died_are_ingested_by_the_next(site, nodes) -> None:
    replica, config, workdir = site
    db_path = workdir / "newswatch.db"
    gate = Gate(replica.base_url)
    try:
        mirrors = gate.mirrors(replica.mirrors)
        crawl = start_crawl(config, mirrors, workdir)
        wait_for(lambda: dispatched(db_path) == 4 and gate.held >= 4, "4 jobs mid-crawl")
        crawl.kill()  # the writer dies; its jobs go on on the nodes
        crawl.wait(timeout=30)
        gate.open()
        job_ids = {j["job_id"] for j in connect(db_path).query("SELECT job_id FROM cluster_jobs")}

        def all_finished() -> bool:
            done = {j["id"] for n in nodes for j in n.jobs()["finished"]}
            return job_ids <= done

        wait_for(all_finished, "the orphaned jobs to finish on their nodes")
        replica.reset()
        newswatch("--config", str(config), "crawl", *[a for m in mirrors for a in ("--mirror", m)])
    finally:
        gate.close()
    db = connect(db_path)
    expected = sorted(a["url"] for s in replica.state.sites.values() for a in s.articles)
    assert sorted(r["url"] for r in db.query("SELECT url FROM articles")) == expected
    old = [j for j in db.query("SELECT * FROM cluster_jobs") if j["job_id"] in job_ids]
    assert {(j["state"], j["outcome"]) for j in old} == {("ingested", "ok")}
    assert sum(j["articles_new"] for j in old) == len(expected)
    # The next run ingested them before dispatching: its crawls knew every article.
    assert article_fetches(replica.requests(), replica.state) == []


def test_a_job_past_its_timeout_is_cancelled_and_recorded(site, nodes) -> None:
    replica, config, workdir = site
    gate = Gate(replica.base_url)  # never opened: every request hangs
    text = re.sub(r"(?m)^timeout = .*$", "timeout = 8.0", config.read_text(encoding="utf-8"))
    config.write_text(text, encoding="utf-8")
    try:
        result = newswatch(
            "--config",
            str(config),
            "crawl",
            "--source",
            "mst",
            *[a for m in gate.mirrors(replica.mirrors) for a in ("--mirror", m)],
        )
    finally:
        gate.close()
    db = connect(workdir / "newswatch.db")
    row = db.execute(
        "SELECT status, finish_reason, last_error FROM run_sources WHERE source = 'mst'"
    ).fetchone()
    assert row[0] == "timeout" and row[1] == "timeout", result.stderr
    assert "timeout" in row[2]
    job = next(db.query("SELECT * FROM cluster_jobs"))
    assert job["cancelled_at"] and job["state"] == "ingested" and job["outcome"] == "timeout"
    assert db.execute("SELECT count(*) FROM http_cache").fetchone()[0] == 0
    assert "mst: timeout" in result.stderr


def test_status_and_a_project_that_is_not_deployed(nodes, tmp_path: Path) -> None:
    toml, _ = sources_subset(["mst", "tuoitre"])
    node_urls = [n.url for n in nodes]
    config = write_test_config(
        tmp_path, toml, cluster={"nodes": node_urls, "project": "elsewhere", "poll_seconds": 0.2}
    )
    status = newswatch("--config", str(config), "cluster", "status", "--format", "json")
    data = json.loads(status.stdout)
    assert [n["node"] for n in data["nodes"]] == node_urls
    assert all(n["reachable"] and n["deployed"].startswith("no") for n in data["nodes"])

    result = newswatch("--config", str(config), "crawl")
    db = connect(tmp_path / "newswatch.db")
    rows = list(db.query("SELECT * FROM run_sources"))
    assert {r["source"]: r["status"] for r in rows} == {"mst": "failed", "tuoitre": "failed"}
    assert all("newswatch cluster deploy" in r["last_error"] for r in rows)
    assert "newswatch cluster deploy" in result.stderr

    newswatch("--config", str(config), "cluster", "deploy")
    status = newswatch("--config", str(config), "cluster", "status", "--format", "json")
    assert all(n["deployed"] == "yes" for n in json.loads(status.stdout)["nodes"])


def test_items_from_other_code_than_the_writers_are_refused(site, nodes) -> None:
    replica, config, workdir = site
    egg = build_egg()
    tampered = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(egg.data)) as original,
        zipfile.ZipFile(tampered, "w") as copy,
    ):
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "spiders/news.py":
                data += b"\n# a node with different code\n"
            copy.writestr(info, data)
    # A project of this test only, holding the tampered egg under the writer's version.
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[cluster]\n", '[cluster]\nproject = "tampered"\n'))
    for node in nodes:
        ScrapydNode(node.url).add_version("tampered", egg.version, tampered.getvalue())
    result = newswatch("--config", str(config), "crawl", "--source", "mst", *replica.mirror_args())
    db = connect(workdir / "newswatch.db")
    status, error = db.execute("SELECT status, last_error FROM run_sources").fetchone()
    assert status == "failed" and "shadows the egg" in error, result.stderr
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
