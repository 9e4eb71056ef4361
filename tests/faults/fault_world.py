"""A small world of faulty sources around one healthy one, served by the replica server.

Builders shared by the fault tests: synthetic sources on reserved ``.test`` hosts (a
request that escaped the mirror would fail DNS at once instead of leaving the machine),
their sources.toml text, the replica state, and readers for what a crawl left behind
(run_sources rows, per-source logs, the server's request log).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from replica_helpers import sample_article

from crawler.config import Source, load_sources
from crawler.replica.site import ReplicaState


@dataclass
class SyntheticSource:
    """A ``[sources.<id>]`` block for a made-up site."""

    id: str
    host: str
    feeds: list[str] = field(default_factory=list)  # paths on host
    sitemaps: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)
    article_pattern: str = r"/bai/[a-z0-9-]+\.html"
    parser: str = "generic"

    def toml(self) -> str:
        def urls(paths: list[str]) -> str:
            return json.dumps([f"https://{self.host}{p}" for p in paths])

        lines = [
            f"[sources.{self.id}]",
            f'name = "Nguồn {self.id}"',
            f'home = "https://{self.host}/"',
            f'parser = "{self.parser}"',
            f"feeds = {urls(self.feeds)}",
            f"sitemaps = {urls(self.sitemaps)}",
            f"listings = {urls(self.listings)}",
            f"article_pattern = {json.dumps(self.article_pattern)}",
        ]
        return "\n".join(lines) + "\n"


def sources_from_toml(workdir: Path, text: str) -> dict[str, Source]:
    path = workdir / "sources-preview.toml"
    path.write_text(text, encoding="utf-8")
    return load_sources(path)


def publish_page(
    state: ReplicaState, host: str, slug: str, n: int, **overrides: Any
) -> dict[str, Any]:
    """Publish an article at ``/bai/<slug>.html`` (distinct text per ``n``)."""
    article = sample_article(n, path=f"/bai/{slug}.html", **overrides)
    return state.publish(host, article)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env() -> dict[str, str]:
    """The environment for newswatch subprocesses: no proxies, no NEWSWATCH_* overrides."""
    return {
        k: v
        for k, v in os.environ.items()
        if "proxy" not in k.lower() and not k.startswith("NEWSWATCH_")
    }


def run_newswatch(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m crawler ARGS`` in a clean environment (never raises on exit status)."""
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
    )


def source_rows(db: sqlite_utils.Database, run_id: int | None = None) -> dict[str, dict[str, Any]]:
    """The newest run_sources row per source (of ``run_id`` when given), errors decoded."""
    query = "SELECT * FROM run_sources" + (" WHERE run_id = ?" if run_id else "") + " ORDER BY id"
    rows: dict[str, dict[str, Any]] = {}
    for row in db.query(query, [run_id] if run_id else []):
        row["errors"] = json.loads(row["errors"] or "{}")
        row["stats"] = json.loads(row["stats"] or "{}")
        rows[row["source"]] = row
    return rows


def log_text(row: dict[str, Any]) -> str:
    path = row.get("log_path")
    return Path(path).read_text(encoding="utf-8", errors="replace") if path else ""


def stored(db: sqlite_utils.Database, url: str) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM articles WHERE url = ?", [url]))


def snapshot(db: sqlite_utils.Database) -> dict[str, tuple[int, str, str]]:
    """url -> (id, content hash, title) of every stored article."""
    return {
        r["url"]: (r["id"], r["content_hash"], r["title"])
        for r in db.query("SELECT id, url, content_hash, title FROM articles")
    }
