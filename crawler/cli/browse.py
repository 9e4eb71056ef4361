"""``newswatch browse``: explore the article database in Datasette."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import tempfile
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click

from crawler import browse as logic
from crawler.cli import EXIT_ERROR, EXIT_STORAGE, App, UserError, cli, pass_app


@cli.command()
@click.option(
    "--db",
    "db_option",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Database to open [default: the global --db, else storage.path].",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 lets other machines read the database).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8001,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option("--no-open", is_flag=True, help="Do not open a web browser.")
@pass_app
def browse(app: App, db_option: Path | None, host: str, port: int, no_open: bool) -> None:
    """Open the article database in Datasette, in your web browser.

    Tables come with descriptions and facets (source, language, topic labels), plus
    canned queries: latest open-source-AI stories, coverage per source per week, and
    full-text search that works with or without Vietnamese diacritics. Reads only; safe
    while a crawl writes. Stop with Ctrl-C. Needs the optional extra:
    pip install 'newswatch[browse]'.
    """
    if not logic.datasette_available():
        raise UserError(f"Datasette is not installed; install it with: {logic.INSTALL_HINT}")
    db_path = Path(db_option or app.settings.storage.path)
    if not db_path.is_file():
        raise UserError(
            f"no database at {db_path}; run `newswatch run` first, or try the offline demo: "
            "`newswatch demo`, then `newswatch browse --db data/demo.db`"
        )
    try:
        tables = logic.table_names(db_path)
    except sqlite3.Error as exc:
        raise UserError(
            f"{db_path} is not a readable SQLite database ({exc})", EXIT_STORAGE
        ) from None
    if "articles" not in tables:
        raise UserError(f"{db_path} is not a newswatch database (it has no articles table)")
    try:
        chosen = logic.free_port(host) if port == 0 else port
        logic.check_port(host, chosen)
    except (logic.BrowseError, OSError) as exc:
        raise UserError(str(exc)) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Listening on {host}: other machines can read this database.", err=True)
    _serve(db_path, tables, host, chosen, open_browser=not no_open)


def _serve(db_path: Path, tables: set[str], host: str, port: int, *, open_browser: bool) -> None:
    from datasette.utils import tilde_encode

    name = db_path.stem
    metadata = logic.datasette_metadata(name, tables=tables, demo=logic.is_demo_database(db_path))
    url = logic.base_url(host, port)
    page = f"{url}/{tilde_encode(name)}"
    with tempfile.TemporaryDirectory(prefix="newswatch-browse-") as tmp:
        metadata_path = Path(tmp) / "metadata.json"
        metadata_path.write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
        command = logic.datasette_command(db_path, metadata_path, host=host, port=port)
        # Datasette's request log goes to stderr: stdout carries only the URL line.
        process = subprocess.Popen(command, stdout=sys.stderr)
        try:
            with _sigterm_stops():
                logic.wait_until_ready(url, process)
                click.echo(f"Datasette is serving {db_path} at {page}  (Ctrl-C to stop)")
                if open_browser and logic.graphical_session():
                    webbrowser.open(page)
                elif open_browser:
                    click.echo("No graphical display: open the address above.", err=True)
                process.wait()
        except logic.BrowseError as exc:
            raise UserError(str(exc), EXIT_ERROR) from None
        except (KeyboardInterrupt, _Stopped):
            pass  # Ctrl-C reached Datasette too; either way it is stopped just below
        finally:
            _stop(process)
    if process.returncode not in (0, -2, -15):
        raise UserError(f"datasette exited with status {process.returncode}", EXIT_ERROR)


class _Stopped(Exception):
    """SIGTERM reached `newswatch browse`."""


@contextlib.contextmanager
def _sigterm_stops() -> Iterator[None]:
    """Turn SIGTERM into an exception, so that Datasette is stopped, not orphaned."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Stopped

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop Datasette (if still running) and wait for it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
