"""Opening the SQLite database: WAL, busy timeout, migrations, write transactions.

sqlite-utils' own transactions start with a deferred ``BEGIN`` and fail at once with
"database is locked" when another process holds the write lock. Every write in newswatch
goes through :func:`write_transaction`, which takes the lock up front with
``BEGIN IMMEDIATE`` and waits up to the connection's timeout for it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from storage.schema import migrations


class StorageError(Exception):
    """The database cannot be opened or written; the message says why and where."""


def connect(path: str | os.PathLike[str], *, timeout: float = 30.0) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path`` and apply pending migrations."""
    target = Path(path)
    if str(path) != ":memory:":
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder for {target}: {exc.strerror}") from exc
    try:
        conn = sqlite3.connect(
            str(target), timeout=timeout, isolation_level=None, check_same_thread=False
        )
        db = sqlite_utils.Database(conn)
        _configure(db)
        migrate(db)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"cannot open database {target}: {exc}") from exc
    return db


def _configure(db: sqlite_utils.Database) -> None:
    db.execute("PRAGMA foreign_keys = ON")
    # WAL lets readers (a user searching) run while a crawl writes. It cannot be set on a
    # read-only file; such a database is still usable for reading.
    with contextlib.suppress(sqlite3.OperationalError):
        if db.journal_mode != "wal":
            db.enable_wal()
    db.execute("PRAGMA synchronous = NORMAL")


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations under the write lock; returns the names applied."""
    pending = [m.name for m in migrations.pending(db)]
    if not pending:
        return []
    with write_transaction(db):
        # Re-read under the lock: another process may have migrated meanwhile.
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
    return pending


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolls back on any exception.

    Nested use joins the outer transaction (sqlite-utils' ``atomic`` savepoints).
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
