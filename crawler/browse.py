"""Browsing the article database in Datasette: metadata, canned queries, the server.

``newswatch browse`` (:mod:`crawler.cli.browse`) starts ``datasette serve`` on the
database with the metadata built here: titles and descriptions of the tables, facets
on the articles (source, language, topic labels) and canned queries (latest
open-source-AI stories, coverage per source per week, diacritic-insensitive full-text
search). Datasette is the optional extra ``newswatch[browse]``.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Collection
from pathlib import Path
from typing import Any

HOMEPAGE = "https://github.com/newswatch-vn/newswatch"
INSTALL_HINT = "pip install 'newswatch[browse]'"


class BrowseError(Exception):
    """Datasette cannot be started as asked; the message says why."""


# ---------------------------------------------------------------------- canned queries

# The FTS index holds text with đ/Đ folded to d/D (the tokenizer removes the other
# marks), so the parameter is folded the same way, then quoted as one FTS5 phrase with
# inner quotes doubled: whatever is typed (quotes, NEAR, a colon, a star) is searched as
# words and can never be read as query syntax.
FTS_PHRASE = "'\"' || replace(replace(replace(:q, '\"', '\"\"'), 'đ', 'd'), 'Đ', 'D') || '\"'"

SEARCH_SQL = f"""
select a.published_at, a.source, a.language, a.title, a.summary, a.url,
  a.is_ai, a.is_open_source_ai, a.story_id, a.id
from articles_fts
join articles a on a.id = articles_fts.rowid
where articles_fts match {FTS_PHRASE}
order by bm25(articles_fts, 10.0, 4.0, 1.0)
limit 100
""".strip()

LATEST_OPEN_SOURCE_AI_SQL = """
with members as (
  select a.*,
    row_number() over (
      partition by a.story_id order by coalesce(a.published_utc, a.first_seen_at), a.id
    ) as rank_in_story
  from articles a
  where a.is_open_source_ai = 1
),
stories as (
  select story_id,
    count(*) as articles,
    group_concat(distinct source) as sources,
    group_concat(distinct language) as languages,
    min(coalesce(published_utc, first_seen_at)) as first_published
  from members
  group by story_id
)
select m.published_at, m.title, m.summary, m.source, m.language, m.url,
  s.articles as story_articles, s.sources as story_sources,
  s.languages as story_languages, m.story_id, m.id
from members m join stories s on s.story_id = m.story_id
where m.rank_in_story = 1
order by s.first_published desc, m.id desc
limit 100
""".strip()

# Weeks start on Monday, Vietnam time (UTC+7 all year round, like the digest's zone).
COVERAGE_SQL = """
select
  date(coalesce(published_utc, first_seen_at), '+7 hours', 'weekday 0', '-6 days')
    as week_of,
  source,
  count(*) as articles,
  sum(is_ai) as ai,
  sum(is_open_source_ai) as open_source_ai,
  count(distinct story_id) as stories
from articles
group by week_of, source
order by week_of desc, articles desc, source
""".strip()

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "latest_open_source_ai": {
        "title": "Latest open-source-AI stories",
        "description": "One row per story about open-source AI, newest first: its earliest "
        "article, and how many articles, sources and languages covered it.",
        "sql": LATEST_OPEN_SOURCE_AI_SQL,
    },
    "coverage_per_source_per_week": {
        "title": "Coverage per source per week",
        "description": "Articles, AI articles, open-source-AI articles and distinct stories "
        "per source per week (weeks start on Monday, Vietnam time).",
        "sql": COVERAGE_SQL,
    },
    "search": {
        "title": "Full-text search",
        "description": "Phrase search in titles, summaries and text, best match first, with "
        "or without Vietnamese diacritics: 'mã nguồn mở' = 'ma nguon mo', "
        "'điện toán' = 'dien toan'. For AND/OR/-word/prefix* queries use "
        "`newswatch search`.",
        "sql": SEARCH_SQL,
    },
}


# ---------------------------------------------------------------------- metadata

# Shown above the table: only the columns whose meaning is not obvious from their name.
ARTICLE_COLUMNS = {
    "is_ai": "1 when the classifier judged the article to be about AI",
    "is_open_source_ai": "1 when it is about open-source AI (open models, open weights...)",
    "matched_terms": "The classifier's evidence: [{term, field, count, topic}]",
    "story_id": "Shared by all copies and translations of one story",
}

TABLES: dict[str, dict[str, Any]] = {
    "articles": {
        "title": "Articles",
        "description": "One row per article (canonical URL), with the classifier's labels "
        "and the story it belongs to. Facet by source, language or topic label; "
        "for diacritic-insensitive search use the 'Full-text search' query.",
        "facets": ["source", "language", "is_ai", "is_open_source_ai"],
        "sort_desc": "published_utc",
        "label_column": "title",
        "columns": ARTICLE_COLUMNS,
    },
    "sources": {
        "title": "Sources",
        "description": "The configured sources, mirrored from sources.toml.",
    },
    "crawl_runs": {
        "title": "Crawl runs",
        "description": "One row per run (run, crawl, ingest, schedule, demo) with its status.",
        "facets": ["kind", "status"],
        "sort_desc": "id",
    },
    "run_sources": {
        "title": "Crawls per source",
        "description": "Per source per run: requests, 304s, articles found, new and "
        "updated, parse failures, errors by kind, field coverage, duration.",
        "facets": ["source", "status"],
        "sort_desc": "id",
    },
    "articles_search": {
        "title": "Searchable text",
        "description": "Title, summary and text with đ/Đ folded to d/D: what the "
        "articles_fts index holds (use the 'Full-text search' query to search).",
    },
    "http_cache": {
        "title": "Conditional GET cache",
        "description": "ETag and Last-Modified of each feed, sitemap and listing page.",
    },
    "digests": {
        "title": "Digests",
        "description": "Every digest created (the outbox): subject, stories carried, the "
        "name of its .eml/.html/.md files and the whole message as sent.",
        "sort_desc": "id",
    },
    "digest_items": {
        "title": "Digest items",
        "description": "The articles each digest carried: section (open_source_ai, "
        "other_ai), role (primary or 'also covered by' member) and position.",
        "facets": ["section", "role"],
    },
    "digest_recipients": {
        "title": "Deliveries",
        "description": "One row per digest per recipient ('files' for the archive): "
        "pending, sent or failed, with attempts and the last SMTP reply.",
        "facets": ["status", "recipient"],
        "sort_desc": "id",
    },
    "dedupe_signatures": {
        "title": "Story grouping",
        "description": "Why each article is in its story: the reason, the estimated "
        "similarity to a copy and the article that matched.",
        "facets": ["reason"],
    },
    "dedupe_links": {
        "title": "Links between articles",
        "description": "Source:/Nguồn: and canonical links an article makes; a link to a "
        "page stored later is resolved when it arrives.",
        "facets": ["kind"],
    },
    "cluster_jobs": {
        "title": "Cluster jobs",
        "description": "Crawls dispatched to Scrapyd nodes: node, source, state "
        "(dispatched, finished, ingested, lost) and what ingesting their items stored.",
        "facets": ["state", "node", "source"],
        "sort_desc": "dispatched_at",
    },
    # Internal indexes, meaningless to read.
    "articles_fts": {"hidden": True},
    "dedupe_bands": {"hidden": True},
    "dedupe_meta": {"hidden": True},
    "_sqlite_migrations": {"hidden": True},
}

DEMO_NOTE = (
    " This is the offline demo's database: its articles were written for newswatch's "
    "replica sites and are fictional, even though their URLs name real sites."
)


def datasette_metadata(
    db_name: str, *, tables: Collection[str] | None = None, demo: bool = False
) -> dict[str, Any]:
    """Datasette metadata for the database served as ``db_name`` (the file's stem).

    ``tables``: the tables the file holds (metadata for absent ones is left out).
    """
    wanted = {name: meta for name, meta in TABLES.items() if tables is None or name in tables}
    description = (
        "Articles about AI and open-source AI from Vietnamese official and press sources, "
        "collected by newswatch." + (DEMO_NOTE if demo else "")
    )
    return {
        "title": "newswatch",
        "description": description,
        "about": "newswatch",
        "about_url": HOMEPAGE,
        "databases": {
            db_name: {
                "title": f"newswatch: {db_name}",
                "description": description,
                "tables": wanted,
                "queries": CANNED_QUERIES,
            }
        },
    }


# ---------------------------------------------------------------------- the server


def graphical_session() -> bool:
    """Whether opening a browser makes sense. Without a display on Linux/BSD, Python's
    webbrowser falls back to text browsers that would take over this terminal."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def datasette_available() -> bool:
    return importlib.util.find_spec("datasette") is not None


def free_port(host: str) -> int:
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def check_port(host: str, port: int) -> None:
    """Fail early, with a clear message, when ``host:port`` cannot be listened on."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise BrowseError(
                f"cannot listen on {host}:{port} ({exc.strerror}); "
                "choose another port with --port N (0 picks a free one)"
            ) from None


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def base_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - display only
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def datasette_command(db_path: Path, metadata_path: Path, *, host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(db_path),
        "--metadata",
        str(metadata_path),
        "--host",
        host,
        "--port",
        str(port),
        # Article bodies are long: keep table pages readable.
        "--setting",
        "truncate_cells_html",
        "300",
        "--setting",
        "default_page_size",
        "50",
        # Facets are configured; suggestions would list every column.
        "--setting",
        "suggest_facets",
        "off",
    ]


def wait_until_ready(url: str, process: subprocess.Popen[Any], *, timeout: float = 60.0) -> None:
    """Poll ``url`` until Datasette answers; BrowseError if it exits or never answers."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrowseError(f"datasette exited with status {process.returncode}")
        try:
            with opener.open(f"{url}/-/versions.json", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise BrowseError(f"datasette did not answer on {url} within {timeout:.0f}s")


# Runs a demo database holds: the demo's cycles and the digest runs they record.
DEMO_RUN_KINDS = {"demo", "digest"}


def is_demo_database(db_path: Path) -> bool:
    """True when the file holds offline demo runs and no crawl of real sites."""
    import sqlite3

    try:
        conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            kinds = {r[0] for r in conn.execute("SELECT DISTINCT kind FROM crawl_runs")}
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return "demo" in kinds and kinds <= DEMO_RUN_KINDS


def table_names(db_path: Path) -> set[str]:
    import sqlite3

    conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return {
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        }
    finally:
        conn.close()
