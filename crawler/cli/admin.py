"""Inspecting newswatch itself: ``sources``, ``status``, ``config show``."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import sqlite_utils

from crawler.cli import App, cli, pass_app
from crawler.cli.output import render_table, to_local
from crawler.config import iter_config_lines, settings_as_dict
from crawler.digest import digest_status
from storage import runs


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--all", "show_all", is_flag=True, help="Include disabled sources.")
@pass_app
def sources(app: App, fmt: str, show_all: bool) -> None:
    """List the configured sources with their entry points and crawl state."""
    db = app.db
    runs.sync_sources(db, app.sources.values())
    counts = {
        row["source"]: row
        for row in db.query(
            "SELECT source, count(*) AS articles, sum(is_ai) AS ai, "
            "sum(is_open_source_ai) AS osai, max(first_seen_at) AS newest "
            "FROM articles GROUP BY source"
        )
    }
    rows = []
    for source in app.sources.values():
        if not (source.enabled or show_all):
            continue
        history = runs.source_history(db, source.id, limit=1)
        last = history[0] if history else None
        stats = counts.get(source.id, {})
        rows.append(
            {
                "id": source.id,
                "name": source.name,
                "enabled": source.enabled,
                "parser": source.parser,
                "entry_points": len(source.entry_points),
                "articles": stats.get("articles", 0),
                "ai": stats.get("ai") or 0,
                "open_source_ai": stats.get("osai") or 0,
                "last_crawl": to_local(last["finished_at"], app.settings.schedule.timezone)
                if last
                else "",
                "last_status": last["status"] if last else "never",
                "home": source.home,
            }
        )
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(
        render_table(
            rows,
            [
                "id",
                "name",
                "parser",
                "articles",
                "ai",
                "open_source_ai",
                "last_crawl",
                "last_status",
            ],
            flex="name",
        )
    )


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--runs",
    "run_count",
    default=5,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Recent runs to list.",
)
@pass_app
def status(app: App, fmt: str, run_count: int) -> None:
    """Health of each source, recent runs, the scheduler and the last digests.

    Per source: its health (ok, failing, empty, degraded, never crawled) and why, when
    it last crawled successfully, how its recent crawls went (`health.history_runs` of
    them: how many ok, article links found, new articles) and its last error.
    """
    from crawler.health import assess

    db = app.db
    tz = app.settings.schedule.timezone
    window = app.settings.health.history_runs
    verdicts = {h.source: h for h in assess(db, app.settings, app.sources.values())}
    per_source = []
    for source in app.sources.values():
        history = runs.crawl_history(db, source.id, limit=window)
        health = verdicts[source.id]
        per_source.append(
            {
                "source": source.id,
                "health": health.status if source.enabled else f"disabled ({health.status})",
                "last_success": to_local(health.last_success, tz),
                "last_status": history[0]["status"] if history else "never",
                "ok_runs": f"{sum(h['status'] == 'ok' for h in history)}/{len(history)}",
                "found": sum(h["articles_found"] or 0 for h in history),
                "new": sum(h["articles_new"] or 0 for h in history),
                "reason": health.reason,
                "last_error": health.last_error or "",
            }
        )
    total = db.execute(
        "SELECT count(*), sum(is_ai), sum(is_open_source_ai) FROM articles"
    ).fetchone()
    summary = {"articles": total[0], "ai": total[1] or 0, "open_source_ai": total[2] or 0}
    daemon = _daemon_state(db)
    digests = digest_status(db)
    recent = runs.recent_runs(db, run_count)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "articles": summary,
                    "scheduler": daemon,
                    "sources": per_source,
                    "runs": recent,
                    "digests": digests,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(
        f"Database {app.settings.storage.path}: {summary['articles']} articles, "
        f"{summary['ai']} AI, {summary['open_source_ai']} open-source AI."
    )
    click.echo(_daemon_line(daemon, tz))
    click.echo(f"\nSources (last {window} crawls each):")
    click.echo(
        render_table(
            [{**r, "last_success": r["last_success"] or "never"} for r in per_source],
            [
                "source",
                "health",
                "last_success",
                "last_status",
                "ok_runs",
                "found",
                "new",
                "last_error",
            ],
            flex="last_error",
        )
    )
    notes = [
        r
        for r in per_source
        if r["health"] not in ("ok", "never crawled") or r["last_status"] not in ("ok", "never")
    ]
    for row in notes:
        click.echo(f"  {row['source']} ({row['health']}): {row['reason']}")
    click.echo("\nRecent runs:")
    click.echo(
        render_table(
            [
                {
                    **r,
                    "started": to_local(r["started_at"], tz),
                    "finished": to_local(r["finished_at"], tz),
                }
                for r in recent
            ],
            ["id", "kind", "started", "finished", "status", "note"],
            flex="note",
        )
        or "  (none yet: run `newswatch run`)"
    )
    click.echo("\nLast digests:")
    click.echo(_digest_table(digests, tz))


def _daemon_state(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The scheduler daemon's latest record (kind "schedule"), if it ever ran."""
    rows = list(
        db.query(
            "SELECT id, started_at, finished_at, status, pid, host, note FROM crawl_runs "
            "WHERE kind = 'schedule' ORDER BY id DESC LIMIT 1"
        )
    )
    return rows[0] if rows else None


def _daemon_line(daemon: dict[str, Any] | None, tz: str) -> str:
    if daemon is None:
        return "Scheduler: never started (`newswatch schedule`, or cron running `newswatch run`)."
    if runs.is_stale(daemon):
        return (
            f"Scheduler: not running (pid {daemon['pid']} started "
            f"{to_local(daemon['started_at'], tz)} and ended without recording a stop)."
        )
    if daemon["status"] == "running":
        return (
            f"Scheduler: running since {to_local(daemon['started_at'], tz)} "
            f"(pid {daemon['pid']} on {daemon['host']})."
        )
    return (
        f"Scheduler: not running (last stopped {to_local(daemon['finished_at'], tz)}, "
        f"{daemon['status']})."
    )


def _digest_table(rows: list[dict[str, Any]], tz: str) -> str:
    return (
        render_table(
            [{**d, "created": to_local(d["created_at"], tz)} for d in rows],
            ["digest_id", "created", "stories", "recipient", "status", "attempts", "last_error"],
            flex="last_error",
        )
        or "  (none yet: run `newswatch digest`)"
    )


@cli.group()
def config() -> None:
    """Inspect the effective configuration."""


@config.command("show")
@click.option(
    "--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True
)
@pass_app
def config_show(app: App, fmt: str) -> None:
    """Print the effective settings (defaults < file < environment < flags), secrets redacted."""
    settings = app.settings
    data = settings_as_dict(settings)
    origin = str(settings.config_path) if settings.config_path else "packaged defaults only"
    files = {
        "settings": origin,
        "sources": _path_or_error(app, "sources"),
        "topics": _path_or_error(app, "topics"),
    }
    if fmt == "json":
        json.dump({"files_in_use": files, **data}, sys.stdout, ensure_ascii=False, indent=2)
        click.echo()
        return
    click.echo(f"# settings file: {files['settings']}")
    click.echo(f"# sources file:  {files['sources']}")
    click.echo(f"# topics file:   {files['topics']}")
    click.echo(f"# user agent:    {settings.user_agent}\n")
    for line in iter_config_lines(data):
        click.echo(line)


def _path_or_error(app: App, which: str) -> str:
    from crawler.config import ConfigError, resolve_file

    try:
        return str(resolve_file(app.settings, getattr(app.settings.files, which)))
    except ConfigError as exc:
        return f"(missing: {exc})"
