"""Numbered migrations for iotlm's SQLite file, one sequence per component."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import sqlite_utils

from iotlm.errors import SetupError

Migration = Callable[[sqlite_utils.Database], None]


class DatabaseError(SetupError):
    """The database cannot be opened or written; says which file and why."""


def open_database(path: str | Path, *, busy_timeout: float = 10.0) -> sqlite_utils.Database:
    """Open (creating) a WAL-mode database shared by threads; errors name the file."""
    path = Path(path)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=busy_timeout, isolation_level=None)
        with contextlib.suppress(OSError):  # its owner's alone; SQLite gives the -wal and -shm files the same mode
            os.chmod(path, 0o600)
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives a crash of the process (not of the machine's power) without an fsync each;
        # the audit log and rule state are written on every action, and an fsync per row capped them near 300/s
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseError(f"cannot open database {path}: {exc}; check the path and its permissions (IOTLM_HOME)") from exc
    return db


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """One explicit transaction. Our connections are in autocommit mode (``isolation_level=None``), where
    ``with conn:`` opens none and every statement commits on its own; this is the way to make several atomic."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def migrate(db: sqlite_utils.Database, component: str, migrations: Sequence[Migration]) -> int:
    """Apply the migrations of ``component`` not yet applied; return the version reached."""
    try:
        db.execute("CREATE TABLE IF NOT EXISTS _migrations (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        row = db.execute("SELECT version FROM _migrations WHERE component = ?", [component]).fetchone()
        version = row[0] if row else 0
        for number, migration in enumerate(migrations, start=1):
            if number <= version:
                continue
            # a migration and its version row are one transaction: a crash partway leaves neither (SQLite's DDL is
            # transactional), and the next start applies the migration again from the beginning
            with transaction(db):
                migration(db)
                db.execute("INSERT INTO _migrations (component, version) VALUES (?, ?) "
                           "ON CONFLICT(component) DO UPDATE SET version = excluded.version", [component, number])
            version = number
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot prepare the {component} tables in {db.conn}: {exc}") from exc
    return version


class SqliteStore:
    """What a store of the home's SQLite file shares: opened (WAL, 0600), migrated, one lock, errors that name the file.
    A subclass names its ``component``, its ``migrations`` and, for messages, ``what`` it holds."""

    component: ClassVar[str]
    migrations: ClassVar[Sequence[Migration]]
    what: ClassVar[str]

    def __init__(self, path: str | Path, *, busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.db = open_database(self.path, busy_timeout=busy_timeout)
        migrate(self.db, self.component, self.migrations)
        self._lock = threading.Lock()

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run one statement under the lock; its rows. A database error says which file and what it holds."""
        try:
            with self._lock:
                return list(self.db.execute(sql, list(params)).fetchall())
        except sqlite3.Error as exc:
            raise DatabaseError(f"{self.what} in {self.path}: {exc}") from exc

    def close(self) -> None:
        self.db.conn.close()


__all__ = ["DatabaseError", "Migration", "SqliteStore", "migrate", "open_database", "transaction"]
