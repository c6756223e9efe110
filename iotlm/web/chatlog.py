"""The web chat's threads as people see them: each request and the reply it got, kept in the home's SQLite file.

The agent's own threads (the LangGraph checkpoints) hold the conversation's state; this log holds what was said, so a
page can show a thread again after a reload.
"""

from __future__ import annotations

import json
import time
from typing import Any

import sqlite_utils

from iotlm.memory.migrations import SqliteStore


def _v1(db: sqlite_utils.Database) -> None:
    db.table("web_chat").create({"id": int, "time": float, "user": str, "thread": str, "text": str, "room": str,
                                 "body": str}, pk="id", not_null={"time", "user", "thread", "text", "body"})
    db.table("web_chat").create_index(["user", "thread", "id"])


MIGRATIONS = [_v1]


class ChatLog(SqliteStore):
    component = "web_chat"
    migrations = MIGRATIONS
    what = "web chat log"

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


__all__ = ["MIGRATIONS", "ChatLog"]
