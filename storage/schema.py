"""The database schema, as sqlite-utils migrations (applied on open, safe to run twice).

Documented for users in README.md, section "Database". Times are ISO 8601 text:
``published_at`` keeps the offset the site used (e.g. ``2026-03-07T08:52:00+07:00``);
``*_utc`` and bookkeeping columns (``first_seen_at``...) are UTC (``...+00:00``).
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("newswatch")


def fold_dd_sql(expr: str) -> str:
    """SQL that maps đ/Đ to d/D, the folding FTS5's unicode61 tokenizer does not do."""
    return f"replace(replace(coalesce({expr}, ''), 'đ', 'd'), 'Đ', 'D')"


FTS_COLUMNS = ("title", "summary", "text")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            home TEXT NOT NULL,
            parser TEXT NOT NULL,
            language TEXT,
            enabled INTEGER NOT NULL DEFAULT 1,
            config TEXT,              -- the source's block from sources.toml, as JSON
            updated_at TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,         -- canonical URL: the identity
            source TEXT NOT NULL,
            title TEXT NOT NULL,
            summary TEXT,
            text TEXT NOT NULL,
            authors TEXT NOT NULL DEFAULT '[]',   -- JSON list
            published_at TEXT,                -- ISO 8601 with the site's UTC offset
            published_utc TEXT,               -- same instant in UTC, for sorting/filtering
            modified_at TEXT,                 -- the site's own modification time
            updated_at TEXT,                  -- when newswatch stored changed content
            language TEXT,
            section TEXT,
            image_url TEXT,
            fetched_url TEXT,
            original_url TEXT,                -- "Source:/Nguồn:" link: the page translated
            related_urls TEXT NOT NULL DEFAULT '[]',
            content_hash TEXT NOT NULL,
            previous_content_hash TEXT,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            extraction TEXT NOT NULL DEFAULT '{}',  -- field -> method that supplied it
            flags TEXT NOT NULL DEFAULT '[]',
            parser TEXT,
            is_ai INTEGER NOT NULL DEFAULT 0,
            is_open_source_ai INTEGER NOT NULL DEFAULT 0,
            ai_score REAL NOT NULL DEFAULT 0,
            open_source_ai_score REAL NOT NULL DEFAULT 0,
            matched_terms TEXT NOT NULL DEFAULT '[]',  -- [{term, field, count, topic}]
            topics_version TEXT,
            story_id INTEGER,                 -- shared by all copies/translations of a story
            duplicate_of INTEGER REFERENCES articles(id) ON DELETE SET NULL
        )
        """
    )
    for columns in (
        ("source",),
        ("published_utc",),
        ("first_seen_at",),
        ("story_id",),
        ("is_open_source_ai", "first_seen_at"),
        ("is_ai", "first_seen_at"),
        ("original_url",),
    ):
        db.table("articles").create_index(list(columns))

    # Full-text search. The index is fed with đ/Đ folded to d/D (a view supplies the same
    # folded text as external content, so snippet/rebuild/integrity-check agree), and the
    # unicode61 tokenizer with remove_diacritics 2 folds every other mark (1 misses ộ, ệ).
    folded = ", ".join(f"{fold_dd_sql(c)} AS {c}" for c in FTS_COLUMNS)
    db.execute(f"CREATE VIEW articles_search AS SELECT id, {folded} FROM articles")
    db.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, summary, text, "
        "content='articles_search', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    cols = ", ".join(FTS_COLUMNS)
    new_values = ", ".join(fold_dd_sql(f"new.{c}") for c in FTS_COLUMNS)
    old_values = ", ".join(fold_dd_sql(f"old.{c}") for c in FTS_COLUMNS)
    db.execute(
        f"CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
        f"INSERT INTO articles_fts(rowid, {cols}) VALUES (new.id, {new_values}); END"
    )
    db.execute(
        f"CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
        f"INSERT INTO articles_fts(articles_fts, rowid, {cols}) "
        f"VALUES ('delete', old.id, {old_values}); END"
    )
    db.execute(
        f"CREATE TRIGGER articles_fts_au AFTER UPDATE OF {cols} ON articles BEGIN "
        f"INSERT INTO articles_fts(articles_fts, rowid, {cols}) "
        f"VALUES ('delete', old.id, {old_values}); "
        f"INSERT INTO articles_fts(rowid, {cols}) VALUES (new.id, {new_values}); END"
    )

    db.execute(
        """
        CREATE TABLE http_cache (
            url TEXT PRIMARY KEY,             -- feed, sitemap or listing page
            source TEXT,
            etag TEXT,
            last_modified TEXT,
            status INTEGER,
            checked_at TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,               -- crawl | run | schedule | ingest | demo
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,             -- running | ok | partial | failed | interrupted
            pid INTEGER,
            host TEXT,
            sources TEXT NOT NULL DEFAULT '[]',
            note TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE run_sources (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES crawl_runs(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,             -- running | ok | failed | timeout | killed
            finish_reason TEXT,
            requests INTEGER NOT NULL DEFAULT 0,
            responses_304 INTEGER NOT NULL DEFAULT 0,
            article_pages INTEGER NOT NULL DEFAULT 0,
            articles_found INTEGER NOT NULL DEFAULT 0,
            articles_new INTEGER NOT NULL DEFAULT 0,
            articles_updated INTEGER NOT NULL DEFAULT 0,
            articles_unchanged INTEGER NOT NULL DEFAULT 0,
            parse_failures INTEGER NOT NULL DEFAULT 0,
            error_count INTEGER NOT NULL DEFAULT 0,
            errors TEXT NOT NULL DEFAULT '{}',     -- {kind: count}
            coverage_title REAL,
            coverage_published REAL,
            coverage_text REAL,
            duration_s REAL,
            last_error TEXT,
            log_path TEXT,
            stats TEXT NOT NULL DEFAULT '{}'       -- the crawler's raw stats, JSON
        )
        """
    )
    db.table("run_sources").create_index(["source", "started_at"])
    db.table("run_sources").create_index(["run_id"])


@migrations()
def m002_digests(db: sqlite_utils.Database) -> None:
    """Digest outbox: a digest, the articles it carries and one delivery row per recipient.

    A digest and its rows are written in one transaction before anything is sent; the
    message is stored whole so that a retry sends the same bytes (same Message-ID).
    """
    db.execute(
        """
        CREATE TABLE digests (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,          -- UTC
            message_id TEXT NOT NULL UNIQUE,   -- <...@...>, the same on every retry
            content_key TEXT NOT NULL UNIQUE,  -- recipients + their digest counts + articles
            subject TEXT NOT NULL,
            stories INTEGER NOT NULL,          -- open-source-AI stories carried
            other_stories INTEGER NOT NULL DEFAULT 0,   -- other AI stories carried
            health_alerts INTEGER NOT NULL DEFAULT 0,   -- unhealthy sources listed
            file_stem TEXT NOT NULL,           -- name of the .eml/.html/.md files
            message BLOB NOT NULL,             -- the complete RFC 5322 message (CRLF)
            markdown TEXT NOT NULL             -- the Markdown rendering (the .md file)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE digest_items (
            id INTEGER PRIMARY KEY,
            digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
            article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
            story_id INTEGER NOT NULL,         -- the article's story when the digest was made
            section TEXT NOT NULL,             -- open_source_ai | other_ai
            role TEXT NOT NULL,                -- primary | member ("also covered by")
            position INTEGER NOT NULL,         -- entry number within its section, from 1
            url TEXT NOT NULL,                 -- as carried (history survives article deletion)
            title TEXT NOT NULL,
            UNIQUE (digest_id, article_id)
        )
        """
    )
    db.table("digest_items").create_index(["article_id"])
    db.execute(
        """
        CREATE TABLE digest_recipients (
            id INTEGER PRIMARY KEY,
            digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
            recipient TEXT NOT NULL,           -- an e-mail address, or "files"
            status TEXT NOT NULL DEFAULT 'pending',   -- pending | sent | failed
            attempts INTEGER NOT NULL DEFAULT 0,
            last_attempt_at TEXT,
            sent_at TEXT,
            smtp_code INTEGER,                 -- the server's last reply code, if any
            last_error TEXT,
            claimed_by TEXT,                   -- "host:pid" delivering it right now
            claimed_at TEXT,
            UNIQUE (digest_id, recipient)
        )
        """
    )
    db.table("digest_recipients").create_index(["recipient", "status"])
    db.table("digest_recipients").create_index(["status"])


@migrations()
def m003_run_health(db: sqlite_utils.Database) -> None:
    """Per-source run counters that health monitoring needs as columns.

    ``entry_points`` (configured feeds, sitemaps and listings), ``entry_points_ok`` (those
    that answered, 304 included: a run whose answers were all 304 found nothing because
    nothing changed) and ``articles_extracted`` (article pages that yielded an article;
    the ``coverage_*`` shares are relative to it). Older rows are filled in from the raw
    stats they kept.
    """
    for column in ("entry_points", "entry_points_ok", "articles_extracted"):
        db.execute(f"ALTER TABLE run_sources ADD COLUMN {column} INTEGER")
    db.execute(
        """
        UPDATE run_sources SET
            entry_points_ok = json_extract(stats, '$."newswatch/entry_points_ok"'),
            articles_extracted = json_extract(stats, '$."newswatch/articles_extracted"')
        WHERE stats != '{}'
        """
    )
    db.execute(
        "UPDATE run_sources SET entry_points_ok = coalesce(entry_points_ok, 0), "
        "articles_extracted = coalesce(articles_extracted, 0) WHERE stats != '{}'"
    )


@migrations()
def m004_dedupe(db: sqlite_utils.Database) -> None:
    """Story grouping: MinHash signatures, LSH band buckets and links between pages.

    ``dedupe_bands`` is the persisted LSH index: an article is a candidate copy of
    another when one of its bands hashes to the same bucket, found by primary-key
    lookups, so the cost of deduplicating one article does not grow with the table.
    ``dedupe_links`` keeps every "Source:"/canonical/og:url link an article makes, so a
    link to a page not stored yet is resolved when that page arrives.
    """
    db.execute(
        """
        CREATE TABLE dedupe_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL             -- JSON
        )
        """
    )
    db.execute(
        """
        CREATE TABLE dedupe_signatures (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            content_hash TEXT NOT NULL,       -- articles.content_hash the signature was made from
            tokens INTEGER NOT NULL,          -- words in the normalised text
            hashvalues BLOB,                  -- MinHash, uint32 little-endian; NULL if too short
            reason TEXT NOT NULL,             -- why the article is in its story
            similarity REAL,                  -- best estimated Jaccard with a copy, if any
            matched_id INTEGER,               -- the article that caused the grouping, if any
            assigned_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE dedupe_bands (
            band INTEGER NOT NULL,
            bucket INTEGER NOT NULL,          -- 64-bit hash of the band's MinHash values
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            PRIMARY KEY (band, bucket, article_id)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX dedupe_bands_article ON dedupe_bands(article_id)")
    db.execute(
        """
        CREATE TABLE dedupe_links (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            url TEXT NOT NULL,                -- canonical URL the article points to
            kind TEXT NOT NULL,               -- original | related
            PRIMARY KEY (article_id, url)
        )
        """
    )
    db.execute("CREATE INDEX dedupe_links_url ON dedupe_links(url)")
    # Links are resolved against fetched_url too (a "Source:" link may name the URL
    # before a redirect); get_article's lookup by fetched URL uses the index as well.
    db.table("articles").create_index(["fetched_url"])


@migrations()
def m005_cluster_jobs(db: sqlite_utils.Database) -> None:
    """Crawl jobs dispatched to Scrapyd nodes, and how far their items were ingested.

    Workers never write to the database: the node running ``newswatch`` reads each job's
    item feed and stores it. ``lines_ingested`` moves in the same transaction as the
    articles it covers, so an ingest that is interrupted and run again resumes where it
    stopped and stores nothing twice; the ``articles_*`` counters add up across resumes.
    """
    db.execute(
        """
        CREATE TABLE cluster_jobs (
            job_id TEXT PRIMARY KEY,          -- the Scrapyd job id newswatch chose
            node TEXT NOT NULL,               -- the Scrapyd base URL
            project TEXT NOT NULL,
            version TEXT,                     -- the deployed egg version the job runs
            source TEXT NOT NULL,
            run_id INTEGER REFERENCES crawl_runs(id) ON DELETE SET NULL,
            run_source_id INTEGER REFERENCES run_sources(id) ON DELETE SET NULL,
            attempt INTEGER NOT NULL DEFAULT 1,  -- 2+: retried after its node went down
            state TEXT NOT NULL,              -- dispatched | finished | ingested | lost
            outcome TEXT,                     -- the run_sources status it was recorded with
            dispatched_at TEXT NOT NULL,
            finished_at TEXT,
            cancelled_at TEXT,                -- cancel.json sent (timeout or shutdown)
            ingested_at TEXT,
            lines_ingested INTEGER NOT NULL DEFAULT 0,
            articles_new INTEGER NOT NULL DEFAULT 0,
            articles_updated INTEGER NOT NULL DEFAULT 0,
            articles_unchanged INTEGER NOT NULL DEFAULT 0,
            coverage TEXT NOT NULL DEFAULT '{}',   -- field -> articles having it
            validators_saved INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        )
        """
    )
    db.table("cluster_jobs").create_index(["state"])
    db.table("cluster_jobs").create_index(["source", "dispatched_at"])
