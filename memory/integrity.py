"""The data directory's stores are checked before anything opens them: a store iotlm had must not vanish unnoticed.

SQLite happily creates an empty database where one was deleted or truncated to 0 bytes, and a file with damaged pages
opens fine and fails later, one query at a time. Either way iotlm would go on with no users (and fall back to the
loopback owner), no rules, no audit log, or write new rows into a damaged file. So:

- ``stores.json`` in the data directory (0600) records each store once it holds data;
- at start, a recorded store that is missing or empty, or any store that fails ``PRAGMA quick_check``, stops iotlm
  with a message that says what happened and what to do;
- ``--fresh`` (or ``IOTLM_FRESH=1``) moves such files aside (``NAME.damaged-<time>``, kept, never deleted) and starts
  with new ones, said in the log.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
from pathlib import Path

from iotlm.errors import SetupError

__all__ = ["MARKER", "STORES", "DataDirError", "check_data_dir", "mark_stores", "secure_data_dir"]

log = logging.getLogger(__name__)

MARKER = "stores.json"
STORES = {
    "iotlm.db": "users, memories, history and the audit log",
    "rules.db": "rules and scheduled jobs",
    "threads.db": "conversations and the questions they wait on",
}


class DataDirError(SetupError):
    """A store of the data directory is gone, empty or damaged; says which, and what to do."""


def _holds_data(path: Path) -> bool:
    """Whether the store has any content: its file, or (WAL mode, not yet checkpointed) its write-ahead log."""
    for candidate in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            if candidate.stat().st_size > 0:
                return True
    return False


def _damage(path: Path) -> str | None:
    """What ``PRAGMA quick_check`` finds wrong with the store (None: nothing)."""
    try:
        conn = sqlite3.connect(str(path), timeout=10)
        try:
            rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    found = [str(r[0]) for r in rows]
    return None if found == ["ok"] else "; ".join(found)


def _recorded(home: Path) -> dict[str, dict[str, float]]:
    marker = home / MARKER
    if not marker.exists():
        return {}
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataDirError(f"{marker} cannot be read ({exc}); it records which stores this data directory had. Remove "
                           "it if you know the stores are fine, or restore it from a backup") from exc
    return {k: v for k, v in data.items() if k in STORES} if isinstance(data, dict) else {}


def check_data_dir(home: Path, *, fresh: bool = False) -> list[str]:
    """Refuse a data directory whose stores are gone, empty or damaged (:class:`DataDirError`); with ``fresh``, move
    them aside instead. Returns what was moved aside, as sentences for the log."""
    if not home.exists():
        return []
    recorded = _recorded(home)
    moved: list[str] = []
    for name, holds in STORES.items():
        path = home / name
        problem = None
        if name in recorded and not _holds_data(path):
            state = "is missing" if not path.exists() else "is empty (0 bytes)"
            problem = f"{path} held your {holds} and now {state}"
        elif path.exists() and path.stat().st_size > 0 and (damage := _damage(path)) is not None:
            problem = f"{path} ({holds}) is damaged: SQLite's check says \"{damage}\""
        if problem is None:
            continue
        if not fresh:
            raise DataDirError(
                f"{problem}. iotlm did not start, so nothing was changed. Restore the file from a backup, or try to "
                f"save what is left: sqlite3 {path} .recover | sqlite3 {path}.recovered, then move {path.name}.recovered "
                f"in its place. To start afresh without it, run again with --fresh (or IOTLM_FRESH=1): the old file is "
                f"kept beside it as {name}.damaged-<time>")
        moved.append(_move_aside(path, problem))
    if moved:
        marker = home / MARKER
        kept = {k: v for k, v in recorded.items() if not any(m.startswith(str(home / k)) for m in moved)}
        _write_marker(marker, kept)
    return moved


def _move_aside(path: Path, problem: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.rename(part.with_name(f"{path.name}.damaged-{stamp}{suffix}"))
    note = f"{problem}; started afresh (--fresh): the old file is kept as {path.name}.damaged-{stamp}"
    log.warning("%s", note)
    return note


def mark_stores(home: Path) -> None:
    """Record the stores that hold data now, so that losing one later is noticed at the next start."""
    recorded = _recorded(home)
    now = {name: recorded.get(name) or {"since": time.time()} for name in STORES if _holds_data(home / name)}
    if now != recorded:
        _write_marker(home / MARKER, {**recorded, **now})


def _write_marker(marker: Path, data: dict[str, dict[str, float]]) -> None:
    tmp = marker.with_name(marker.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
    os.replace(tmp, marker)


def secure_data_dir(home: Path) -> None:
    """The data directory is its owner's alone: 0700, and the files iotlm keeps there 0600 (memories, password hashes
    and the audit log are nobody else's to read)."""
    home.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(home, 0o700)
    for child in home.iterdir():
        if child.is_file() and not child.is_symlink():
            with contextlib.suppress(OSError):
                os.chmod(child, 0o600)
