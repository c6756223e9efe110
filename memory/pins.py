"""The devices' pins (:mod:`iotlm.device_drivers.pins`) in the home's SQLite file, shared by every iotlm process of
that home (``iotlm run``, ``iotlm devices``), so a device keeps what it was first seen as across restarts."""

from __future__ import annotations

import json
import time

import sqlite_utils

from iotlm.device_drivers.pins import Pin
from iotlm.memory.migrations import SqliteStore

__all__ = ["PinStore"]


def _v1(db: sqlite_utils.Database) -> None:
    db.table("device_pins").create({"id": str, "type": str, "risky": int, "identity": str, "attributes": str,
                                    "since": float}, pk="id", not_null={"type", "risky", "since"})


MIGRATIONS = [_v1]


class PinStore(SqliteStore):
    """Pins in the home's SQLite file."""

    component = "device_pins"
    migrations = MIGRATIONS
    what = "device pins"

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
