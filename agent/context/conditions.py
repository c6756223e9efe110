"""Room conditions: how warm, humid, bright, clean and quiet each room is, from what measures it there.

Each condition of a room is read from the room's sensors (the attribute names Zigbee2MQTT exposes and Home Assistant
device classes give), falling back to a device's own reading (a thermostat's current temperature). A reading has its
unit, its freshness (when it was last reported), its trend over the last 30 minutes (from the state history) and a
judgement against a comfort band. The bands are settings (``[comfort]`` in config.toml) with sensible defaults.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from iotlm.device_drivers.capabilities import describes_room
from iotlm.device_drivers.model import Device, describe_device

Judgement = Literal["low", "ok", "high"]


@dataclass(frozen=True)
class Condition:
    name: str
    label: str
    """How a reply names it ("temperature", "light level")."""
    attributes: tuple[str, ...]
    """The capability that measures it, then the names home files give it, best first (a dialect's own names, such as
    Zigbee2MQTT's ``local_temperature``, are translated by its driver before they get here)."""
    unit: str
    low_word: str = "low"
    high_word: str = "high"


CONDITIONS: dict[str, Condition] = {c.name: c for c in (
    Condition("temperature", "temperature", ("temperature", "current_temperature", "room_temperature"),
              "°C", "cool", "warm"),
    Condition("humidity", "humidity", ("humidity", "current_humidity", "relative_humidity"), "%", "dry", "humid"),
    Condition("illuminance", "light level", ("illuminance", "light_level", "lux"), "lx",
              "dim", "bright"),
    Condition("pm25", "PM2.5", ("pm25", "pm2_5", "pm2.5"), "µg/m³", "low", "poor"),
    Condition("pm10", "PM10", ("pm10",), "µg/m³", "low", "poor"),
    Condition("co2", "CO2", ("co2", "eco2"), "ppm", "low", "stuffy"),
    Condition("voc", "VOC", ("voc", "tvoc", "voc_index"), "ppb", "low", "poor"),
    Condition("noise", "noise level", ("noise", "noise_level", "sound_level"), "dB", "quiet", "noisy"),
)}
AIR = ("pm25", "pm10", "co2", "voc")
"""The conditions that together say how the air is."""
OCCUPANCY = ("occupancy", "presence", "motion", "occupied")
OPENINGS = ("contact", "window", "door", "opening", "garage_door")

# Comfort bands (low, high); None: no bound on that side. Illuminance depends on what a room is used for.
DEFAULT_BANDS: dict[str, tuple[float | None, float | None]] = {
    "temperature": (20.0, 24.0), "humidity": (40.0, 60.0), "illuminance": (100.0, 500.0),
    "illuminance.work": (300.0, 750.0), "illuminance.rest": (50.0, 300.0), "illuminance.bathroom": (150.0, 500.0),
    "pm25": (None, 35.0), "pm10": (None, 50.0), "co2": (None, 1000.0), "voc": (None, 500.0), "noise": (None, 55.0),
}
_ACTIVITY = {"work": ("office", "study", "kitchen", "utility", "workshop", "garage", "laundry", "desk"),
             "rest": ("bedroom", "nursery", "guest room", "bed"),
             "bathroom": ("bathroom", "washroom", "toilet", "shower", "restroom")}


def activity(room: str) -> str | None:
    """What a room is used for, as far as light goes: "work", "rest", "bathroom", or None (living)."""
    room = room.lower()
    return next((kind for kind, words in _ACTIVITY.items() if any(w in room for w in words)), None)


class Bands:
    """Comfort bands: defaults, overridden by ``[comfort]`` settings (``temperature = [19, 23]``; a room or activity
    after a dot: ``"illuminance.work" = [400, 800]``, ``"temperature.nursery" = [19, 21]``)."""

    def __init__(self, overrides: dict[str, Any] | None = None) -> None:
        self.bands = dict(DEFAULT_BANDS)
        for key, value in (overrides or {}).items():
            self.bands[key.lower()] = _band(key, value)

    def for_room(self, condition: str, room: str) -> tuple[float | None, float | None]:
        room = room.lower()
        for key in (f"{condition}.{room}", f"{condition}.{activity(room)}", condition):
            if key in self.bands:
                return self.bands[key]
        return None, None


def _band(key: str, value: Any) -> tuple[float | None, float | None]:
    if not isinstance(value, list | tuple) or len(value) != 2 or not all(v is None or isinstance(v, int | float) for v in value):
        raise ValueError(f"comfort band {key!r} must be [low, high] in numbers, e.g. {key} = [20, 24]; got {value!r}")
    low, high = (None if v is None else float(v) for v in value)
    if low is not None and high is not None and low > high:
        raise ValueError(f"comfort band {key!r}: low {low} is above high {high}")
    return low, high


@dataclass(frozen=True)
class Reading:
    condition: str
    room: str
    value: float
    unit: str
    device: Device
    attribute: str
    band: tuple[float | None, float | None]
    updated: float | None = None
    """When it was last reported (epoch seconds), from the state history; None when unknown."""
    trend: float | None = None
    """The change over the last 30 minutes, from the state history; None when there is too little history."""

    @property
    def judgement(self) -> Judgement:
        low, high = self.band
        if low is not None and self.value < low:
            return "low"
        if high is not None and self.value > high:
            return "high"
        return "ok"

    def shown(self) -> str:
        value = int(self.value) if float(self.value).is_integer() else self.value
        return f"{value}{'' if self.unit in ('%', '') else ' '}{self.unit}"

    def verdict(self) -> str:
        """"comfortable (20-24 °C)", "too warm (comfortable: 20-24 °C)", "poor (above 35 µg/m³)"."""
        condition = CONDITIONS[self.condition]
        low, high = self.band
        band = _band_text(low, high, self.unit)
        judgement = self.judgement
        if judgement == "ok":
            return f"comfortable ({band})" if low is not None else f"good ({band})"
        word = condition.low_word if judgement == "low" else condition.high_word
        if condition.name == "temperature":
            word = "cold" if judgement == "low" else "warm"
        return f"{'too ' if word not in ('poor', 'stuffy') else ''}{word} ({band})"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _band_text(low: float | None, high: float | None, unit: str) -> str:
    sep = "" if unit in ("%", "") else " "
    if low is not None and high is not None:
        return f"comfortable: {_number(low)}-{_number(high)}{sep}{unit}"
    if high is not None:
        return f"good up to {_number(high)}{sep}{unit}"
    return f"good from {_number(low or 0)}{sep}{unit}"


class RoomConditions:
    """The conditions of every room of a home, read when asked (the devices' values are the registry's latest)."""

    def __init__(self, devices: Iterable[Device], *, bands: Bands | None = None, store: Any = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.devices = list(devices)
        self.bands = bands or Bands()
        self.store = store
        self.clock = clock

    def rooms(self) -> list[str]:
        return sorted({d.room.lower() for d in self.devices if d.room})

    def read(self, room: str, condition: str) -> Reading | None:
        """The room's reading of ``condition``: a sensor's first, else a device's own reading; None when nothing there
        measures it (or nothing has reported yet), and None for what is not a room condition (a goal about the volume
        is about a device, not the room's air)."""
        if condition not in CONDITIONS:
            return None
        source = self._source(room, condition)
        if source is None:
            return None
        spec = CONDITIONS[condition]
        device, name = source
        attr = device.attributes[name]
        value = float(attr.value)  # type: ignore[arg-type]
        updated, trend = self._history(device.id, name, value)
        return Reading(condition, room.lower(), value, attr.unit or spec.unit, device, name,
                       self.bands.for_room(condition, room), updated, trend)

    def _source(self, room: str, condition: str) -> tuple[Device, str] | None:
        """The (device, attribute) that measures ``condition`` in ``room``: a sensor's first, else a device's own."""
        found: list[tuple[int, Device, str]] = []
        for device in self._in(room):
            if not describes_room(device.type):
                continue  # a fridge's or a water heater's own temperature is not the room's
            for rank, name in enumerate(CONDITIONS[condition].attributes):
                attr = device.attributes.get(name)
                if attr is not None and not attr.writable and isinstance(attr.value, int | float) and not isinstance(attr.value, bool):
                    found.append((rank + (0 if device.type == "sensor" else 10), device, name))
                    break
        if not found:
            return None
        _, device, name = min(found, key=lambda x: x[0])
        return device, name

    def measures(self, room: str) -> list[str]:
        """The conditions something in the room measures (without reading their history)."""
        return [c for c in CONDITIONS if self._source(room, c) is not None]

    def occupied(self, room: str) -> bool | None:
        values = [d.attributes[a].value for d in self._in(room) for a in OCCUPANCY if a in d.attributes]
        values = [v for v in values if isinstance(v, bool)]
        return any(values) if values else None

    def openings(self, room: str | None = None) -> list[Device]:
        """Windows and doors that report open (a contact sensor that is not in contact, a window cover not closed)."""
        found = []
        for device in self.devices if room is None else self._in(room):
            state = device.attributes.get("state")
            if device.type == "cover" and "window" in f"{device.name} {device.id}".lower() and state is not None and str(state.value) == "open":
                found.append(device)
                continue
            for name in OPENINGS:
                attr = device.attributes.get(name)
                if attr is None or not isinstance(attr.value, bool):
                    continue
                is_open = not attr.value if name == "contact" else attr.value
                if is_open:
                    found.append(device)
                    break
        return found

    def _in(self, room: str) -> list[Device]:
        return [d for d in self.devices if (d.room or "").lower() == room.lower()]

    def _history(self, device_id: str, attribute: str, value: float) -> tuple[float | None, float | None]:
        if self.store is None:
            return None, None
        now = self.clock().timestamp() if self.clock else time.time()
        try:
            rows = self.store.history(device_id, attribute, since=now - 1800, limit=500)
            latest = self.store.history(device_id, attribute, limit=1)
        except Exception:  # the history only adds detail; an answer never fails for it
            return None, None
        updated = float(latest[0]["time"]) if latest else None
        numbers = [(r["time"], r["value"]) for r in rows if isinstance(r["value"], int | float) and not isinstance(r["value"], bool)]
        if len(numbers) < 2:
            return updated, None
        oldest = min(numbers)[1]
        return updated, round(value - float(oldest), 1)

    # ------------------------------------------------------------ in words

    def describe(self, reading: Reading, *, name_device: bool = False) -> str:
        """"The utility room is 29.5 °C, too warm (comfortable: 20-24 °C), up 1.2 °C in the last 30 minutes"."""
        spec = CONDITIONS[reading.condition]
        if reading.condition == "temperature":
            text = f"the {reading.room} is {reading.shown()}"
        else:
            text = f"the {spec.label} in the {reading.room} is {reading.shown()}"
        text += f", {reading.verdict()}"
        if reading.trend:
            sep = "" if reading.unit in ("%", "") else " "
            text += f", {'up' if reading.trend > 0 else 'down'} {_number(abs(reading.trend))}{sep}{reading.unit} in the last 30 minutes"
        if name_device and reading.device.type != "sensor":
            text += f" (from {describe_device(reading.device, reading.device.id, room='when_needed')})"
        return text

    def answer(self, room: str, conditions: list[str]) -> str:
        """The answer to a question about ``conditions`` in ``room``; says what the room cannot tell."""
        said, missing = [], []
        for condition in conditions:
            reading = self.read(room, condition)
            if reading is None:
                missing.append(condition)
            else:
                said.append(self.describe(reading, name_device=True))
        if said and missing and all(c in AIR for c in conditions):
            missing = []  # "how's the air?": the readings the room has are the answer
        if missing:
            has = [CONDITIONS[c].label for c in self.measures(room)]
            what = " or ".join(CONDITIONS[c].label for c in missing)
            said.append(f"nothing in the {room} measures its {what}" + (f"; it measures: {', '.join(has)}" if has else
                                                                        "; it has no sensors"))
        return "; ".join(said)


__all__ = ["AIR", "CONDITIONS", "DEFAULT_BANDS", "OCCUPANCY", "OPENINGS", "Bands", "Condition", "Judgement", "Reading",
    "RoomConditions", "activity"]
