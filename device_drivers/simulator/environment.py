"""The simulated rooms' environment: temperature, humidity, illuminance, PM2.5/PM10 and CO2 per room.

Each room drifts toward the outdoor values and responds to its devices' states at rates set per kind of device
(:class:`Rates`): an AC in cool mode pulls the temperature toward its setpoint, a heater toward its own, a fan takes a
little off, a humidifier adds moisture and a dehumidifier removes it, a purifier filters particulates (more at a
higher speed), an open window exchanges air with outdoors, lights add illuminance in proportion to their brightness
and open covers let daylight in. The rooms' sensors (and devices' own readings, such as a thermostat's current
temperature) report the new values. Only readings that describe a room
(:func:`~iotlm.device_drivers.capabilities.describes_room`) are the room's: a fridge's, a freezer's or an oven's own
temperature is the appliance's, never read as the room's, never written by it, and an appliance never cools the room.

Time is the caller's: :meth:`Environment.step` advances the rooms by simulated minutes, so tests decide exactly how
much time passes; :meth:`Environment.start` runs it on a thread at ``speed`` simulated seconds per real second
(``iotlm simulate --speed 60``: an hour a minute).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from iotlm.device_drivers.capabilities import describes_room
from iotlm.device_drivers.model import Device

log = logging.getLogger(__name__)

READINGS: dict[str, tuple[str, ...]] = {
    "temperature": ("temperature", "current_temperature"), "humidity": ("humidity", "current_humidity"),
    "illuminance": ("illuminance",), "pm25": ("pm25",), "pm10": ("pm10",), "co2": ("co2",),
}
"""Each room value, and the canonical capabilities that read it (a room's sensor, a thermostat's own reading)."""

DEFAULTS = {"temperature": 21.0, "humidity": 45.0, "illuminance": 150.0, "pm25": 10.0, "pm10": 18.0, "co2": 600.0}


@dataclass
class Outdoor:
    temperature: float = 12.0
    humidity: float = 75.0
    illuminance: float = 20000.0
    """Daylight; 0 at night."""
    pm25: float = 8.0
    pm10: float = 15.0
    co2: float = 420.0


@dataclass
class Rates:
    """Per simulated minute."""
    leak: float = 0.004
    """Share of the difference to outdoors a closed room loses (temperature, humidity)."""
    window: float = 0.08
    """Share of the difference to outdoors an open window exchanges (all air values)."""
    climate: float = 0.25
    """°C per minute an AC or heater moves the room toward its setpoint, at full fan."""
    fan: float = 0.03
    """°C per minute a running fan takes off (how warm it feels)."""
    humidifier: float = 0.8
    """%RH per minute at full intensity."""
    purifier: float = 0.12
    """Share of the particulates removed per minute at full speed."""
    co2_rise: float = 4.0
    """ppm per minute a closed room gains (people breathing)."""
    light_lux: float = 350.0
    """Lux a light adds at full brightness."""
    daylight: float = 0.03
    """Share of outdoor illuminance fully open covers let in."""


@dataclass
class Room:
    name: str
    values: dict[str, float] = field(default_factory=dict)
    light_offset: float = 0.0
    """What the home file's light reading has beyond what the model explains (a lamp we do not know of, a big window)."""


class Environment:
    def __init__(self, sim: Any, *, outdoor: Outdoor | None = None, rates: Rates | None = None) -> None:
        self.sim = sim
        self.outdoor = outdoor or Outdoor()
        self.rates = rates or Rates()
        self.rooms: dict[str, Room] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.reset()
        sim.on_reset.append(self.reset)

    def reset(self) -> None:
        """The rooms as the home file's readings say (a room without a reading of a value starts at a default)."""
        self.rooms = {}
        for device in self.sim.devices():
            if not device.room:
                continue
            room = self.rooms.setdefault(device.room.lower(), Room(device.room.lower()))
            if not describes_room(device.type):
                continue
            for value, names in READINGS.items():
                for name in names:
                    attr = device.attributes.get(name)
                    if attr is not None and not attr.writable and isinstance(attr.value, int | float) and value not in room.values:
                        room.values[value] = float(attr.value)
        devices = self._by_room()
        for room in self.rooms.values():
            for value, default in DEFAULTS.items():
                room.values.setdefault(value, default)
            room.light_offset = room.values["illuminance"] - self._light(devices.get(room.name, []))

    # ------------------------------------------------------------ time

    def step(self, minutes: float) -> None:
        """Advance every room by ``minutes`` of simulated time, then report."""
        self._run(minutes)
        self.report()

    def project(self, minutes: float) -> dict[str, dict[str, float]]:
        """Every room's values after ``minutes`` with the devices as they are now; nothing is changed or reported."""
        saved = {name: dict(room.values) for name, room in self.rooms.items()}
        try:
            self._run(minutes)
            return {name: dict(room.values) for name, room in self.rooms.items()}
        finally:
            for name, values in saved.items():
                self.rooms[name].values = values

    def _run(self, minutes: float) -> None:
        """Advance every room in steps of at most a minute, with the devices as they are when it starts."""
        devices = self._by_room()
        left = minutes
        while left > 1e-9:
            dt = min(1.0, left)
            for room in self.rooms.values():
                self._advance(room, devices.get(room.name, []), dt)
            left -= dt

    def _by_room(self) -> dict[str, list[Device]]:
        found: dict[str, list[Device]] = {}
        for device in self.sim.devices():
            found.setdefault((device.room or "").lower(), []).append(device)
        return found

    def start(self, speed: float = 1.0, interval: float = 1.0) -> Environment:
        """Run on a thread: every ``interval`` real seconds, ``interval * speed`` simulated seconds pass."""
        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.step(interval * speed / 60)
                except Exception:  # the simulation must never take the simulator down
                    log.exception("environment step failed")
        self._thread = threading.Thread(target=run, name="iotlm-environment", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # ------------------------------------------------------------ physics, roughly

    def _advance(self, room: Room, devices: list[Device], dt: float) -> None:
        v, out, r = room.values, self.outdoor, self.rates
        windows = sum(_open(d) for d in devices if _is(d, "window"))
        exchange = min(1.0, (r.leak + r.window * windows) * dt)
        for key in ("temperature", "humidity"):
            v[key] += (getattr(out, key) - v[key]) * exchange
        for key in ("pm25", "pm10", "co2"):
            v[key] += (getattr(out, key) - v[key]) * min(1.0, r.window * windows * dt)
        if not windows:
            v["co2"] += r.co2_rise * dt
        for device in devices:
            self._device(device, v, dt)
        v["illuminance"] = max(0.0, round(self._light(devices) + room.light_offset, 1))
        v["humidity"] = min(100.0, max(0.0, v["humidity"]))
        v["pm25"], v["pm10"], v["co2"] = max(0.0, v["pm25"]), max(0.0, v["pm10"]), max(300.0, v["co2"])

    def _light(self, devices: list[Device]) -> float:
        """A room's light: its lights in proportion to their brightness, and daylight through its covers (a room
        without any: some)."""
        lights = sum((_level(d, "brightness") if "brightness" in d.attributes else 1.0) * self.rates.light_lux
                     for d in devices if d.type == "light" and _on(d))
        covers = [d for d in devices if d.type == "cover" and not _is(d, "window") and not _is(d, "garage")]
        return lights + self.outdoor.illuminance * self.rates.daylight * max((_openness(d) for d in covers), default=0.3)

    def _device(self, device: Device, v: dict[str, float], dt: float) -> None:
        r = self.rates
        if device.type == "climate" and _on(device):
            setpoint = _setpoint(device)
            mode = str((device.attributes.get("mode") or _NONE).value or "")
            fan = _level(device, "fan_speed") if "fan_speed" in device.attributes else 1.0
            step = r.climate * dt * max(fan, 0.2)
            if setpoint is not None and mode in ("cool", "auto", "") and v["temperature"] > setpoint and (mode or _is(device, "air conditioner")):
                v["temperature"] = max(setpoint, v["temperature"] - step)
            elif setpoint is not None and mode in ("heat", "auto", "") and v["temperature"] < setpoint:
                v["temperature"] = min(setpoint, v["temperature"] + step)
            if mode == "dry":
                v["humidity"] -= r.humidifier * dt * 0.5
        elif device.type == "fan" and _on(device):
            v["temperature"] -= r.fan * dt * max(_level(device, "speed"), 0.3)
        elif _is(device, "dehumidifier") and _on(device):
            v["humidity"] -= r.humidifier * dt * max(_level(device, "intensity"), 0.3)
        elif _is(device, "humidifier") and _on(device):
            v["humidity"] += r.humidifier * dt * max(_level(device, "intensity"), 0.3)
        elif _is(device, "purifier") and _on(device):
            keep = 1 - min(1.0, r.purifier * dt * max(_level(device, "fan_speed") or _level(device, "speed"), 0.3))
            v["pm25"] *= keep
            v["pm10"] *= keep

    def report(self) -> None:
        """The rooms' sensors (and the devices' own readings) report the current values, when they changed."""
        for device in self.sim.devices():
            room = self.rooms.get((device.room or "").lower())
            if room is None or not describes_room(device.type):
                continue
            values = {}
            for value, names in READINGS.items():
                for name in names:
                    attr = device.attributes.get(name)
                    if attr is not None and not attr.writable and isinstance(attr.value, int | float):
                        new = round(room.values[value], 1 if value in ("temperature",) else 0)
                        new = int(new) if value != "temperature" else new
                        if new != attr.value:
                            values[name] = new
            if values:
                self.sim.apply(device.id, values, from_device=True)
                self.sim.publish_state(device.id)


_NONE = type("_None", (), {"value": None})()


def _is(device: Device, word: str) -> bool:
    return word in device.name.lower() or word in device.id.lower()


def _on(device: Device) -> bool:
    state = device.attributes.get("state")
    if state is None:
        mode = device.attributes.get("mode")
        return mode is not None and str(mode.value) != "off"
    return str(state.value) in ("on", "open", "playing", "cleaning")


def _open(device: Device) -> bool:
    return _openness(device) > 0


def _openness(device: Device) -> float:
    position = device.attributes.get("position")
    if position is not None and isinstance(position.value, int | float):
        return float(position.value) / float(position.max or 100)
    state = device.attributes.get("state")
    return 1.0 if state is not None and str(state.value) == "open" else 0.0


def _level(device: Device, name: str) -> float:
    attr = device.attributes.get(name)
    if attr is None or attr.value is None:
        return 0.0
    if attr.options:
        options = [str(o) for o in attr.options]
        return (options.index(str(attr.value)) + 1) / len(options) if str(attr.value) in options else 0.5
    if isinstance(attr.value, int | float):
        low, high = attr.min or 0, attr.max or 100
        return (float(attr.value) - low) / (high - low) if high > low else 0.0
    return 0.0


def _setpoint(device: Device) -> float | None:
    for name in ("target_temperature", "setpoint"):
        attr = device.attributes.get(name)
        if attr is not None and attr.writable and isinstance(attr.value, int | float):
            return float(attr.value)
    return None


__all__ = ["DEFAULTS", "READINGS", "Environment", "Outdoor", "Rates", "Room"]
