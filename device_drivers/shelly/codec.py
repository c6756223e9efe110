"""Shelly Gen2+ (RPC over MQTT) payloads <-> the device model. No I/O here.

A Shelly with MQTT on (its "RPC over MQTT" and "Generic status update over MQTT" settings) publishes ``true`` on
``<prefix>/online`` (retained), answers RPC frames sent to ``<prefix>/rpc`` on ``<src>/rpc``, sends each component's
status on ``<prefix>/status/<component>:<id>`` and notifications (``NotifyStatus``) on ``<prefix>/events/rpc``.

iotlm asks ``Shelly.GetConfig`` (names) and ``Shelly.GetStatus`` (values), then: a ``switch`` is a switch (an outlet,
fan, heater or light by its name; with its power when it measures it), a ``light`` a light with brightness, an ``rgb``
or ``rgbw`` a light with brightness and colour, a ``cct`` a light with brightness and colour temperature (in
Kelvin, as the canonical model's), a ``cover`` a cover (with its position once calibrated: ``pos_control``; one
that is not only opens and closes), and ``temperature`` and ``humidity`` readings. Commands: ``Switch.Set``,
``Light.Set``, ``RGB.Set``, ``RGBW.Set``, ``CCT.Set``, ``Cover.GoToPosition``, ``Cover.Open`` and ``Cover.Close``.

Rooms: a component named "Kitchen / Ceiling light" is in the kitchen, as with Tasmota; else the device's name says it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from iotlm.device_drivers.base import CodecError, identity
from iotlm.device_drivers.model import Attribute, Binding, Device, InvalidValue, PropertyBinding, Value
from iotlm.device_drivers.tasmota.codec import relay_type, split_name

DRIVER = "shelly"
_COMPONENT = re.compile(r"^(switch|light|rgb|rgbw|cct|cover|temperature|humidity):(\d{1,3})$")
LIGHTS = ("light", "rgb", "rgbw", "cct")
"""The components that are lights: dimmable, and with colour (rgb, rgbw) or white spectrum (cct)."""
CT_RANGE = (2700, 6500)
"""A CCT light's colour temperatures, Kelvin, where its config does not say (the Duo bulb's)."""
SET_METHOD = {"switch": "Switch.Set", "light": "Light.Set", "rgb": "RGB.Set", "rgbw": "RGBW.Set", "cct": "CCT.Set"}
_PREFIX = re.compile(r"^[^+#\s]{1,128}$")


@dataclass
class Decoded:
    devices: list[Device] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def request(method: str, request_id: int, src: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """An RPC request frame: the answer comes on ``<src>/rpc`` with the same id."""
    frame: dict[str, Any] = {"id": request_id, "src": src, "method": method}
    if params is not None:
        frame["params"] = params
    return frame


def _components(data: Any, what: str) -> dict[str, dict[str, Any]]:
    if not isinstance(data, dict):
        raise CodecError(f"Shelly.{what} must answer with an object")
    return {k: v for k, v in data.items() if _COMPONENT.match(k) and isinstance(v, dict)}


def decode_device(prefix: str, config: Any, status: Any) -> Decoded:
    """The devices of one Shelly: from its ``Shelly.GetConfig`` and ``Shelly.GetStatus`` results."""
    if not _PREFIX.match(prefix):
        raise CodecError(f"{prefix!r} is not a Shelly topic prefix")
    configs, statuses = _components(config, "GetConfig"), _components(status, "GetStatus")
    system = config.get("sys") if isinstance(config, dict) else None
    about = system.get("device") if isinstance(system, dict) else None
    named = about.get("name") if isinstance(about, dict) else None
    device_name = named if isinstance(named, str) and named.strip() else prefix
    out = Decoded()
    outputs = sorted((k for k in configs if k.split(":")[0] in ("switch", "cover", *LIGHTS)), key=_order)
    mac = about.get("mac") if isinstance(about, dict) else None
    if mac is None and isinstance(status, dict) and isinstance(status.get("sys"), dict):
        mac = status["sys"].get("mac")
    binding: dict[str, Any] = {"driver": DRIVER, "address": prefix, "command_topic": f"{prefix}/rpc",
               "state_topic": f"{prefix}/status/", "availability_topic": f"{prefix}/online", "identity": identity(mac)}
    for index, key in enumerate(outputs, start=1):
        kind, number = key.split(":")
        name_text = configs[key].get("name") if isinstance(configs[key].get("name"), str) else None
        room, name = split_name(name_text or (device_name if len(outputs) == 1 else f"{device_name} {index}"))
        device_id = prefix if index == 1 else f"{prefix}_{index}"
        device = _output(device_id, name, room, kind, int(number), binding, configs[key], statuses.get(key, {}))
        power = statuses.get(key, {}).get("apower")
        if kind != "cover" and _number(power) and device.binding is not None:  # a PM: it measures power
            device.attributes["power"] = Attribute(value=None, min=0, unit="W", writable=False)
            device.binding = device.binding.model_copy(update={
                "properties": {**device.binding.properties, "power": PropertyBinding(key=f"{key}.apower")}})
        out.devices.append(device)
    readings = {k: v for k, v in statuses.items() if k.split(":")[0] in ("temperature", "humidity")}
    if readings:
        if out.devices:
            target = out.devices[0]
        else:
            room, name = split_name(device_name)
            target = Device(id=prefix, name=name, room=room, type="sensor", read_only=True, attributes={},
                            binding=Binding(**binding))
            out.devices.append(target)
        props = dict(target.binding.properties) if target.binding else {}
        for key in sorted(readings, key=_order):
            kind = key.split(":")[0]
            attribute, field_name, unit = ("temperature", "tC", "°C") if kind == "temperature" else ("humidity", "rh", "%")
            if attribute in target.attributes:
                out.problems.append(f"{prefix}: {key} is a second {attribute}; only the first is used")
                continue
            value = readings[key].get(field_name)
            if not _number(value):  # a reading is a number from the start (its kind comes from its value)
                out.problems.append(f"{prefix}: {key} gives no number yet; left out")
                continue
            target.attributes[attribute] = Attribute(value=value, unit=unit, writable=False)
            props[attribute] = PropertyBinding(key=f"{key}.{field_name}")
        target.binding = Binding(**binding, properties=props)
        if not target.attributes:  # a sensor with nothing to read yet
            out.devices.remove(target)
    for device in out.devices:
        values = decode_status(device, statuses)
        for name, value in values.items():
            device.attributes[name].value = value
    return out


def _order(key: str) -> tuple[str, int]:
    kind, number = key.split(":")
    return kind, int(number)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _output(device_id: str, name: str, room: str | None, kind: str, number: int, binding: dict[str, Any],
            config: dict[str, Any], status: Any) -> Device:
    key = f"{kind}:{number}"
    if kind == "cover":
        attributes = {"state": Attribute(value=None, options=["open", "closed"])}
        props = {"state": PropertyBinding(key=f"{key}.state")}
        calibrated = status.get("pos_control") if isinstance(status, dict) else None
        if calibrated is True or (calibrated is None and isinstance(status, dict) and _number(status.get("current_pos"))):
            attributes["position"] = Attribute(value=None, min=0, max=100, unit="%")
            props["position"] = PropertyBinding(key=f"{key}.current_pos")
        return Device(id=device_id, name=name, room=room, type="cover", attributes=attributes,
                      binding=Binding(**binding, properties=props))
    attributes = {"state": Attribute(value=None, options=["on", "off"])}
    props = {"state": PropertyBinding(key=f"{key}.output", values={"on": True, "off": False})}
    if kind in LIGHTS:
        attributes["brightness"] = Attribute(value=None, min=0, max=100, unit="%")
        props["brightness"] = PropertyBinding(key=f"{key}.brightness")
        if kind in ("rgb", "rgbw"):
            attributes["color"] = Attribute(value=[0, 0, 0])
            props["color"] = PropertyBinding(key=f"{key}.rgb")
        if kind == "cct":
            low, high = _ct_range(config)
            attributes["color_temp"] = Attribute(value=None, min=round(low), max=round(high), unit="K")
            props["color_temp"] = PropertyBinding(key=f"{key}.ct")
        device_type = "light"
    else:
        words = set(re.findall(r"[a-z]+", name))
        device_type = "light" if words & {"light", "lamp", "lights"} else relay_type(name)
    return Device(id=device_id, name=name, room=room, type=device_type, attributes=attributes,
                  binding=Binding(**binding, properties=props))


def _ct_range(config: dict[str, Any]) -> tuple[float, float]:
    found = config.get("ct_range")
    if isinstance(found, list) and len(found) == 2 and all(_number(k) and k > 0 for k in found) and found[0] < found[1]:
        return float(found[0]), float(found[1])
    return CT_RANGE


def decode_status(device: Device, statuses: dict[str, Any]) -> dict[str, Value]:
    """Component statuses (``{"switch:0": {"output": true}}``, whole or partial as NotifyStatus gives them) -> values."""
    if device.binding is None:
        return {}
    values: dict[str, Value] = {}
    for name, prop in device.binding.properties.items():
        component, _, field_name = prop.key.partition(".")
        status = statuses.get(component)
        if not isinstance(status, dict) or field_name not in status:
            continue
        raw = status[field_name]
        attr = device.attributes[name]
        if name == "state" and device.type == "cover":
            position = status.get("current_pos")
            if raw in ("open", "closed"):
                values[name] = raw
            elif _number(position):  # stopped part-way, opening or closing: open unless fully down
                values[name] = "closed" if position == 0 else "open"
        elif prop.values:
            if isinstance(raw, bool):
                values[name] = "on" if raw else "off"
        elif name == "color":
            if isinstance(raw, list) and len(raw) == 3 and all(_number(c) and 0 <= c <= 255 for c in raw):
                values[name] = [int(c) for c in raw]
        elif name == "color_temp":
            if _number(raw) and raw > 0:
                values[name] = round(raw)
        elif _number(raw) and (attr.min is None or attr.max is None or not attr.writable or attr.min <= raw <= attr.max):
            values[name] = raw
    return values


def decode_message(device: Device, topic_rest: str, payload: Any) -> dict[str, Value]:
    """A message of the device: ``status/<component>`` (its whole status) or ``events/rpc`` (NotifyStatus or
    NotifyFullStatus) -> values for ``device``."""
    if topic_rest.startswith("status/"):
        return decode_status(device, {topic_rest[len("status/"):]: payload})
    if topic_rest == "events/rpc" and isinstance(payload, dict) and payload.get("method") in ("NotifyStatus", "NotifyFullStatus"):
        params = payload.get("params")
        return decode_status(device, params) if isinstance(params, dict) else {}
    return {}


def encode_command(device: Device, values: dict[str, Value], request_id: int, src: str) -> list[dict[str, Any]]:
    """Canonical values -> the RPC frames that set them (one per component)."""
    try:
        return _encode(device, values, request_id, src)
    except InvalidValue as exc:
        raise CodecError(str(exc)) from exc


def _encode(device: Device, values: dict[str, Value], request_id: int, src: str) -> list[dict[str, Any]]:
    if device.binding is None:
        raise CodecError(f"{device.id} has no Shelly binding")
    for name in values:
        attr = device.attributes.get(name)
        if attr is None or not attr.writable or name not in device.binding.properties:
            raise CodecError(f"the {device.name} has no {name!r} that can be set")
    component = device.binding.properties["state"].key.split(".")[0]
    kind, number = component.split(":")
    ident = int(number)
    if kind == "cover":
        if "position" in values and "position" in device.attributes:
            position = int(device.attributes["position"].check(values["position"]))  # type: ignore[arg-type]
            return [request("Cover.GoToPosition", request_id, src, {"id": ident, "pos": position})]
        state = values.get("state")
        if state not in ("open", "closed"):
            raise CodecError(f"a cover opens or closes, not {state!r}")
        return [request("Cover.Open" if state == "open" else "Cover.Close", request_id, src, {"id": ident})]
    params: dict[str, Any] = {"id": ident}
    if "state" in values:
        if values["state"] not in ("on", "off"):
            raise CodecError(f"state must be on or off, not {values['state']!r}")
        params["on"] = values["state"] == "on"
    if "brightness" in values:
        params["brightness"] = int(device.attributes["brightness"].check(values["brightness"]))  # type: ignore[arg-type]
        params.setdefault("on", params["brightness"] > 0)
    if "color" in values:
        params["rgb"] = device.attributes["color"].check(values["color"])
    if "color_temp" in values:
        params["ct"] = round(float(device.attributes["color_temp"].check(values["color_temp"])))  # type: ignore[arg-type]
    return [request(SET_METHOD[kind], request_id, src, params)]


__all__ = ["CT_RANGE", "DRIVER", "LIGHTS", "SET_METHOD", "Decoded", "decode_device", "decode_message", "decode_status",
    "encode_command", "request"]
