"""Routines a person repeats by hand, found in the state history and offered as rules.

A routine is a device set to the same value at about the same time of day on most days of a kind (every day, weekdays
or weekends): "the hallway light on at about 19:00 on weekdays". For each change to a device's ``state`` or ``mode``
(the things people switch), the times of day it happened are gathered per kind of day; the densest
:data:`WINDOW_MIN`-minute span of them is a routine when it holds the change on at least :data:`MIN_DAYS` days and on
:data:`MIN_SHARE` of the days of that kind seen, with its times no more than :data:`MAX_SD_MIN` minutes apart (standard
deviation). Changes iotlm made itself (a rule, a chat request) are left out by the caller: a rule already does them.

Each suggestion says what was seen in plain words and carries the rule sentence that, accepted, becomes the rule
(compiled like any rule a person writes: ``at 19:00 on weekdays turn on the hallway light``).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from iotlm.device_drivers.model import Device, describe_device

WINDOW_MIN = 40
MIN_DAYS = 5
MIN_SHARE = 0.7
MAX_SD_MIN = 10.0
KEYS = ("state", "mode")
"""The attributes whose changes are a person's doing (readings change by themselves)."""
DAY_KINDS: dict[str, tuple[int, ...]] = {"every day": tuple(range(7)), "weekdays": tuple(range(5)), "weekends": (5, 6)}


@dataclass(frozen=True)
class Routine:
    device_id: str
    attribute: str
    value: Any
    days: str
    """every day, weekdays or weekends"""
    at: str
    """HH:MM, the mean time"""
    seen: int
    of: int
    say: str
    rule: str

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _best_window(times: list[tuple[date, float]]) -> tuple[list[tuple[date, float]], float]:
    """The densest WINDOW_MIN-minute span of (day, minute of the day): its changes (one per day) and their spread."""
    ordered = sorted(times, key=lambda t: t[1])
    best: list[tuple[date, float]] = []
    j = 0
    for i in range(len(ordered)):
        while ordered[i][1] - ordered[j][1] > WINDOW_MIN:
            j += 1
        span = ordered[j:i + 1]
        by_day: dict[date, float] = {}
        for day, minute in span:
            by_day.setdefault(day, minute)
        if len(by_day) > len(best):
            best = sorted(by_day.items())
    spread = statistics.pstdev([m for _, m in best]) if len(best) > 1 else 0.0
    return best, spread


def find_routines(rows: Iterable[tuple[float, str, str, Any]], devices: dict[str, Device], tz: tzinfo,
                  *, since: float | None = None, until: float | None = None) -> list[Routine]:
    """Routines in (time, device, attribute, value) changes; ``since``/``until`` bound the days counted as seen."""
    events: dict[tuple[str, str, str], list[datetime]] = {}
    first = last = None
    for t, device_id, attribute, value in rows:
        first = t if first is None else min(first, t)
        last = t if last is None else max(last, t)
        device = devices.get(device_id)
        if attribute not in KEYS or device is None or attribute not in device.attributes or \
                not device.attributes[attribute].writable or device.read_only:
            continue
        events.setdefault((device_id, attribute, _key(value)), []).append(datetime.fromtimestamp(t, tz))
    if first is None or last is None:
        return []
    start, end = datetime.fromtimestamp(since or first, tz).date(), datetime.fromtimestamp(until or last, tz).date()
    span = [date.fromordinal(o) for o in range(start.toordinal(), end.toordinal() + 1)]
    found: list[Routine] = []
    for (device_id, attribute, value), moments in sorted(events.items()):
        picked: dict[str, tuple[list[tuple[date, float]], int]] = {}
        for kind in ("weekdays", "weekends"):
            days = DAY_KINDS[kind]
            seen_days = sum(1 for d in span if d.weekday() in days)
            times = [(m.date(), m.hour * 60 + m.minute + m.second / 60) for m in moments if m.weekday() in days]
            best, spread = _best_window(times)
            if seen_days and len(best) >= MIN_DAYS and len(best) / seen_days >= MIN_SHARE and spread <= MAX_SD_MIN:
                picked[kind] = (best, seen_days)
        if len(picked) == 2:
            (a, na), (b, nb) = picked["weekdays"], picked["weekends"]
            if abs(_mean(a) - _mean(b)) <= WINDOW_MIN / 2:
                picked = {"every day": (a + b, na + nb)}
        for kind, (best, seen_days) in picked.items():
            found.append(_routine(devices[device_id], attribute, value, kind, _mean(best), len(best), seen_days))
    return found


def recent_routines(store: Any, audit: Any, devices: dict[str, Device], now: datetime, days: float) -> list[Routine]:
    """The routines done by hand in the ``days`` before ``now``: the state history (``MemoryStore.changes``) less what
    the audit log (``AuditLog.entries``) says iotlm did, in ``now``'s time zone."""
    since = now - timedelta(days=days)
    rows = by_hand(store.changes(since=since.timestamp(), attributes=KEYS), audit.entries(limit=100_000, since=since))
    return find_routines(rows, devices, now.tzinfo or UTC, since=since.timestamp(), until=now.timestamp())


def by_hand(rows: Iterable[tuple[float, str, str, Any]], audit: Iterable[dict[str, Any]], *, slack_s: float = 5.0
            ) -> list[tuple[float, str, str, Any]]:
    """The changes nobody asked iotlm for: those with no allowed action on the same device in the audit log within
    ``slack_s`` seconds before (a rule, a chat request, a scheduled job already does them)."""
    done: dict[str, list[float]] = {}
    for entry in audit:
        if entry.get("verdict") == "allow" and entry.get("device_id"):
            done.setdefault(str(entry["device_id"]), []).append(_stamp(entry.get("time")))
    return [r for r in rows if not any(-1.0 <= r[0] - t <= slack_s for t in done.get(r[1], ()))]


def _stamp(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        return datetime.fromisoformat(value).timestamp()
    return float(value or 0.0)


def _key(value: Any) -> str:
    return str(value).lower()


def _mean(best: list[tuple[date, float]]) -> float:
    return statistics.fmean(m for _, m in best)


def _routine(device: Device, attribute: str, value: str, days: str, minute: float, seen: int, of: int) -> Routine:
    hour, rest = divmod(round(minute), 60)
    at = f"{hour % 24:02d}:{rest:02d}"
    name = describe_device(device, room="always")
    verb = {"on": "turn on", "off": "turn off", "open": "open", "closed": "close", "locked": "lock",
            "unlocked": "unlock"}.get(value) if attribute == "state" else None
    do = f"{verb} {name}" if verb else f"set {name}'s {attribute} to {value}"
    when = {"every day": "every day", "weekdays": "on weekdays", "weekends": "at weekends"}[days]
    kind = {"every day": "days", "weekdays": "weekdays", "weekends": "weekend days"}[days]
    say = f"You {_past(do)} at about {at} {when} ({seen} of the last {of} {kind}). Make it a rule?"
    rule = f"every day at {at} {do}" if days == "every day" else f"at {at} on {days} {do}"
    return Routine(device.id, attribute, value, days, at, seen, of, say, rule)


def _past(do: str) -> str:
    verb, _, rest = do.partition(" ")
    done = {"turn": "turned", "open": "opened", "close": "closed", "lock": "locked", "unlock": "unlocked", "set": "set"}
    return f"{done.get(verb, verb)} {rest}"


__all__ = ["DAY_KINDS", "KEYS", "MAX_SD_MIN", "MIN_DAYS", "MIN_SHARE", "WINDOW_MIN", "Routine", "by_hand", "find_routines", "recent_routines"]
