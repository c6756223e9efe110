"""Zigbee2MQTT payloads <-> the device model. No I/O here.

``bridge/devices`` entries become :class:`Device` objects (``exposes`` -> attributes, access
bits -> writable), state payloads become canonical attribute values, and commands become the
JSON a Zigbee2MQTT device expects on ``<base>/<name>/set``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iotlm.device_drivers.base import CodecError, identity
from iotlm.device_drivers.capabilities import DIALECT_NAMES
from iotlm.device_drivers.model import (
    Attribute,
    Binding,
    Device,
    PropertyBinding,
    Value,
    canonical_option,
    mired_to_kelvin,
)

DRIVER = "zigbee2mqtt"
ACCESS_STATE, ACCESS_SET, ACCESS_GET = 1, 2, 4
_SPECIFIC = {"light", "switch", "fan", "cover", "lock", "climate"}
_GENERIC = {"binary", "numeric", "enum", "text", "composite", "list"}
_META_KEYS = {"room", "aliases", "type", "risky", "name"}
_NAMES = DIALECT_NAMES["zigbee2mqtt"]
_PREFERRED = {"illuminance_lux"}
"""A property that wins over another of the same capability (a sensor's lux over its raw ``illuminance``)."""


@dataclass
class Decoded:
    """The outcome of decoding ``bridge/devices``: devices, and problems to log once each."""

    devices: list[Device] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_description(text: str | None) -> dict[str, Any]:
    """Read ``room=kitchen; aliases=ceiling light, main light; risky=true`` from a description.

    Zigbee2MQTT has no rooms; its per-device free-text description is where a user (or the
    simulator) can note them. Unknown keys and free text are ignored.
    """
    meta: dict[str, Any] = {}
    for part in (text or "").split(";"):
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or key not in _META_KEYS or not value:
            continue
        if key == "aliases":
            meta[key] = [a.strip() for a in value.split(",") if a.strip()]
        elif key == "risky":
            meta[key] = value.lower() in ("1", "true", "yes")
        else:
            meta[key] = value
    return meta


def format_description(room: str | None, aliases: list[str], device_type: str, risky: bool, name: str) -> str:
    parts = [f"name={name}", f"type={device_type}"]
    if room:
        parts.append(f"room={room}")
    if aliases:
        parts.append("aliases=" + ", ".join(aliases))
    if risky:
        parts.append("risky=true")
    return "; ".join(parts)


def decode_devices(payload: Any, base: str = "zigbee2mqtt") -> Decoded:
    """Decode the retained ``<base>/bridge/devices`` array."""
    out = Decoded()
    if not isinstance(payload, list):
        out.problems.append(f"expected a JSON array of devices, got {type(payload).__name__}")
        return out
    for index, entry in enumerate(payload):
        if not isinstance(entry, dict) or not isinstance(entry.get("friendly_name"), str):
            out.problems.append(f"entry {index}: not an object with a friendly_name; skipped")
            continue
        name = entry["friendly_name"]
        if entry.get("type") == "Coordinator" or entry.get("disabled"):
            continue
        definition = entry.get("definition")
        if not isinstance(definition, dict):
            out.problems.append(f"device {name!r}: definition is null (unsupported by Zigbee2MQTT); skipped")
            continue
        try:
            out.devices.append(decode_device(entry, base, out.problems))
        except (CodecError, ValueError) as exc:
            out.problems.append(f"device {name!r}: {exc}; skipped")
        except (TypeError, AttributeError, KeyError) as exc:  # a shape no real bridge sends: that entry only
            out.problems.append(f"device {name!r}: malformed entry ({type(exc).__name__}: {exc}); skipped")
    return out


def decode_device(entry: dict[str, Any], base: str, problems: list[str]) -> Device:
    name: str = entry["friendly_name"]
    definition = entry["definition"]
    attributes: dict[str, Attribute] = {}
    bindings: dict[str, PropertyBinding] = {}
    specific: set[str] = set()
    exposes = definition.get("exposes") or []
    if not isinstance(exposes, list):
        raise CodecError("definition.exposes is not a list")
    for expose in exposes:
        _expose(expose, name, attributes, bindings, specific, problems, None)
    if not attributes:
        raise CodecError("no exposes this driver understands")
    description = entry.get("description")
    meta = parse_description(description if isinstance(description, str) else None)
    room, short = _room_from_name(name)
    device_type = meta.get("type") or _infer_type(specific, attributes)
    return Device(
        id=name,
        name=meta.get("name") or short,
        aliases=meta.get("aliases", []),
        room=meta.get("room") or room,
        type=device_type,
        risky=bool(meta.get("risky", False)),
        attributes=attributes,
        binding=Binding(
            driver=DRIVER, address=name,
            state_topic=f"{base}/{name}", command_topic=f"{base}/{name}/set",
            availability_topic=f"{base}/{name}/availability", properties=bindings,
            identity=identity(entry.get("ieee_address")),
        ),
    )


def _expose(
    expose: Any, device: str, attributes: dict[str, Attribute], bindings: dict[str, PropertyBinding],
    specific: set[str], problems: list[str], parent: str | None,
) -> None:
    if not isinstance(expose, dict):
        problems.append(f"device {device!r}: an expose is not an object; skipped")
        return
    kind = expose.get("type")
    if not isinstance(kind, str):
        problems.append(f"device {device!r}: an expose has no type; skipped that expose")
        return
    if kind in _SPECIFIC:
        specific.add(kind)
        features = expose.get("features") or []
        for feature in features if isinstance(features, list) else []:
            _expose(feature, device, attributes, bindings, specific, problems, kind)
        return
    if kind not in _GENERIC:
        problems.append(f"device {device!r}: unknown expose type {kind!r}; skipped that expose")
        return
    prop = expose.get("property")
    if not isinstance(prop, str):
        return
    access = expose.get("access", ACCESS_STATE)
    if not isinstance(access, int) or isinstance(access, bool):
        problems.append(f"device {device!r}: {prop}: access is not a number; skipped that expose")
        return
    writable = bool(access & ACCESS_SET)
    gettable = bool(access & ACCESS_GET)
    name, conversion = canonical_name(prop, parent)
    if name in attributes and prop not in _PREFERRED:
        return  # two properties for one capability (current_ and occupied_heating_setpoint): the first one read
    if kind == "binary":
        on, off = expose.get("value_on", True), expose.get("value_off", False)
        attributes[name] = Attribute(options=[canonical_option(on), canonical_option(off)], writable=writable)
        bindings[name] = PropertyBinding(
            key=prop, gettable=gettable,
            values={str(canonical_option(on)): on, str(canonical_option(off)): off},
        )
    elif kind == "enum":
        values = [v for v in expose.get("values") or [] if isinstance(v, str | int)]
        attributes[name] = Attribute(options=[canonical_option(v) for v in values], writable=writable)
        bindings[name] = PropertyBinding(
            key=prop, gettable=gettable, values={str(canonical_option(v)): v for v in values},
        )
    elif kind == "numeric":
        attributes[name], bindings[name] = _numeric(expose, prop, writable, gettable, conversion)
    elif kind == "text":
        attributes[name] = Attribute(value=None, writable=writable)
        bindings[name] = PropertyBinding(key=prop, gettable=gettable)
    elif kind == "composite":
        names = {f.get("property") for f in expose.get("features") or [] if isinstance(f, dict)}
        if {"r", "g", "b"} <= names:
            attributes[name] = Attribute(value=[0, 0, 0], writable=writable)
            bindings[name] = PropertyBinding(key=prop, gettable=gettable)
        # other composites (color_xy, schedules) are not modelled yet: left out quietly
    # "list" exposes (schedules, scenes) are not device controls: left out quietly


def _numeric(expose: dict[str, Any], prop: str, writable: bool, gettable: bool,
             conversion: str) -> tuple[Attribute, PropertyBinding]:
    top, bottom = expose.get("value_max"), expose.get("value_min")
    if conversion == "scale" and isinstance(top, int | float) and top > 100:  # a 0-254 brightness is a percentage here
        return (Attribute(min=0, max=100, unit="%", writable=writable, value=None),
                PropertyBinding(key=prop, gettable=gettable, scale=float(top)))
    if conversion == "mired" and isinstance(top, int | float) and isinstance(bottom, int | float) and bottom > 0:
        return (Attribute(min=mired_to_kelvin(top), max=mired_to_kelvin(bottom), unit="K", writable=writable,
                          value=None),
                PropertyBinding(key=prop, gettable=gettable, reciprocal=True))
    return (Attribute(min=expose.get("value_min"), max=top, step=expose.get("value_step"), unit=expose.get("unit"),
                      writable=writable, value=None),
            PropertyBinding(key=prop, gettable=gettable))


def canonical_name(prop: str, parent: str | None) -> tuple[str, str]:
    """A Zigbee2MQTT property's canonical capability, and how its values convert ("scale": to a percentage, "mired":
    to Kelvin, "same"): a
    thermostat's ``current_heating_setpoint`` is ``target_temperature``, ``local_temperature`` is
    ``current_temperature``, ``system_mode`` is ``mode``, a fan's ``fan_mode`` its ``speed`` (a thermostat's its
    ``fan_speed``), a fan's ``fan_state`` its ``state``."""
    if parent == "fan" and prop in ("fan_mode", "fan_state"):
        return ("speed" if prop == "fan_mode" else "state"), "same"
    spec = _NAMES.get(prop)
    return (prop, "same") if spec is None else (spec.canonical, spec.conversion)


def _room_from_name(name: str) -> tuple[str | None, str]:
    """``"Kitchen/Ceiling light"`` or ``"kitchen.light"`` -> (room, short name)."""
    for sep in ("/", "."):
        if sep in name:
            room, _, short = name.rpartition(sep)
            return room.replace("_", " ").strip() or None, short.replace("_", " ").strip() or name
    return None, name.replace("_", " ")


def _infer_type(specific: set[str], attributes: dict[str, Attribute]) -> str:
    for kind in ("lock", "climate", "cover", "fan", "light", "switch"):
        if kind in specific:
            return kind
    if not any(a.writable for a in attributes.values()):
        if all(a.kind == "options" and len(a.options or []) == 2 for a in attributes.values()):
            return "binary_sensor"
        return "sensor"
    return "other"


def decode_state(device: Device, payload: Any) -> dict[str, Value]:
    """A ``<base>/<name>`` state object -> canonical values of the attributes we know."""
    if not isinstance(payload, dict):
        raise CodecError(f"expected a JSON object, got {type(payload).__name__}")
    binding = device.binding
    assert binding is not None
    out: dict[str, Value] = {}
    for attr_name, prop in binding.properties.items():
        if prop.key not in payload:
            continue
        raw = payload[prop.key]
        attr = device.attributes[attr_name]
        if prop.values:
            option = from_wire(prop, attr, raw)
            if option is NO_MATCH:
                continue  # a value outside the declared options: not state we can trust
            out[attr_name] = option
        elif attr.kind == "color":
            if isinstance(raw, dict) and all(isinstance(raw.get(k), int) for k in "rgb"):
                out[attr_name] = [raw["r"], raw["g"], raw["b"]]
        else:
            out[attr_name] = prop.from_wire(raw)
    return out


NO_MATCH: Any = object()


def from_wire(prop: PropertyBinding, attr: Attribute, raw: Any) -> Any:
    """The attribute option whose wire form is ``raw`` ("ON" -> "on"), or ``NO_MATCH``."""
    for option_key, wire in prop.values.items():
        if wire == raw or (isinstance(wire, str) and isinstance(raw, str) and wire.lower() == raw.lower()):
            return next((o for o in attr.options or [] if str(o) == option_key), NO_MATCH)
    return NO_MATCH


def encode_command(device: Device, values: Mapping[str, Value]) -> dict[str, Any]:
    """Canonical attribute values -> the ``/set`` payload. Raises on what the device lacks."""
    binding = device.binding
    assert binding is not None
    payload: dict[str, Any] = {}
    for attr_name, value in values.items():
        prop = binding.properties.get(attr_name)
        if prop is None:
            raise CodecError(f"{device.id} has no attribute {attr_name!r}")
        if prop.values:
            key = str(canonical_option(value))
            if key not in prop.values:
                raise CodecError(f"{device.id}.{attr_name}: {value!r} is not one of {', '.join(prop.values)}")
            payload[prop.key] = prop.values[key]
        elif isinstance(value, list):
            payload[prop.key] = dict(zip("rgb", value, strict=True))
        else:
            payload[prop.key] = prop.to_wire(value)
    return payload


def get_request(device: Device) -> dict[str, str]:
    """The ``/get`` payload asking for every gettable property (state is not retained)."""
    assert device.binding is not None
    return {p.key: "" for p in device.binding.properties.values() if p.gettable}


__all__ = ["DRIVER", "NO_MATCH", "Decoded", "canonical_name", "decode_device", "decode_devices", "decode_state",
    "encode_command", "format_description", "from_wire", "get_request", "parse_description"]
