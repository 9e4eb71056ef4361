"""`newswatch ingest URL...` against loopback replica sites."""

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

from crawler.config import Source
from crawler.replica.site import ReplicaState
from storage import connect

pytestmark = pytest.mark.slow


def test_ingest_known_and_unknown_sites(tmp_path: Path) -> None:
    toml, sources = sources_subset(["vnexpress"])
    # An unconfigured site, served with generic article markup.
    other = Source(
        id="tin-tinh",
        name="Tin tỉnh",
        home="https://tintinh.example.org/",
        parser="generic",
        feeds=("https://tintinh.example.org/rss",),
    )
    state = ReplicaState.from_sources([*sources, other])
    known = state.publish("vnexpress.net", sample_article(1))
    unknown = state.publish(
        "tintinh.example.org", sample_article(2, title="Tỉnh triển khai nền tảng số cho hợp tác xã")
    )
    config = write_test_config(tmp_path, toml)
    with replica_server(state, tmp_path) as replica:
        result = newswatch(
            "--config",
            str(config),
            "ingest",
            known["url"] + "?utm_source=zalo",
            unknown["url"],
            *replica.mirror_args(),
        )
        db = connect(tmp_path / "newswatch.db")
        rows = {r["url"]: r for r in db.query("SELECT url, source, parser, title FROM articles")}
        assert set(rows) == {known["url"], unknown["url"]}, result.stdout + result.stderr
        assert rows[known["url"]]["source"] == "vnexpress" and rows[known["url"]][
            "parser"
        ].startswith("vnexpress")
        assert rows[unknown["url"]]["source"] == "tintinh.example.org"
        assert rows[unknown["url"]]["title"] == "Tỉnh triển khai nền tảng số cho hợp tác xã"
        assert f"{rows[known['url']]['title']}" in result.stdout

        # Ingesting again fetches again (an explicit request), stores nothing twice.
        newswatch("--config", str(config), "ingest", known["url"], *replica.mirror_args())
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 2

    missing = newswatch(
        "--config",
        str(config),
        "ingest",
        "https://vnexpress.net/khong-ton-tai-4999999.html",
        "--mirror",
        "vnexpress.net=http://127.0.0.1:9",
        check=False,
    )
    assert missing.returncode == 1 and "not stored" in missing.stdout
    bad = newswatch("--config", str(config), "ingest", "javascript:alert(1)", check=False)
    assert bad.returncode == 2 and "http(s)" in bad.stderr
