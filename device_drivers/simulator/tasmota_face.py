"""The simulated devices as Tasmota devices: their discovery, what they answer on ``cmnd/<topic>/...``, and the
``stat``/``tele`` messages they send. A device Tasmota cannot be (a lock, a thermostat, a TV) is left out, with why.

Each device is its own Tasmota device; its topic is its id and its friendly name "<room> / <name>". Values are kept
canonical by the simulator; a brightness on another scale than 0-100 is sent as Tasmota's Dimmer percentage.
"""

from __future__ import annotations

import hashlib
from typing import Any

from iotlm.device_drivers.model import Device, Value, kelvin_to_mired, mired_to_kelvin

SENSORS: dict[str, tuple[str, str]] = {
    "temperature": ("AM2301", "Temperature"), "humidity": ("AM2301", "Humidity"), "illuminance": ("BH1750", "Illuminance"),
    "co2": ("SCD30", "CarbonDioxide"), "pm25": ("PMS5003", "PM2.5"), "pm10": ("PMS5003", "PM10"),
    "pressure": ("BME280", "Pressure"), "power": ("ENERGY", "Power"), "voltage": ("ENERGY", "Voltage"),
    "current": ("ENERGY", "Current"), "energy": ("ENERGY", "Total"),
}
"""A reading -> the Tasmota sensor and field that would report it."""
LIGHT_ATTRIBUTES = {"state", "brightness", "color_temp", "color"}


A_KIND = {"lock": "a lock", "climate": "a thermostat", "media_player": "a media player", "vacuum": "a vacuum",
          "appliance": "an appliance with settings", "humidifier": "a humidifier"}
"""Kinds of device a relay, a dimmer or a sensor cannot be, as a reason says them (every face shares them)."""
NOT_TASMOTA = A_KIND


def brightness_top(device: Device) -> float:
    """The top of the device's brightness range (100 for a percentage, 254 for Zigbee's)."""
    return float(device.attributes["brightness"].max or 100)


def left_out(device: Device) -> str | None:
    """Why Tasmota cannot be this device; None when it can."""
    if device.type in NOT_TASMOTA:
        return f"Tasmota cannot be {NOT_TASMOTA[device.type]}: its relays are only on or off"
    if device.type == "binary_sensor":
        return "a Tasmota switch input does not say what it senses (motion, a door)"
    names = set(device.attributes)
    readings = {n for n, a in device.attributes.items() if not a.writable}
    writable = names - readings
    if readings - set(SENSORS):
        return f"Tasmota reports no {', '.join(sorted(readings - set(SENSORS)))} of a {device.type}"
    state = device.attributes.get("state")
    if device.type == "cover":
        if "position" not in writable:
            return "a Tasmota shutter always reports a position; this cover has none"
        if not writable <= {"state", "position"}:
            return f"a Tasmota shutter has no {', '.join(sorted(writable - {'state', 'position'}))}"
        return None
    if not writable:
        return None if readings else "it has nothing Tasmota reports"
    if state is None or [str(o) for o in state.options or []] != ["on", "off"]:
        return f"a Tasmota relay is on or off; a {device.type} with {', '.join(sorted(writable))} is not"
    if device.type == "light":
        extra = writable - LIGHT_ATTRIBUTES
        return f"a Tasmota light has no {', '.join(sorted(extra))}" if extra else None
    if writable != {"state"}:
        return f"a Tasmota relay has no {', '.join(sorted(writable - {'state'}))}"
    if device.type not in ("switch", "outlet", "fan", "heater", "valve"):
        return f"Tasmota has no {device.type} (a relay of its would be a switch)"
    return None


def mac_of(device_id: str) -> str:
    return hashlib.sha1(device_id.encode()).hexdigest()[:12].upper()


def light_type(device: Device) -> int:
    names = set(device.attributes)
    if "color" in names:
        return 5 if "color_temp" in names else 3
    if "color_temp" in names:
        return 2
    return 1 if "brightness" in names else 0


def discovery(device: Device, root: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The retained config and sensors messages of ``device`` (its FullTopic under ``root``, for a test's own topics)."""
    writable = [n for n, a in device.attributes.items() if a.writable]
    relays = [0] * 8
    so30 = 0
    lt_st = 0
    if device.type == "cover":
        relays[:2] = [3, 3]
    elif device.type == "light":
        lt_st = light_type(device)
        relays[0] = 2 if lt_st else 1
        so30 = 0 if lt_st else 1
    elif writable:
        relays[0] = 1
    friendly = f"{device.room} / {device.name}" if device.room else device.name
    config = {"ip": "10.0.0.2", "dn": friendly, "fn": [friendly, *[None] * 7], "hn": f"tasmota-{mac_of(device.id)[-6:]}",
              "mac": mac_of(device.id), "md": "iotlm simulator", "ty": 0, "if": 0, "ofln": "Offline", "onln": "Online",
              "state": ["OFF", "ON", "TOGGLE", "HOLD"], "sw": "13.2.0", "t": device.id,
              "ft": f"%prefix%/{root}%topic%/" if root else "%prefix%/%topic%/", "tp": ["cmnd", "stat", "tele"],
              "rl": relays, "swc": [-1] * 8, "swn": [None] * 8, "btn": [0] * 8, "so": {"30": so30, "68": 0},
              "lk": 0, "lt_st": lt_st, "bat": 0, "dslp": 0, "sho": [], "sht": [], "ver": 1}
    sensors = sensor_payload(device)
    return config, ({"sn": sensors, "ver": 1} if sensors else None)


def sensor_payload(device: Device) -> dict[str, Any] | None:
    """The SENSOR message (``{"AM2301": {"Temperature": 21.5}, "TempUnit": "C"}``), or None without readings."""
    out: dict[str, Any] = {}
    for name, attr in device.attributes.items():
        if attr.writable or name not in SENSORS or attr.value is None:
            continue
        sensor, field = SENSORS[name]
        out.setdefault(sensor, {})[field] = attr.value
    if not out:
        return None
    return {"Time": "2026-01-01T00:00:00", **out, "TempUnit": "C"}


def _dimmer(device: Device, value: Value) -> int:
    return round(float(value) * 100 / brightness_top(device)) if isinstance(value, int | float) else 0


def result_payload(device: Device) -> dict[str, Any]:
    """The RESULT (and STATE) message of a relay, light or shutter."""
    state = device.state()
    if device.type == "cover":
        position = state.get("position")
        return {"Shutter1": {"Position": position, "Direction": 0, "Target": position, "Tilt": 0}}
    out: dict[str, Any] = {}
    if "state" in state:
        out["POWER"] = "ON" if state["state"] == "on" else "OFF"
    if state.get("brightness") is not None:
        out["Dimmer"] = _dimmer(device, state["brightness"])
    if state.get("color_temp") is not None:
        out["CT"] = kelvin_to_mired(state["color_temp"])  # type: ignore[arg-type]  # Tasmota speaks mired
    if isinstance(state.get("color"), list):
        out["Color"] = ",".join(str(c) for c in state["color"])  # type: ignore[union-attr]
    return out


def decode_command(device: Device, command: str, payload: str) -> dict[str, Any]:
    """What a command to the device asks for, in canonical values; ValueError as Tasmota would answer one it rejects
    (``{"Command":"Unknown"}``). Empty for a query (``State``, a command without a payload)."""
    word = payload.strip()
    name = command.lower()
    if name in ("state", "status") or (not word and not name.startswith(("shutteropen", "shutterclose"))):
        return {}
    if name in ("power", "power1"):
        current = device.attributes["state"].value
        toggled = "off" if current == "on" else "on"
        options = {"ON": "on", "1": "on", "OFF": "off", "0": "off", "TOGGLE": toggled, "2": toggled}
        if word.upper() not in options:
            raise ValueError(f"POWER takes ON, OFF or TOGGLE, not {word!r}")
        return {"state": options[word.upper()]}
    if name == "dimmer" and "brightness" in device.attributes:
        percent = int(word)
        return {"brightness": round(percent * brightness_top(device) / 100)} | ({"state": "on" if percent else "off"})
    if name == "ct" and "color_temp" in device.attributes:
        return {"color_temp": mired_to_kelvin(int(word))}
    if name == "color" and "color" in device.attributes:
        return {"color": [int(p) for p in word.split(",")[:3]], "state": "on"}
    if name in ("shutterposition", "shutterposition1") and device.type == "cover":
        position = int(word)
        return _has(device, {"position": position, "state": "open" if position > 0 else "closed"})
    if name in ("shutteropen", "shutteropen1") and device.type == "cover":
        return _has(device, {"position": 100, "state": "open"})
    if name in ("shutterclose", "shutterclose1") and device.type == "cover":
        return _has(device, {"position": 0, "state": "closed"})
    raise ValueError(f"Unknown command {command}")


def _has(device: Device, values: dict[str, Any]) -> dict[str, Any]:
    """The values of attributes the device has (a position-only cover has no open/closed of its own)."""
    return {k: v for k, v in values.items() if k in device.attributes}


__all__ = ["A_KIND", "LIGHT_ATTRIBUTES", "NOT_TASMOTA", "SENSORS", "brightness_top", "decode_command", "discovery",
    "left_out", "light_type", "mac_of", "result_payload", "sensor_payload"]
