"""The scheduler daemon from the command line: ``newswatch schedule``."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import click

from crawler.cli import EXIT_LOCKED, EXIT_STORAGE, App, UserError, cli, configure_logging, pass_app
from crawler.cli.crawl import _check_mirrors, _topics, console_observer, mirror_option
from crawler.cli.output import render_table
from crawler.lock import LockHeld, RunLock
from crawler.scheduler import CatchUp, Scheduler, next_fire, plan_catch_up

log = logging.getLogger(__name__)


@cli.command()
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the jobs, their next fire times and what the catch-up would do now; run nothing.",
)
@click.option(
    "--no-catch-up",
    is_flag=True,
    help="At start, do not crawl overdue sources or send a digest missed while down.",
)
@mirror_option
@pass_app
def schedule(app: App, dry_run: bool, no_catch_up: bool, mirrors: tuple[str, ...]) -> None:
    """Run the scheduler daemon: crawls and digests on the cron schedules of newswatch.toml.

    Crawls every enabled source on `schedule.crawl` (a source's own `schedule` in
    sources.toml overrides it) and delivers the digest on `schedule.digest`, in
    `schedule.timezone`. At start it catches up: sources whose last successful crawl
    is older than their period are crawled now, and a digest slot missed while the
    daemon was down is delivered now. Jobs take the same lock as `newswatch run`, so
    cron and the daemon never overlap (a job that finds the lock held is skipped and
    recorded). SIGTERM or Ctrl-C: no new jobs, the running crawl gets
    `schedule.shutdown_grace_seconds` to finish, then the daemon exits 0.

    Exits 2 on invalid configuration, 3 when the database is unusable, 75 when another
    `newswatch schedule` is running on this database, 1 when a job could not be
    stopped in time.
    """
    from crawler.health import digest_rows

    # Logs are the daemon's output: info on the console unless told otherwise.
    configure_logging(max(app.verbose, 1))
    settings = app.settings
    sources = {s.id: s for s in app.select_sources(())}
    topics_path = _topics(app)
    checked_mirrors = _check_mirrors(mirrors)
    daemon = Scheduler(
        settings,
        sources,
        topics_path=topics_path,
        mirrors=checked_mirrors,
        observer=console_observer(app, starts=False),
        health=lambda db: digest_rows(db, settings, sources.values()),
    )
    if dry_run:
        plan = plan_catch_up(
            app.db,
            daemon.specs,
            datetime.now(ZoneInfo(settings.schedule.timezone)),
            settings.schedule.timezone,
            triggers=daemon.triggers,
        )
        _print_plan(daemon, plan, catch_up=not no_catch_up)
        return
    app.db  # noqa: B018  # an unusable database is reported (exit 3) before the daemon starts
    guard = RunLock(f"{settings.storage.path}.schedule.lock", holder="newswatch schedule")
    try:
        guard.acquire()
    except LockHeld as exc:
        raise UserError(f"{exc}. Not starting a second one.", EXIT_LOCKED) from None
    except OSError as exc:
        raise UserError(f"cannot create {guard.path}: {exc.strerror}", EXIT_STORAGE) from None
    try:
        app.close()  # jobs open their own connections, in the worker thread
        status = daemon.run(catch_up=not no_catch_up)
    finally:
        guard.release()
    if status:
        raise UserError("stopped, but a job did not finish in time; see the log", status)


def _print_plan(daemon: Scheduler, plan: CatchUp, *, catch_up: bool) -> None:
    cfg = daemon.settings.schedule
    now = datetime.now(daemon.tz)
    click.echo(
        f"Time zone {cfg.timezone}; misfire grace {cfg.misfire_grace_minutes} min; "
        f"shutdown grace {cfg.shutdown_grace_seconds:g} s."
    )
    rows = []
    for spec in daemon.specs:
        fire = next_fire(daemon.triggers[spec.id], now)
        rows.append(
            {
                "job": spec.id,
                "next": f"{fire:%Y-%m-%d %H:%M}" if fire else "never",
                "runs": ", ".join(spec.sources) if spec.kind == "crawl" else "digest",
            }
        )
    click.echo(render_table(rows, ["job", "next", "runs"], flex="runs"))
    if not catch_up:
        click.echo("\nCatch-up at start: off (--no-catch-up).")
        return
    click.echo("\nCatch-up at start:")
    if not plan.reasons:
        click.echo("  nothing was missed")
    for reason in plan.reasons:
        click.echo(f"  {reason}")
