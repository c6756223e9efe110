"""Notices: what the watchers saw, said to the people concerned, kept with what became of each.

:class:`Notices` is the watch engine's notifier. For each alert it writes one notice (SQLite, the home's
``iotlm.db``), in plain words that say what was seen and since when, and decides who is told now: the people whose
role the watcher names, except, for anything but safety, during quiet hours (the policy file's ``[quiet_hours]``),
past the rate limit (:data:`MAX_PUSHES` in :data:`PUSH_WINDOW_S`), or where that person muted the watcher. Whoever is
not told now still finds it listed (``iotlm notifications``, the web page, "anything I should know?"). Delivery is
by listeners (the web app's live events, MQTT ``iotlm/<home>/notify/<user>``): each gets the notice and the people
told. A notice may offer an action, which :meth:`Notices.act` records after the caller ran it through the gate.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlite_utils

from iotlm.automations.watch import Alert
from iotlm.automations.watchers import Watcher
from iotlm.device_drivers.capabilities import CAPABILITIES, shown
from iotlm.device_drivers.clock import WALL, Clock, Window
from iotlm.device_drivers.model import Device, describe_device
from iotlm.errors import UserError
from iotlm.memory.migrations import SqliteStore

MAX_PUSHES = 6
PUSH_WINDOW_S = 3600.0
"""At most MAX_PUSHES notices (other than safety) pushed to one person in this many seconds."""

Listener = Callable[[dict[str, Any], list[str]], None]


def _v1(db: sqlite_utils.Database) -> None:
    db.table("notices").create({"id": int, "watcher": str, "about": str, "level": str, "device_id": str, "room": str,
                                "text": str, "since": float, "at": float, "ended": float, "suggest": str, "status": str,
                                "outcome": str, "told": str, "held": str}, pk="id", not_null={"watcher", "text", "at"})
    db.table("notices").create_index(["at"])
    db.table("notice_mutes").create({"user": str, "watcher": str, "device_id": str, "until": float},
                                    pk=("user", "watcher", "device_id"))


MIGRATIONS = [_v1]
_ADD_OUTCOME = "outcome = CASE WHEN outcome = '' THEN ? ELSE outcome || '; ' || ? END"
"""What became of a notice, added to what became of it before (the value twice)."""


def duration(seconds: float) -> str:
    """"11 minutes", "1 hour 5 minutes", "2 days"."""
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 1:
        return f"{int(max(0.0, seconds))} seconds"
    if minutes < 60:
        return f"{minutes} minute{'s' * (minutes != 1)}"
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours // 24} days"
    text = f"{hours} hour{'s' * (hours != 1)}"
    return text + (f" {minutes} minute{'s' * (minutes != 1)}" if minutes else "")


class Notices(SqliteStore):
    component = "notices"
    migrations = MIGRATIONS
    what = "the notifications"

    def __init__(self, path: Any, *, people: Callable[[], dict[str, str]], clock: Clock = WALL,
                 quiet: Callable[[], Window | None] = lambda: None, max_pushes: int = MAX_PUSHES,
                 push_window_s: float = PUSH_WINDOW_S, devices: Callable[[], list[Device]] = lambda: []) -> None:
        """``people()``: name -> role of everyone who may be told; ``quiet()``: the quiet hours now, or None;
        ``devices()``: the home's devices, for an action on another device of the room (the bathroom's fan)."""
        super().__init__(path)
        self.devices = devices
        self.people = people
        self.clock = clock
        self.quiet = quiet
        self.max_pushes = max_pushes
        self.push_window_s = push_window_s
        self.listeners: list[Listener] = []
        self._pushed: dict[str, list[float]] = {}
        self._last_end: dict[tuple[str, str], float] = {}
        self._guard = threading.Lock()
        self._columns = [c.name for c in self.db.table("notices").columns]

    def _notices(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        """Whole notices, as dicts with their JSON fields read."""
        return [self._shape(dict(zip(self._columns, row, strict=True))) for row in self._exec(sql, params)]

    # ------------------------------------------------------------ the engine's side

    def raised(self, alert: Alert) -> int | None:
        watcher, device = alert.watcher, alert.device
        with self._guard:
            ended = self._last_end.get((watcher.id, device.id))
            if ended is not None and alert.since - ended < watcher.again:
                return None  # the same thing about the same device, again: said once
        text = self.say(alert)
        suggest = self._suggest(watcher, device)
        told, held = self._audience(watcher, device.id, alert.at)
        row = {"watcher": watcher.id, "about": watcher.about, "level": watcher.level, "device_id": device.id,
               "room": device.room or "", "text": text, "since": alert.since, "at": alert.at, "ended": None,
               "suggest": json.dumps(suggest) if suggest else None, "status": "open", "outcome": "",
               "told": json.dumps(told), "held": json.dumps(held)}
        with self._lock:
            notice_id = int(self.db.table("notices").insert(row).last_pk or 0)
        notice = self._shape({**row, "id": notice_id})
        for listener in list(self.listeners):
            listener(notice, told)
        return notice_id

    def ended(self, notice_id: int, at: float) -> None:
        rows = self._exec("SELECT watcher, device_id FROM notices WHERE id = ?", [notice_id])
        if not rows:
            return
        watcher, device_id = rows[0]
        with self._guard:
            self._last_end[(watcher, device_id)] = at
        outcome = f"over at {self._hhmm(at)}"
        self._exec(f"UPDATE notices SET ended = ?, status = CASE WHEN status = 'open' THEN 'over' ELSE status END, "
                   f"{_ADD_OUTCOME} WHERE id = ?", [at, outcome, outcome, notice_id])
        self._updated({"id": notice_id, "ended": at, "status": "over", "outcome": outcome})

    # ------------------------------------------------------------ words

    def say(self, alert: Alert) -> str:
        device = alert.device
        value = alert.value
        attribute = next(iter(alert.watcher.is_), "power" if alert.watcher.unusual == "power" else "state")
        # the room always: a notice is read later, out of context
        fields = {"device": describe_device(device, room="always").removeprefix("the "), "room": device.room or "home",
                  "value": f"{shown(attribute, value)}{_unit(attribute)}" if value is not None else "?",
                  "for": duration(alert.at - alert.since), "since": self._hhmm(alert.since),
                  "usual": f"{alert.usual:.0f} W" if alert.usual is not None else "?"}
        text = alert.watcher.say.format(**fields)
        return text[0].upper() + text[1:]

    def _suggest(self, watcher: Watcher, device: Device) -> dict[str, Any] | None:
        if watcher.suggest is None:
            return None
        target = device
        if watcher.suggest.device is not None:
            target = next((d for d in self._room_devices(device) if watcher.suggest.device.matches(d)), None)  # type: ignore[assignment]
            if target is None:
                return None
        attribute, value = next(iter(watcher.suggest.set.items()))
        if attribute not in target.attributes or not target.attributes[attribute].writable:
            return None
        said = watcher.suggest.say.format(device=describe_device(target, room="always").removeprefix("the "))
        offer: dict[str, Any] = {"say": said, "device_id": target.id, "attribute": attribute, "value": value}
        if watcher.suggest.for_:
            offer["for_s"] = watcher.suggest.for_
        return offer

    def _room_devices(self, device: Device) -> list[Device]:
        return [d for d in self.devices() if d.room and device.room and d.room.lower() == device.room.lower()]

    def _hhmm(self, t: float) -> str:
        return datetime.fromtimestamp(t, self.clock().tzinfo).strftime("%H:%M")

    # ------------------------------------------------------------ who is told

    def _audience(self, watcher: Watcher, device_id: str, at: float) -> tuple[list[str], dict[str, str]]:
        told: list[str] = []
        held: dict[str, str] = {}
        quiet = self.quiet()
        moment = datetime.fromtimestamp(at, self.clock().tzinfo).time()
        mutes = {(u, d) for u, d in self._exec(
            "SELECT user, device_id FROM notice_mutes WHERE watcher = ? AND (until IS NULL OR until > ?)", [watcher.id, at])}
        for name, role in sorted(self.people().items()):
            if role not in watcher.to:
                continue
            if watcher.level != "safety":
                if (name, device_id) in mutes or (name, "*") in mutes:
                    held[name] = "muted"
                    continue
                if quiet is not None and quiet.contains(moment):
                    held[name] = "quiet hours"
                    continue
                with self._guard:
                    recent = [t for t in self._pushed.get(name, []) if at - t < self.push_window_s]
                    if len(recent) >= self.max_pushes:
                        held[name] = f"over {self.max_pushes} in {duration(self.push_window_s)}"
                        self._pushed[name] = recent
                        continue
                    self._pushed[name] = [*recent, at]
            told.append(name)
        return told, held

    def mute(self, user: str, notice_id: int, *, everywhere: bool = False, for_s: float | None = None) -> str:
        """``user`` is no longer pushed this notice's watcher about its device (``everywhere``: about any device)."""
        notice = self.get(notice_id, user)
        if notice["level"] == "safety":
            raise UserError("safety notices (leak, smoke, carbon monoxide, locks) cannot be muted; fix or remove the device")
        until = self.clock().timestamp() + for_s if for_s else None
        device = "*" if everywhere else notice["device_id"]
        self._exec("INSERT INTO notice_mutes (user, watcher, device_id, until) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT(user, watcher, device_id) DO UPDATE SET until = excluded.until",
                   [user, notice["watcher"], device, until])
        what = f"{notice['about']} notices ({notice['watcher']})" + ("" if everywhere else f" about {notice['device_id']}")
        return f"Muted {what} for {user}" + (f" for {duration(for_s)}" if for_s else "") + "."

    def unmute(self, user: str, watcher: str) -> int:
        return len(self._exec("DELETE FROM notice_mutes WHERE user = ? AND watcher = ? RETURNING 1", [user, watcher]))

    # ------------------------------------------------------------ reading them

    def list(self, user: str | None = None, *, since: float | None = None, limit: int = 50,
             everyone: bool = False) -> list[dict[str, Any]]:
        """The latest notices, newest first: those meant for ``user`` (told or held), or all with ``everyone``."""
        mine = "" if everyone or user is None else \
            " AND (EXISTS (SELECT 1 FROM json_each(told) WHERE value = ?) OR EXISTS (SELECT 1 FROM json_each(held) WHERE key = ?))"
        return self._notices(f"SELECT * FROM notices WHERE at >= ?{mine} ORDER BY at DESC, id DESC LIMIT ?",
                             [since or 0.0, *([] if not mine else [user, user]), limit])

    def get(self, notice_id: int, user: str | None = None, *, everyone: bool = False) -> dict[str, Any]:
        found = self._notices("SELECT * FROM notices WHERE id = ?", [notice_id])
        notice = found[0] if found else None
        if notice is None or not (everyone or user is None or user in notice["told"] or user in notice["held"]):
            raise UserError(f"there is no notification {notice_id} for {user}; `iotlm notifications` lists them")
        return notice

    def acted(self, notice_id: int, user: str, outcome: str, done: bool) -> None:
        """Record what became of a notice's action, tapped by ``user``."""
        self._exec(f"UPDATE notices SET status = CASE WHEN ? THEN 'acted' ELSE status END, {_ADD_OUTCOME} WHERE id = ?",
                   [int(done), f"{user}: {outcome}", f"{user}: {outcome}", notice_id])
        self._updated({"id": notice_id, "status": "acted" if done else "open", "outcome": f"{user}: {outcome}"})

    def _updated(self, change: dict[str, Any]) -> None:
        """Tell the listeners what became of a notice, for the people it was meant for (told or held)."""
        rows = self._exec("SELECT told, held, status FROM notices WHERE id = ?", [change["id"]])
        if not rows:
            return
        people = sorted({*json.loads(rows[0][0] or "[]"), *json.loads(rows[0][1] or "{}")})
        for listener in list(self.listeners):
            listener({**change, "status": rows[0][2]}, people)

    def digest(self, user: str, since: float, *, still_going: bool = False) -> str:
        """"What happened today?": the notices since ``since`` meant for ``user``, in words, oldest first; with
        ``still_going``, also older ones whose condition still holds ("anything I should know?")."""
        found = {n["id"]: n for n in self.list(user, since=since, limit=20)}
        if still_going:
            found.update({n["id"]: n for n in self.list(user, limit=200) if n["status"] == "open"})
        if not found:
            return f"Nothing to report since {self._hhmm(since)}."
        ordered = sorted(found.values(), key=lambda n: n["at"])
        lines = [f"{self._hhmm(n['at'])} {n['text']}" + (f" ({n['outcome']})" if n["outcome"] else "") for n in ordered]
        still = [n for n in ordered if n["status"] == "open"]
        head = f"{len(ordered)} notice{'s' * (len(ordered) != 1)}" + (f", {len(still)} still going" if still else "")
        return head + ":\n" + "\n".join(lines)

    @staticmethod
    def _shape(row: dict[str, Any]) -> dict[str, Any]:
        out = dict(row)
        for key, empty in (("suggest", None), ("told", []), ("held", {})):
            out[key] = json.loads(row[key]) if row.get(key) else empty
        return out


def _unit(attribute: str) -> str:
    unit = CAPABILITIES[attribute].unit if attribute in CAPABILITIES else None
    return "" if not unit else ("%" if unit == "%" else f" {unit}")


__all__ = ["MAX_PUSHES", "PUSH_WINDOW_S", "Listener", "Notices", "duration"]
