"""Querying the article database: ``search``, ``export``, ``show``."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import click

from crawler.cli import App, UserError, cli, pass_app
from crawler.cli.output import WhenType, render_table, to_local, write_csv, write_jsonl
from storage import articles, stories
from storage import search as search_mod

# The export record. Keep these names: users build on them.
EXPORT_FIELDS = (
    "id",
    "url",
    "source",
    "title",
    "summary",
    "text",
    "authors",
    "published_at",
    "updated_at",
    "language",
    "is_ai",
    "is_open_source_ai",
    "ai_score",
    "open_source_ai_score",
    "matched_terms",
    "first_seen_at",
    "last_seen_at",
    "modified_at",
    "story_id",
    "duplicate_of",
    "original_url",
    "section",
    "content_hash",
)


def export_record(row: dict[str, Any]) -> dict[str, Any]:
    """One article as exported: the documented fields, in order."""
    return {name: row.get(name) for name in EXPORT_FIELDS}


def filter_options(func: Any) -> Any:
    """--since/--until/--source/--topic/--language/--one-per-story, shared by search and export."""
    options = [
        click.option(
            "--since",
            type=WhenType(),
            help="Published (or first seen) at or after DATE: 2026-03-07, ISO time, or 24h/7d/2w.",
        ),
        click.option("--until", type=WhenType(), help="Published (or first seen) before DATE."),
        click.option(
            "--source",
            "sources",
            multiple=True,
            metavar="ID",
            help="Only this source (repeatable).",
        ),
        click.option(
            "--topic",
            type=click.Choice(search_mod.TOPICS),
            help="Only articles labelled ai or open-source-ai.",
        ),
        click.option("--language", metavar="CODE", help="Only this language (vi, en, fr...)."),
        click.option(
            "--one-per-story",
            is_flag=True,
            help="Collapse copies and translations: one row per story.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _filters(
    app: App,
    since: str | None,
    until: str | None,
    sources: tuple[str, ...],
    topic: str | None,
    language: str | None,
    one_per_story: bool,
) -> search_mod.Filters:
    if sources:
        app.select_sources(sources, include_disabled=True)  # validates the ids
    return search_mod.Filters(
        since=since,
        until=until,
        sources=sources,
        topic=topic,
        language=language,
        one_per_story=one_per_story,
    )


@cli.command()
@click.argument("query")
@filter_options
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Maximum results.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@pass_app
def search(
    app: App,
    query: str,
    since: str | None,
    until: str | None,
    sources: tuple[str, ...],
    topic: str | None,
    language: str | None,
    one_per_story: bool,
    limit: int,
    fmt: str,
) -> None:
    """Full-text search of stored articles, best match first.

    Works with or without Vietnamese diacritics: "dien toan dam may" finds "Điện toán
    đám mây". Words are ANDed; use "quoted phrases", OR between terms, -word to exclude,
    word* for a prefix.
    """
    filters = _filters(app, since, until, sources, topic, language, one_per_story)
    color = fmt == "table" and sys.stdout.isatty()
    mark = ("\x1b[1;33m", "\x1b[0m") if color else ("[", "]")
    results = search_mod.search(app.db, query, filters, limit=limit, mark=mark)
    if fmt == "json":
        write_jsonl(
            ({**export_record(r), "rank": r["rank"], "snippet": r["snippet"]} for r in results),
            sys.stdout,
        )
        return
    if fmt == "csv":
        write_csv(
            ({**r, "rank": r["rank"], "snippet": r["snippet"]} for r in results),
            sys.stdout,
            (*EXPORT_FIELDS[:11], "rank", "snippet"),
        )
        return
    if not results:
        click.echo("No matching articles.", err=True)
        return
    tz = app.settings.digest.timezone
    rows = [
        {
            "id": r["id"],
            "published": to_local(r["published_at"], tz),
            "source": r["source"],
            "topic": "open-source-ai" if r["is_open_source_ai"] else ("ai" if r["is_ai"] else ""),
            "title": r["title"],
        }
        for r in results
    ]
    lines = render_table(rows, ["id", "published", "source", "topic", "title"], flex="title").split(
        "\n"
    )
    click.echo(click.style(lines[0], bold=True) if color else lines[0])
    for line, r in zip(lines[1:], results, strict=True):
        click.echo(line)
        click.echo(f"    {r['snippet']}")
        click.echo(f"    {r['url']}")


@cli.command()
@filter_options
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to FILE instead of standard output.",
)
@click.option("--limit", type=click.IntRange(1), help="At most N articles.")
@pass_app
def export(
    app: App,
    since: str | None,
    until: str | None,
    sources: tuple[str, ...],
    topic: str | None,
    language: str | None,
    one_per_story: bool,
    fmt: str,
    output: Path | None,
    limit: int | None,
) -> None:
    """Export stored articles as JSON lines or CSV, newest first.

    Fields: id, url, source, title, summary, text, authors, published_at (ISO 8601 with
    offset, or null), updated_at, language, is_ai, is_open_source_ai, ai_score,
    open_source_ai_score, matched_terms, first_seen_at, last_seen_at, modified_at,
    story_id, duplicate_of, original_url, section, content_hash.
    """
    filters = _filters(app, since, until, sources, topic, language, one_per_story)
    records = (export_record(r) for r in search_mod.list_articles(app.db, filters, limit=limit))
    stream = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        count = (
            write_jsonl(records, stream)
            if fmt == "jsonl"
            else write_csv(records, stream, EXPORT_FIELDS)
        )
    finally:
        if output:
            stream.close()
    if output:
        click.echo(f"Exported {count} articles to {output}.", err=True)


def _describe_grouping(grouping: stories.Grouping) -> str:
    """Why an article is in its story, in words."""
    other = f"#{grouping.matched_id}" if grouping.matched_id else "another article"
    if grouping.reason == "near-duplicate":
        return f"text nearly identical to {other} (similarity {grouping.similarity:.2f})"
    if grouping.reason == "translation-link":
        return f"its Source: link names {other}"
    if grouping.reason == "canonical-link":
        return f"its canonical/og:url is {other}"
    if grouping.reason == "pending-link":
        return f"{other} names this page as its source or canonical page"
    return grouping.reason


@cli.command()
@click.argument("article")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_app
def show(app: App, article: str, fmt: str) -> None:
    """Show one stored article (by id or URL), its labels, evidence and story members."""
    row = articles.get_article(app.db, article)
    if row is None:
        raise UserError(f"no stored article with id or URL {article!r}", 1)
    members = (
        [m for m in articles.story_members(app.db, row["story_id"]) if m["id"] != row["id"]]
        if row.get("story_id")
        else []
    )
    grouping = stories.grouping_of(app.db, row["id"])
    if fmt == "json":
        record = {
            **row,
            "story_members": members,
            "grouping": dataclasses.asdict(grouping) if grouping else None,
        }
        click.echo(json.dumps(record, ensure_ascii=False, indent=2, default=str))
        return
    tz = app.settings.digest.timezone
    labels = (
        ", ".join(
            label
            for label, on in (("AI", row["is_ai"]), ("open-source AI", row["is_open_source_ai"]))
            if on
        )
        or "not AI"
    )
    lines = [
        click.style(row["title"], bold=True),
        f"id {row['id']} · {row['source']} · {row['language'] or '?'} · {labels}",
        f"url:        {row['url']}",
        f"published:  {row['published_at'] or 'unknown'}"
        + (f"  ({to_local(row['published_at'], tz)} {tz})" if row["published_at"] else ""),
        f"authors:    {', '.join(row['authors']) or '-'}",
        f"first seen: {row['first_seen_at']}   last seen: {row['last_seen_at']}"
        + (f"   content updated: {row['updated_at']}" if row.get("updated_at") else ""),
        f"scores:     ai {row['ai_score']}  open-source ai {row['open_source_ai_score']}",
    ]
    if row["matched_terms"]:
        evidence = "; ".join(
            f"{m['term']} ({m['field']} ×{m['count']})" for m in row["matched_terms"]
        )
        lines.append(f"evidence:   {evidence}")
    if row.get("original_url"):
        lines.append(f"original:   {row['original_url']}")
    if row.get("duplicate_of"):
        lines.append(f"copy of:    #{row['duplicate_of']} (the story's first published member)")
    if grouping is not None and grouping.reason not in ("new-story", "existing-story"):
        lines.append(f"grouped:    {_describe_grouping(grouping)}")
    if members:
        lines.append(f"story {row['story_id']}, also covered by:")
        lines.extend(
            f"  #{m['id']} {m['source']} [{m['language'] or '?'}] {m['title']}  {m['url']}"
            + ("  (primary)" if m["duplicate_of"] is None else "")
            for m in members
        )
    if row.get("summary"):
        lines += ["", row["summary"]]
    lines += ["", row["text"]]
    click.echo("\n".join(lines))
