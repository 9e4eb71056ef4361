"""The ``newswatch`` command line. The only place exceptions become user-facing messages.

Exit status: 0 success; 1 an unexpected failure; 2 invalid usage or configuration;
3 the database cannot be used; 75 another run holds the lock (try again later).
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import click
import sqlite_utils

from crawler.config import ConfigError, Settings, Source, load_settings, load_sources, resolve_file
from storage import StorageError, connect

EXIT_ERROR = 1
EXIT_CONFIG = 2
EXIT_STORAGE = 3
EXIT_LOCKED = 75


class UserError(click.ClickException):
    """An error explained in one line, with the exit status that goes with it."""

    def __init__(self, message: str, exit_code: int = EXIT_CONFIG) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it a ClassVar

    def show(self, file: Any = None) -> None:
        click.echo(f"newswatch: error: {self.format_message()}", err=True)


@dataclass
class App:
    """What every command needs, built lazily from the global options."""

    config_path: Path | None = None
    db_path: Path | None = None
    verbose: int = 0
    _settings: Settings | None = field(default=None, repr=False)
    _sources: dict[str, Source] | None = field(default=None, repr=False)
    _db: sqlite_utils.Database | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            overrides = {"storage": {"path": str(self.db_path)}} if self.db_path else None
            self._settings = load_settings(self.config_path, overrides=overrides)
        return self._settings

    @property
    def sources(self) -> dict[str, Source]:
        if self._sources is None:
            self._sources = load_sources(resolve_file(self.settings, self.settings.files.sources))
        return self._sources

    @property
    def topics_path(self) -> Path:
        return resolve_file(self.settings, self.settings.files.topics)

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = connect(self.settings.storage.path, timeout=self.settings.storage.timeout)
        return self._db

    def select_sources(
        self, ids: tuple[str, ...] | list[str], *, include_disabled: bool = False
    ) -> list[Source]:
        """The sources named by ``ids`` (all enabled ones when empty); unknown ids are errors."""
        sources = self.sources
        unknown = [i for i in ids if i not in sources]
        if unknown:
            raise UserError(
                f"unknown source {unknown[0]!r}; configured sources: {', '.join(sorted(sources))}"
            )
        if ids:
            return [sources[i] for i in ids]
        return [s for s in sources.values() if s.enabled or include_disabled]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


pass_app = click.make_pass_decorator(App)


class NewswatchGroup(click.Group):
    """Turns configuration and storage errors into one line and an exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise UserError(str(exc), EXIT_CONFIG) from None
        except StorageError as exc:
            raise UserError(str(exc), EXIT_STORAGE) from None
        except sqlite3.DatabaseError as exc:  # e.g. locked past storage.timeout, disk full
            raise UserError(f"database error: {exc}", EXIT_STORAGE) from None
        finally:
            app = ctx.find_object(App)
            if app is not None:
                app.close()


def configure_logging(verbose: int, *, quiet: bool = False) -> None:
    """Console logging for entry points (library code never configures logging).

    The console shows warnings (``-v`` info, ``-vv`` debug). The root logger itself lets
    info through, for the per-run ``run.log`` files that runs attach while they last.
    """
    level = (
        logging.WARNING
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "newswatch_console", False):
            root.removeHandler(handler)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(level)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    console.newswatch_console = True  # type: ignore[attr-defined]
    root.addHandler(console)
    root.setLevel(min(level, logging.INFO))
    # Scrapy and Twisted are chatty; their details belong in the per-source log files.
    for noisy in (
        "scrapy",
        "twisted",
        "filelock",
        "apscheduler",  # job bookkeeping; the scheduler logs what it does itself
        "trafilatura",
        "htmldate",
    ):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


@click.group(
    cls=NewswatchGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Settings file [default: ./config/newswatch.toml when present, else packaged defaults].",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="SQLite database (overrides storage.path).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="newswatch", prog_name="newswatch")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, db_path: Path | None, verbose: int) -> None:
    """newswatch: monitor Vietnamese official and press sources for news about open-source AI.

    Crawls the configured sources, stores each article in SQLite, classifies it (AI?
    open-source AI?), groups copies into stories and sends digests of new open-source-AI
    coverage. Run `newswatch COMMAND --help` for each command.
    """
    if config_path is not None and not config_path.is_file():
        raise UserError(
            f"{config_path}: (file): expected an existing TOML file, found <missing file>"
        )
    configure_logging(verbose)
    ctx.obj = App(config_path=config_path, db_path=db_path, verbose=verbose)


def fail(message: str, exit_code: int = EXIT_ERROR) -> NoReturn:
    raise UserError(message, exit_code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="newswatch")


# Command modules register themselves on ``cli`` when imported.
from crawler.cli import (  # noqa: E402, F401
    admin,
    browse,
    classify,
    cluster,
    crawl,
    demo,
    digest,
    query,
    schedule,
    stories,
)
