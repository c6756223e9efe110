"""The watch engine: device reports in, notices out, in microseconds per report and with no model call.

Every report is looked up in an index (device -> the watchers that look at it, directly or as the ``with`` device of
its room) and only those conditions are evaluated. A condition that starts to hold opens an *episode* (since when);
:meth:`WatchEngine.tick` (once a second on a thread, or as a benchmark moves its clock) tells the notifier when an
episode has held for its watcher's ``for``, and ends it once the condition has stopped holding for
:data:`SETTLE_S` (sensor noise around a threshold neither restarts the count nor sends a second notice).

``unusual`` conditions are judged against each device's own history (:class:`Usual`), learned from the reports
themselves and, at start, from the state history: *hour*, a device turned on at an hour of the day it has not been on
at (nor the hour either side) in at least :data:`LEARN_DAYS` days; *power*, a reading far above the device's usual at
this hour of the week (mean + max(4 sd, half the mean, 20 W) of its readings at that hour of the week, or of the
day while the week's hour has few), after at least :data:`POWER_DAYS` days.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from iotlm.automations.watchers import Watcher, holds
from iotlm.device_drivers.clock import WALL, real_seconds
from iotlm.device_drivers.model import Device, Value
from iotlm.device_drivers.registry import DeviceRegistry

log = logging.getLogger(__name__)

ON = ("on", "playing", "open")
"""The states in which a device is on (judged for an *unusual hour*)."""
SETTLE_S = 120.0
"""How long a condition on a number ({">": 80}) must stop holding before its episode ends: a reading that wavers around
its threshold is one episode, not many. A condition on a state (open, on, occupied) ends the moment it stops holding."""
LEARN_DAYS = 14.0
"""How much history an *unusual hour* judgement needs."""
STRANGE_TIMES = 3
"""An unusual hour seen this often becomes usual (a new habit)."""
POWER_DAYS = 7.0
"""How much history an *unusual power* judgement needs."""


@dataclass
class Alert:
    """An episode that has held long enough: what the notifier is told."""

    watcher: Watcher
    device: Device
    since: float
    at: float
    value: Value = None
    usual: float | None = None


class Notifier(Protocol):
    def raised(self, alert: Alert) -> int | None:
        """Tell the people concerned; the notice's id (None: not told, e.g. said about this device too recently)."""

    def ended(self, notice_id: int, at: float) -> None:
        """The condition stopped holding at ``at``."""


@dataclass
class Episode:
    since: float
    notice: int | None = None
    told: bool = False
    false_since: float | None = None
    value: Value = None
    usual: float | None = None


@dataclass
class _Stat:
    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, x: float) -> None:
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)

    @property
    def sd(self) -> float:
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 0.0


@dataclass
class Usual:
    """One device's habits: the hours of the day it has been on at, and its power per hour of the week."""

    first: float | None = None
    on_hours: set[int] = field(default_factory=set)
    strange: dict[int, int] = field(default_factory=dict)
    """Hours it was seen on at although that was unusual, and how often."""
    power_week: dict[int, _Stat] = field(default_factory=dict)
    power_day: dict[int, _Stat] = field(default_factory=dict)

    def learn_on(self, moment: datetime) -> None:
        self.first = self.first if self.first is not None else moment.timestamp()
        self.on_hours.add(moment.hour)

    def odd_hour(self, moment: datetime) -> bool:
        if self.first is None or moment.timestamp() - self.first < LEARN_DAYS * 86400:
            return False
        return not ({(moment.hour + d) % 24 for d in (-1, 0, 1)} & self.on_hours)

    def learn_power(self, moment: datetime, watts: float) -> None:
        self.first = self.first if self.first is not None else moment.timestamp()
        self.power_week.setdefault(moment.weekday() * 24 + moment.hour, _Stat()).add(watts)
        self.power_day.setdefault(moment.hour, _Stat()).add(watts)

    def usual_power(self, moment: datetime) -> tuple[float, float] | None:
        """(usual watts, the most that is still usual) at this hour of the week, or None while too little is known:
        a week's history at least, and a few readings of this hour (of the week, else of the day)."""
        if self.first is None or moment.timestamp() - self.first < POWER_DAYS * 86400:
            return None
        week = self.power_week.get(moment.weekday() * 24 + moment.hour)
        stat = week if week is not None and week.n >= 6 else self.power_day.get(moment.hour)
        if stat is None or stat.n < 6:
            return None
        return stat.mean, stat.mean + max(4 * stat.sd, 0.5 * stat.mean, 20.0)


class WatchEngine:
    def __init__(self, registry: DeviceRegistry, watchers: Iterable[Watcher], notifier: Notifier, *,
                 clock: Callable[[], datetime] = WALL) -> None:
        self.registry = registry
        self.notifier = notifier
        self.clock = clock
        self.watchers = [w for w in watchers if w.enabled]
        self._by_id = {w.id: w for w in self.watchers}
        self.reports = 0
        self.episodes: dict[tuple[str, str], Episode] = {}
        self.usual: dict[str, Usual] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._changed: dict[str, float] = {}
        """device -> when its reported values last changed (or it first reported)."""
        self._last: dict[str, dict[str, Any]] = {}
        self._on: set[str] = set()
        """Devices seen turning on and not yet off (an *unusual hour* is judged when one turns on)."""
        self.index()

    # ------------------------------------------------------------ what looks at what

    def index(self) -> None:
        """(Re)build which watchers look at which device; call when devices come or go."""
        devices = self.registry.all()
        by_room: dict[str, list[Device]] = {}
        for device in devices:
            by_room.setdefault((device.room or "").lower(), []).append(device)
        direct: dict[str, list[Watcher]] = {}
        via: dict[str, list[tuple[Watcher, str]]] = {}
        timed: list[tuple[Watcher, str]] = []
        for watcher in self.watchers:
            for device in devices:
                if not watcher.devices.matches(device):
                    continue
                direct.setdefault(device.id, []).append(watcher)
                if watcher.with_ is not None and device.room:
                    for other in by_room.get(device.room.lower(), []):
                        if other.id != device.id and watcher.with_.devices.matches(other):
                            via.setdefault(other.id, []).append((watcher, device.id))
                if watcher.between or watcher.unchanged is not None or "available" in watcher.is_:
                    timed.append((watcher, device.id))
        with self._lock:
            self._direct, self._via, self._timed = direct, via, timed
            self._room_of = {d.id: (d.room or "").lower() for d in devices}
            self._by_room = {room: [d.id for d in ds] for room, ds in by_room.items()}
            now = self.clock().timestamp()
            for device in devices:
                self._changed.setdefault(device.id, now)

    def watched(self) -> int:
        return sum(len(ws) for ws in self._direct.values())

    # ------------------------------------------------------------ reports

    def start(self, every: float | None = None) -> WatchEngine:
        self.registry.add_report_listener(self.on_report)
        tick = every if every is not None else min(1.0, max(0.01, real_seconds(self.clock, 5.0)))

        def run() -> None:
            while not self._stop.wait(tick):
                try:
                    self.tick()
                except Exception:  # a broken watcher must not stop the others
                    log.exception("watching failed")

        self._thread = threading.Thread(target=run, name="iotlm-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.registry.remove_report_listener(self.on_report)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def on_report(self, device_id: str, values: dict[str, Any]) -> None:
        """A device reported (changed or not): evaluate only the watchers that look at it."""
        self.reports += 1
        direct = self._direct.get(device_id)
        via = self._via.get(device_id)
        if direct is None and via is None:
            return
        device = self.registry.peek(device_id)
        if device is None:
            return
        moment = self.clock()
        now = moment.timestamp()
        with self._lock:
            last = self._last.setdefault(device_id, {})
            if any(name not in last or last[name] != value for name, value in values.items()):
                self._changed[device_id] = now  # (the registry has taken the values in already: compare with ours)
            last.update(values)
            for watcher in direct or ():
                if watcher.unusual is not None:
                    self._judge_usual(watcher, device, values, moment)
                elif watcher.is_:
                    self._update(watcher, device, now)
            for watcher, main in via or ():
                target = self.registry.peek(main)
                if target is not None:
                    self._update(watcher, target, now)

    def _holds(self, watcher: Watcher, device: Device, now: float) -> bool:
        for name, test in watcher.is_.items():
            value: Value = (device.availability != "offline") if name == "available" else \
                (device.attributes[name].value if name in device.attributes else None)
            if value is None or not holds(test, value):
                return False
        window = watcher.window
        if window is not None and not window.contains(datetime.fromtimestamp(now, self.clock().tzinfo).time()):
            return False
        if watcher.with_ is not None:
            room = self._room_of.get(device.id, "")
            found = False
            for other_id in self._by_room.get(room, ()):
                other = self.registry.peek(other_id) if other_id != device.id else None
                if other is not None and watcher.with_.devices.matches(other) and all(
                        n in other.attributes and holds(t, other.attributes[n].value) for n, t in watcher.with_.is_.items()):
                    found = True
                    break
            if not found:
                return False
        return True

    def _update(self, watcher: Watcher, device: Device, now: float, holding: bool | None = None) -> None:
        key = (watcher.id, device.id)
        episode = self.episodes.get(key)
        if holding is None:
            holding = self._holds(watcher, device, now)
        if holding:
            if episode is None:
                episode = self.episodes[key] = Episode(since=now, value=_value(watcher, device))
                if watcher.for_ <= 0:
                    self._tell(watcher, device, episode, now)
            else:
                episode.false_since = None
                episode.value = _value(watcher, device, episode.value)
        elif episode is not None and episode.false_since is None:
            episode.false_since = now
            if not self._settle(watcher):
                self._end(key, episode)

    def _end(self, key: tuple[str, str], episode: Episode) -> None:
        self.episodes.pop(key, None)
        if episode.notice is not None and episode.false_since is not None:
            self.notifier.ended(episode.notice, episode.false_since)

    def _judge_usual(self, watcher: Watcher, device: Device, values: dict[str, Any], moment: datetime) -> None:
        usual = self.usual.setdefault(device.id, Usual())
        now = moment.timestamp()
        if watcher.unusual == "hour" and "state" in values:
            key = (watcher.id, device.id)
            if values["state"] in ON and device.id not in self._on:
                self._on.add(device.id)
                if usual.odd_hour(moment):
                    if key not in self.episodes:
                        episode = self.episodes[key] = Episode(since=now, value=values["state"])
                        self._tell(watcher, device, episode, now)
                    # an odd hour is not a habit until it recurs: learned only on its third day
                    usual.strange[moment.hour] = usual.strange.get(moment.hour, 0) + 1
                    if usual.strange[moment.hour] >= STRANGE_TIMES:
                        usual.learn_on(moment)
                else:
                    usual.learn_on(moment)
            elif values["state"] not in ON:
                self._on.discard(device.id)
                if key in self.episodes and self.episodes[key].false_since is None:
                    self.episodes[key].false_since = now
        elif watcher.unusual == "power" and isinstance(values.get("power"), int | float):
            watts = float(values["power"])
            limits = usual.usual_power(moment)
            high = limits is not None and watts > limits[1]
            if not high:
                usual.learn_power(moment, watts)
            key = (watcher.id, device.id)
            self._update(watcher, device, now, holding=high)
            if high and key in self.episodes and limits is not None:
                self.episodes[key].value, self.episodes[key].usual = watts, limits[0]

    def learn(self, rows: Iterable[tuple[float, str, str, Any]]) -> int:
        """Learn the devices' habits from the state history ((time, device, attribute, value), oldest first)."""
        n = 0
        tz = self.clock().tzinfo
        with self._lock:
            for t, device_id, attribute, value in rows:
                watchers = [w for w in self._direct.get(device_id, ()) if w.unusual is not None]
                if not watchers:
                    continue
                usual = self.usual.setdefault(device_id, Usual())
                moment = datetime.fromtimestamp(t, tz)
                if attribute == "state" and value in ON:
                    usual.learn_on(moment)
                    n += 1
                elif attribute == "power" and isinstance(value, int | float):
                    usual.learn_power(moment, float(value))
                    n += 1
        return n

    # ------------------------------------------------------------ time

    def tick(self, now: float | None = None) -> None:
        """Tell what has held long enough, end what has stopped, and look at what time alone changes."""
        now = self.clock().timestamp() if now is None else now
        with self._lock:
            for watcher, device_id in self._timed:
                device = self.registry.peek(device_id)
                if device is None:
                    continue
                if watcher.unchanged is not None:
                    changed = self._changed.get(device_id, now)
                    key = (watcher.id, device_id)
                    if now - changed >= watcher.unchanged and key not in self.episodes:
                        episode = self.episodes[key] = Episode(since=changed)
                        self._tell(watcher, device, episode, now)
                    elif now - changed < watcher.unchanged and key in self.episodes:
                        self.episodes[key].false_since = self.episodes[key].false_since or now
                else:
                    self._update(watcher, device, now)
            for key, episode in list(self.episodes.items()):
                watcher = self._by_id[key[0]]
                if episode.false_since is not None and now - episode.false_since >= self._settle(watcher):
                    self._end(key, episode)
                elif not episode.told and now - episode.since >= watcher.for_:  # (a wavering reading, still settling, counts)
                    device = self.registry.peek(key[1])
                    if device is not None:
                        self._tell(watcher, device, episode, now)

    @staticmethod
    def _settle(watcher: Watcher) -> float:
        numeric = any(isinstance(t, dict) for t in watcher.is_.values()) or watcher.unusual == "power"
        return SETTLE_S if numeric else 0.0

    def _tell(self, watcher: Watcher, device: Device, episode: Episode, now: float) -> None:
        episode.told = True
        try:
            episode.notice = self.notifier.raised(Alert(watcher, device, episode.since, now, episode.value, episode.usual))
        except Exception:
            log.exception("telling about %s (%s) failed", watcher.id, device.id)


def _value(watcher: Watcher, device: Device, default: Value = None) -> Value:
    """The value a watcher's condition reads now (the first of its attributes the device has): what the notice says."""
    return next((device.attributes[n].value for n in watcher.is_ if n in device.attributes), default)


__all__ = ["LEARN_DAYS", "ON", "POWER_DAYS", "SETTLE_S", "STRANGE_TIMES", "Alert", "Episode", "Notifier", "Usual", "WatchEngine"]
