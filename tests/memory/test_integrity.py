"""A store of the data directory that is gone, emptied or damaged stops iotlm with what to do, never silently (issue 25,
defect 9): tried on real SQLite files, and once against a real `iotlm run`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.memory.integrity import MARKER, DataDirError, check_data_dir, mark_stores
from iotlm.memory.store import MemoryStore
from iotlm.policies.audit import AuditLog
from iotlm.policies.users import UserStore
from tests.conftest import ROOT, run_cli


def used_home(home: Path) -> Path:
    """A data directory that has been used: users, memories, an audit log, rules and threads, and its marker."""
    users = UserStore(home / "iotlm.db")
    users.add("alice", "admin", "a long password")
    users.close()
    store = MemoryStore(home / "iotlm.db")
    for n in range(300):  # enough rows for several pages
        store.add_memory(f"memory number {n} with some words to fill the page", user="alice")
    store.vacuum()
    store.close()
    AuditLog(home / "iotlm.db").close()


    for name in ("rules.db", "threads.db"):
        conn = sqlite3.connect(home / name)
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [(f"row {i} " * 20,) for i in range(500)])
        conn.commit()
        conn.close()
    mark_stores(home)
    return home


def test_a_used_directory_passes(tmp_path: Path) -> None:
    assert check_data_dir(used_home(tmp_path)) == []
    assert set(json.loads((tmp_path / MARKER).read_text())) == {"iotlm.db", "rules.db", "threads.db"}


@pytest.mark.parametrize("name", ["iotlm.db", "rules.db", "threads.db"])
def test_a_store_emptied_to_0_bytes_is_refused(tmp_path: Path, name: str) -> None:
    home = used_home(tmp_path)
    (home / name).write_bytes(b"")
    for extra in ("-wal", "-shm"):
        (home / f"{name}{extra}").unlink(missing_ok=True)
    with pytest.raises(DataDirError, match=rf"{name} held your .* and now is empty \(0 bytes\)\. iotlm did not start"):
        check_data_dir(home)


def test_a_deleted_store_is_refused(tmp_path: Path) -> None:
    home = used_home(tmp_path)
    (home / "rules.db").unlink()
    with pytest.raises(DataDirError, match=r"rules\.db held your rules and scheduled jobs and now is missing"):
        check_data_dir(home)


def test_random_bytes_inside_the_pages_are_found_at_start(tmp_path: Path) -> None:
    home = used_home(tmp_path)
    data = bytearray((home / "iotlm.db").read_bytes())
    assert len(data) > 5 * 4096
    data[2 * 4096:2 * 4096 + 2048] = os.urandom(2048)  # a b-tree page of the memories table
    (home / "iotlm.db").write_bytes(bytes(data))
    with pytest.raises(DataDirError, match=r"iotlm\.db \(users, memories, history and the audit log\) is damaged"):
        check_data_dir(home)


def test_a_truncated_threads_db_is_refused_with_words_not_a_traceback(tmp_path: Path) -> None:
    home = used_home(tmp_path)
    data = (home / "threads.db").read_bytes()
    (home / "threads.db").write_bytes(data[: len(data) // 3])
    with pytest.raises(DataDirError, match=r"threads\.db .* is damaged"):
        check_data_dir(home)


def test_fresh_moves_a_damaged_store_aside_and_keeps_it(tmp_path: Path) -> None:
    home = used_home(tmp_path)
    (home / "iotlm.db").write_bytes(b"not a database at all" * 300)
    moved = check_data_dir(home, fresh=True)
    assert len(moved) == 1 and "started afresh (--fresh): the old file is kept as iotlm.db.damaged-" in moved[0]
    kept = [p.name for p in home.iterdir() if p.name.startswith("iotlm.db.damaged-")]
    assert len(kept) == 1 and not (home / "iotlm.db").exists()
    assert check_data_dir(home) == []  # and the next start is a normal one


def test_ask_and_run_refuse_to_start_on_an_emptied_store(broker: EmbeddedBroker, tmp_path: Path) -> None:
    home = used_home(tmp_path)
    (home / "iotlm.db").write_bytes(b"")
    (home / "iotlm.db-wal").unlink(missing_ok=True)
    asked = run_cli("ask", "turn on the kitchen light", "--broker", broker.url, "--home-dir", str(home))
    assert asked.returncode == 2 and "iotlm.db held your users, memories, history and the audit log" in asked.stderr
    assert (home / "iotlm.db").stat().st_size == 0  # nothing was changed
    run = subprocess.run([sys.executable, "-m", "iotlm.cli", "run", "--broker", broker.url, "--home-dir", str(home),
                          "--no-web", "--wait", "0.5"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "now is empty (0 bytes). iotlm did not start" in run.stderr and "Traceback" not in run.stderr
    fresh = run_cli("ask", "is the kitchen light on?", "--broker", broker.url, "--home-dir", str(home), "--fresh")
    assert fresh.returncode == 0, fresh.stderr
