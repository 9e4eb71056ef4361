"""Classification from the command line: ``classify`` (your own text) and ``reclassify``."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from crawler.classify import Classifier, JsonlError, TopicsError, classify_jsonl, load_topics
from crawler.cli import EXIT_ERROR, App, UserError, cli, pass_app
from storage import articles


def _classifier(app: App, topics: Path | None) -> tuple[Classifier, str]:
    path = topics or app.topics_path
    try:
        loaded = load_topics(path)
    except TopicsError as exc:
        raise UserError(str(exc)) from None
    return Classifier(loaded), loaded.digest()


@cli.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.option(
    "--topics",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Rules file [default: the configured topics.toml].",
)
@pass_app
def classify(app: App, file: Any, topics: Path | None) -> None:
    """Classify JSON lines from FILE (or standard input) and print them with labels added.

    Each input line is an object with "title" and "text" (optional "summary",
    "language"); it is written back with is_ai, is_open_source_ai, ai_score,
    open_source_ai_score and matched_terms added. Use it to try a change to
    topics.toml on text of your own before running `newswatch reclassify`.
    """
    classifier, _ = _classifier(app, topics)
    try:
        classify_jsonl(file, sys.stdout, classifier)
    except JsonlError as exc:
        raise UserError(str(exc), EXIT_ERROR) from None


@cli.command()
@click.option(
    "--batch",
    default=2000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Articles per transaction.",
)
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option(
    "--topics",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Rules file [default: the configured topics.toml].",
)
@pass_app
def reclassify(app: App, batch: int, dry_run: bool, topics: Path | None) -> None:
    """Re-apply the current topics.toml to every stored article and report what changed.

    Labels, scores and evidence are rewritten in batches; articles that became
    open-source AI are offered by the next digest like any new story.
    """
    classifier, version = _classifier(app, topics)
    db = app.db
    started = time.monotonic()
    total = changed_ai = changed_osai = became_osai = 0
    pending: list[tuple[int, Any]] = []

    def flush() -> None:
        if pending and not dry_run:
            articles.update_classifications(db, pending, topics_version=version)
        pending.clear()

    columns = "id, title, summary, text, language, is_ai, is_open_source_ai"
    for row in articles.iter_articles(db, columns=columns, batch=batch):
        result = classifier.classify(
            title=row["title"], text=row["text"], summary=row["summary"], language=row["language"]
        )
        total += 1
        changed_ai += result.is_ai != bool(row["is_ai"])
        if result.is_open_source_ai != bool(row["is_open_source_ai"]):
            changed_osai += 1
            became_osai += result.is_open_source_ai
        pending.append((row["id"], result))
        if len(pending) >= batch:
            flush()
    flush()
    elapsed = time.monotonic() - started
    verb = "would change" if dry_run else "changed"
    click.echo(
        f"Reclassified {total} articles in {elapsed:.1f}s with rules {version}: {verb} "
        f"{changed_ai} AI labels and {changed_osai} open-source-AI labels "
        f"({became_osai} became open-source AI, {changed_osai - became_osai} stopped being)."
    )
