"""The schedule bench's home: the example flat plus a dishwasher, a washer and a dryer that run programmes
(``python tests/bench/schedule/make_home.py`` writes ``home.json``). The dishwasher is mid-programme (40 min left),
the washer and dryer stand ready; cases change that with ``setup``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
FLAT = HERE.parents[2] / "examples" / "homes" / "flat.json"


def appliance(device_id: str, name: str, room: str, programmes: dict[str, int], selected: str, *, running: int = 0,
              pausable: bool = True) -> dict[str, Any]:
    """``pausable``: it accepts paused and running on its operational state (Matter's Pause and Resume); the dryer
    here does not, so a request to pause it is told so."""
    attributes: dict[str, Any] = {
        "state": {"value": "on" if running else "off", "options": ["on", "off"]},
        "programme": {"value": selected, "options": list(programmes)},
        "operational_state": {"value": "running" if running else "stopped",
                              "options": ["stopped", "running", "paused", "complete"], "writable": pausable},
        "remaining_time": {"value": running, "min": 0, "max": 600, "unit": "min", "writable": False},
    }
    for programme, minutes in programmes.items():
        attributes[f"duration_{programme}"] = {"value": minutes, "min": 0, "max": 600, "unit": "min", "writable": False}
    return {"id": device_id, "name": name, "room": room, "type": "appliance", "attributes": attributes}


def air_conditioner(device_id: str, name: str, room: str) -> dict[str, Any]:
    """A split unit named with a number, as people number theirs ("AC 1"): the number is a name, never a value."""
    return {"id": device_id, "name": name, "room": room, "type": "climate", "attributes": {
        "state": {"value": "off", "options": ["on", "off"]},
        "mode": {"value": "cool", "options": ["cool", "heat", "dry", "fan_only", "auto"]},
        "target_temperature": {"value": 24, "min": 16, "max": 30, "unit": "°C"},
        "fan_speed": {"value": "auto", "options": ["low", "medium", "high", "auto"]}}}


def home() -> dict[str, Any]:
    flat = json.loads(FLAT.read_text(encoding="utf-8"))
    flat["name"] = "flat-with-appliances"
    flat["devices"] += [
        appliance("kitchen.dishwasher", "dishwasher", "kitchen", {"eco": 180, "normal": 120, "quick": 40}, "normal", running=40),
        appliance("bathroom.washer", "washer", "bathroom", {"cotton": 90, "synthetics": 60, "quick": 30}, "cotton"),
        appliance("bathroom.dryer", "dryer", "bathroom", {"cotton": 120, "gentle": 80, "quick": 45}, "cotton", pausable=False),
        air_conditioner("living_room.ac_1", "AC 1", "living room"), air_conditioner("bedroom.ac_2", "AC 2", "bedroom"),
    ]
    return flat


if __name__ == "__main__":
    (HERE / "home.json").write_text(json.dumps(home(), indent=1) + "\n", encoding="utf-8")
