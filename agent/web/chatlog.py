"""The web chat's threads as people see them: each request and the reply it got, kept in the home's SQLite file.

The agent's own threads (the LangGraph checkpoints) hold the conversation's state; this log holds what was said, so a
page can show a thread again after a reload.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import sqlite_utils

from iotlm.memory.migrations import DatabaseError, migrate, open_database


def _v1(db: sqlite_utils.Database) -> None:
    db.table("web_chat").create({"id": int, "time": float, "user": str, "thread": str, "text": str, "room": str,
                                 "body": str}, pk="id", not_null={"time", "user", "thread", "text", "body"})
    db.table("web_chat").create_index(["user", "thread", "id"])


MIGRATIONS = [_v1]


class ChatLog:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db = open_database(self.path)
        migrate(self.db, "web_chat", MIGRATIONS)
        self._lock = threading.Lock()

    def _exec(self, sql: str, params: list[Any]) -> list[Any]:
        try:
            with self._lock:
                return list(self.db.execute(sql, params).fetchall())
        except sqlite3.Error as exc:
            raise DatabaseError(f"web chat log in {self.path}: {exc}") from exc

    def add(self, user: str, thread: str, text: str, body: dict[str, Any], room: str | None) -> None:
        self._exec("INSERT INTO web_chat (time, user, thread, text, room, body) VALUES (?, ?, ?, ?, ?, ?)",
                   [time.time(), user, thread, text, room, json.dumps(body, default=str, ensure_ascii=False)])

    def messages(self, user: str, thread: str, limit: int = 200) -> list[dict[str, Any]]:
        rows = self._exec("SELECT time, text, room, body FROM web_chat WHERE user = ? AND thread = ? ORDER BY id DESC LIMIT ?",
                          [user, thread, limit])
        return [{"time": t, "text": x, "room": r, **json.loads(b)} for t, x, r, b in reversed(rows)]

    def threads(self, user: str) -> list[dict[str, Any]]:
        rows = self._exec("SELECT thread, max(time), count(*) FROM web_chat WHERE user = ? GROUP BY thread ORDER BY max(time) DESC",
                          [user])
        return [{"thread": t, "last": last, "count": n} for t, last, n in rows]

    def close(self) -> None:
        self.db.conn.close()
