"""ESPHome's own MQTT (without Home Assistant) <-> the device model. No I/O here.

An ESPHome node with the ``mqtt:`` component publishes ``<prefix>/status`` (``online``/``offline``) and, for each
component, ``<prefix>/<component>/<object_id>/state``; it takes commands on ``.../command`` (a cover's position on
``.../position/state`` and ``.../position/command``). ESPHome publishes no description of its own beyond Home
Assistant's discovery, so a component is known by its topic and its first state:

- ``switch`` and ``fan``: ``ON``/``OFF``; ``binary_sensor``: ``ON``/``OFF`` (occupancy, a contact, or a generic
  reading, by its name); ``sensor``: a number (its unit by its name: temperature, humidity, illuminance, CO2, PM);
- ``light``: the JSON schema (``{"state": "ON", "brightness": 255, "color": {...}, "color_temp": 300}``, mired), whose keys
  say what the light can do; brightness is 0-255 on the wire and a percentage here;
- ``cover``: ``open``/``closed``, and its position 0-100 once the node sends one (a cover without a position sensor,
  a garage door, only opens and closes); ``lock``: ``LOCKED``/``UNLOCKED``, commanded ``LOCK``/``UNLOCK``.

A door or window ``binary_sensor`` is ``ON`` when open; iotlm's ``contact`` is true when closed, as Zigbee2MQTT's is.

Rooms: the node's name is the room ("kitchen", "living-room" -> "living room"; a trailing "node" or "esp" is dropped),
the component's object id its name ("ceiling_light" -> "ceiling light").
"""

from __future__ import annotations

import json
import re
from typing import Any

from iotlm.device_drivers.base import CodecError
from iotlm.device_drivers.model import (
    Attribute,
    Binding,
    Device,
    InvalidValue,
    PropertyBinding,
    Value,
    kelvin_to_mired,
    mired_to_kelvin,
)

DRIVER = "esphome"
COMPONENTS = ("switch", "fan", "light", "sensor", "binary_sensor", "cover", "lock")
READINGS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("temperature", "temp"), "temperature", "°C"), (("humidity",), "humidity", "%"),
    (("illuminance", "lux", "light_level"), "illuminance", "lx"), (("co2", "carbon_dioxide"), "co2", "ppm"),
    (("pm25", "pm2_5"), "pm25", "µg/m³"), (("pm10",), "pm10", "µg/m³"), (("power",), "power", "W"),
)
BINARY: tuple[tuple[tuple[str, ...], str], ...] = ((("motion", "presence", "occupancy", "pir"), "occupancy"),
                                                    (("door", "window", "contact"), "contact"))
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def room_of(prefix: str) -> str:
    words = [w for w in re.split(r"[-_\s]+", prefix.lower()) if w]
    while len(words) > 1 and words[-1] in ("node", "esp", "esphome", "esp32", "esp8266"):
        words.pop()
    return " ".join(words)


def parse_topic(topic: str, root: str = "") -> tuple[str, str, str, str] | None:
    """``<root><prefix>/<component>/<object_id>/<leaf>`` -> (prefix, component, object id, leaf) for a state topic
    (leaf ``state`` or ``position/state``); None for anything else."""
    if root and not topic.startswith(root):
        return None
    parts = topic[len(root):].split("/")
    if (len(parts) == 4 and parts[3] == "state") or (len(parts) == 5 and parts[3:] == ["position", "state"]):
        prefix, component, object_id = parts[:3]
        if component in COMPONENTS and _NAME.match(prefix) and _NAME.match(object_id):
            return prefix, component, object_id, "/".join(parts[3:])
    return None


def device_id(prefix: str, object_id: str) -> str:
    return f"{prefix}.{object_id}"


def decode_component(prefix: str, component: str, object_id: str, payload: bytes, root: str = "") -> Device:
    """The device a component's first state shows (raises CodecError for a state that is not its component's)."""
    base = f"{root}{prefix}/{component}/{object_id}"
    name = object_id.replace("_", " ").lower()
    binding: dict[str, Any] = {"driver": DRIVER, "address": base, "command_topic": f"{base}/command",
                               "state_topic": f"{base}/state", "availability_topic": f"{root}{prefix}/status"}
    common: dict[str, Any] = {"id": device_id(prefix, object_id), "name": name, "room": room_of(prefix)}
    text = payload.decode("utf-8", "replace").strip()
    if component in ("switch", "fan"):
        _on_off(text)
        kind = "fan" if component == "fan" else ("light" if re.search(r"\b(light|lamp)\b", name) else "switch")
        return Device(**common, type=kind, attributes={"state": Attribute(value=None, options=["on", "off"])},
                      binding=Binding(**binding, properties={"state": PropertyBinding(key="state", values={"on": "ON", "off": "OFF"})}))
    if component == "binary_sensor":
        _on_off(text)
        attribute = next((a for words, a in BINARY if any(w in object_id.lower() for w in words)), "state")
        options: list[Any] = [True, False] if attribute != "state" else ["on", "off"]
        return Device(**common, type="binary_sensor", read_only=True, attributes={
            attribute: Attribute(value=None, options=options, writable=False)},
            binding=Binding(**binding, properties={attribute: PropertyBinding(key="state")}))
    if component == "sensor":
        first = _number(text)
        found: tuple[str, str | None] = next(((a, u) for words, a, u in READINGS if any(w in object_id.lower() for w in words)),
                                             ("value", None))
        attribute, unit = found
        return Device(**common, type="sensor", read_only=True, attributes={  # a number from its first state on
            attribute: Attribute(value=first, unit=unit, writable=False)},
            binding=Binding(**binding, properties={attribute: PropertyBinding(key="state")}))
    if component == "cover":
        return Device(**common, type="cover", attributes={"state": Attribute(value=None, options=["open", "closed"])},
                      binding=Binding(**binding, properties={"state": PropertyBinding(key="state")}))
    if component == "lock":
        _lock_word(text)
        return Device(**common, type="lock", attributes={"state": Attribute(value=None, options=["locked", "unlocked"])},
                      binding=Binding(**binding, properties={"state": PropertyBinding(
                          key="state", values={"locked": "LOCK", "unlocked": "UNLOCK"})}))
    data = _json(text)
    attributes = {"state": Attribute(value=None, options=["on", "off"])}
    props = {"state": PropertyBinding(key="state", values={"on": "ON", "off": "OFF"})}
    if "brightness" in data:
        attributes["brightness"] = Attribute(value=None, min=0, max=100, unit="%")
        props["brightness"] = PropertyBinding(key="brightness")
    if "color_temp" in data:
        attributes["color_temp"] = Attribute(value=None, min=2000, max=6536, unit="K")  # 153-500 mired on the wire
        props["color_temp"] = PropertyBinding(key="color_temp", reciprocal=True)
    if isinstance(data.get("color"), dict) and {"r", "g", "b"} <= set(data["color"]):
        attributes["color"] = Attribute(value=[0, 0, 0])
        props["color"] = PropertyBinding(key="color")
    return Device(**common, type="light", attributes=attributes, binding=Binding(**binding, properties=props))


def with_position(device: Device) -> Device:
    """A cover whose node sent a position: the same cover, with its position 0-100."""
    if device.binding is None or "position" in device.attributes:
        return device
    attributes = {**device.attributes, "position": Attribute(value=None, min=0, max=100, unit="%")}
    properties = {**device.binding.properties, "position": PropertyBinding(key="position")}
    return device.model_copy(update={"attributes": attributes,
                                     "binding": device.binding.model_copy(update={"properties": properties})})


_LOCK_STATES = {"LOCKED": "locked", "UNLOCKED": "unlocked"}


def _lock_word(text: str) -> str | None:
    """A lock's state: locked or unlocked; None while it moves or is jammed (nothing to believe yet)."""
    word = text.upper()
    if word not in (*_LOCK_STATES, "JAMMED", "LOCKING", "UNLOCKING", "NONE"):
        raise CodecError(f"lock state {text[:20]!r} is not one of LOCKED, UNLOCKED, JAMMED, LOCKING, UNLOCKING")
    return _LOCK_STATES.get(word)


def _on_off(text: str) -> str:
    if text.upper() not in ("ON", "OFF"):
        raise CodecError(f"state {text[:20]!r} is neither ON nor OFF")
    return "on" if text.upper() == "ON" else "off"


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise CodecError(f"state {text[:20]!r} is not a number") from exc
    if value != value or value in (float("inf"), float("-inf")):
        raise CodecError(f"state {text[:20]!r} is not a measurement")
    return value


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CodecError(f"a light's state must be ESPHome's JSON ({exc.msg})") from exc
    if not isinstance(data, dict) or str(data.get("state", "")).upper() not in ("ON", "OFF"):
        raise CodecError("a light's state must be a JSON object with state ON or OFF")
    return data


def decode_state(device: Device, leaf: str, payload: bytes) -> dict[str, Value]:
    """A state message (``leaf`` ``state`` or ``position/state``) -> the canonical values it gives ``device``."""
    text = payload.decode("utf-8", "replace").strip()
    if device.type == "cover":
        if leaf == "position/state":
            position = _number(text)
            return {"position": int(position)} if 0 <= position <= 100 and "position" in device.attributes else {}
        return {"state": text.lower()} if text.lower() in ("open", "closed") else {}
    if device.type == "lock":
        word = _lock_word(text)
        return {"state": word} if word else {}
    if device.binding is not None and "/light/" in device.binding.address:  # ESPHome's lights speak JSON
        data = _json(text)
        values: dict[str, Value] = {"state": _on_off(str(data["state"]))}
        brightness = data.get("brightness")
        if "brightness" in device.attributes and isinstance(brightness, int) and not isinstance(brightness, bool) and 0 <= brightness <= 255:
            values["brightness"] = round(brightness * 100 / 255)
        temp = data.get("color_temp")
        if "color_temp" in device.attributes and isinstance(temp, int | float) and not isinstance(temp, bool) and 153 <= temp <= 500:
            values["color_temp"] = mired_to_kelvin(temp)
        color = data.get("color")
        if "color" in device.attributes and isinstance(color, dict) and all(
                isinstance(color.get(c), int) and not isinstance(color.get(c), bool) and 0 <= color[c] <= 255 for c in "rgb"):
            values["color"] = [color["r"], color["g"], color["b"]]
        return values
    name, attr = next(iter(device.attributes.items()))
    if device.type == "sensor":
        return {name: _number(text)}
    state = _on_off(text)
    if name == "contact":  # ON: the door is open, out of contact
        return {name: state == "off"}
    if attr.options == [True, False]:
        return {name: state == "on"}
    return {name: state}


def encode_command(device: Device, values: dict[str, Value]) -> list[tuple[str, str]]:
    """Canonical values -> [(topic, payload)]: ``ON``/``OFF``, a light's JSON, a cover's ``OPEN``/``CLOSE`` or position."""
    if device.binding is None or not device.binding.command_topic:
        raise CodecError(f"{device.id} has no ESPHome binding")
    for name in values:
        attr = device.attributes.get(name)
        if attr is None or not attr.writable:
            raise CodecError(f"the {device.name} has no {name!r} that can be set")
    try:
        checked = {name: device.attributes[name].check(value) for name, value in values.items()}
    except InvalidValue as exc:
        raise CodecError(str(exc)) from exc
    base = device.binding.address
    if device.type == "cover":
        if "position" in checked:
            return [(f"{base}/position/command", str(int(checked["position"])))]  # type: ignore[arg-type]
        return [(f"{base}/command", "OPEN" if checked.get("state") == "open" else "CLOSE")]
    if device.type == "lock":
        return [(f"{base}/command", "LOCK" if checked.get("state") == "locked" else "UNLOCK")]
    if "/light/" in base:
        body: dict[str, Any] = {}
        if "state" in checked:
            body["state"] = "ON" if checked["state"] == "on" else "OFF"
        if "brightness" in checked:
            body["brightness"] = round(float(checked["brightness"]) * 255 / 100)  # type: ignore[arg-type]
            body.setdefault("state", "ON" if body["brightness"] > 0 else "OFF")
        if "color_temp" in checked:
            body["color_temp"] = kelvin_to_mired(float(checked["color_temp"]))  # type: ignore[arg-type]  # mired
        if "color" in checked:
            rgb = checked["color"]
            if not isinstance(rgb, list) or len(rgb) != 3:
                raise CodecError(f"color must be [r, g, b], not {values['color']!r}")
            body["color"] = {"r": rgb[0], "g": rgb[1], "b": rgb[2]}
        return [(f"{base}/command", json.dumps(body, separators=(",", ":")))]
    return [(f"{base}/command", "ON" if checked.get("state") == "on" else "OFF")]


__all__ = ["BINARY", "COMPONENTS", "DRIVER", "READINGS", "decode_component", "decode_state", "device_id",
    "encode_command", "parse_topic", "room_of", "with_position"]
