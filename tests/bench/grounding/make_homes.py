"""Writes the five homes of the grounding cases: 5-6 rooms, 25-35 devices, names that repeat in every room
("Light 1"), and a sensor in each room for temperature, humidity, illuminance and PM10.

    python -m tests.bench.grounding.make_homes     # rewrites tests/bench/grounding/home*.json
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

HOMES: list[dict[str, Any]] = [
    {"name": "maple", "rooms": ["kitchen", "bathroom", "living room", "office", "bedroom"],
     "extra": ["heat_pump:living room", "dryer:utility", "washer:bathroom", "fridge:kitchen", "freezer:kitchen",
               "speaker:office", "blinds:bedroom", "humidifier:bedroom"]},
    {"name": "birch", "rooms": ["kitchen", "bathroom", "living room", "utility room", "bedroom", "hallway"],
     "extra": ["dryer:utility room", "washer:utility room", "tv:living room", "fan:bedroom", "lock:hallway",
               "dehumidifier:bathroom"]},
    {"name": "cedar", "rooms": ["kitchen", "dining room", "living room", "study", "bedroom"],
     "extra": ["heat_pump:living room", "speaker:kitchen", "tv:living room", "curtains:bedroom", "fan:study",
               "air_purifier:bedroom", "dishwasher:kitchen"]},
    {"name": "willow", "rooms": ["kitchen", "bathroom", "lounge", "office", "nursery", "bedroom"],
     "extra": ["heater:nursery", "speaker:lounge", "blinds:office", "humidifier:nursery", "fridge:kitchen"]},
    {"name": "aspen", "rooms": ["kitchen", "bathroom", "living room", "guest room", "bedroom"],
     "extra": ["heat_pump:living room", "dryer:bathroom", "tv:bedroom", "fan:guest room", "blinds:living room",
               "dehumidifier:bathroom", "freezer:kitchen", "lock:living room"]},
]

ON_OFF = {"value": "off", "options": ["on", "off"]}


def slug(text: str) -> str:
    return text.lower().replace(" ", "_")


def _light(room: str, name: str, value: str, brightness: int | None = None, scale: int = 100) -> dict[str, Any]:
    attrs: dict[str, Any] = {"state": {**ON_OFF, "value": value}}
    if brightness is not None:
        attrs["brightness"] = {"value": brightness, "min": 0, "max": scale, **({"unit": "%"} if scale == 100 else {})}
    return {"id": f"{slug(room)}.{slug(name)}", "name": name, "room": room, "type": "light", "attributes": attrs}


def _sensors(room: str, i: int, h: int) -> list[dict[str, Any]]:
    rid = slug(room)

    def sensor(key: str, name: str, attrs: dict[str, Any]) -> dict[str, Any]:
        return {"id": f"{rid}.{key}", "name": name, "room": room, "type": "sensor", "read_only": True, "attributes": attrs}

    return [
        sensor("climate_sensor", "Climate Sensor", {
            "temperature": {"value": round(19 + (i * 7 + h * 3) % 9 + 0.5 * (i % 2), 1), "min": -20, "max": 50, "unit": "°C"},
            "humidity": {"value": 30 + (i * 11 + h * 5) % 45, "min": 0, "max": 100, "unit": "%"}}),
        sensor("light_sensor", "Light Sensor", {
            "illuminance": {"value": [40, 120, 300, 650, 15, 900][(i + h) % 6], "min": 0, "max": 100000, "unit": "lx"}}),
        sensor("air_sensor", "Air Quality Sensor", {
            "pm10": {"value": [8, 22, 41, 63, 12][(i + 2 * h) % 5], "min": 0, "max": 1000, "unit": "µg/m³"}}),
    ]


def _extra(kind: str, room: str) -> dict[str, Any]:
    rid = f"{slug(room)}.{kind}"
    if kind == "heat_pump":
        return {"id": rid, "name": "Heat Pump", "room": room, "type": "climate", "attributes": {
            "state": {**ON_OFF, "value": "on"}, "temperature": {"value": 21, "min": 10, "max": 30, "step": 0.5, "unit": "°C"},
            "mode": {"value": "heat", "options": ["heat", "cool", "auto", "dry", "fan_only"]}}}
    if kind == "heater":
        return {"id": rid, "name": "Heater", "room": room, "type": "climate", "attributes": {
            "state": {**ON_OFF}, "temperature": {"value": 20, "min": 5, "max": 28, "unit": "°C"}}}
    if kind in ("dryer", "washer", "dishwasher"):
        name = {"dryer": "Dryer 1", "washer": "Washer 1", "dishwasher": "Dishwasher"}[kind]
        return {"id": rid, "name": name, "room": room, "type": "appliance", "attributes": {
            "state": {"value": "on" if kind == "dryer" else "off", "options": ["on", "off"]}}}
    if kind in ("fridge", "freezer"):
        low, high, value = (1, 8, 4) if kind == "fridge" else (-24, -14, -18)
        return {"id": rid, "name": kind.title(), "room": room, "type": "appliance", "attributes": {
            "temperature": {"value": value, "min": low, "max": high, "unit": "°C"}}}
    if kind in ("speaker", "tv"):
        return {"id": rid, "name": "Speaker" if kind == "speaker" else "TV", "room": room, "type": "media_player",
                "attributes": {"state": {**ON_OFF, "value": "on"}, "volume": {"value": 30, "min": 0, "max": 100, "unit": "%"}}}
    if kind in ("blinds", "curtains"):
        return {"id": rid, "name": kind.title(), "room": room, "type": "cover", "attributes": {
            "state": {"value": "open", "options": ["open", "closed"]}, "position": {"value": 100, "min": 0, "max": 100, "unit": "%"}}}
    if kind == "fan":
        return {"id": rid, "name": "Fan", "room": room, "type": "fan", "attributes": {
            "state": {**ON_OFF}, "speed": {"value": "low", "options": ["low", "medium", "high"]}}}
    if kind in ("humidifier", "dehumidifier", "air_purifier"):
        name = {"humidifier": "Humidifier", "dehumidifier": "Dehumidifier", "air_purifier": "Air Purifier"}[kind]
        return {"id": rid, "name": name, "room": room, "type": "humidifier" if "humid" in kind else "appliance",
                "attributes": {"state": {**ON_OFF}, "intensity": {"value": 2, "min": 1, "max": 5}}}
    if kind == "lock":
        return {"id": rid, "name": "Front Door Lock", "room": room, "type": "lock", "risky": True, "attributes": {
            "state": {"value": "locked", "options": ["locked", "unlocked"]}}}
    raise ValueError(kind)


def build(spec: dict[str, Any], h: int) -> dict[str, Any]:
    devices: list[dict[str, Any]] = []
    for i, room in enumerate(spec["rooms"]):
        devices.append(_light(room, "Light 1", "on" if (i + h) % 3 == 0 else "off"))
        if (i + h) % 2 == 0:
            devices.append(_light(room, "Dimmer Light 1", "on" if i % 2 else "off", 40 + 10 * i,
                                  scale=254 if h % 2 else 100))
        if (i + h) % 3 == 1:
            devices.append(_light(room, "Light 2", "off"))
        devices += _sensors(room, i, h)
    for item in spec["extra"]:
        kind, room = item.split(":")
        room = room if room in spec["rooms"] else spec["rooms"][-1]
        devices.append(_extra(kind, room))
    return {"name": spec["name"], "devices": devices}


def write_homes(specs: list[dict[str, Any]], build: Callable[[dict[str, Any], int], dict[str, Any]], folder: Path) -> None:
    """Build each home (25-35 devices, checked) and write it as ``home<N>.json`` in ``folder``."""
    for h, spec in enumerate(specs, start=1):
        home = build(spec, h)
        assert 25 <= len(home["devices"]) <= 35, (spec["name"], len(home["devices"]))
        (folder / f"home{h}.json").write_text(json.dumps(home, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"home{h}.json: {spec['name']}, {len(spec['rooms'])} rooms, {len(home['devices'])} devices")


def main() -> None:
    write_homes(HOMES, build, HERE)


if __name__ == "__main__":
    main()
