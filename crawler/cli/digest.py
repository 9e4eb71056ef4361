"""``newswatch digest``: send the digest of new open-source-AI stories, write files and feed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from crawler.cli import EXIT_ERROR, EXIT_LOCKED, App, UserError, cli, pass_app
from crawler.cli.crawl import _health
from crawler.cycle import Cycle
from crawler.digest import run_digest


@cli.command()
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the digest(s) that would be created; send, write and mark nothing.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the digest files and the Atom feed (overrides digest.output_dir).",
)
@pass_app
def digest(app: App, dry_run: bool, out_dir: Path | None) -> None:
    """Send a digest of new open-source-AI stories, write it as files, refresh the feed.

    Deliveries left pending by an earlier run are retried first (same Message-ID). Then,
    when open-source-AI stories were stored that a recipient has not had, one digest is
    created and sent: by e-mail to digest.recipients when smtp.host is set, and always
    as .eml/.html/.md files in the output folder. With nothing new, nothing is sent.
    The Atom feed open-source-ai.atom in the output folder is rewritten every time.

    Exit status 0 when everything was delivered; 1 when a delivery failed or is still
    pending (it is retried on the next run; `newswatch status` shows it).
    """
    try:
        if dry_run:
            report = run_digest(
                app.db, app.settings, health=_health(app), dry_run=True, out_dir=out_dir
            )
        else:
            # Recorded as a "digest" run, so the scheduler's catch-up sees it.
            cycle = Cycle(app.db, app.settings, topics_path=None)
            _, report = cycle.digest(lambda: _health(app), out_dir=out_dir)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise UserError(
                f"the database is busy (another run holds the lock): {exc}", EXIT_LOCKED
            ) from None
        raise
    if dry_run:
        for preview in report.previews:
            click.echo(f"To: {', '.join(preview.recipients)}")
            click.echo(f"Subject: {preview.subject}\n")
            click.echo(preview.text)
        click.echo(report.summary(), err=True)  # stdout holds only the rendered digests
        return
    click.echo(report.summary())
    if not report.ok:
        raise UserError("some deliveries did not go through (see above)", EXIT_ERROR)
