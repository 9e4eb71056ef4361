"""Story grouping: ``dedupe status`` and ``dedupe rebuild``."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

import click

from crawler.cli import EXIT_LOCKED, EXIT_STORAGE, App, UserError, cli, pass_app
from crawler.dedupe import Deduper, IndexParams
from storage import stories


@cli.group()
def dedupe() -> None:
    """Inspect or rebuild the grouping of copies and translations into stories."""


@dedupe.command("status")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--check", is_flag=True, help="Also verify the story invariants (slower).")
@pass_app
def dedupe_status(app: App, fmt: str, check: bool) -> None:
    """Stories, copies, pending links, and whether the index matches the settings.

    A "pending" link is a "Source:" or canonical link to a page not stored yet: the
    two join one story when that page arrives. With --check, exits 1 when a story
    invariant is violated (each story one primary, the earliest published).
    """
    db = app.db
    deduper = Deduper(db, app.settings.dedupe)
    stored = stories.index_params(db)
    counts = stories.dedupe_stats(db)
    problems = stories.check_invariants(db) if check else None
    report: dict[str, Any] = {
        "settings": {**deduper.wanted.to_dict(), "threshold": app.settings.dedupe.threshold},
        "index": {**stored, "threshold": stories.grouping_threshold(db)} if stored else None,
        "rebuild_needed": deduper.is_stale() or counts["not_indexed"] > 0,
        **counts,
        "pending": stories.pending_links(db, limit=20),
    }
    if problems is not None:
        report["problems"] = problems
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_status(report, deduper.wanted)
    if problems:
        raise UserError(f"{len(problems)} story invariant violations", 1)


def _print_status(report: dict[str, Any], wanted: IndexParams) -> None:
    index = report["index"]
    settings = report["settings"]
    if index is None:
        click.echo("Story index: empty (built on the first article stored).")
    else:
        click.echo(
            f"Story index: threshold {index['threshold']}, {index['num_perm']} permutations, "
            f"{index['shingle_size']}-word shingles, {index['bands']} bands of {index['rows']}."
        )
    if report["rebuild_needed"]:
        click.echo(
            f"Settings ask for threshold {settings['threshold']}, {wanted.num_perm} "
            f"permutations, {wanted.shingle_size}-word shingles; "
            f"{report['not_indexed']} articles are not indexed. "
            "Run `newswatch dedupe rebuild` to regroup every article."
        )
    click.echo(
        f"{report['articles']} articles in {report['stories']} stories; "
        f"{report['stories_with_copies']} stories have copies or translations "
        f"({report['copies']} articles point at a primary)."
    )
    click.echo(
        f"{report['signatures']} signatures ({report['too_short']} texts too short to compare), "
        f"{report['bands']} index entries, {report['links']} links, "
        f"{report['pending_links']} pending."
    )
    for link in report["pending"]:
        click.echo(f"  pending: #{link['article_id']} -> {link['url']} ({link['kind']})")
    problems = report.get("problems")
    if problems is not None:
        click.echo("Invariants: ok." if not problems else "Invariant violations:")
        for problem in problems[:50]:
            click.echo(f"  {problem}")


@dedupe.command("rebuild")
@click.option(
    "--batch-size",
    default=500,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Articles regrouped per transaction (a crawl can write between batches).",
)
@pass_app
def dedupe_rebuild(app: App, batch_size: int) -> None:
    """Recompute every signature and regroup all stored articles from scratch.

    Needed after changing dedupe.threshold, num_perm or shingle_size, and to group
    articles stored before story grouping existed. Stories keep the id of their first
    stored member. While it runs stories are incomplete; if interrupted, run it again.
    """
    deduper = Deduper(app.db, app.settings.dedupe)
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        click.echo(f"regrouped {done}/{total} articles", err=True)

    try:
        count = deduper.rebuild(batch_size=batch_size, progress=progress)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise UserError(
                "the database stayed locked by another writer; try again later", EXIT_LOCKED
            ) from None
        raise UserError(f"cannot rebuild the story index: {exc}", EXIT_STORAGE) from None
    counts = stories.dedupe_stats(app.db)
    click.echo(
        f"Regrouped {count} articles into {counts['stories']} stories "
        f"({counts['stories_with_copies']} with copies or translations) "
        f"in {time.monotonic() - started:.1f}s."
    )
