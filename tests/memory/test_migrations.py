"""Migrations are atomic: a crash partway through one leaves neither its tables nor its version row."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlite_utils

from iotlm.memory.migrations import migrate, open_database
from tests.conftest import ROOT


def _v1(db: sqlite_utils.Database) -> None:
    db.table("notes").create({"id": int, "text": str}, pk="id")


def _v2(db: sqlite_utils.Database) -> None:
    db.table("tags").create({"id": int, "name": str}, pk="id")
    db.table("tags").create_index(["name"])
    db.execute("INSERT INTO tags (name) VALUES ('first')")


def _tables(path: Path) -> set[str]:
    db = open_database(path)
    try:
        return set(db.table_names())
    finally:
        db.conn.close()


def test_an_error_in_a_migration_rolls_it_back_and_the_next_start_applies_it(tmp_path: Path) -> None:
    path = tmp_path / "x.db"

    def broken(db: sqlite_utils.Database) -> None:
        _v2(db)
        raise RuntimeError("power cut")

    db = open_database(path)
    with pytest.raises(RuntimeError, match="power cut"):
        migrate(db, "test", [_v1, broken])
    assert migrate(db, "test", [_v1]) == 1  # v1 stands; nothing of v2 does
    db.conn.close()
    assert _tables(path) == {"_migrations", "notes"}
    db = open_database(path)
    assert migrate(db, "test", [_v1, _v2]) == 2
    assert db.execute("SELECT name FROM tags").fetchall() == [("first",)]
    db.conn.close()


def test_a_process_killed_in_the_middle_of_a_migration_leaves_a_database_that_starts(tmp_path: Path) -> None:
    """The crash found in review: tables without a version row, and every later start failed ('table exists')."""
    path = tmp_path / "x.db"
    script = textwrap.dedent(f"""
        import os
        from iotlm.memory.migrations import migrate, open_database
        from tests.memory.test_migrations import _v1

        def dies(db):
            db.table("tags").create({{"id": int, "name": str}}, pk="id")
            os._exit(9)  # killed after the table, before the version row

        migrate(open_database({str(path)!r}), "test", [_v1, dies])
    """)
    crashed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert crashed.returncode == 9, crashed.stderr
    assert _tables(path) == {"_migrations", "notes"}
    db = open_database(path)
    assert migrate(db, "test", [_v1, _v2]) == 2
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.conn.close()
