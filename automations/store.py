"""Rules and their running state in SQLite; rules from a YAML file, with the line of each problem.

Rule state (armed or not, when a rule last fired, pending "put it back" actions) is kept here
so that it survives a restart, and so that several ``iotlm run`` workers sharing one home
directory fire each rule once: arming and firing are compare-and-set updates.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
import yaml
from pydantic import ValidationError

from iotlm.automations.model import Rule
from iotlm.device_drivers.model import first_error
from iotlm.memory.migrations import DatabaseError, SqliteStore


def _v1(db: sqlite_utils.Database) -> None:
    db.table("rules").create({"id": str, "rule": str, "enabled": int, "owner": str, "created": float, "source": str},
                             pk="id", not_null={"rule"})
    db.table("rule_state").create({"rule_id": str, "armed": int, "last_fired": float, "fired": int}, pk="rule_id")
    db.table("rule_timers").create({"id": int, "rule_id": str, "due": float, "kind": str, "payload": str},
                                   pk="id", not_null={"due", "kind"})
    db.table("rule_timers").create_index(["due"])


MIGRATIONS = [_v1]


@dataclass
class _Result:
    rows: list[Any]
    rowcount: int
    lastrowid: int | None

    def fetchall(self) -> list[Any]:
        return self.rows

    def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None


class RuleStore(SqliteStore):
    component = "rules"
    migrations = MIGRATIONS
    what = "the rules database"

    def _run(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> _Result:
        """Run one statement to completion (a half-read cursor would keep a read transaction open, and the next
        write from this connection would then fail at once with 'database is locked' when another worker wrote)."""
        try:
            with self._lock:
                cur = self.db.execute(sql, params)
                rows = cur.fetchall()
                return _Result(rows, cur.rowcount, cur.lastrowid)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot use the rules database {self.path}: {exc}") from exc

    # ------------------------------------------------------------ rules

    def save(self, rule: Rule, source: str = "cli") -> None:
        self._run("INSERT INTO rules (id, rule, enabled, owner, created, source) VALUES (?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT(id) DO UPDATE SET rule = excluded.rule, enabled = excluded.enabled, owner = excluded.owner, "
                   "source = excluded.source",
                   [rule.id, rule.model_dump_json(by_alias=True), int(rule.enabled), rule.owner, time.time(), source])

    def rules(self) -> list[Rule]:
        rows = self._run("SELECT rule, enabled FROM rules ORDER BY id").fetchall()
        return [Rule.model_validate({**json.loads(r), "enabled": bool(e)}) for r, e in rows]

    def get(self, rule_id: str) -> Rule | None:
        row = self._run("SELECT rule, enabled FROM rules WHERE id = ?", [rule_id]).fetchone()
        return None if row is None else Rule.model_validate({**json.loads(row[0]), "enabled": bool(row[1])})

    def set_enabled(self, rule_id: str, enabled: bool) -> bool:
        return self._run("UPDATE rules SET enabled = ? WHERE id = ?", [int(enabled), rule_id]).rowcount > 0

    def finish(self, rule_id: str, note: str) -> None:
        """A job has run (or was dropped): it stays listed, disabled, with ``note`` saying what became of it; its
        later steps (timers) still run."""
        rule = self.get(rule_id)
        if rule is None:
            return
        done = rule.model_copy(update={"enabled": False, "note": note})
        self._run("UPDATE rules SET rule = ?, enabled = 0 WHERE id = ?", [done.model_dump_json(by_alias=True), rule_id])

    def disable_owner(self, owner: str, note: str) -> list[Rule]:
        """Stop every rule and job of ``owner`` (a person removed): disabled, with ``note`` saying why, and their
        delayed actions dropped (a "put it back" timer still runs, so nothing is left half done). Returns those that
        were running."""
        stopped = []
        for rule in self.rules():
            if rule.owner != owner or not rule.enabled:
                continue
            done = rule.model_copy(update={"enabled": False, "note": note})
            self._run("UPDATE rules SET rule = ?, enabled = 0 WHERE id = ?", [done.model_dump_json(by_alias=True), rule.id])
            self.cancel(rule.id, "action")
            stopped.append(rule)
        return stopped

    def remove(self, rule_id: str) -> bool:
        gone = self._run("DELETE FROM rules WHERE id = ?", [rule_id]).rowcount > 0
        self._run("DELETE FROM rule_state WHERE rule_id = ?", [rule_id])
        self._run("DELETE FROM rule_timers WHERE rule_id = ?", [rule_id])
        return gone

    def version(self) -> int:
        """Changes whenever rules are added, edited or removed (for a running service to reload)."""
        row = self._run("SELECT count(*), coalesce(sum(length(rule) * enabled), 0), coalesce(max(created), 0) FROM rules").fetchone()
        return hash(tuple(row))

    # ------------------------------------------------------------ state: arming, cooldown

    def arm(self, rule_id: str, armed: bool) -> None:
        self._run("INSERT INTO rule_state (rule_id, armed, last_fired, fired) VALUES (?, ?, 0, 0) "
                   "ON CONFLICT(rule_id) DO UPDATE SET armed = excluded.armed", [rule_id, int(armed)])

    def try_fire(self, rule_id: str, now: float, cooldown: float, *, each: bool = False) -> bool:
        """Fire if armed (or ``each``) and out of cooldown; one caller wins, across processes."""
        self._run("INSERT OR IGNORE INTO rule_state (rule_id, armed, last_fired, fired) VALUES (?, 1, 0, 0)", [rule_id])
        cur = self._run("UPDATE rule_state SET armed = 0, last_fired = max(last_fired, ?), fired = fired + 1 "
                         "WHERE rule_id = ? AND (armed = 1 OR ?) AND (? <= 0 OR last_fired <= ?)",
                         [now, rule_id, int(each), cooldown, now - cooldown])
        return cur.rowcount == 1

    def state(self, rule_id: str) -> dict[str, Any]:
        row = self._run("SELECT armed, last_fired, fired FROM rule_state WHERE rule_id = ?", [rule_id]).fetchone()
        return {"armed": True, "last_fired": None, "fired": 0} if row is None else {
            "armed": bool(row[0]), "last_fired": row[1] or None, "fired": row[2]}

    # ------------------------------------------------------------ timers: delayed actions, reverts, "for" checks

    def add_timer(self, rule_id: str, due: float, kind: str, payload: dict[str, Any]) -> int:
        cur = self._run("INSERT INTO rule_timers (rule_id, due, kind, payload) VALUES (?, ?, ?, ?)",
                         [rule_id, due, kind, json.dumps(payload)])
        return int(cur.lastrowid or 0)

    def take_due(self, now: float) -> list[dict[str, Any]]:
        """Timers that are due, removed as they are taken (a timer runs once, whichever worker takes it)."""
        out = []
        for tid, rule_id, due, kind, payload in self._run(
                "SELECT id, rule_id, due, kind, payload FROM rule_timers WHERE due <= ? ORDER BY due", [now]).fetchall():
            if self._run("DELETE FROM rule_timers WHERE id = ?", [tid]).rowcount == 1:
                out.append({"id": tid, "rule_id": rule_id, "due": due, "kind": kind, "payload": json.loads(payload)})
        return out

    def cancel(self, rule_id: str, kind: str) -> int:
        return self._run("DELETE FROM rule_timers WHERE rule_id = ? AND kind = ?", [rule_id, kind]).rowcount

    def next_due(self) -> float | None:
        row = self._run("SELECT min(due) FROM rule_timers").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def timers(self) -> list[dict[str, Any]]:
        rows = self._run("SELECT id, rule_id, due, kind, payload FROM rule_timers ORDER BY due").fetchall()
        return [{"id": i, "rule_id": r, "due": d, "kind": k, "payload": json.loads(p)} for i, r, d, k, p in rows]

# ---------------------------------------------------------------- YAML


@dataclass
class LoadProblem:
    line: int
    rule_id: str | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}" + (f" (rule {self.rule_id})" if self.rule_id else "") + f": {self.reason}"


def load_yaml(path: Path) -> tuple[list[tuple[Rule, int]], list[LoadProblem]]:
    """The rules in a YAML file, each with its line, and a problem per rule that cannot be read.

    A file that is not YAML at all is one problem (with the line where reading stopped); a bad
    rule is one problem and the file's other rules still load.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [], [LoadProblem(0, None, f"cannot read {path}: {exc}")]
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        return [], [LoadProblem(line, None, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]
    if data is None:
        return [], []
    items, nodes = data, root
    if isinstance(data, dict):
        items = data.get("rules")
        nodes = next((v for k, v in root.value if k.value == "rules"), None) if root is not None else None
        if items is None:
            return [], [LoadProblem(1, None, "expected a list of rules, or a mapping with a 'rules' list")]
    if not isinstance(items, list) or nodes is None:
        return [], [LoadProblem(1, None, "expected a list of rules, or a mapping with a 'rules' list")]
    rules, problems = [], []
    seen: set[str] = set()
    for item, node in zip(items, nodes.value, strict=False):
        line = node.start_mark.line + 1
        rule_id = item.get("id") if isinstance(item, dict) else None
        try:
            rule = Rule.model_validate(item)
        except ValidationError as exc:
            where, what = first_error(exc)
            problems.append(LoadProblem(line, rule_id, f"{where}: {what}" if where else what))
            continue
        if rule.id in seen:
            problems.append(LoadProblem(line, rule.id, "a second rule with this id; ids must be unique"))
            continue
        seen.add(rule.id)
        rules.append((rule, line))
    return rules, problems


def dump_yaml(rules: list[Rule]) -> str:
    data = [r.model_dump(by_alias=True, exclude_defaults=True) | {"id": r.id} for r in rules]
    return yaml.safe_dump({"rules": data}, sort_keys=False, allow_unicode=True)


__all__ = ["MIGRATIONS", "LoadProblem", "RuleStore", "dump_yaml", "load_yaml"]
