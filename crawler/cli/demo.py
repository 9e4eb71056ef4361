"""``newswatch demo``: try newswatch end to end, offline, in about a minute."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from crawler import demo as logic
from crawler.cli import App, UserError, cli, pass_app
from crawler.cli.crawl import _cycle, _graceful, _health, _report, hold_run_lock
from crawler.cycle import CycleReport


@cli.command()
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=logic.DEFAULT_WORKDIR,
    show_default=True,
    help="Where the demo keeps its settings, replica sites, digests and crawl logs.",
)
@click.option(
    "--add",
    "add",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Publish N more articles on the replica sites before crawling.",
)
@click.option(
    "--smtp",
    metavar="HOST:PORT",
    help="Also send the digest by plain SMTP (no TLS, no login) to this server, "
    "e.g. a local sink: python -m aiosmtpd -n -l 127.0.0.1:8025.",
)
@click.option(
    "--to",
    "recipient",
    metavar="ADDRESS",
    default="demo@localhost",
    show_default=True,
    help="Recipient of the e-mailed digest (with --smtp).",
)
@click.option(
    "--reset",
    is_flag=True,
    help="Start over: delete the demo database and the demo's files in WORKDIR first.",
)
@pass_app
def demo(app: App, workdir: Path, add: int, smtp: str | None, recipient: str, reset: bool) -> None:
    """Run newswatch end to end, offline, against bundled replica news sites.

    Serves mock copies of every configured site (their real URL schemes, markup, feeds,
    sitemaps and listings, with a few dozen fictional articles in Vietnamese, English
    and French) on 127.0.0.1, then runs one ordinary cycle against them: crawl, extract,
    classify, group into stories, store in the demo database (data/demo.db unless
    --db says otherwise) and write the digest files. Nothing goes to the network.

    Run it again and nothing new is fetched; with --add N, exactly N new articles are.
    Then explore the result with `newswatch browse --db data/demo.db`. Exit status as
    for `newswatch run` (75 when another run holds the demo database's lock).
    """
    if app.config_path is not None:
        raise UserError(
            "the demo uses its own settings (written to WORKDIR/newswatch.toml); "
            "drop --config (use --db and --workdir to choose where it writes)"
        )
    paths = logic.DemoPaths(workdir, app.db_path or logic.DEFAULT_DB)
    try:
        target = logic.SmtpTarget.parse(smtp) if smtp else None
        logic.check_recipient(recipient)
    except logic.DemoError as exc:
        raise UserError(str(exc)) from None
    _keep_loopback_direct()
    with hold_run_lock(paths.db):
        try:
            if reset:
                removed = logic.reset(paths)
                gone = ", ".join(str(path) for path in removed) or "nothing to remove"
                click.echo(f"Reset: {gone}.")
            logic.check_demo_database(paths.db)
            config = logic.demo_config(paths, smtp=target, recipient=recipient)
            logic.write_config(paths, config)
            demo_app = App(
                config_path=paths.config_file,
                db_path=paths.db,
                verbose=app.verbose,
                _settings=logic.load_demo_settings(paths),
            )
            try:
                _run(demo_app, paths, add)
            finally:
                demo_app.close()
        except logic.DemoError as exc:
            raise UserError(str(exc)) from None


def _run(app: App, paths: logic.DemoPaths, add: int) -> None:
    sources = list(app.sources.values())
    prepared = logic.prepare_state(paths, sources, app.db)
    added = logic.add_articles(prepared.state, add)
    prepared.state.save(paths.state_file)
    _describe_state(prepared, added, paths)
    with logic.serve_replica(prepared.state, paths.state_file) as server:
        click.echo(f"Replica sites served at {server.base_url}/_site/<host>/ ; crawling...")
        cycle = _cycle(app, prepared.state.mirrors(server.base_url))
        with _graceful(cycle):
            report = cycle.run(sources, kind=logic.DEMO_RUN_KIND, health=lambda: _health(app))
        with server.lock:
            log = list(server.log)
    _report(report)
    requests = logic.RequestSummary.from_log(log, prepared.state)
    _describe_outcome(app, paths, report, requests, added)


def _keep_loopback_direct() -> None:
    """Crawl processes inherit the environment: keep a configured proxy off loopback."""
    for name in ("NO_PROXY", "no_proxy"):
        current = [h for h in os.environ.get(name, "").split(",") if h.strip()]
        missing = [h for h in ("127.0.0.1", "localhost") if h not in current]
        os.environ[name] = ",".join(current + missing)


def _describe_state(
    prepared: logic.PreparedState, added: Sequence[dict[str, Any]], paths: logic.DemoPaths
) -> None:
    state = prepared.state
    before = sum(len(site.articles) for site in state.sites.values()) - len(added)
    if prepared.created:
        counts = Counter(str(a.get("language", "?")) for a in prepared.published)
        languages = ", ".join(f"{lang} {n}" for lang, n in counts.most_common())
        click.echo(
            f"Published the demo corpus on {len(state.sites)} replica sites: "
            f"{len(prepared.published)} articles ({languages}). State: {paths.state_file}"
        )
    else:
        click.echo(
            f"Replica sites reloaded from {paths.state_file}: {before} articles "
            f"on {len(state.sites)} sites."
        )
    if added:
        click.echo(f"Published {_plural(len(added), 'new article')}:")
        for record in added:
            click.echo(f"  {record['url']}\n    {record['title']}")


def _describe_outcome(
    app: App,
    paths: logic.DemoPaths,
    report: CycleReport,
    requests: logic.RequestSummary,
    added: Sequence[dict[str, Any]],
) -> None:
    pages = len(requests.article_pages)
    click.echo(
        f"\nRequests to the replica sites: {requests.requests} "
        f"({_plural(pages, 'article page')} fetched, "
        f"{requests.not_modified} answered 304 Not Modified, {_plural(requests.errors, 'error')})."
    )
    if pages == 0:
        click.echo("Nothing new on the replica sites, so no article page was fetched.")
    elif added and pages == len(added):
        click.echo("Only the newly published articles were fetched.")
    summary = logic.database_summary(app.db)
    languages = ", ".join(f"{lang} {n}" for lang, n in summary.languages.items())
    click.echo(
        f"Database {paths.db}: {_plural(summary.articles, 'article')} ({languages}); "
        f"{summary.ai} about AI, {summary.open_source_ai} about open-source AI; "
        f"{_plural(summary.stories, 'story', 'stories')}."
    )
    digest = report.digest
    files = [*digest.files, *([digest.feed] if digest.feed else [])] if digest else []
    if digest is None:
        click.echo(f"No digest: the run ended {report.status} before the digest step.")
    elif digest.created:
        click.echo("Digest files:")
        click.echo("\n".join(f"  {_shown(file)}" for file in files))
    else:
        click.echo(f"No new digest: no new story to report (digests are in {paths.digests_dir}).")
    click.echo("\nNext:")
    for command, why in _next_steps(paths):
        click.echo(f"  {command:<56} {why}")


def _next_steps(paths: logic.DemoPaths) -> list[tuple[str, str]]:
    db = "" if paths.db == logic.DEFAULT_DB else f" --db {paths.db}"
    workdir = "" if paths.workdir == logic.DEFAULT_WORKDIR else f" --workdir {paths.workdir}"
    return [
        (f"newswatch{db} demo{workdir}", "again: nothing new is fetched"),
        (f"newswatch{db} demo{workdir} --add 2", "publish 2 articles: exactly those are fetched"),
        (f"newswatch browse --db {paths.db}", "explore the database in Datasette"),
        (f"newswatch --db {paths.db} search 'ma nguon mo'", "search, with or without diacritics"),
    ]


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it (shorter to read)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
