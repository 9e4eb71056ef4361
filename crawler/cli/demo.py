"""``newswatch demo``: try newswatch end to end, offline, in about a minute."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from crawler import demo as logic
from crawler.cli import App, UserError, cli, pass_app
from crawler.cli.crawl import _cycle, _graceful, _health, _locked, _report
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
    default="demo@localhost",
    show_default=True,
    help="Recipient of the e-mailed digest (with --smtp).",
)
@click.option("--reset", is_flag=True, help="Delete the demo database and work folder first.")
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
        logic.write_config(paths, logic.demo_config(paths, smtp=target, recipient=recipient))
        demo_app = App(
            config_path=paths.config_file,
            db_path=paths.db,
            verbose=app.verbose,
            _settings=logic.load_demo_settings(paths),
        )
    except logic.DemoError as exc:
        raise UserError(str(exc)) from None
    _keep_loopback_direct()
    try:
        with _locked(demo_app):
            _run_locked(demo_app, paths, add=add, reset=reset)
    except logic.DemoError as exc:
        raise UserError(str(exc)) from None
    finally:
        demo_app.close()


def _run_locked(app: App, paths: logic.DemoPaths, *, add: int, reset: bool) -> None:
    if reset:
        removed = logic.reset(paths)
        click.echo(f"Reset: removed {len(removed)} demo files and folders.")
        logic.write_config(paths, logic.demo_config(paths))  # reset removed it
    logic.check_demo_database(paths.db)
    sources = list(app.sources.values())
    prepared = logic.prepare_state(paths, sources, app.db)
    added = logic.add_articles(prepared.state, add)
    prepared.state.save(paths.state_file)
    _describe_state(prepared, added, paths)
    started = logic.now_utc()
    with logic.serve_replica(prepared.state, paths.state_file) as server:
        click.echo(f"Replica sites served at {server.base_url}/_site/<host>/ ; crawling...")
        cycle = _cycle(app, prepared.state.mirrors(server.base_url))
        with _graceful(cycle):
            report = cycle.run(sources, kind=logic.DEMO_RUN_KIND, health=lambda: _health(app))
        with server.lock:
            log = list(server.log)
    _report(report)
    requests = logic.RequestSummary.from_log(log, prepared.state)
    _describe_outcome(app, paths, report, requests, added, started)


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
    total = sum(len(site.articles) for site in state.sites.values())
    if prepared.created:
        languages = _count(a.get("language", "?") for a in prepared.published)
        click.echo(
            f"Published the demo corpus on {len(state.sites)} replica sites: "
            f"{len(prepared.published)} articles ({languages}). State: {paths.state_file}"
        )
    else:
        click.echo(
            f"Replica sites reloaded from {paths.state_file}: {total} articles "
            f"on {len(state.sites)} sites."
        )
    if added:
        click.echo(f"Published {len(added)} new article{'s' if len(added) != 1 else ''}:")
        for record in added:
            click.echo(f"  {record['url']}\n    {record['title']}")


def _describe_outcome(
    app: App,
    paths: logic.DemoPaths,
    report: CycleReport,
    requests: logic.RequestSummary,
    added: Sequence[dict[str, Any]],
    started: Any,
) -> None:
    pages = len(requests.article_pages)
    click.echo(
        f"\nRequests to the replica sites: {requests.requests} "
        f"({pages} article page{'s' if pages != 1 else ''} fetched, "
        f"{requests.not_modified} answered 304 Not Modified, {requests.errors} errors)."
    )
    if pages == 0:
        click.echo("Nothing new on the replica sites, so no article page was fetched.")
    elif added and pages == len(added):
        click.echo("Only the newly published articles were fetched.")
    summary = logic.database_summary(app.db)
    click.echo(
        f"Database {paths.db}: {summary.articles} articles "
        f"({_count(summary.languages.items())}); {summary.ai} about AI, "
        f"{summary.open_source_ai} about open-source AI; {summary.stories} stories."
    )
    files = logic.files_written_since(paths.digests_dir, started)
    if files:
        click.echo("Digest written:")
        for file in files:
            click.echo(f"  {file}")
    else:
        click.echo(f"No new digest: nothing new to report (digests are in {paths.digests_dir}).")
    db = paths.db
    click.echo(
        "\nNext:\n"
        f"  newswatch --db {db} demo --workdir {paths.workdir}"
        "           run again: nothing new is fetched\n"
        f"  newswatch --db {db} demo --workdir {paths.workdir} --add 2"
        "   publish 2 articles, crawl exactly those\n"
        f"  newswatch browse --db {db}"
        "                             explore the database in Datasette\n"
        f"  newswatch --db {db} search 'ma nguon mo'"
        "               search with or without diacritics"
    )


def _count(items: Any) -> str:
    """'vi 36, en 5, fr 3' from (key, count) pairs or from an iterable of keys."""
    pairs = list(items)
    if pairs and not isinstance(pairs[0], tuple):
        counts: dict[str, int] = {}
        for key in pairs:
            counts[key] = counts.get(key, 0) + 1
        pairs = sorted(counts.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{key} {value}" for key, value in pairs)
