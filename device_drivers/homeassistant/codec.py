"""Home Assistant MQTT discovery configs <-> the device model. No I/O here.

Each config describes one entity; entities that share ``device.identifiers`` are one device.
Supported components: light (json schema and default schema), switch, fan, climate, lock,
cover, sensor, binary_sensor, number, select, text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from iotlm.device_drivers.base import CodecError, identity
from iotlm.device_drivers.capabilities import CAPABILITIES, DIALECT_NAMES
from iotlm.device_drivers.homeassistant.templates import (
    JSON_LIGHT,
    SUPPORTED_COMMAND_TEMPLATES,
    command_template_problem,
    render_command,
    render_template,
    template_key,
)
from iotlm.device_drivers.model import Attribute, PropertyBinding, Value, canonical_option, mired_to_kelvin

DRIVER = "homeassistant"
COMPONENTS = {"light", "switch", "fan", "climate", "lock", "cover", "sensor", "binary_sensor", "number", "select", "text"}
_COMMANDED = {"light", "switch", "fan", "climate", "lock", "cover", "number", "select", "text"}
_NAMES = DIALECT_NAMES["homeassistant"]

# The abbreviations Home Assistant accepts in discovery payloads (the ones devices use).
ABBREVIATIONS: dict[str, str] = {
    "avty": "availability", "avty_t": "availability_topic", "avty_tpl": "availability_template",
    "bri_cmd_t": "brightness_command_topic", "bri_scl": "brightness_scale", "bri_stat_t": "brightness_state_topic",
    "bri_val_tpl": "brightness_value_template", "cmd_t": "command_topic", "cmd_tpl": "command_template",
    "pct_cmd_tpl": "percentage_command_template", "temp_cmd_tpl": "temperature_command_template",
    "mode_cmd_tpl": "mode_command_template", "bri_cmd_tpl": "brightness_command_template",
    "curr_temp_t": "current_temperature_topic", "curr_temp_tpl": "current_temperature_template",
    "dev": "device", "dev_cla": "device_class", "ent_cat": "entity_category", "fx_list": "effect_list",
    "json_attr_t": "json_attributes_topic", "max_temp": "max_temp", "min_temp": "min_temp",
    "mode_cmd_t": "mode_command_topic", "mode_stat_t": "mode_state_topic", "mode_stat_tpl": "mode_state_template",
    "modes": "modes", "obj_id": "object_id", "opt": "optimistic", "ops": "options",
    "pct_cmd_t": "percentage_command_topic", "pct_stat_t": "percentage_state_topic",
    "pct_val_tpl": "percentage_value_template", "pl_avail": "payload_available", "pl_cls": "payload_close",
    "pl_lock": "payload_lock", "pl_not_avail": "payload_not_available", "pl_off": "payload_off",
    "pl_on": "payload_on", "pl_open": "payload_open", "pl_stop": "payload_stop", "pl_unlk": "payload_unlock",
    "pos_t": "position_topic", "pos_tpl": "position_template", "pos_clsd": "position_closed", "pos_open": "position_open",
    "set_pos_t": "set_position_topic", "set_pos_tpl": "set_position_template", "spd_rng_max": "speed_range_max",
    "spd_rng_min": "speed_range_min", "stat_clsd": "state_closed", "stat_locked": "state_locked",
    "stat_off": "state_off", "stat_on": "state_on", "stat_open": "state_open", "stat_t": "state_topic",
    "stat_tpl": "state_template", "stat_unlocked": "state_unlocked", "stat_val_tpl": "state_value_template",
    "sup_clrm": "supported_color_modes", "temp_cmd_t": "temperature_command_topic", "temp_stat_t": "temperature_state_topic",
    "temp_stat_tpl": "temperature_state_template", "temp_step": "temp_step", "uniq_id": "unique_id",
    "unit_of_meas": "unit_of_measurement", "val_tpl": "value_template", "stat_cla": "state_class",
    "pr_mode_cmd_t": "preset_mode_command_topic", "pr_modes": "preset_modes", "step": "step",
}
DEVICE_ABBREVIATIONS = {"ids": "identifiers", "mf": "manufacturer", "mdl": "model", "sa": "suggested_area",
                        "sw": "sw_version", "hw": "hw_version", "cns": "connections"}


@dataclass
class Entity:
    """One discovery config, decoded: the device it belongs to and the attributes it adds."""

    component: str
    unique_id: str
    device_key: str
    device_name: str
    room: str | None
    attributes: dict[str, Attribute] = field(default_factory=dict)
    bindings: dict[str, PropertyBinding] = field(default_factory=dict)
    availability_topic: str | None = None
    identity: str | None = None
    """The physical device, from the config's ``device.connections`` (a MAC, a Zigbee address) or an identifier that is
    one (ESPHome's MAC, Zigbee2MQTT's ``zigbee2mqtt_0x...``)."""
    notes: list[str] = field(default_factory=list)
    """What was decoded with a reservation (an attribute left read-only because its command template is not supported)."""


def expand(config: dict[str, Any]) -> dict[str, Any]:
    """Expand abbreviations and the ``~`` base topic, as Home Assistant does."""
    out = {ABBREVIATIONS.get(k, k): v for k, v in config.items()}
    base = out.pop("~", None)
    if isinstance(base, str):
        for key, value in list(out.items()):
            if isinstance(value, str) and key.endswith("_topic"):
                if value.startswith("~"):
                    out[key] = base + value[1:]
                elif value.endswith("~"):
                    out[key] = value[:-1] + base
    device = out.get("device")
    if isinstance(device, dict):
        out["device"] = {DEVICE_ABBREVIATIONS.get(k, k): v for k, v in device.items()}
    availability = out.get("availability")
    if isinstance(availability, list) and availability and isinstance(availability[0], dict):
        first = {ABBREVIATIONS.get(k, k): v for k, v in availability[0].items()}
        topic = first.get("topic") or first.get("t")
        if isinstance(topic, str) and "availability_topic" not in out:
            out["availability_topic"] = base + topic[1:] if base and topic.startswith("~") else topic
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def decode_config(topic: str, config: Any) -> Entity:
    """One ``<prefix>/<component>/[<node_id>/]<object_id>/config`` payload -> :class:`Entity`."""
    parts = topic.split("/")
    if len(parts) not in (4, 5) or parts[-1] != "config":
        raise CodecError("topic is not <prefix>/<component>/[<node_id>/]<object_id>/config")
    component = parts[1]
    if component not in COMPONENTS:
        raise CodecError(f"component {component!r} is not supported (supported: {', '.join(sorted(COMPONENTS))})")
    if not isinstance(config, dict):
        raise CodecError("config is not a JSON object")
    c = expand(config)
    object_id = parts[-2]
    unique_id = str(c.get("unique_id") or f"{parts[-3]}_{object_id}")
    if component in _COMMANDED and component != "climate" and not c.get("command_topic"):
        raise CodecError(f"{component} config has no command_topic; a {component} needs one to be controlled")
    device: dict[str, Any] = c["device"] if isinstance(c.get("device"), dict) else {}
    identifiers = device.get("identifiers")
    if isinstance(identifiers, list) and identifiers:
        device_key = str(identifiers[0])
    elif isinstance(identifiers, str):
        device_key = identifiers
    else:
        device_key = unique_id
    ent_name = c.get("name")
    dev_name = str(device.get("name") or ent_name or object_id)
    area, avty = device.get("suggested_area"), c.get("availability_topic")
    entity = Entity(component, unique_id, device_key, dev_name, area if isinstance(area, str) and area.strip() else None,
                    availability_topic=avty if isinstance(avty, str) and avty else None, identity=_identity(device))
    _DECODERS[component](c, entity, ent_name if isinstance(ent_name, str) else None)
    for name, binding in list(entity.bindings.items()):
        problem = command_template_problem(binding.command_template)
        if problem is not None:
            # never send a raw value where the device expects a templated payload: read it, don't write it
            entity.attributes[name].writable = False
            entity.bindings[name] = binding.model_copy(update={"command_topic": None})
            entity.notes.append(f"{name} is read-only here: {problem}")
    return entity


def _identity(device: dict[str, Any]) -> str | None:
    connections = device.get("connections")
    pairs = [c for c in connections if isinstance(c, list) and len(c) == 2] if isinstance(connections, list) else []
    ids = device.get("identifiers")
    candidates = [value for kind, value in pairs if kind in ("mac", "zigbee", "ieee")] + (
        ids if isinstance(ids, list) else [ids])
    return next((found for found in map(identity, candidates) if found), None)


def _attr_name(c: dict[str, Any], ent_name: str | None, fallback: str) -> str:
    """The capability an entity is: its template's key, its device class or its name, in the canonical model's words
    (a ``carbon_dioxide`` sensor is ``co2``, ``sound_pressure`` is ``noise``)."""
    name = template_key(c.get("value_template")) or c.get("device_class") or (_slug(ent_name) if ent_name else fallback)
    spec = _NAMES.get(name)
    return spec.canonical if spec is not None and spec.conversion == "same" else name


def _two_state(c: dict[str, Any], entity: Entity, name: str, on: tuple[str, str], off: tuple[str, str],
               canon: tuple[Any, Any], writable: bool, command_template: str | None = None) -> None:
    """A two-state attribute: ``on``/``off`` are (payload key, default) for command and state."""
    pl_on = c.get(on[0], on[1])
    pl_off = c.get(off[0], off[1])
    st_on = c.get(on[0].replace("payload", "state"), pl_on)
    st_off = c.get(off[0].replace("payload", "state"), pl_off)
    entity.attributes[name] = Attribute(options=list(canon), writable=writable)
    entity.bindings[name] = PropertyBinding(
        key=name, state_topic=c.get("state_topic"), command_topic=c.get("command_topic") if writable else None,
        value_template=c.get("value_template") or c.get("state_value_template"), command_template=command_template,
        values={str(canon[0]): pl_on, str(canon[1]): pl_off, f"state:{canon[0]}": st_on, f"state:{canon[1]}": st_off},
    )


def _switch(c: dict[str, Any], e: Entity, n: str | None) -> None:
    _two_state(c, e, "state", ("payload_on", "ON"), ("payload_off", "OFF"), ("on", "off"), True, c.get("command_template"))


def _fan(c: dict[str, Any], e: Entity, n: str | None) -> None:
    _switch(c, e, n)
    if c.get("percentage_command_topic"):
        e.attributes["speed"] = Attribute(min=c.get("speed_range_min", 1), max=c.get("speed_range_max", 100), unit="%")
        e.bindings["speed"] = PropertyBinding(key="speed", state_topic=c.get("percentage_state_topic"),
                                              command_topic=c["percentage_command_topic"],
                                              value_template=c.get("percentage_value_template"),
                                              command_template=c.get("percentage_command_template"))


def _lock(c: dict[str, Any], e: Entity, n: str | None) -> None:
    pl_lock, pl_unlock = c.get("payload_lock", "LOCK"), c.get("payload_unlock", "UNLOCK")
    e.attributes["state"] = Attribute(options=["locked", "unlocked"])
    e.bindings["state"] = PropertyBinding(
        key="state", state_topic=c.get("state_topic"), command_topic=c.get("command_topic"),
        value_template=c.get("value_template"), command_template=c.get("command_template"),
        values={"locked": pl_lock, "unlocked": pl_unlock,
                "state:locked": c.get("state_locked", "LOCKED"), "state:unlocked": c.get("state_unlocked", "UNLOCKED")},
    )


def _cover(c: dict[str, Any], e: Entity, n: str | None) -> None:
    e.attributes["state"] = Attribute(options=["open", "closed"])
    e.bindings["state"] = PropertyBinding(
        key="state", state_topic=c.get("state_topic"), command_topic=c.get("command_topic"),
        value_template=c.get("value_template"),
        values={"open": c.get("payload_open", "OPEN"), "closed": c.get("payload_close", "CLOSE"),
                "state:open": c.get("state_open", "open"), "state:closed": c.get("state_closed", "closed")},
    )
    if c.get("set_position_topic") or c.get("position_topic"):
        e.attributes["position"] = Attribute(min=c.get("position_closed", 0), max=c.get("position_open", 100), unit="%",
                                             writable=bool(c.get("set_position_topic")))
        e.bindings["position"] = PropertyBinding(key="position", state_topic=c.get("position_topic"),
                                                 command_topic=c.get("set_position_topic"),
                                                 value_template=c.get("position_template"),
                                                 command_template=c.get("set_position_template"))


def _light(c: dict[str, Any], e: Entity, n: str | None) -> None:
    if c.get("schema") == "json":
        common: dict[str, Any] = {"state_topic": c.get("state_topic"), "command_topic": c.get("command_topic"), "command_template": JSON_LIGHT}
        e.attributes["state"] = Attribute(options=["on", "off"])
        e.bindings["state"] = PropertyBinding(key="state", values={"on": "ON", "off": "OFF", "state:on": "ON", "state:off": "OFF"},
                                              value_template="{{ value_json.state }}", **common)
        if c.get("brightness"):
            e.attributes["brightness"] = Attribute(min=0, max=100, unit="%")
            e.bindings["brightness"] = PropertyBinding(key="brightness", value_template="{{ value_json.brightness }}",
                                                       scale=_scale(c), **common)
        modes = c.get("supported_color_modes") or []
        if "color_temp" in modes:
            if c.get("color_temp_kelvin"):  # the schema's newer option: Kelvin on the wire, as the canonical model
                e.attributes["color_temp"] = Attribute(min=c.get("min_kelvin", 2000), max=c.get("max_kelvin", 6535), unit="K")
                reciprocal = False
            else:  # mired on the wire: 153-500 mired is 2000-6536 K
                low, high = _positive(c.get("min_mireds"), 153), _positive(c.get("max_mireds"), 500)
                e.attributes["color_temp"] = Attribute(min=mired_to_kelvin(high), max=mired_to_kelvin(low), unit="K")
                reciprocal = True
            e.bindings["color_temp"] = PropertyBinding(key="color_temp", value_template="{{ value_json.color_temp }}",
                                                       reciprocal=reciprocal, **common)
        if "rgb" in modes:
            e.attributes["color"] = Attribute(value=[0, 0, 0])
            e.bindings["color"] = PropertyBinding(key="color", value_template="{{ value_json.color }}", **common)
        return
    _switch(c, e, n)
    if c.get("brightness_command_topic"):
        e.attributes["brightness"] = Attribute(min=0, max=100, unit="%")
        e.bindings["brightness"] = PropertyBinding(key="brightness", state_topic=c.get("brightness_state_topic"),
                                                   command_topic=c["brightness_command_topic"],
                                                   value_template=c.get("brightness_value_template"),
                                                   command_template=c.get("brightness_command_template"), scale=_scale(c))


def _scale(c: dict[str, Any]) -> float | None:
    """A light's ``brightness_scale`` (255 unless it says): its brightness is a percentage here."""
    top = c.get("brightness_scale", 255)
    return float(top) if isinstance(top, int | float) and not isinstance(top, bool) and top > 0 and top != 100 else None


def _climate(c: dict[str, Any], e: Entity, n: str | None) -> None:
    if c.get("temperature_command_topic"):
        e.attributes["target_temperature"] = Attribute(min=c.get("min_temp", 7), max=c.get("max_temp", 35),
                                                       step=c.get("temp_step"), unit="°C")
        e.bindings["target_temperature"] = PropertyBinding(
            key="target_temperature", state_topic=c.get("temperature_state_topic"),
            command_topic=c["temperature_command_topic"], value_template=c.get("temperature_state_template"),
            command_template=c.get("temperature_command_template"))
    if c.get("mode_command_topic"):
        modes = c.get("modes") or ["auto", "off", "cool", "heat", "dry", "fan_only"]
        e.attributes["mode"] = Attribute(options=[canonical_option(m) for m in modes])
        e.bindings["mode"] = PropertyBinding(
            key="mode", state_topic=c.get("mode_state_topic"), command_topic=c["mode_command_topic"],
            value_template=c.get("mode_state_template"), values={str(canonical_option(m)): m for m in modes},
            command_template=c.get("mode_command_template"))
    if c.get("current_temperature_topic"):
        e.attributes["current_temperature"] = Attribute(unit="°C", writable=False, value=None, min=None)
        e.bindings["current_temperature"] = PropertyBinding(
            key="current_temperature", state_topic=c["current_temperature_topic"],
            value_template=c.get("current_temperature_template"))
    if not e.attributes:
        raise CodecError("climate config has no temperature_command_topic, mode_command_topic or current_temperature_topic")


def _sensor(c: dict[str, Any], e: Entity, n: str | None) -> None:
    name = _attr_name(c, n, "value")
    known = CAPABILITIES.get(name)  # a CO2 sensor without a unit still reads numbers, in ppm
    e.attributes[name] = Attribute(unit=c.get("unit_of_measurement") or (known.unit if known else None), writable=False)
    e.bindings[name] = PropertyBinding(key=name, state_topic=c.get("state_topic"), value_template=c.get("value_template"))


def _binary_sensor(c: dict[str, Any], e: Entity, n: str | None) -> None:
    name = _attr_name(c, n, "state")
    pl_on, pl_off = c.get("payload_on", "ON"), c.get("payload_off", "OFF")
    canon = (canonical_option(pl_on), canonical_option(pl_off)) if pl_on not in ("true", True) else (True, False)
    e.attributes[name] = Attribute(options=list(canon), writable=False)
    e.bindings[name] = PropertyBinding(key=name, state_topic=c.get("state_topic"), value_template=c.get("value_template"),
                                       values={f"state:{canon[0]}": pl_on, f"state:{canon[1]}": pl_off})


def _number(c: dict[str, Any], e: Entity, n: str | None) -> None:
    name = _attr_name(c, n, "value")
    e.attributes[name] = Attribute(min=c.get("min", 1), max=c.get("max", 100), step=c.get("step"),
                                   unit=c.get("unit_of_measurement"))
    e.bindings[name] = PropertyBinding(key=name, state_topic=c.get("state_topic"), command_topic=c.get("command_topic"),
                                       value_template=c.get("value_template"), command_template=c.get("command_template"))


def _select(c: dict[str, Any], e: Entity, n: str | None) -> None:
    name = _attr_name(c, n, "option")
    options = c.get("options") or []
    if not options:
        raise CodecError("select config has no options")
    e.attributes[name] = Attribute(options=[_option(o) for o in options])
    values = {str(_option(o)): o for o in options}
    values.update({f"state:{k}": v for k, v in list(values.items())})
    e.bindings[name] = PropertyBinding(key=name, state_topic=c.get("state_topic"), command_topic=c.get("command_topic"),
                                       value_template=c.get("value_template"), values=values,
                                       command_template=c.get("command_template"))


def _option(value: Any) -> Any:
    if value in ("true", "false"):
        return value == "true"
    return canonical_option(value)


def _text(c: dict[str, Any], e: Entity, n: str | None) -> None:
    name = _attr_name(c, n, "text")
    e.attributes[name] = Attribute(value=None)
    e.bindings[name] = PropertyBinding(key=name, state_topic=c.get("state_topic"), command_topic=c.get("command_topic"),
                                       value_template=c.get("value_template"), command_template=c.get("command_template"))


_DECODERS = {"switch": _switch, "fan": _fan, "lock": _lock, "cover": _cover, "light": _light, "climate": _climate,
             "sensor": _sensor, "binary_sensor": _binary_sensor, "number": _number, "select": _select, "text": _text}


def decode_value(attr: Attribute, binding: PropertyBinding, payload: bytes) -> tuple[bool, Value]:
    """A state message -> (found, canonical value) for one attribute bound to its topic."""
    raw = render_template(binding.value_template, payload)
    if raw is None:
        return False, None
    if binding.values:
        for key, wire in binding.values.items():
            if key.startswith("state:") and _eq(wire, raw):
                canon = key[len("state:"):]
                return True, next((o for o in attr.options or [] if str(o) == canon), canon)
        return False, None
    if attr.kind == "color":
        if isinstance(raw, dict) and all(isinstance(raw.get(k), int) for k in "rgb"):
            return True, [raw["r"], raw["g"], raw["b"]]
        return False, None
    if attr.kind == "numeric" or (attr.unit and isinstance(raw, str)):
        try:
            number = float(raw)
        except (TypeError, ValueError):
            return (True, raw) if attr.kind != "numeric" else (False, None)
        number = binding.from_wire(number)
        return True, int(number) if float(number).is_integer() else number
    return True, raw


def _positive(value: Any, default: float) -> float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else default


def _eq(wire: Any, raw: Any) -> bool:
    if isinstance(wire, str) and isinstance(raw, str):
        return wire.lower() == raw.lower()
    if isinstance(wire, bool) or isinstance(raw, bool):
        return str(wire).lower() == str(raw).lower()
    return bool(wire == raw)


def encode_commands(bindings: dict[str, PropertyBinding], values: dict[str, Value]) -> dict[str, str]:
    """Canonical values -> {command topic: payload}; JSON-schema light keys merge into one."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        binding = bindings.get(name)
        if binding is None or not binding.command_topic:
            raise CodecError(f"no command topic for attribute {name!r}")
        if binding.values:
            key = str(canonical_option(value)) if not isinstance(value, bool) else str(value)
            if key not in binding.values:
                allowed = ", ".join(k for k in binding.values if not k.startswith("state:"))
                raise CodecError(f"{name}: {value!r} is not one of {allowed}")
            wire = binding.values[key]
        else:
            wire = binding.to_wire(value)
        if binding.command_template == JSON_LIGHT:
            body = out.setdefault(binding.command_topic, {})
            body[binding.key] = dict(zip("rgb", wire, strict=True)) if isinstance(wire, list) else wire
        elif binding.command_template is not None:
            problem = command_template_problem(binding.command_template)
            if problem is not None:
                raise CodecError(f"{name}: {problem}")
            out[binding.command_topic] = render_command(binding.command_template, wire)
        else:
            out[binding.command_topic] = json.dumps(wire) if isinstance(wire, bool) else str(wire)
    return {t: json.dumps(p, separators=(",", ":")) if isinstance(p, dict) else p for t, p in out.items()}


__all__ = ["ABBREVIATIONS", "COMPONENTS", "DEVICE_ABBREVIATIONS", "DRIVER", "JSON_LIGHT",
    "SUPPORTED_COMMAND_TEMPLATES", "Entity", "command_template_problem", "decode_config", "decode_value",
    "encode_commands", "expand", "render_command", "render_template"]
