"""Writes the five homes of the sensor-context cases: 5-6 rooms, 25-35 devices, room sensors (temperature, humidity,
illuminance, PM2.5/PM10, CO2) with readings in and out of their comfort bands, names that repeat in every room, and
the devices that move conditions (ACs, heaters, humidifiers, dehumidifiers, purifiers, fans, windows, blinds), some
of them already working at their limit.

    python -m tests.bench.context.make_homes     # rewrites tests/bench/context/home*.json
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.bench.grounding.make_homes import ON_OFF, slug, write_homes

HERE = Path(__file__).parent

# Per room: (temperature °C, humidity %, illuminance lx or None for no light sensor, (pm25, pm10, co2) or None)
HOMES: list[dict[str, Any]] = [
    {"name": "oak", "rooms": {
        "living room": (27.5, 48, 90, (12, 20, 780)), "kitchen": (23, 33, 420, (41, 66, 1250)),
        "bedroom": (18.5, 31, 35, (8, 14, 1420)), "office": (25.5, 52, 180, None), "bathroom": (21, 74, None, (6, 9, 650)),
        "utility room": (29.5, 58, 260, None)},
     "extra": ["ac:living room", "tv:living room", "curtains:living room", "heater:bedroom", "humidifier:bedroom",
               "window:bedroom", "fan:office", "blinds:office", "dehumidifier@max:bathroom", "ac:utility room",
               "lock:kitchen"]},
    {"name": "elm", "rooms": {
        "lounge": (19, 45, 60, (18, 30, 900)), "kitchen": (26, 62, 700, (55, 80, 1100)), "bedroom": (24.5, 28, 20, (9, 15, 1600)),
        "study": (22, 50, 110, None), "bathroom": (17.5, 81, 150, None)},
     "extra": ["heater:lounge", "tv:lounge", "blinds:lounge", "purifier:kitchen", "window:kitchen", "ac@limit:bedroom",
               "humidifier:bedroom", "fan:study", "dehumidifier:bathroom", "heater:bathroom", "lock:lounge"]},
    {"name": "pine", "rooms": {
        "living room": (22, 38, 520, (15, 25, 700)), "dining room": (20.5, 44, 75, None), "kitchen": (28, 55, 300, (38, 61, 1300)),
        "bedroom": (23.5, 64, 40, (5, 10, 1150)), "nursery": (19.5, 35, 30, (4, 8, 800))},
     "extra": ["ac:living room", "curtains:living room", "purifier:dining room", "fan@max:kitchen", "window:kitchen",
               "dehumidifier:bedroom", "window:bedroom", "heater:nursery", "humidifier:nursery", "lock:dining room"]},
    {"name": "ash", "rooms": {
        "living room": (25, 57, 140, (22, 35, 950)), "kitchen": (21.5, 41, 380, None), "office": (19, 36, 90, (10, 18, 1350)),
        "bedroom": (26.5, 47, 25, (7, 12, 1050)), "bathroom": (23, 70, 200, None), "hallway": (20, 45, None, None)},
     "extra": ["heat_pump:living room", "tv:living room", "blinds:living room", "heater:office", "window:office",
               "ac:bedroom", "curtains:bedroom", "dehumidifier:bathroom", "lock:hallway"]},
    {"name": "fir", "rooms": {
        "living room": (18, 30, 45, (30, 52, 1200)), "kitchen": (24, 49, 650, (14, 22, 820)), "bedroom": (27, 66, 15, None),
        "office": (23, 42, 250, (9, 16, 1500)), "bathroom": (19.5, 85, 120, (5, 7, 600))},
     "extra": ["heater:living room", "humidifier:living room", "purifier:living room", "tv:living room", "fan:bedroom",
               "dehumidifier:bedroom", "blinds:office", "window:office", "humidifier@max:bathroom", "lock:kitchen"]},
]

def _light(room: str, name: str, on: bool, brightness: int | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {"state": {**ON_OFF, "value": "on" if on else "off"}}
    if brightness is not None:
        attrs["brightness"] = {"value": brightness, "min": 0, "max": 100, "unit": "%"}
    return {"id": f"{slug(room)}.{slug(name)}", "name": name, "room": room, "type": "light", "attributes": attrs}


def _sensors(room: str, reading: tuple[Any, ...]) -> list[dict[str, Any]]:
    rid = slug(room)
    temperature, humidity, lux, air = reading

    def sensor(key: str, name: str, attrs: dict[str, Any]) -> dict[str, Any]:
        return {"id": f"{rid}.{key}", "name": name, "room": room, "type": "sensor", "read_only": True, "attributes": attrs}

    found = [sensor("climate_sensor", "Climate Sensor", {
        "temperature": {"value": temperature, "min": -20, "max": 50, "unit": "°C"},
        "humidity": {"value": humidity, "min": 0, "max": 100, "unit": "%"}})]
    if lux is not None:
        found.append(sensor("light_sensor", "Light Sensor", {"illuminance": {"value": lux, "min": 0, "max": 100000, "unit": "lx"}}))
    if air is not None:
        pm25, pm10, co2 = air
        found.append(sensor("air_sensor", "Air Quality Sensor", {
            "pm25": {"value": pm25, "min": 0, "max": 1000, "unit": "µg/m³"}, "pm10": {"value": pm10, "min": 0, "max": 1000, "unit": "µg/m³"},
            "co2": {"value": co2, "min": 0, "max": 5000, "unit": "ppm"}}))
    return found


def _extra(item: str, room: str) -> dict[str, Any]:
    kind, _, variant = item.partition("@")
    rid = f"{slug(room)}.{kind}"
    limit = variant in ("max", "limit")
    if kind in ("ac", "heat_pump"):
        name = "Air Conditioner 1" if kind == "ac" else "Heat Pump"
        return {"id": rid, "name": name, "room": room, "type": "climate", "attributes": {
            "state": {**ON_OFF, "value": "on" if limit or kind == "heat_pump" else "off"},
            "mode": {"value": "cool" if limit or kind == "ac" else "heat", "options": ["cool", "heat", "dry", "fan_only", "auto"]},
            "temperature": {"value": 16 if limit else 24, "min": 16, "max": 30, "step": 0.5, "unit": "°C"},
            "fan_speed": {"value": 100 if limit else 0, "min": 0, "max": 100, "unit": "%"}}}
    if kind == "heater":
        return {"id": rid, "name": "Heater", "room": room, "type": "climate", "attributes": {
            "state": {**ON_OFF}, "temperature": {"value": 20, "min": 5, "max": 28, "step": 0.5, "unit": "°C"}}}
    if kind in ("humidifier", "dehumidifier", "purifier"):
        name = {"humidifier": "Humidifier", "dehumidifier": "Dehumidifier", "purifier": "Air Purifier"}[kind]
        level = "fan_speed" if kind == "purifier" else "intensity"
        return {"id": rid, "name": name, "room": room, "type": "humidifier" if "humid" in kind else "appliance", "attributes": {
            "state": {**ON_OFF, "value": "on" if limit else "off"}, level: {"value": 5 if limit else 2, "min": 1, "max": 5}}}
    if kind == "fan":
        return {"id": rid, "name": "Fan", "room": room, "type": "fan", "attributes": {
            "state": {**ON_OFF, "value": "on" if limit else "off"},
            "speed": {"value": "high" if limit else "low", "options": ["low", "medium", "high"]}}}
    if kind == "window":
        return {"id": rid, "name": "Window", "room": room, "type": "cover", "attributes": {
            "state": {"value": "closed", "options": ["open", "closed"]}}}
    if kind in ("blinds", "curtains"):
        return {"id": rid, "name": kind.title(), "room": room, "type": "cover", "attributes": {
            "state": {"value": "closed", "options": ["open", "closed"]}, "position": {"value": 0, "min": 0, "max": 100, "unit": "%"}}}
    if kind == "tv":
        return {"id": rid, "name": "TV", "room": room, "type": "media_player", "attributes": {
            "state": {**ON_OFF}, "volume": {"value": 30, "min": 0, "max": 100, "unit": "%"}}}
    if kind == "lock":
        return {"id": rid, "name": "Front Door Lock", "room": room, "type": "lock", "risky": True, "attributes": {
            "state": {"value": "unlocked", "options": ["locked", "unlocked"]}}}
    raise ValueError(kind)


def build(spec: dict[str, Any], h: int) -> dict[str, Any]:
    devices: list[dict[str, Any]] = []
    for i, (room, reading) in enumerate(spec["rooms"].items()):
        devices.append(_light(room, "Light 1", (i + h) % 3 == 0, 60 if (i + h) % 2 else None))
        if (i + h) % 2 == 0:
            devices.append(_light(room, "Light 2", (i + h) % 4 == 0, 30 + 10 * i))
        devices += _sensors(room, reading)
    for item in spec["extra"]:
        kind, room = item.split(":")
        devices.append(_extra(kind, room))
    return {"name": spec["name"], "devices": devices}


def main() -> None:
    write_homes(HOMES, build, HERE)


if __name__ == "__main__":
    main()
