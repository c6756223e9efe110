"""One clock for the agent, the rule engine and the simulator, so tests and benchmarks can run time faster; and the
time-of-day vocabulary every layer shares: :func:`clock_of` reads "7 pm", "07:30", "noon" (chat, rules, the policy
file), :class:`Window` is a span of the day that may wrap midnight (quiet hours, a rule's after/before).

A clock is called for the time now (an aware ``datetime`` in local time): ``clock()``. The wall clock is
:class:`WallClock`; :class:`SimClock` starts at a given moment and runs ``speed`` times faster than real time, and can
be moved on by hand (:meth:`SimClock.advance`). Code that waits for a moment turns simulated seconds into real ones
with :func:`real_seconds`, so a 90-minute programme at ``speed=600`` takes 9 real seconds.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as TimeOfDay
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Clock = Callable[[], datetime]
"""The time now, timezone-aware. The wall clock is in the machine's zone with its rules (:func:`local_zone`), not a
fixed offset: "tomorrow at 07:00" worked out as today's 07:00 plus a day stays 07:00 across a change to or from
summer time, where ``datetime.now().astimezone()`` (one instant's offset) would move it by an hour."""


@functools.lru_cache(maxsize=4)
def _zone(tz_env: str | None) -> tzinfo:
    if tz_env:
        with contextlib.suppress(ValueError, ZoneInfoNotFoundError):
            return ZoneInfo(tz_env.removeprefix(":"))
    with contextlib.suppress(OSError, ValueError):
        with open("/etc/localtime", "rb") as data:  # Linux and macOS: the zone the machine is set to
            return ZoneInfo.from_file(data, key="localtime")
    return datetime.now().astimezone().tzinfo or UTC  # elsewhere: this instant's offset


def local_zone() -> tzinfo:
    """The machine's time zone, with its summer-time rules: ``$TZ`` when it names a zone, else ``/etc/localtime``,
    else the current offset."""
    return _zone(os.environ.get("TZ"))


def aware(moment: datetime) -> datetime:
    """``moment`` with a zone: a naive one is the machine's local time, so it gets the local zone (its rules)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=local_zone())


class WallClock:
    speed = 1.0

    def __call__(self) -> datetime:
        return datetime.now(local_zone())


WALL = WallClock()
"""The wall clock: what the executor, the rule engine and the runtime read unless given another."""


class SimClock:
    """Simulated time: ``start`` plus ``speed`` times the real time since creation, plus what :meth:`advance` added."""

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed {speed}: a clock runs forward (speed > 0)")
        self.start = aware(start)
        self.speed = float(speed)
        self._real0 = time.monotonic()
        self._offset = 0.0
        self._paused: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            elapsed = self._elapsed()
        return self.start + timedelta(seconds=elapsed)

    def _elapsed(self) -> float:
        if self._paused is not None:
            return self._paused
        return (time.monotonic() - self._real0) * self.speed + self._offset

    def pause(self) -> None:
        """Stop time (a benchmark sets a case up, or asks, without the clock running meanwhile)."""
        with self._lock:
            if self._paused is None:
                self._paused = self._elapsed()

    def resume(self) -> None:
        with self._lock:
            if self._paused is not None:
                self._offset, self._real0, self._paused = self._paused, time.monotonic(), None

    def reset(self, start: datetime) -> None:
        """Start again at ``start`` (paused or running, as it was)."""
        with self._lock:
            self.start = aware(start)
            self._real0, self._offset = time.monotonic(), 0.0
            if self._paused is not None:
                self._paused = 0.0

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` of simulated time forward at once."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        with self._lock:
            self._offset += seconds
            if self._paused is not None:
                self._paused += seconds

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass (in real time: seconds / speed)."""
        time.sleep(max(0.0, seconds) / self.speed)


def speed_of(clock: Clock) -> float:
    return float(getattr(clock, "speed", 1.0))


def real_seconds(clock: Clock, simulated: float) -> float:
    """How long, in real seconds, ``simulated`` seconds on ``clock`` take."""
    return max(0.0, simulated) / speed_of(clock)


def timestamp(clock: Clock) -> float:
    """The clock's time as seconds since the epoch."""
    return clock().timestamp()


def clock_of(text: str) -> tuple[int, int, bool]:
    """"7:30", "7.30", "7 pm", "noon" -> (hour, minute, whether am/pm or a 24-hour clock fixed which half of the day:
    "7" alone could be morning or evening, "19:00" and "07:00" could not)."""
    text = text.strip().lower()
    text = text.replace(".", ":") if re.fullmatch(r"\d{1,2}\.\d{2}", text) else text
    if text in ("noon", "midday"):
        return 12, 0, True
    if text == "midnight":
        return 0, 0, True
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?", text)
    if m is None:
        raise ValueError(f"{text!r} is not a time of day; write e.g. 07:00, 22:30 or 7 pm")
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a time of day (00:00-23:59)")
    if m.group(3):
        if not 1 <= hour <= 12:
            raise ValueError(f"{text!r}: with am/pm the hour is 1-12")
        return hour % 12 + (12 if m.group(3).startswith("p") else 0), minute, True
    return hour, minute, hour == 0 or hour > 12 or (m.group(2) is not None and m.group(1).startswith("0"))


class Window(NamedTuple):
    """A span of the day from ``start`` (included) to ``end`` (not); one that ends before it starts wraps midnight
    (22:00-07:00). Equal ends are an empty window."""

    start: TimeOfDay
    end: TimeOfDay

    def contains(self, moment: TimeOfDay) -> bool:
        moment = moment.replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def _solar(day_of_year: float) -> tuple[float, float]:
    """The equation of time (minutes) and the sun's declination (radians) on a day of the year (NOAA's fit)."""
    gamma = 2 * math.pi / 365 * (day_of_year - 1)
    eqtime = 229.18 * (0.000075 + 0.001868 * math.cos(gamma) - 0.032077 * math.sin(gamma)
                       - 0.014615 * math.cos(2 * gamma) - 0.040849 * math.sin(2 * gamma))
    decl = (0.006918 - 0.399912 * math.cos(gamma) + 0.070257 * math.sin(gamma) - 0.006758 * math.cos(2 * gamma)
            + 0.000907 * math.sin(2 * gamma) - 0.002697 * math.cos(3 * gamma) + 0.00148 * math.sin(3 * gamma))
    return eqtime, decl


_HORIZON = math.cos(math.radians(90.833))  # the sun's centre at the horizon, with refraction and its own radius


def sun_time(day: date, latitude: float, longitude: float, event: str, tz: Any) -> datetime | None:
    """Sunrise or sunset (``event`` "rise" or "set") on ``day`` at the place, by the NOAA approximation (about a
    minute); None where the sun does not rise or set that day."""
    eqtime, decl = _solar(day.timetuple().tm_yday)
    lat = math.radians(latitude)
    cos_ha = _HORIZON / (math.cos(lat) * math.cos(decl)) - math.tan(lat) * math.tan(decl)
    if not -1 <= cos_ha <= 1:
        return None
    ha = math.degrees(math.acos(cos_ha)) * (1 if event == "rise" else -1)
    minutes = 720 - 4 * (longitude + ha) - eqtime
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes)
    return moment.astimezone(tz)


def sun_up(moment: datetime, latitude: float, longitude: float) -> bool:
    """Whether the sun is above the horizon at ``moment`` (a naive one is local time) at the place; right through a
    polar day or night, where there is no sunrise to compare with."""
    utc = moment.astimezone(UTC)
    minutes = utc.hour * 60 + utc.minute + utc.second / 60
    eqtime, decl = _solar(utc.timetuple().tm_yday + (minutes / 60 - 12) / 24)
    hour_angle = math.radians((minutes + eqtime + 4 * longitude) / 4 - 180)
    lat = math.radians(latitude)
    return math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * math.cos(hour_angle) > _HORIZON


__all__ = ["WALL", "Clock", "SimClock", "TimeOfDay", "WallClock", "Window", "aware", "clock_of", "local_zone", "real_seconds", "speed_of",
           "sun_time", "sun_up", "timestamp"]
