"""Opening the SQLite database: WAL, busy timeout, migrations, write transactions.

sqlite-utils' own transactions start with a deferred ``BEGIN`` and fail at once with
"database is locked" when another process holds the write lock. Every write in newswatch
goes through :func:`write_transaction`, which takes the lock up front with
``BEGIN IMMEDIATE`` and waits up to the connection's timeout for it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from storage.schema import migrations

# Below this much free space, a failure to open the database is put down to a full disk.
LOW_SPACE_BYTES = 1024 * 1024


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
        raise StorageError(f"cannot open database {target}: {exc}{_open_hint(target)}") from exc
    return db


def _open_hint(target: Path) -> str:
    """Why a database that exists may fail to open: SQLite writes beside a WAL database."""
    if str(target) == ":memory:" or not target.exists():
        return ""
    if not os.access(target, os.W_OK) or not os.access(target.parent, os.W_OK):
        return (
            " (the file or its folder is read-only; newswatch needs to write the database "
            "and its -wal/-shm files beside it)"
        )
    try:
        free = shutil.disk_usage(target.parent).free
    except OSError:
        return ""
    if free < LOW_SPACE_BYTES:
        return f" (the disk is full: {free} bytes free on {target.parent})"
    return ""


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

    Nested use joins the outer transaction (sqlite-utils' ``atomic`` savepoints). When
    the database cannot take the write (read-only, disk full, locked past the timeout,
    I/O error), the transaction is rolled back, so nothing is half-written, and
    :class:`StorageError` says why.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        reason = unusable_reason(exc)
        if reason is None:
            raise
        if conn.in_transaction:  # a failed COMMIT leaves the transaction open
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise StorageError(f"cannot write to database {database_file(db)}: {reason}") from exc


# SQLite result codes (primary, the low byte of the extended code) that mean the
# database file cannot take writes, as opposed to a mistake in a statement.
_UNUSABLE = {
    3: "permission denied",  # SQLITE_PERM
    5: "it stayed locked by another writer past the timeout",  # SQLITE_BUSY
    6: "it stayed locked past the timeout",  # SQLITE_LOCKED
    8: "the database is read-only",  # SQLITE_READONLY
    10: "disk I/O error",  # SQLITE_IOERR
    11: "the database file is corrupt",  # SQLITE_CORRUPT
    13: "the disk is full (or the database reached its size limit)",  # SQLITE_FULL
    14: "the file cannot be opened",  # SQLITE_CANTOPEN
    26: "the file is not a database",  # SQLITE_NOTADB
}


def unusable_reason(exc: sqlite3.Error) -> str | None:
    """Why the database cannot be written, for errors about the file; None otherwise."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    reason = _UNUSABLE.get(code & 0xFF)
    return f"{reason} ({exc})" if reason else None


def database_file(db: sqlite_utils.Database) -> str:
    """The main database file of a connection ("?" when it cannot be told)."""
    try:
        for _seq, name, path in db.conn.execute("PRAGMA database_list"):
            if name == "main":
                return path or ":memory:"
    except sqlite3.Error:
        pass
    return "?"
