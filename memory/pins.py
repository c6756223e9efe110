"""The devices' pins (:mod:`iotlm.device_drivers.pins`) in the home's SQLite file, shared by every iotlm process of
that home (``iotlm run``, ``iotlm devices``), so a device keeps what it was first seen as across restarts."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import sqlite_utils

from iotlm.device_drivers.pins import Pin
from iotlm.memory.migrations import DatabaseError, migrate, open_database

__all__ = ["PinStore"]


def _v1(db: sqlite_utils.Database) -> None:
    db.table("device_pins").create({"id": str, "type": str, "risky": int, "identity": str, "attributes": str,
                                    "since": float}, pk="id", not_null={"type", "risky", "since"})


MIGRATIONS = [_v1]


class PinStore:
    """Pins in the home's SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db = open_database(self.path)
        migrate(self.db, "device_pins", MIGRATIONS)
        self._lock = threading.Lock()

    def _exec(self, sql: str, params: list[Any]) -> list[Any]:
        try:
            with self._lock:
                return list(self.db.execute(sql, params).fetchall())
        except sqlite3.Error as exc:
            raise DatabaseError(f"device pins in {self.path}: {exc}") from exc

    def get(self, device_id: str) -> Pin | None:
        rows = self._exec("SELECT type, risky, identity, attributes FROM device_pins WHERE id = ?", [device_id])
        if not rows:
            return None
        kind, risky, identity, attributes = rows[0]
        return Pin(str(kind), bool(risky), identity, tuple(json.loads(attributes or "[]")))

    def put(self, device_id: str, pin: Pin) -> None:
        self._exec("INSERT INTO device_pins (id, type, risky, identity, attributes, since) VALUES (?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT(id) DO UPDATE SET type = excluded.type, risky = excluded.risky, identity = excluded.identity, "
                   "attributes = excluded.attributes, since = excluded.since",
                   [device_id, pin.type, int(pin.risky), pin.identity, json.dumps(list(pin.attributes)), time.time()])

    def version(self) -> int:
        row = self._exec("SELECT count(*), coalesce(max(since), 0) FROM device_pins", [])[0]
        return hash(tuple(row))

    def close(self) -> None:
        self.db.conn.close()
