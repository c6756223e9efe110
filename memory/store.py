"""The memory store: SQLite (sqlite-utils) is the source of truth for everything remembered.

Tables: state history (every reported change), conversation turns, episodes (utterance,
plan, outcome, tier), memories (facts and preferences, who said them and when), and
embeddings (vectors by content hash, so unchanged text is never embedded twice).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from iotlm.memory.migrations import DatabaseError, SqliteStore, transaction

KINDS = ("fact", "preference", "note", "situation")
"""A "situation" is a taught phrase and what it does: "movie night => dim the lounge lights to 10%"."""


def _v1(db: sqlite_utils.Database) -> None:
    db.table("state_history").create({"id": int, "time": float, "device_id": str, "attribute": str, "value": str},
                                     pk="id", not_null={"time", "device_id", "attribute"})
    db.table("state_history").create_index(["device_id", "attribute", "time"])
    db.table("state_history").create_index(["time"])
    db.table("turns").create({"id": int, "time": float, "thread": str, "user": str, "utterance": str, "reply": str},
                             pk="id", not_null={"time", "utterance"})
    db.table("episodes").create({"id": int, "time": float, "user": str, "utterance": str, "plan": str, "outcome": str,
                                 "tier": str, "success": int}, pk="id", not_null={"time", "utterance"})
    db.table("memories").create({"id": int, "time": float, "user": str, "kind": str, "text": str}, pk="id",
                                not_null={"time", "kind", "text"})
    db.table("embeddings").create({"hash": str, "model": str, "dim": int, "vector": bytes}, pk=("hash", "model"))


def _v2(db: sqlite_utils.Database) -> None:
    # a memory (a fact, a preference, a taught phrase) is its person's own until an admin shares it with the household
    db.execute("ALTER TABLE memories ADD COLUMN shared INTEGER NOT NULL DEFAULT 0")


MIGRATIONS = [_v1, _v2]
_MEMORY = "id, time, user, kind, text, shared"


def content_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


class MemoryStore(SqliteStore):
    component = "memory"
    migrations = MIGRATIONS
    what = "the memory database"

    def _write(self, table: str, row: dict[str, Any]) -> int:
        try:
            with self._lock:
                pk = self.db.table(table).insert(row).last_pk
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot write to the memory database {self.path}: {exc}") from exc
        return int(pk) if pk is not None else -1

    # ------------------------------------------------------------ state history

    def record_states(self, rows: Iterable[tuple[float, str, str, Any]]) -> int:
        """(time, device id, attribute, value) rows, written in one transaction."""
        data = [{"time": t, "device_id": d, "attribute": a, "value": json.dumps(v)} for t, d, a, v in rows]
        if not data:
            return 0
        try:
            with self._lock, self.db.conn:
                self.db.table("state_history").insert_all(data, batch_size=500)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot write state history to {self.path}: {exc}") from exc
        return len(data)

    def history(self, device_id: str, attribute: str | None = None, *, since: float | None = None,
                until: float | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        where: list[str] = ["device_id = ?"]
        params: list[Any] = [device_id]
        if attribute:
            where.append("attribute = ?")
            params.append(attribute)
        if since is not None:
            where.append("time >= ?")
            params.append(since)
        if until is not None:
            where.append("time <= ?")
            params.append(until)
        sql = f"SELECT time, device_id, attribute, value FROM state_history WHERE {' AND '.join(where)} ORDER BY time DESC LIMIT ?"
        with self._lock:
            rows = self.db.execute(sql, [*params, limit]).fetchall()
        return [{"time": t, "device_id": d, "attribute": a, "value": json.loads(v)} for t, d, a, v in rows]

    def changes(self, *, since: float | None = None, until: float | None = None,
                attributes: Iterable[str] | None = None) -> list[tuple[float, str, str, Any]]:
        """Every recorded change, oldest first, as (time, device id, attribute, value): what routine mining reads."""
        where = ["time >= ?", "time <= ?"]
        params: list[Any] = [since if since is not None else 0.0, until if until is not None else 1e18]
        names = list(attributes or [])
        if names:
            where.append(f"attribute IN ({', '.join('?' * len(names))})")
            params += names
        sql = f"SELECT time, device_id, attribute, value FROM state_history WHERE {' AND '.join(where)} ORDER BY time, rowid"
        with self._lock:
            rows = self.db.execute(sql, params).fetchall()
        return [(t, d, a, json.loads(v)) for t, d, a, v in rows]

    def latest(self, device_id: str, attribute: str) -> Any:
        """The latest recorded value of ``device_id.attribute`` (None when there is none)."""
        with self._lock:
            row = self.db.execute("SELECT value FROM state_history WHERE device_id = ? AND attribute = ? ORDER BY time DESC LIMIT 1",
                                  [device_id, attribute]).fetchone()
        return json.loads(row[0]) if row else None

    def last_change(self, device_id: str, attribute: str, value: Any) -> float | None:
        """When ``device_id.attribute`` last became ``value`` (e.g. the front door last unlocked)."""
        with self._lock:
            row = self.db.execute("SELECT max(time) FROM state_history WHERE device_id = ? AND attribute = ? AND value = ?",
                                  [device_id, attribute, json.dumps(value)]).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    # ------------------------------------------------------------ turns and episodes

    def add_turn(self, thread: str, user: str, utterance: str, reply: str) -> int:
        return self._write("turns", {"time": time.time(), "thread": thread, "user": user, "utterance": utterance, "reply": reply})

    def add_episode(self, user: str, utterance: str, plan: list[dict[str, Any]], outcome: list[dict[str, Any]], tier: str,
                    success: bool) -> int:
        return self._write("episodes", {"time": time.time(), "user": user, "utterance": utterance, "plan": json.dumps(plan),
                                        "outcome": json.dumps(outcome), "tier": tier, "success": int(success)})

    def episodes(self, *, successful: bool | None = None, limit: int = 10_000, user: str | None = None) -> list[dict[str, Any]]:
        """Episodes, newest first; ``user``: only that person's."""
        where: list[str] = []
        params: list[Any] = []
        if successful is not None:
            where.append("success = ?")
            params.append(int(successful))
        if user is not None:
            where.append("user = ?")
            params.append(user)
        sql = "SELECT id, time, user, utterance, plan, outcome, tier, success FROM episodes"
        sql += f" WHERE {' AND '.join(where)}" if where else ""
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", [*params, limit]).fetchall()
        return [{"id": i, "time": t, "user": u, "utterance": x, "plan": json.loads(p), "outcome": json.loads(o), "tier": tier,
                 "success": bool(s)} for i, t, u, x, p, o, tier, s in rows]

    # ------------------------------------------------------------ memories

    def add_memory(self, text: str, *, kind: str = "fact", user: str = "owner", shared: bool = False) -> int:
        if kind not in KINDS:
            raise ValueError(f"memory kind {kind!r}: use one of {', '.join(KINDS)}")
        if not text.strip():
            raise ValueError("a memory needs some text")
        return self._write("memories", {"time": time.time(), "user": user, "kind": kind, "text": text.strip(),
                                        "shared": int(shared)})

    def memories(self, *, kind: str | None = None, limit: int = 10_000, visible_to: str | None = None) -> list[dict[str, Any]]:
        """Memories, newest first; ``visible_to``: only that person's own and the shared ones."""
        where: list[str] = []
        params: list[Any] = []
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if visible_to is not None:
            where.append("(user = ? OR shared = 1)")
            params.append(visible_to)
        sql = f"SELECT {_MEMORY} FROM memories" + (f" WHERE {' AND '.join(where)}" if where else "")
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", [*params, limit]).fetchall()
        return [_memory_row(r) for r in rows]

    def memory(self, memory_id: int) -> dict[str, Any] | None:
        with self._lock:
            row = self.db.execute(f"SELECT {_MEMORY} FROM memories WHERE id = ?", [memory_id]).fetchone()
        return None if row is None else _memory_row(row)

    def share(self, memory_id: int, shared: bool = True) -> bool:
        """Share a memory with the whole household (or take it back); False when there is no such memory."""
        try:
            with self._lock:
                count = self.db.execute("UPDATE memories SET shared = ? WHERE id = ?", [int(shared), memory_id]).rowcount
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot share memory {memory_id} in {self.path}: {exc}") from exc
        return bool(count)

    def forget(self, memory_id: int) -> bool:
        """Delete the memory and its embedding (unless another memory has the same text)."""
        found = self.memory(memory_id)
        if found is None:
            return False
        digest = content_hash(found["text"])
        try:
            with self._lock, transaction(self.db):
                self.db.execute("DELETE FROM memories WHERE id = ?", [memory_id])
                still = self.db.execute("SELECT count(*) FROM memories WHERE text = ?", [found["text"]]).fetchone()[0]
                if not still:
                    self.db.execute("DELETE FROM embeddings WHERE hash = ?", [digest])
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot forget memory {memory_id} in {self.path}: {exc}") from exc
        self.vacuum()
        return True

    def vacuum(self) -> None:
        """Make deletions real on disk (freed pages are rewritten, the WAL is checkpointed)."""
        with self._lock:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.execute("VACUUM")

    # ------------------------------------------------------------ embeddings cache

    def vectors(self, hashes: list[str], model: str) -> dict[str, bytes]:
        if not hashes:
            return {}
        out: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for h, v in self.db.execute(f"SELECT hash, vector FROM embeddings WHERE model = ? AND hash IN ({marks})",
                                            [model, *chunk]).fetchall():
                    out[h] = v
        return out

    def put_vectors(self, rows: dict[str, bytes], model: str, dim: int) -> None:
        if rows:
            with self._lock, self.db.conn:
                self.db.table("embeddings").upsert_all(
                    [{"hash": h, "model": model, "dim": dim, "vector": v} for h, v in rows.items()], pk=("hash", "model"))

    # ------------------------------------------------------------ retention

    def purge(self, *, keep_history_days: float, vacuum: bool = True) -> int:
        """Delete state history older than the retention window; return the rows deleted. With ``vacuum`` the
        freed pages are rewritten too, so the deleted values are gone from the file, not only unlinked."""
        cutoff = (datetime.now() - timedelta(days=keep_history_days)).timestamp()
        with self._lock, self.db.conn:
            deleted = self.db.execute("DELETE FROM state_history WHERE time < ?", [cutoff]).rowcount
        if vacuum and deleted:
            self.vacuum()
        return int(deleted)

def _memory_row(row: Any) -> dict[str, Any]:
    memory_id, stamp, user, kind, text, shared = row
    return {"id": memory_id, "time": stamp, "user": user, "kind": kind, "text": text, "shared": bool(shared)}


__all__ = ["KINDS", "MIGRATIONS", "MemoryStore", "content_hash"]
