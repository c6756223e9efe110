"""The audit log: every gate decision, with who asked, what, which policy, and why."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from iotlm.memory.migrations import DatabaseError, SqliteStore
from iotlm.policies.model import Decision, PolicyContext, Step

log = logging.getLogger(__name__)


def _v1(db: sqlite_utils.Database) -> None:
    db.table("audit").create({
        "id": int, "time": str, "user": str, "role": str, "origin": str, "tool": str, "device_id": str,
        "operation": str, "attribute": str, "value": str, "verdict": str, "policy": str, "code": str, "reason": str,
    }, pk="id", not_null={"time", "user", "origin", "tool", "verdict", "policy", "reason"})
    db.table("audit").create_index(["time"])
    db.table("audit").create_index(["device_id", "time"])


def _v2(db: sqlite_utils.Database) -> None:
    # how the request's clause was read (the words used, the words left over), for the steps of chat requests
    db.execute("ALTER TABLE audit ADD COLUMN reading TEXT")


MIGRATIONS = [_v1, _v2]


class AuditLog(SqliteStore):
    component = "audit"
    migrations = MIGRATIONS
    what = "the audit log"

    def __init__(self, path: str | Path, *, busy_timeout: float = 10.0) -> None:
        super().__init__(path, busy_timeout=busy_timeout)
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        """Called with each decision as it is recorded (the web app's live events); a listener that fails is logged."""

    def record(self, step: Step, ctx: PolicyContext, decision: Decision) -> int:
        row = {
            "time": ctx.now.isoformat(timespec="milliseconds"), "user": ctx.user.name, "role": ctx.user.role,
            "origin": ctx.origin, "tool": step.tool, "device_id": step.device_id, "operation": step.operation,
            "attribute": step.attribute,
            "value": json.dumps(step.value if step.device_id else step.args, default=str),
            "verdict": decision.verdict, "policy": decision.policy, "code": decision.code, "reason": decision.reason,
            "reading": json.dumps(step.reading) if step.reading else None,
        }
        try:
            with self._lock:  # plain SQL: sqlite-utils' insert cost ~0.8 ms a row, on every action
                cur = self.db.conn.execute(f"INSERT INTO audit ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                                           list(row.values()))
                row_id = int(cur.lastrowid) if cur.lastrowid is not None else -1
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot write the audit log {self.path}: {exc}") from exc
        for listener in self.listeners:
            try:
                listener({"id": row_id, **row, "value": step.value if step.device_id else step.args})
            except Exception:
                log.exception("an audit listener failed")
        return row_id

    def entries(self, limit: int = 50, *, verdict: str | None = None, since: datetime | None = None, user: str | None = None,
                device_id: str | None = None) -> list[dict[str, Any]]:
        where: list[str] = []
        params: list[Any] = []
        for column, wanted in (("verdict", verdict), ("user", user), ("device_id", device_id)):
            if wanted:
                where.append(f"{column} = ?")
                params.append(wanted)
        if since:
            where.append("time >= ?")
            params.append(since.isoformat())
        sql = "SELECT * FROM audit" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY id DESC LIMIT ?"
        try:
            with self._lock:
                rows = self.db.execute(sql, [*params, limit]).fetchall()
                columns = [c.name for c in self.db.table("audit").columns]
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot read the audit log in {self.path}: {exc}; stop iotlm and start it again: it checks "
                                "the file and says what to do") from exc
        out = [dict(zip(columns, r, strict=True)) for r in rows]
        for entry in out:
            entry["value"] = json.loads(entry["value"]) if entry["value"] else None
            entry["reading"] = json.loads(entry["reading"]) if entry.get("reading") else None
        return out[::-1]

    def count(self, verdict: str | None = None) -> int:
        with self._lock:
            if verdict is None:
                return int(self.db.execute("SELECT count(*) FROM audit").fetchone()[0])
            return int(self.db.execute("SELECT count(*) FROM audit WHERE verdict = ?", [verdict]).fetchone()[0])

__all__ = ["MIGRATIONS", "AuditLog"]
