"""A month in the watched flat (``device_drivers/homes/watched.json``): a household's days, and anomalies at known times.

:func:`household` writes what people do on one day, as device reports at exact moments: five routines repeated by
hand (the ones routine mining should find) among many things done at no fixed time; showers, airing, leaving and
coming home, the washer twice a week, an office plug drawing power on workdays. :func:`anomalies` plants the things
the watchers are for, each with the watcher that should notice it and when it began (:class:`Truth`). Everything is
drawn from one seeded generator, so a seed is a month.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any


@dataclass(order=True)
class Event:
    t: float
    seq: int
    kind: str = field(compare=False)
    """report (values), offline, online, silent, speak (a sensor stops/starts reporting), shower (peak, hold minutes)."""
    device: str = field(compare=False)
    values: dict[str, Any] = field(compare=False, default_factory=dict)


@dataclass
class Truth:
    watcher: str
    device: str
    start: float
    end: float
    kind: str = ""


WORKDAYS = (0, 1, 2, 3, 4)
WASH_DAYS = (1, 5)
"""The washer runs on Tuesdays and Saturdays."""

PLANTED = [
    ("hallway.light", "state", "on", "weekdays", "19:00"),
    ("kitchen.coffee_machine", "state", "on", "every day", "07:00"),
    ("living_room.blinds", "state", "open", "weekdays", "07:30"),
    ("bedroom.radiator", "mode", "heat", "every day", "06:30"),
    ("living_room.floor_lamp", "state", "on", "weekends", "09:00"),
]
"""The routines the household repeats by hand: (device, attribute, value, days, about when)."""


class Script:
    def __init__(self, start: datetime, days: int, seed: int) -> None:
        self.start, self.days, self.rng = start, days, random.Random(seed)
        self.events: list[Event] = []
        self.truths: list[Truth] = []
        self._seq = 0
        self.plug_busy: list[tuple[float, float]] = []
        self.busy: set[tuple[str, int]] = set()
        """(what, day) already used by an anomaly: two on one device the same day would blur which was found."""

    @property
    def tz(self) -> tzinfo:
        return self.start.tzinfo  # type: ignore[return-value]

    def at(self, day: date, hhmm: float) -> float:
        """Seconds since the epoch at ``hhmm`` hours past midnight of ``day`` (26.5 is 02:30 the next day)."""
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.tz)
        return (midnight + timedelta(hours=hhmm)).timestamp()

    def add(self, t: float, device: str, kind: str = "report", **values: Any) -> None:
        self._seq += 1
        self.events.append(Event(t, self._seq, kind, device, values))

    def u(self, a: float, b: float) -> float:
        return self.rng.uniform(a, b)

    def jitter(self, hhmm: float, sd_min: float) -> float:
        return hhmm + self.rng.gauss(0, sd_min) / 60


def household(s: Script, day: date, skip: set[str]) -> None:
    """One ordinary day; ``skip`` names parts an anomaly replaces that day."""
    for part in (_routines, _casual, _bathroom, _comings, _washer, _readings):
        part(s, day, skip)


ON, OFF = {"state": "on"}, {"state": "off"}


def _routines(s: Script, day: date, skip: set[str]) -> None:
    """The five routines, by hand, and the hallway's evening."""
    weekday = day.weekday() < 5
    on, off = ON, OFF
    if weekday:
        hall_on = s.at(day, s.jitter(19.0, 6))
    else:
        hall_on = s.at(day, s.u(17.5, 20.5))
    s.add(hall_on, "hallway.light", **on)
    hall_off = s.at(day, 22.5 if "hall_off" in skip else s.u(20.5, 22.5))
    t = hall_on
    while t < hall_off:  # someone passes every few minutes while the hallway light is on
        s.add(t, "hallway.motion", occupancy=True)
        s.add(t + 120, "hallway.motion", occupancy=False)
        t += s.u(5, 25) * 60
    if "hall_off" not in skip:
        s.add(hall_off, "hallway.motion", occupancy=True)
        s.add(hall_off + 5, "hallway.light", **off)
        s.add(hall_off + 120, "hallway.motion", occupancy=False)
    coffee = s.at(day, s.jitter(7.0, 4))
    s.add(coffee, "kitchen.coffee_machine", **on)
    s.add(coffee + s.u(20, 120) * 60, "kitchen.coffee_machine", **off)
    if weekday:
        s.add(s.at(day, s.jitter(7.5, 5)), "living_room.blinds", state="open", position=100)
    else:
        s.add(s.at(day, s.u(8, 11)), "living_room.blinds", state="open", position=100)
    s.add(s.at(day, s.u(17, 21)), "living_room.blinds", state="closed", position=0)
    s.add(s.at(day, s.jitter(6.5, 4)), "bedroom.radiator", mode="heat")
    s.add(s.at(day, s.u(8.2, 10)), "bedroom.radiator", mode="off")
    if not weekday:
        lamp = s.at(day, s.jitter(9.0, 6))
        s.add(lamp, "living_room.floor_lamp", **on)
        s.add(s.at(day, s.u(10, 13)), "living_room.floor_lamp", **off)
    elif s.rng.random() < 0.5:
        s.add(s.at(day, s.u(18, 21)), "living_room.floor_lamp", **on)
        s.add(s.at(day, s.u(21.5, 23)), "living_room.floor_lamp", **off)


def _casual(s: Script, day: date, skip: set[str]) -> None:
    """Things done at no fixed time."""
    weekday = day.weekday() < 5
    on, off = ON, OFF
    for start, end, device in ((6.5, 8.5, "kitchen.light"), (17.5, 19.5, "kitchen.light"), (21, 23.5, "bedroom.light"),
                               (17, 20, "living_room.ceiling_light")):
        t = s.at(day, s.u(start, end))
        s.add(t, device, **on)
        s.add(t + s.u(15, 120) * 60, device, **off)
    if s.rng.random() < 0.6:
        t = s.at(day, s.u(18, 22))
        s.add(t, "living_room.tv", state="on")
        s.add(t + s.u(30, 150) * 60, "living_room.tv", state="off")
    if weekday:
        t = s.at(day, s.u(9, 12))
        s.add(t, "office.desk_lamp", **on)
        s.add(s.at(day, s.u(15, 18)), "office.desk_lamp", **off)
    for _ in range(0 if "fridge" in skip else s.rng.randint(4, 8)):  # the fridge, briefly
        t = s.at(day, s.u(6.5, 22.5))
        s.add(t, "kitchen.fridge_door", contact=False)
        s.add(t + s.u(15, 120), "kitchen.fridge_door", contact=True)


def _bathroom(s: Script, day: date, skip: set[str]) -> None:
    on, off = ON, OFF
    if "shower" not in skip:  # a shower: the bathroom steams up, the fan clears it
        t = s.at(day, s.u(6.5, 8.5))
        s.add(t, "bathroom.light", **on)
        s.add(t, "bathroom.fan", **on)
        s.add(t, "bathroom", "shower", peak=s.u(84, 92), hold=s.u(8, 15), tau=s.u(4, 7))
        s.add(t + s.u(15, 30) * 60, "bathroom.light", **off)
        s.add(t + s.u(25, 40) * 60, "bathroom.fan", **off)
    if "airing" not in skip:
        t = s.at(day, s.u(7, 9))
        s.add(t, "bedroom.window", contact=False)
        s.add(t + s.u(3, 6) * 60, "bedroom.window", contact=True)


def _comings(s: Script, day: date, skip: set[str]) -> None:
    """Leaving and coming home: the lock, the door, the hallway, the garage on workdays."""
    weekday = day.weekday() < 5
    leave, back = (s.u(7.5, 9.5), s.u(17, 19.5)) if weekday else (s.u(10, 14), 0.0)
    if not weekday:
        back = leave + s.u(2, 4)
    for hhmm in (leave, back) if weekday or "outing" not in skip else ():
        t = s.at(day, hhmm)
        s.add(t, "hallway.front_door", state="unlocked")
        s.add(t + 30, "hallway.door_contact", contact=False)
        s.add(t + 30, "hallway.motion", occupancy=True)
        s.add(t + 30 + s.u(20, 90), "hallway.door_contact", contact=True)
        s.add(t + 150, "hallway.motion", occupancy=False)
        s.add(t + s.u(130, 240), "hallway.front_door", state="locked")
        if weekday and "garage" not in skip:
            s.add(t + 200, "garage.door", state="open")
            s.add(t + 200 + s.u(90, 300), "garage.door", state="closed")


def _washer(s: Script, day: date, skip: set[str]) -> None:
    """The washer on Tuesdays and Saturdays; the laundry taken out soon after (or, planted, not)."""
    if day.weekday() in WASH_DAYS:
        t = s.at(day, s.u(9, 11))
        s.add(t, "utility.washer", state="on", operational_state="running", remaining_time=95)
        done = t + 95 * 60
        s.add(done, "utility.washer", state="off", operational_state="complete", remaining_time=0)
        s.truths.append(Truth("programme_finished", "utility.washer", done, done + 60, "programme finished"))
        left = s.u(60, 90) if "laundry" in skip else s.u(2, 20)
        if "laundry" in skip:
            s.truths.append(Truth("laundry_left", "utility.washer", done, done + left * 60, "laundry left"))
        s.add(done + left * 60, "utility.washer", operational_state="stopped")


def _readings(s: Script, day: date, skip: set[str]) -> None:
    """The office plug (a computer on workdays, standby otherwise) every minute; the sensors' batteries."""
    weekday = day.weekday() < 5
    work = (s.at(day, 9 + s.u(0, 0.33)), s.at(day, 17 - s.u(0, 0.33))) if weekday else (0.0, 0.0)
    for minute in range(0, 24 * 60, 1):
        t = s.at(day, minute / 60)
        if any(a <= t + 30 < b for a, b in s.plug_busy):
            continue  # drawing what an anomaly draws
        watts = s.rng.gauss(60, 5) if work[0] <= t < work[1] else s.rng.gauss(2, 0.3)
        s.add(t + 30, "office.plug", power=round(max(0.0, watts), 1))
    for device in ("kitchen.fridge_door", "kitchen.smoke_alarm", "hallway.co_alarm", "bathroom.leak_sensor",
                   "bedroom.window"):
        for hour in (0, 6, 12, 18):
            s.add(s.at(day, hour + 0.1), device, battery=int(s.u(60, 95)))


def anomalies(s: Script) -> dict[int, set[str]]:
    """Plant the anomalies; returns, per day, the household parts they replace."""
    skip: dict[int, set[str]] = {}
    learned = list(range(15, s.days - 1))  # judged against a device's own history: after two weeks of it
    anyday = list(range(1, s.days - 1))  # whole days before the end: a night anomaly runs past midnight

    def pick(what: str, days: list[int]) -> tuple[int, date]:
        for _ in range(200):
            n = s.rng.choice(days)
            if (what, n) not in s.busy:
                s.busy.add((what, n))
                return n, s.start.date() + timedelta(days=n)
        raise RuntimeError(f"no free day for {what}")

    def held(watcher: str, device: str, start: float, minutes: float, on: dict[str, Any], off: dict[str, Any],
             kind: str) -> None:
        s.add(start, device, **on)
        s.add(start + minutes * 60, device, **off)
        s.truths.append(Truth(watcher, device, start, start + minutes * 60, kind))

    def spell(watcher: str, device: str, start: float, seconds: float, begin: str, end: str, kind: str) -> None:
        """A device goes unavailable (or silent) at ``start`` and comes back ``seconds`` later."""
        s.add(start, device, begin)
        s.add(start + seconds, device, end)
        s.truths.append(Truth(watcher, device, start, start + seconds, kind))

    def on(days: list[int], weekdays: tuple[int, ...]) -> list[int]:
        return [n for n in days if (s.start.date() + timedelta(days=n)).weekday() in weekdays]

    for _ in range(4):
        n, d = pick("kitchen.fridge_door", anyday)
        skip.setdefault(n, set()).add("fridge")
        held("fridge_open", "kitchen.fridge_door", s.at(d, s.u(7, 22)), s.u(8, 15), {"contact": False}, {"contact": True},
             "open too long")
    for _ in range(3):
        n, d = pick("hallway.door_contact", anyday)
        skip.setdefault(n, set()).add("outing")
        held("door_open", "hallway.door_contact", s.at(d, s.u(12, 16)), s.u(20, 40), {"contact": False}, {"contact": True},
             "open too long")
        n, d = pick("garage", on(anyday, WORKDAYS))
        skip.setdefault(n, set()).add("garage")
        held("garage_open", "garage.door", s.at(d, s.u(12, 16)), s.u(25, 60), {"state": "open"}, {"state": "closed"},
             "open too long")
        n, d = pick("bedroom.window", anyday)
        skip.setdefault(n, set()).add("airing")
        held("window_open_cold", "bedroom.window", s.at(d, s.u(13, 15)), s.u(150, 200), {"contact": False},
             {"contact": True}, "open too long")
        n, d = pick("bedroom.window", anyday)
        skip.setdefault(n, set()).add("airing")
        start = s.at(d, s.u(6.85, 7.3))  # while the radiator heats (from about 06:30)
        s.add(start, "bedroom.window", contact=False)
        s.add(start + s.u(15, 25) * 60, "bedroom.window", contact=True)
        s.truths.append(Truth("heating_window_open", "bedroom.radiator", start, start + 15 * 60, "comfort and waste"))
    for watcher, device, attribute, count in (("leak", "bathroom.leak_sensor", "water_leak", 3),
                                              ("smoke", "kitchen.smoke_alarm", "smoke", 3),
                                              ("carbon_monoxide", "hallway.co_alarm", "carbon_monoxide", 2)):
        for _ in range(count):
            _, d = pick(device, anyday)
            held(watcher, device, s.at(d, s.u(0, 24)), s.u(10, 30), {attribute: True}, {attribute: False}, "safety")
    for _ in range(3):
        n, d = pick("hallway.front_door", anyday)
        skip.setdefault(n, set()).add("outing")
        held("lock_jammed", "hallway.front_door", s.at(d, s.u(12, 16)), s.u(5, 20), {"state": "jammed"},
             {"state": "locked"}, "safety")
        _, d = pick("hallway.front_door", anyday)
        start = s.at(d, s.u(23.2, 24.5))
        held("unlocked_at_night", "hallway.front_door", start, s.u(30, 50), {"state": "unlocked"}, {"state": "locked"},
             "safety")
        s.truths[-1].start = max(start, s.at(d, 23.0))
        n, d = pick("bathroom", anyday)
        skip.setdefault(n, set()).add("shower")
        start = s.at(d, s.u(6.5, 8.5))
        hold = s.u(70, 100)
        s.add(start, "bathroom.light", state="on")
        s.add(start, "bathroom", "shower", peak=s.u(86, 92), hold=hold, tau=6.0)
        s.add(start + 20 * 60, "bathroom.light", state="off")
        s.truths.append(Truth("humid_after_shower", "bathroom.climate", start, start + hold * 60, "comfort and waste"))
        n, d = pick("hallway.light", anyday)
        skip.setdefault(n, set()).add("hall_off")
        s.truths.append(Truth("lights_empty_room", "hallway.light", s.at(d, 22.6), s.at(d, 22.6) + 3600,
                              "comfort and waste"))
        s.add(s.at(d, 22.55), "hallway.motion", occupancy=True)
        s.add(s.at(d, 22.6), "hallway.motion", occupancy=False)
        s.add(s.at(d, 22.6) + s.u(45, 70) * 60, "hallway.light", state="off")
        _, d = pick("bedroom.climate", anyday)
        start = s.at(d, s.u(1, 20))
        spell("unavailable", "bedroom.climate", start, s.u(90, 150) * 60, "offline", "online", "device health")
        device = s.rng.choice(["kitchen.fridge_door", "bathroom.leak_sensor", "bedroom.window"])
        _, d = pick(device + "-battery", anyday)
        start = s.at(d, s.u(1, 20))
        s.add(start, device, battery=int(s.u(4, 9)))
        s.truths.append(Truth("battery_low", device, start, start + 600, "device health"))
        n, d = pick("utility.washer", on(anyday, WASH_DAYS))
        skip.setdefault(n, set()).add("laundry")
        _, d = pick("office.desk_lamp", learned)
        held("on_at_odd_hour", "office.desk_lamp", s.at(d, s.u(2, 4)), s.u(10, 20), {"state": "on"}, {"state": "off"},
             "the unusual")
        _, d = pick("office.plug", on(learned, WORKDAYS))
        start = s.at(d, s.u(10, 15))
        minutes = s.u(30, 60)
        s.plug_busy.append((start, start + int(minutes) * 60 + 60))
        for m in range(int(minutes)):
            s.add(start + m * 60 + 45, "office.plug", power=round(s.u(350, 450), 1))
        s.truths.append(Truth("power_unusual", "office.plug", start, start + minutes * 60, "the unusual"))
    for _ in range(2):
        _, d = pick("kitchen.temperature", anyday)
        start = s.at(d, s.u(1, 14))
        spell("reading_stuck", "kitchen.temperature", start, s.u(8, 10) * 3600, "silent", "speak", "device health")
    return skip


def month(start: datetime, days: int, seed: int) -> Script:
    s = Script(start, days, seed)
    skip = anomalies(s)
    for n in range(days):
        household(s, start.date() + timedelta(days=n), skip.get(n, set()))
    s.events.sort()
    return s


__all__ = ["PLANTED", "Event", "Script", "Truth", "anomalies", "household", "month"]
