"""Crawling from the command line: ``run``, ``crawl``, ``ingest``."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click

from crawler.cli import EXIT_LOCKED, EXIT_STORAGE, App, UserError, cli, pass_app
from crawler.cli.progress import ConsoleObserver
from crawler.config import Source
from crawler.cycle import Cycle, CycleReport
from crawler.lock import LockHeld, RunLock, lock_path_for

F = TypeVar("F", bound=Callable[..., Any])


def mirror_option(func: F) -> F:
    return click.option(
        "--mirror",
        "mirrors",
        multiple=True,
        metavar="HOST=BASE_URL",
        help="Fetch HOST's pages from BASE_URL (same path and query); stored URLs keep the real "
        "host. Repeatable. For tests, demos and staging mirrors.",
    )(func)


def _check_mirrors(mirrors: Sequence[str]) -> list[str]:
    # Imported here: crawler.middlewares loads Scrapy, which the CLI process never needs.
    from crawler.middlewares import parse_mirrors

    try:
        parse_mirrors(list(mirrors))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return list(mirrors)


def _topics(app: App) -> str:
    """Validate topics.toml up front: a bad file is a config error, not 11 crawl failures."""
    from crawler.classify import TopicsError, load_topics

    path = app.topics_path
    try:
        load_topics(path)
    except TopicsError as exc:
        raise UserError(str(exc)) from None
    return str(path)


@contextmanager
def _locked(app: App) -> Iterator[None]:
    """Hold the run lock, or exit 75 at once without doing anything."""
    with hold_run_lock(app.settings.storage.path):
        yield


@contextmanager
def hold_run_lock(db_path: str | Path) -> Iterator[None]:
    """The lock every writing run of ``db_path`` takes; exit 75 at once when it is held."""
    path = lock_path_for(db_path)
    lock = RunLock(path)
    try:
        lock.acquire()
    except LockHeld as exc:
        raise UserError(f"{exc}. Nothing was done.", EXIT_LOCKED) from None
    except OSError as exc:
        raise UserError(
            f"cannot create the run lock {path} next to the database: {exc.strerror}",
            EXIT_STORAGE,
        ) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _graceful(cycle: Cycle) -> Iterator[None]:
    """SIGTERM/SIGINT: stop starting crawls, let running ones finish, record the outcome.

    A second signal kills the running crawls at once (their outcome is still recorded).
    """
    received = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal received
        received += 1
        name = signal.Signals(signum).name
        if received == 1:
            click.echo(f"Received {name}: finishing running crawls, starting no more.", err=True)
            cycle.stop()
        else:
            click.echo(f"Received {name} again: killing running crawls.", err=True)
            cycle.stop(grace=0)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _report(report: CycleReport) -> None:
    ok = sum(o.status == "ok" for o in report.outcomes)
    click.echo(
        f"Run {report.run_id} {report.status}: {ok}/{len(report.outcomes)} sources ok, "
        f"{report.new_articles} new articles. Logs: {report.log_dir}",
        err=True,
    )
    if report.digest is not None:
        click.echo(report.digest.summary(), err=True)


def _cycle(app: App, mirrors: Sequence[str]) -> Cycle:
    return Cycle(
        app.db,
        app.settings,
        topics_path=_topics(app),
        mirrors=_check_mirrors(mirrors),
        observer=console_observer(app),
    )


def console_observer(app: App, *, starts: bool = True) -> ConsoleObserver:
    """Progress on stderr (live in a terminal) and each run's run.log (-vv: debug)."""
    return ConsoleObserver(
        log_level=logging.DEBUG if app.verbose > 1 else logging.INFO, starts=starts
    )


@cli.command()
@click.option(
    "--source", "source_ids", multiple=True, metavar="ID", help="Only this source (repeatable)."
)
@click.option("--no-digest", is_flag=True, help="Crawl only; leave the digest to a later run.")
@mirror_option
@pass_app
def run(app: App, source_ids: tuple[str, ...], no_digest: bool, mirrors: tuple[str, ...]) -> None:
    """One full cycle: crawl every enabled source, store, classify, deliver the digest.

    Each source is crawled in its own process with a hard timeout; a failing source is
    recorded and never stops the others. Exits 0 when the cycle ran (even if some
    sources failed), 2 on invalid configuration, 3 when the database is unusable, 75
    when another run is active. This is the command for cron.
    """
    sources = app.select_sources(source_ids)
    with _locked(app):
        cycle = _cycle(app, mirrors)
        with _graceful(cycle):
            report = cycle.run(
                sources, kind="run", digest=not no_digest, health=lambda: _health(app)
            )
    _report(report)


@cli.command()
@click.option(
    "--source", "source_ids", multiple=True, metavar="ID", help="Only this source (repeatable)."
)
@mirror_option
@pass_app
def crawl(app: App, source_ids: tuple[str, ...], mirrors: tuple[str, ...]) -> None:
    """Crawl sources (all enabled ones by default) and store new articles; no digest.

    Each crawl runs in its own process; per-source statistics (requests, 304s, new and
    updated articles, parse failures, errors, duration) are recorded as a crawl run.
    """
    sources = app.select_sources(source_ids)
    with _locked(app):
        cycle = _cycle(app, mirrors)
        with _graceful(cycle):
            report = cycle.run(sources, kind="crawl", digest=False)
    _report(report)


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@mirror_option
@pass_app
def ingest(app: App, urls: tuple[str, ...], mirrors: tuple[str, ...]) -> None:
    """Fetch, extract and store specific article URLs (any site).

    Pages of configured sources use that source's parser; other sites use the generic
    extractor. Already stored URLs are fetched again and updated if they changed.
    """
    from crawler.urls import InvalidURL, canonical_url

    for url in urls:
        try:
            canonical_url(url)
        except InvalidURL as exc:
            raise UserError(str(exc)) from None
    groups = group_by_source(list(urls), list(app.sources.values()))
    cycle = _cycle(app, mirrors)
    with _graceful(cycle):
        report = cycle.run(groups, kind="ingest", digest=False, urls=list(urls))
    from storage.articles import get_article

    missing = 0
    for url in urls:
        row = get_article(app.db, url)
        if row is None:
            missing += 1
            click.echo(f"✗ {url}: not stored (see {report.log_dir})")
        else:
            click.echo(f"#{row['id']} {row['source']} {row['title']}")
    if missing:
        sys.exit(1)


def group_by_source(urls: list[str], sources: list[Source]) -> list[Source]:
    """The sources the URLs belong to (by host); unknown hosts get an ad-hoc generic source."""
    chosen: dict[str, Source] = {}
    for url in urls:
        source = next((s for s in sources if s.owns(url)), None) or Source.adhoc(url)
        chosen.setdefault(source.id, source)
    return list(chosen.values())


def _health(app: App) -> list[dict[str, str]]:
    """Unhealthy enabled sources, for the digest's health section."""
    from crawler.health import digest_rows

    return digest_rows(app.db, app.settings, app.sources.values())
