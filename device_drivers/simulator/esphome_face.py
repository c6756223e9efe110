"""The simulated devices as ESPHome nodes on their own MQTT (no Home Assistant discovery): one node per room, whose
components publish ``<node>/<component>/<object_id>/state`` and take ``.../command``, with ``<node>/status`` for
availability. A device with several readings is several ``sensor`` components, as on a real node; a device ESPHome's
own MQTT cannot carry for iotlm (a thermostat, a TV, a fan with speeds) is left out, with why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from iotlm.device_drivers.esphome.codec import BINARY, READINGS
from iotlm.device_drivers.model import Device, Value, kelvin_to_mired, mired_to_kelvin
from iotlm.device_drivers.simulator.tasmota_face import A_KIND, brightness_top

NOT_ESPHOME = {kind: phrase for kind, phrase in A_KIND.items() if kind != "lock"}  # ESPHome has locks
READING_WORD = {attribute: words[0] for words, attribute, _ in READINGS}
"""A reading -> a word its object id carries, so the node's sensor is read as that reading."""
LIGHT = {"state", "brightness", "color_temp", "color"}


@dataclass(frozen=True)
class Component:
    kind: str
    """switch, fan, light, cover, lock, sensor or binary_sensor."""
    object_id: str
    attribute: str
    """The device's attribute it carries (``state`` for outputs; the reading for a sensor)."""


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "device"


def node_of(device: Device) -> str:
    return slug(device.room) if device.room else "home"


def left_out(device: Device) -> str | None:
    """Why ESPHome's own MQTT cannot carry this device for iotlm; None when it can."""
    if device.type in NOT_ESPHOME:
        return (f"ESPHome's own MQTT cannot carry {NOT_ESPHOME[device.type]} for iotlm: it reads switches, fans, lights, "
                "covers, locks and sensors")
    writable = {n for n, a in device.attributes.items() if a.writable}
    readings = set(device.attributes) - writable
    if readings - set(READING_WORD) - ({"occupancy", "contact"} if device.type == "binary_sensor" else set()):
        return f"iotlm reads no {', '.join(sorted(readings - set(READING_WORD)))} from an ESPHome sensor"
    if device.type == "cover":
        return None if writable <= {"state", "position"} else f"an ESPHome cover has no {', '.join(sorted(writable - {'state', 'position'}))}"
    if device.type == "lock":
        return None if writable == {"state"} else f"an ESPHome lock has no {', '.join(sorted(writable - {'state'}))}"
    if not writable:
        return None
    state = device.attributes.get("state")
    if state is None or [str(o) for o in state.options or []] != ["on", "off"]:
        return f"an ESPHome switch is ON or OFF; a {device.type} with {', '.join(sorted(writable))} is not"
    extra = writable - (LIGHT if device.type == "light" else {"state"})
    if extra:
        what = device.type if device.type in ("light", "fan") else "switch"
        return f"iotlm reads no {', '.join(sorted(extra))} from an ESPHome {what}"
    return None


def components(device: Device) -> list[Component]:
    """The node components that present ``device``."""
    name = slug(device.name)
    out: list[Component] = []
    writable = {n for n, a in device.attributes.items() if a.writable}
    if device.type == "light":
        out.append(Component("light", name, "state"))
    elif device.type in ("cover", "lock"):
        out.append(Component(device.type, name, "state"))
    elif device.type == "fan":
        out.append(Component("fan", name, "state"))
    elif "state" in writable:
        out.append(Component("switch", name, "state"))
    for attribute, attr in device.attributes.items():
        if attr.writable:
            continue
        if attribute in ("occupancy", "contact"):
            words = next(w for w, a in BINARY if a == attribute)
            object_id = name if any(w in name for w in words) else f"{name}_{words[0]}"
            out.append(Component("binary_sensor", object_id, attribute))
        elif attribute in READING_WORD:
            object_id = attribute if device.type == "sensor" else f"{name}_{attribute}"
            if READING_WORD[attribute] not in object_id:
                object_id = f"{object_id}_{READING_WORD[attribute]}"
            out.append(Component("sensor", object_id, attribute))
    return out


def states(device: Device, component: Component) -> list[tuple[str, str]]:
    """(leaf, payload) the component publishes: ``state``, and a cover's ``position/state``."""
    state = device.state()
    value = state.get(component.attribute)
    if component.kind == "light":
        body: dict[str, Any] = {"state": "ON" if value == "on" else "OFF"}
        if state.get("brightness") is not None:
            body["brightness"] = round(float(state["brightness"]) * 255 / brightness_top(device))  # type: ignore[arg-type]
        if state.get("color_temp") is not None:
            body["color_mode"], body["color_temp"] = "color_temp", kelvin_to_mired(float(state["color_temp"]))  # type: ignore[arg-type]
        color = state.get("color")
        if isinstance(color, list):
            body["color"] = dict(zip("rgb", color, strict=False))
        return [("state", json.dumps(body, separators=(",", ":")))]
    if component.kind == "cover":
        out = [("state", "open" if value == "open" else "closed")]
        if state.get("position") is not None:
            out.append(("position/state", str(state["position"])))
        return out
    if value is None:
        return []
    if component.kind == "lock":
        return [("state", "LOCKED" if value == "locked" else "UNLOCKED")]
    if component.kind == "sensor":
        return [("state", str(value))]
    if component.kind == "binary_sensor":
        on = (not value) if component.attribute == "contact" else bool(value)  # a door sensor is ON when open
        return [("state", "ON" if on else "OFF")]
    return [("state", "ON" if value == "on" else "OFF")]


def decode_command(device: Device, component: Component, leaf: str, payload: str) -> dict[str, Value]:
    """What a command asks of the device, in canonical values; ValueError when the node would ignore it."""
    word = payload.strip()
    if component.kind == "cover":
        if leaf == "position/command":
            if "position" not in device.attributes:
                raise ValueError("this cover has no position")
            try:
                position = round(float(word))
            except OverflowError as exc:  # "inf"
                raise ValueError(f"position {word!r} is not 0-100") from exc
            if not 0 <= position <= 100:
                raise ValueError(f"position {word!r} is not 0-100")
            return {"position": position, "state": "open" if position > 0 else "closed"}
        moves = {"OPEN": ("open", 100), "CLOSE": ("closed", 0)}
        if word.upper() not in moves:
            raise ValueError(f"a cover opens or closes, not {word!r}")
        state, position = moves[word.upper()]
        return {"state": state, **({"position": position} if "position" in device.attributes else {})}
    if component.kind == "lock":
        locks: dict[str, Value] = {"LOCK": "locked", "UNLOCK": "unlocked"}
        if word.upper() not in locks:
            raise ValueError(f"a lock takes LOCK or UNLOCK, not {word!r}")
        return {"state": locks[word.upper()]}
    if component.kind == "light":
        try:
            return _light_command(device, json.loads(word))
        except (TypeError, KeyError, OverflowError) as exc:  # a value of the wrong kind or size, a colour without its r
            raise ValueError(f"a light's command {word[:40]!r} is not ESPHome's JSON ({exc!r})") from exc
    if component.kind in ("switch", "fan") and word.upper() in ("ON", "OFF", "TOGGLE"):
        current = device.attributes["state"].value
        target = word.upper() if word.upper() != "TOGGLE" else ("OFF" if current == "on" else "ON")
        return {"state": target.lower()}
    raise ValueError(f"{component.kind} {component.object_id} takes no {word[:20]!r}")


def _light_command(device: Device, body: Any) -> dict[str, Value]:
    if not isinstance(body, dict):
        raise ValueError("a light takes a JSON object")
    values: dict[str, Value] = {}
    if "state" in body:
        values["state"] = "on" if str(body["state"]).upper() == "ON" else "off"
    if "brightness" in body and "brightness" in device.attributes:
        values["brightness"] = round(float(body["brightness"]) * brightness_top(device) / 255)
        values.setdefault("state", "on" if values["brightness"] else "off")
    if "color_temp" in body and "color_temp" in device.attributes:
        values["color_temp"] = mired_to_kelvin(float(body["color_temp"]))  # ESPHome speaks mired
    if isinstance(body.get("color"), dict) and "color" in device.attributes:
        values["color"] = [int(body["color"][c]) for c in "rgb"]
    return values


__all__ = ["LIGHT", "NOT_ESPHOME", "READING_WORD", "Component", "components", "decode_command", "left_out", "node_of",
    "slug", "states"]
