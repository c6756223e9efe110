"""Home-file devices -> Home Assistant MQTT discovery configs, state payloads, command parsing."""

from __future__ import annotations

import json
from typing import Any

from iotlm.device_drivers.model import Attribute, Device, Value, canonical_option
from iotlm.device_drivers.simulator.z2m_exposes import wire

LIGHT = "__light__"
MAIN = "__main__"
_TWO_STATE = ({"on", "off"}, {"locked", "unlocked"}, {"open", "closed"})
BRIGHTNESS_SCALE = 255
"""A JSON light's brightness on the wire, as Home Assistant's default ``brightness_scale`` has it."""


def _json_light_brightness(device: Device) -> bool:
    bright = device.attributes.get("brightness")
    return _main_component(device) == "light" and bright is not None and bright.kind == "numeric" and bright.writable


def state_topic(root: str, device_id: str) -> str:
    return f"{root}/{device_id}/state"


def _object_id(device_id: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in device_id)


def _main_component(device: Device) -> str | None:
    state = device.attributes.get("state")
    if state is None or state.kind != "options" or not state.writable:
        return None
    options = {str(o) for o in state.options or []}
    if device.type == "light" and options == {"on", "off"}:
        return "light"
    if options == {"locked", "unlocked"}:
        return "lock"
    if options == {"open", "closed"}:
        return "cover"
    if options == {"on", "off"}:
        return "switch"
    return None


def entity_configs(device: Device, prefix: str, root: str) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(config topic, config, {command topic: attribute}) for each entity of ``device``."""
    stat_t = state_topic(root, device.id)
    oid = _object_id(device.id)
    dev = {"identifiers": [device.id], "name": device.name, "manufacturer": "iotlm", "model": f"simulated {device.type}"}
    if device.room:
        dev["suggested_area"] = device.room
    out: list[tuple[str, dict[str, Any], dict[str, str]]] = []
    covered: set[str] = set()
    main = _main_component(device)
    if main is not None:
        cmd_t = f"{root}/{device.id}/{main}/set"
        config: dict[str, Any] = {"name": None, "uniq_id": f"{oid}_{main}", "stat_t": stat_t, "cmd_t": cmd_t, "dev": dev}
        covered.add("state")
        if main == "light":
            config["schema"] = "json"
            bright = device.attributes.get("brightness")
            if bright is not None and bright.kind == "numeric" and bright.writable:
                config["brightness"] = True
                config["brightness_scale"] = BRIGHTNESS_SCALE
                covered.add("brightness")
            color = device.attributes.get("color")
            if color is not None and color.kind == "color":
                config["supported_color_modes"] = ["rgb"]
                covered.add("color")
            out.append((f"{prefix}/light/{oid}/light/config", config, {cmd_t: LIGHT}))
        else:
            config["val_tpl"] = "{{ value_json.state }}"
            if main == "lock":
                config.update(pl_lock="LOCK", pl_unlk="UNLOCK", stat_locked="LOCK", stat_unlocked="UNLOCK")
            elif main == "cover":
                config.update(pl_open="OPEN", pl_cls="CLOSE", pl_stop=None, stat_open="OPEN", stat_clsd="CLOSE")
            else:
                config.update(pl_on="ON", pl_off="OFF")
            out.append((f"{prefix}/{main}/{oid}/{main}/config", config, {cmd_t: MAIN}))
    for name, attr in device.attributes.items():
        if name in covered:
            continue
        component, extra = _attribute_entity(attr)
        config = {"name": name.replace("_", " "), "uniq_id": f"{oid}_{name}", "stat_t": stat_t,
                  "val_tpl": f"{{{{ value_json.{name} }}}}", "dev": dev, **extra}
        commands: dict[str, str] = {}
        if attr.writable and component in ("number", "select", "text", "switch"):
            cmd_t = f"{root}/{device.id}/{name}/set"
            config["cmd_t"] = cmd_t
            commands[cmd_t] = name
        out.append((f"{prefix}/{component}/{oid}/{name}/config", config, commands))
    return out


def _attribute_entity(attr: Attribute) -> tuple[str, dict[str, Any]]:
    kind = attr.kind
    if kind == "numeric":
        extra = {k: v for k, v in (("min", attr.min), ("max", attr.max), ("step", attr.step), ("unit_of_meas", attr.unit)) if v is not None}
        if attr.writable:
            return "number", extra
        return "sensor", {"unit_of_meas": attr.unit} if attr.unit else {}
    if kind == "options":
        options = list(attr.options or [])
        two = {str(o) for o in options} in _TWO_STATE or all(isinstance(o, bool) for o in options)
        if not attr.writable and two and len(options) == 2:
            on, off = (options if options[0] in (True, "on", "locked", "open") else options[::-1])
            return "binary_sensor", {"pl_on": _text(wire(on)), "pl_off": _text(wire(off))}
        if attr.writable:
            return "select", {"options": [_text(wire(o)) for o in options]}
        return "sensor", {}
    if kind == "color":
        return "sensor", {}
    return ("text" if attr.writable else "sensor"), {}


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def state_payload(device: Device) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, attr in device.attributes.items():
        if attr.value is None:
            continue
        if attr.kind == "color" and isinstance(attr.value, list):
            out[name] = dict(zip("rgb", attr.value, strict=False))
        elif name == "brightness" and isinstance(attr.value, int | float) and _json_light_brightness(device):
            out[name] = round(attr.value * BRIGHTNESS_SCALE / 100)
        else:
            out[name] = wire(attr.value)
    return out


def decode_command(device: Device, attr: str, text: str) -> dict[str, Value]:
    """A command payload sent to one of the simulated entities -> canonical values."""
    if attr == LIGHT:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"JSON light command is not JSON: {text[:60]!r}") from exc
        if not isinstance(data, dict):
            raise ValueError("JSON light command must be an object")
        values: dict[str, Value] = {}
        for key, raw in data.items():
            if key == "color" and isinstance(raw, dict):
                values["color"] = [raw.get("r"), raw.get("g"), raw.get("b")]  # type: ignore[list-item]
            elif key == "state":
                values[key] = canonical_option(raw)
            elif key == "brightness":
                if not isinstance(raw, int | float) or isinstance(raw, bool) or not 0 <= raw <= BRIGHTNESS_SCALE:
                    raise ValueError(f"brightness: expected a number 0-{BRIGHTNESS_SCALE}, got {raw!r}")
                values[key] = round(raw * 100 / BRIGHTNESS_SCALE)
            elif key != "transition":
                raise ValueError(f"JSON light does not support {key!r}")
        return values
    name = "state" if attr == MAIN else attr
    target = device.attributes[name]
    if target.kind == "numeric":
        try:
            number = float(text)
        except ValueError as exc:
            raise ValueError(f"{name}: {text!r} is not a number") from exc
        return {name: int(number) if number.is_integer() else number}
    if target.kind == "options":
        if text.strip().lower() in ("true", "false") and any(isinstance(o, bool) for o in target.options or []):
            return {name: text.strip().lower() == "true"}
        return {name: canonical_option(text)}
    return {name: text}


__all__ = ["BRIGHTNESS_SCALE", "LIGHT", "MAIN", "decode_command", "entity_configs", "state_payload", "state_topic"]
