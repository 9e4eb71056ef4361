"""The offline demo: the bundled replica sites on loopback, one real cycle, a summary.

``newswatch demo`` (:mod:`crawler.cli.demo`) puts the pieces together: it writes the
demo's own settings file, builds (or reloads) the replica sites with the demo corpus
(:mod:`crawler.replica.corpus`), optionally publishes a few more articles, serves the
sites on 127.0.0.1 from a thread, and runs the ordinary :class:`crawler.cycle.Cycle`
with ``--mirror`` pointing every source at that server. What the crawl asked the
server for (the request log) shows the incremental behaviour from run to run.

Everything lives in two places: the database (``data/demo.db`` by default) and the
work folder (``data/demo/``: settings, replica state, digests, crawl logs).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler.config import Settings, Source, load_settings, packaged_default
from crawler.replica import corpus
from crawler.replica.server import ReplicaServer
from crawler.replica.site import ReplicaState

DEFAULT_WORKDIR = Path("data/demo")
DEFAULT_DB = Path("data/demo.db")
DEMO_RUN_KIND = "demo"
# Loopback crawling needs no politeness delay; a few crawl processes at once keep the
# first run well under a minute on a laptop.
DEMO_PARALLEL_SOURCES = 4


class DemoError(Exception):
    """The demo cannot run as asked; the message says why and what to do."""


@dataclass(frozen=True)
class DemoPaths:
    """Where the demo keeps its database and its work folder."""

    workdir: Path = DEFAULT_WORKDIR
    db: Path = DEFAULT_DB

    @property
    def state_file(self) -> Path:
        return self.workdir / "replica-state.json"

    @property
    def config_file(self) -> Path:
        return self.workdir / "newswatch.toml"

    @property
    def digests_dir(self) -> Path:
        return self.workdir / "digests"

    @property
    def logs_dir(self) -> Path:
        return self.workdir / "logs"


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int

    @classmethod
    def parse(cls, value: str) -> SmtpTarget:
        """``HOST:PORT`` (``[::1]:PORT`` for an IPv6 address)."""
        host, sep, port = value.rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise DemoError(f"--smtp expects HOST:PORT such as 127.0.0.1:8025, got {value!r}")
        return cls(host, int(port))


def check_recipient(address: str) -> None:
    """``--to``: one plain ASCII address (what the digest's SMTP client can send to)."""
    if not (address.isascii() and re.fullmatch(r"[^@\s,<>]+@[^@\s,<>]+", address)):
        raise DemoError(f"--to expects one e-mail address such as you@example.org, got {address!r}")


# ---------------------------------------------------------------------- settings


def demo_config(
    paths: DemoPaths, *, smtp: SmtpTarget | None = None, recipient: str = "demo@localhost"
) -> dict[str, dict[str, Any]]:
    """The demo's settings: packaged sources and topics, loopback-friendly crawling."""
    workdir = paths.workdir.resolve()
    config: dict[str, dict[str, Any]] = {
        "files": {
            "sources": str(packaged_default("sources.toml")),
            "topics": str(packaged_default("topics.toml")),
        },
        "storage": {"path": str(paths.db.resolve())},
        "crawl": {
            "download_delay": 0.0,
            "download_timeout": 10.0,
            "retries": 0,
            "timeout": 120.0,
            "parallel_sources": DEMO_PARALLEL_SOURCES,
            "log_dir": str(workdir / "logs"),
        },
        "digest": {"output_dir": str(workdir / "digests")},
        "smtp": {"host": ""},
    }
    if smtp is not None:
        config["smtp"] = {"host": smtp.host, "port": smtp.port, "security": "none"}
        config["digest"]["recipients"] = [recipient]
    return config


def write_config(paths: DemoPaths, config: dict[str, dict[str, Any]]) -> Path:
    """Write the demo's settings file (rewritten on every run, so it never goes stale)."""
    lines = [
        "# Settings of the offline demo, written by `newswatch demo` on every run.",
        "# Reuse them to query the demo database, e.g.",
        f"#   newswatch --config {paths.config_file} search 'ma nguon mo'",
    ]
    for section, values in config.items():
        lines.append(f"\n[{section}]")
        # JSON strings, numbers, booleans and lists of strings are valid TOML values.
        lines.extend(
            f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()
        )
    paths.workdir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths.config_file


def load_demo_settings(paths: DemoPaths) -> Settings:
    """The demo's settings file alone: no NEWSWATCH_* variable may send the demo's mail
    to a real server or its fictional articles into a real database."""
    return load_settings(paths.config_file, environ={})


# ---------------------------------------------------------------------- database checks


def _run_kinds(path: Path) -> tuple[set[str], int] | None:
    """(run kinds, article count) of an existing newswatch database; None when empty."""
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DemoError(f"cannot open {path}: {exc}") from None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return None
        if not {"crawl_runs", "articles"} <= tables:
            raise DemoError(f"{path} is not a newswatch database; choose another file with --db")
        kinds = {r[0] for r in conn.execute("SELECT DISTINCT kind FROM crawl_runs")}
        count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        return kinds, int(count)
    except sqlite3.DatabaseError as exc:
        raise DemoError(f"{path} is not a usable SQLite database ({exc})") from None
    finally:
        conn.close()


def check_demo_database(path: Path) -> None:
    """Refuse a database holding real articles: the demo's articles are fictional."""
    if not path.exists():
        return
    found = _run_kinds(path)
    if found is None:
        return
    kinds, count = found
    if count and DEMO_RUN_KIND not in kinds:
        raise DemoError(
            f"{path} holds {count} articles from {', '.join(sorted(kinds)) or 'other'} runs; "
            "the demo stores fictional articles and will not mix them into it. "
            "Use another file with --db (the default is data/demo.db)"
        )


def reset(paths: DemoPaths) -> list[Path]:
    """Delete the demo database and work files (never anything else); returns what went."""
    check_demo_database(paths.db)
    removed = []
    for file in (
        paths.db,
        Path(f"{paths.db}-wal"),
        Path(f"{paths.db}-shm"),
        paths.state_file,
        paths.config_file,
    ):
        if file.exists():
            file.unlink()
            removed.append(file)
    for folder in (paths.digests_dir, paths.logs_dir):
        if folder.is_dir():
            shutil.rmtree(folder)
            removed.append(folder)
    return removed


# ---------------------------------------------------------------------- replica state


@dataclass
class PreparedState:
    state: ReplicaState
    created: bool  # True: the corpus was published now (first run or after --reset)
    published: list[dict[str, Any]] = field(default_factory=list)


def prepare_state(
    paths: DemoPaths, sources: Sequence[Source], db: sqlite_utils.Database
) -> PreparedState:
    """Reload the replica sites from the work folder, or build them with the corpus.

    Entry points are always taken from the current sources, so a changed sources.toml
    never leaves the replica serving stale feed paths; the published articles persist.
    """
    fresh = ReplicaState.from_sources(sources)
    if paths.state_file.is_file():
        try:
            saved = ReplicaState.load(paths.state_file)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise DemoError(
                f"{paths.state_file} is unreadable ({exc}); run `newswatch demo --reset`"
            ) from None
        for host, site in fresh.sites.items():
            if host in saved.sites:
                site.articles = saved.sites[host].articles
        fresh.serial = saved.serial
        return PreparedState(fresh, created=False)
    stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    if stored:
        raise DemoError(
            f"{paths.db} holds {stored} articles of an earlier demo whose replica sites "
            f"({paths.state_file}) are gone; run `newswatch demo --reset` to start over"
        )
    try:
        published = corpus.publish_main(fresh, corpus.load_corpus())
    except KeyError as exc:
        raise DemoError(f"the demo corpus does not fit the packaged sources: {exc}") from None
    return PreparedState(fresh, created=True, published=published)


def add_articles(state: ReplicaState, count: int) -> list[dict[str, Any]]:
    """Publish ``count`` more articles (reserve first, then republished copies)."""
    if count <= 0:
        return []
    try:
        return corpus.publish_more(state, corpus.load_corpus(), count)
    except corpus.CorpusError as exc:
        raise DemoError(str(exc)) from None


@contextmanager
def serve_replica(state: ReplicaState, state_file: Path | None = None) -> Iterator[ReplicaServer]:
    """The replica server on a free loopback port, in a thread, for the ``with`` block."""
    server = ReplicaServer(state, port=0, state_file=state_file)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="replica", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# ---------------------------------------------------------------------- reporting


@dataclass(frozen=True)
class RequestSummary:
    """What the crawl asked the replica sites for."""

    requests: int
    article_pages: tuple[str, ...]  # host + path of each article page fetched
    not_modified: int
    errors: int

    @classmethod
    def from_log(cls, log: Sequence[dict[str, Any]], state: ReplicaState) -> RequestSummary:
        articles = {(host, a["path"]) for host, site in state.sites.items() for a in site.articles}
        pages = tuple(
            f"{r['host']}{r['path']}"
            for r in log
            if r["method"] == "GET" and (r["host"], r["path"]) in articles
        )
        return cls(
            requests=len(log),
            article_pages=pages,
            not_modified=sum(r["status"] == 304 for r in log),
            errors=sum(r["status"] >= 400 for r in log),
        )


@dataclass(frozen=True)
class DatabaseSummary:
    articles: int
    ai: int
    open_source_ai: int
    stories: int
    languages: dict[str, int]


def database_summary(db: sqlite_utils.Database) -> DatabaseSummary:
    """Counts for the demo's closing report (languages most frequent first)."""
    row = db.execute(
        "SELECT count(*), coalesce(sum(is_ai), 0), coalesce(sum(is_open_source_ai), 0), "
        "count(DISTINCT story_id) FROM articles"
    ).fetchone()
    languages = {
        str(lang or "?"): int(n)
        for lang, n in db.execute(
            "SELECT language, count(*) FROM articles GROUP BY language ORDER BY 2 DESC, 1"
        )
    }
    return DatabaseSummary(int(row[0]), int(row[1]), int(row[2]), int(row[3]), languages)
