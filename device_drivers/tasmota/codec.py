"""Tasmota payloads <-> the device model. No I/O here.

Tasmota's own discovery (``SetOption19 0``, the default since 9.2) publishes, retained, for each device:
``tasmota/discovery/<MAC>/config`` (its topic, FullTopic, relays, light type, friendly names) and
``tasmota/discovery/<MAC>/sensors`` (its sensors' latest readings). A relay becomes a switch (a light with
``SetOption30 1``, an outlet when its name says plug or socket), a light channel a light with brightness, colour
temperature and colour as its type allows, a pair of shutter relays a cover, and each sensor reading an attribute.

Commands are ``<cmnd>/<topic>/POWER<n>`` ``ON``/``OFF``, ``Dimmer`` 0-100, ``CT`` 153-500 (mired; the canonical
model's colour temperature is in Kelvin), ``Color`` ``r,g,b``, ``ShutterPosition<n>`` 0-100,
``ShutterOpen<n>``/``ShutterClose<n>``. State comes on ``<stat>/<topic>/RESULT`` and ``POWER<n>``, and
``<tele>/<topic>/STATE`` and ``SENSOR``; availability on ``<tele>/<topic>/LWT``.

Rooms: Tasmota has none. A friendly name "Kitchen / Ceiling light" (or "Kitchen: ...") gives the room "kitchen" and
the name "ceiling light"; otherwise the device has no room.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from iotlm.device_drivers.base import CodecError, identity, parse_json
from iotlm.device_drivers.model import Attribute, Binding, Device, InvalidValue, PropertyBinding, Value

DRIVER = "tasmota"
DISCOVERY = "tasmota/discovery"
RELAY, LIGHT, SHUTTER = 1, 2, 3
_ROOM_SEPARATOR = re.compile(r"\s*(?:/|:|\s-\s)\s*")
SENSOR_FIELDS: dict[str, tuple[str, str | None]] = {
    "Temperature": ("temperature", None), "Humidity": ("humidity", "%"), "Illuminance": ("illuminance", "lx"),
    "CarbonDioxide": ("co2", "ppm"), "eCO2": ("co2", "ppm"), "TVOC": ("voc", "ppb"), "PM2.5": ("pm25", "µg/m³"),
    "PM10": ("pm10", "µg/m³"), "Pressure": ("pressure", "hPa"), "Power": ("power", "W"), "Voltage": ("voltage", "V"),
    "Current": ("current", "A"), "Total": ("energy", "kWh"), "Distance": ("distance", "cm"),
}
"""Sensor fields Tasmota reports -> iotlm attribute (and unit; the temperature's comes from ``TempUnit``)."""


@dataclass
class Decoded:
    devices: list[Device] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    topic: str = ""
    """The device's Tasmota topic (``%topic%``): every message of the device carries it."""


def full_topic(config: dict[str, Any], prefix: int) -> str:
    """The device's topic for prefix 0 (cmnd), 1 (stat) or 2 (tele), ending in "/": FullTopic with its fields."""
    prefixes = config.get("tp") or ["cmnd", "stat", "tele"]
    pattern = str(config.get("ft") or "%prefix%/%topic%/")
    text = (pattern.replace("%prefix%", str(prefixes[prefix])).replace("%topic%", str(config["t"]))
            .replace("%hostname%", str(config.get("hn") or "")).replace("%id%", str(config.get("mac") or "")[-6:]))
    return text if text.endswith("/") else text + "/"


def split_name(name: str) -> tuple[str | None, str]:
    """"Kitchen / Ceiling light" -> ("kitchen", "ceiling light"); "Desk lamp" -> (None, "desk lamp")."""
    parts = _ROOM_SEPARATOR.split(name.strip(), maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0].lower(), parts[1].lower()
    return None, name.strip().lower()


def _check(config: Any) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise CodecError("a Tasmota discovery config must be a JSON object")
    topic = config.get("t")
    if not isinstance(topic, str) or not topic or not topic.isprintable() or any(c in topic for c in "+#/ "):
        raise CodecError(f"the config's topic (t) {topic!r} is not a Tasmota topic")
    for key in ("rl", "fn", "tp"):
        if key in config and not isinstance(config[key], list):
            raise CodecError(f"the config's {key!r} must be a list")
    if not isinstance(config.get("ft", ""), str) or not isinstance(config.get("so", {}), dict):
        raise CodecError("the config's ft must be text and so an object")
    if len(config.get("tp") or ["cmnd", "stat", "tele"]) < 3:
        raise CodecError("the config's tp must name the cmnd, stat and tele prefixes")
    return config


def decode_config(config: Any, sensors: Any = None) -> Decoded:
    """The devices one Tasmota device makes (a relay, light or shutter each; its sensors on the first, or on a sensor
    device of its own when it has no relay)."""
    config = _check(config)
    topic = str(config["t"])
    out = Decoded(topic=topic)
    relays = [int(r) if isinstance(r, int) and not isinstance(r, bool) else 0 for r in config.get("rl") or []]
    names = config.get("fn") or []
    device_name = str(config.get("dn") or topic)
    as_light = str((config.get("so") or {}).get("30", 0)) == "1"
    light_type = config.get("lt_st") if isinstance(config.get("lt_st"), int) else 0
    count = sum(1 for r in relays if r in (RELAY, LIGHT)) + sum(1 for r in relays if r == SHUTTER) // 2
    binding: dict[str, Any] = {"driver": DRIVER, "address": topic, "command_topic": full_topic(config, 0),
               "state_topic": full_topic(config, 1), "availability_topic": full_topic(config, 2) + "LWT",
               "identity": identity(config.get("mac"))}
    shutter = 0
    index = 0
    second = False
    for position, kind in enumerate(relays, start=1):
        if kind == SHUTTER:
            second = not second
            if not second:
                continue  # the second relay of a shutter pair (up and down)
        if kind not in (RELAY, LIGHT, SHUTTER):
            continue
        index += 1
        raw = names[position - 1] if position - 1 < len(names) and isinstance(names[position - 1], str) else None
        room, name = split_name(raw or (device_name if count == 1 else f"{device_name} {index}"))
        device_id = topic if index == 1 else f"{topic}_{index}"
        if kind == SHUTTER:
            shutter += 1
            out.devices.append(_shutter(device_id, name, room, shutter, binding))
        elif kind == LIGHT or (as_light and kind == RELAY):
            out.devices.append(_light(device_id, name, room, position, count, light_type if kind == LIGHT else 0, binding))
        else:
            out.devices.append(Device(id=device_id, name=name, room=room, type=relay_type(name), attributes={
                "state": Attribute(value=None, options=["on", "off"])},
                binding=Binding(**binding, properties={"state": _power(position, count)})))
    readings = decode_sensor_fields(sensors)
    if readings:
        if out.devices:
            target = out.devices[0]
        else:
            room, name = split_name(str((names[0] if names and isinstance(names[0], str) else None) or device_name))
            target = Device(id=topic, name=name, room=room, type="sensor", read_only=True, attributes={},
                            binding=Binding(**binding))
            out.devices.append(target)
        props = dict(target.binding.properties) if target.binding else {}
        for key, (attribute, unit, value) in readings.items():
            if attribute in target.attributes:
                out.problems.append(f"{topic}: {key} is a second {attribute}; only the first is used")
                continue
            target.attributes[attribute] = Attribute(value=value, unit=unit, writable=False)
            props[attribute] = PropertyBinding(key=key)
        target.binding = Binding(**binding, properties=props)
    return out


_RELAY_TYPES = (("fan", ("fan", "extractor", "vent")), ("outlet", ("plug", "socket", "outlet")), ("heater", ("heater",)),
                ("valve", ("valve",)))


def relay_type(name: str) -> str:
    """What a relay switches, as its name says ("Bathroom / Extractor fan" is a fan); a switch otherwise. A relay named
    as a light is a light only with ``SetOption30 1``, as Home Assistant sees it."""
    words = set(re.findall(r"[a-z]+", name.lower()))
    return next((kind for kind, names in _RELAY_TYPES if words & set(names)), "switch")


def _power(position: int, count: int) -> PropertyBinding:
    return PropertyBinding(key="POWER" if count == 1 and position == 1 else f"POWER{position}", values={"on": "ON", "off": "OFF"})


def _light(device_id: str, name: str, room: str | None, position: int, count: int, light_type: int,
           binding: dict[str, Any]) -> Device:
    attributes = {"state": Attribute(value=None, options=["on", "off"])}
    props = {"state": _power(position, count)}
    if light_type >= 1:
        attributes["brightness"] = Attribute(value=None, min=0, max=100, unit="%")
        props["brightness"] = PropertyBinding(key="Dimmer")
    if light_type in (2, 5):
        attributes["color_temp"] = Attribute(value=None, min=2000, max=6536, unit="K")  # CT 153-500 mired
        props["color_temp"] = PropertyBinding(key="CT", reciprocal=True)
    if light_type in (3, 4, 5):
        attributes["color"] = Attribute(value=[0, 0, 0])  # a colour, as Zigbee2MQTT's codec marks one; the state request fills it
        props["color"] = PropertyBinding(key="Color")
    return Device(id=device_id, name=name, room=room, type="light", attributes=attributes,
                  binding=Binding(**binding, properties=props))


def _shutter(device_id: str, name: str, room: str | None, number: int, binding: dict[str, Any]) -> Device:
    return Device(id=device_id, name=name, room=room, type="cover", attributes={
        "state": Attribute(value=None, options=["open", "closed"]),
        "position": Attribute(value=None, min=0, max=100, unit="%")},
        binding=Binding(**binding, properties={"state": PropertyBinding(key=f"Shutter{number}.State"),
                                               "position": PropertyBinding(key=f"Shutter{number}.Position")}))


def decode_sensor_fields(sensors: Any) -> dict[str, tuple[str, str | None, Value]]:
    """``{"sn": {"AM2301": {"Temperature": 22.5}, "TempUnit": "C"}}`` (or a SENSOR payload itself) ->
    {"AM2301.Temperature": ("temperature", "°C", 22.5)}."""
    if not isinstance(sensors, dict):
        return {}
    data = sensors.get("sn", sensors)
    if not isinstance(data, dict):
        return {}
    degrees = "°F" if str(data.get("TempUnit", "C")).upper() == "F" else "°C"
    out: dict[str, tuple[str, str | None, Value]] = {}
    for sensor, fields in data.items():
        if not isinstance(fields, dict):
            continue
        for name, value in fields.items():
            spec = SENSOR_FIELDS.get(name)
            if spec is None or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            attribute, unit = spec
            out[f"{sensor}.{name}"] = (attribute, degrees if attribute == "temperature" else unit, value)
    return out


def decode_state(device: Device, leaf: str, payload: bytes) -> dict[str, Value]:
    """A message on ``<stat|tele>/<topic>/<leaf>`` -> the canonical values it gives ``device``."""
    if device.binding is None:
        return {}
    props = device.binding.properties
    if leaf.upper().startswith("POWER"):
        word = payload.decode("utf-8", "replace").strip().upper()
        key = leaf.upper()
        return {name: _on_off(word) for name, p in props.items() if p.key.upper() == key and word in ("ON", "OFF")}
    if leaf not in ("RESULT", "STATE", "SENSOR"):
        return {}
    data = parse_json(payload)
    if not isinstance(data, dict):
        raise CodecError(f"{leaf} must be a JSON object")
    values: dict[str, Value] = {}
    for name, prop in props.items():
        raw = _lookup(data, prop.key)
        if raw is _MISSING:
            continue
        value = _decode_value(device, name, prop, raw)
        if value is not _MISSING:
            values[name] = value
    return values


_MISSING = object()


def _lookup(data: dict[str, Any], key: str) -> Any:
    if key.endswith(".State"):  # a shutter's state is its position, read as open or closed
        position = _lookup(data, key[:-len(".State")] + ".Position")
        return _MISSING if position is _MISSING else ("closed" if position == 0 else "open")
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _on_off(word: str) -> str:
    return "on" if word == "ON" else "off"


def _decode_value(device: Device, name: str, prop: PropertyBinding, raw: Any) -> Any:
    attr = device.attributes[name]
    if prop.values:
        word = str(raw).strip().upper()
        return _on_off(word) if word in ("ON", "OFF") else _MISSING
    if prop.key == "Color":
        return _color(raw)
    if prop.key.endswith(".State"):
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return _MISSING
    raw = prop.from_wire(raw)
    if attr.min is not None and attr.max is not None and not attr.min <= raw <= attr.max and attr.writable:
        return _MISSING
    return raw


def _color(raw: Any) -> Any:
    """"FF8000" or "255,128,0" (or with a white channel after) -> [255, 128, 0]."""
    if not isinstance(raw, str):
        return _MISSING
    text = raw.strip()
    if re.fullmatch(r"[0-9A-Fa-f]{6}([0-9A-Fa-f]{2}){0,2}", text):
        return [int(text[i:i + 2], 16) for i in (0, 2, 4)]
    parts = text.split(",")
    if len(parts) >= 3 and all(p.strip().isdigit() and int(p) <= 255 for p in parts[:3]):
        return [int(p) for p in parts[:3]]
    return _MISSING


def encode_command(device: Device, values: dict[str, Value]) -> list[tuple[str, str]]:
    """Canonical values -> [(command, payload)] for ``<cmnd>/<topic>/<command>``, in a sensible order (a light's
    power before its dimmer)."""
    try:
        return _encode(device, values)
    except InvalidValue as exc:
        raise CodecError(str(exc)) from exc


def _encode(device: Device, values: dict[str, Value]) -> list[tuple[str, str]]:
    if device.binding is None:
        raise CodecError(f"{device.id} has no Tasmota binding")
    props = device.binding.properties
    out: list[tuple[str, str]] = []
    for name in sorted(values, key=lambda n: 0 if n == "state" else 1):
        value = values[name]
        prop = props.get(name)
        attr = device.attributes.get(name)
        if prop is None or attr is None or not attr.writable:
            raise CodecError(f"the {device.name} has no {name!r} that can be set")
        if prop.key.startswith("POWER"):
            if str(value) not in prop.values:
                raise CodecError(f"{name} must be on or off, not {value!r}")
            out.append((prop.key, str(prop.values[str(value)])))
        elif prop.key.endswith(".State"):
            number = prop.key.split(".")[0][len("Shutter"):]
            if value not in ("open", "closed"):
                raise CodecError(f"{name} must be open or closed, not {value!r}")
            out.append((f"Shutter{'Open' if value == 'open' else 'Close'}{number}", ""))
        elif prop.key.endswith(".Position"):
            number = prop.key.split(".")[0][len("Shutter"):]
            out.append((f"ShutterPosition{number}", str(int(attr.check(value)))))  # type: ignore[arg-type]
        elif prop.key == "Color":
            rgb = attr.check(value)
            if not isinstance(rgb, list) or len(rgb) != 3:
                raise CodecError(f"color must be [r, g, b], not {value!r}")
            out.append(("Color", ",".join(str(int(c)) for c in rgb)))
        else:
            checked = prop.to_wire(attr.check(value))
            out.append((prop.key, str(int(checked) if isinstance(checked, float) and checked.is_integer() else checked)))
    return out


__all__ = ["DISCOVERY", "DRIVER", "SENSOR_FIELDS", "Decoded", "decode_config", "decode_sensor_fields", "decode_state",
    "encode_command", "full_topic", "relay_type", "split_name"]
