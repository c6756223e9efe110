"""Home-file devices -> Zigbee2MQTT ``bridge/devices`` entries (what a real bridge publishes)."""

from __future__ import annotations

import hashlib
from typing import Any

from iotlm.device_drivers.model import WIRE_WORDS, Attribute, Device, kelvin_to_mired
from iotlm.device_drivers.zigbee2mqtt.codec import format_description

_SPECIFIC_FOR_TYPE = {"light": "light", "switch": "switch", "outlet": "switch", "lock": "lock",
                      "cover": "cover", "climate": "climate", "fan": "fan"}
_THERMOSTAT = {"target_temperature": "current_heating_setpoint", "current_temperature": "local_temperature",
               "mode": "system_mode", "fan_speed": "fan_mode"}
"""What a Zigbee2MQTT thermostat calls the canonical capabilities (its TRVs and wall thermostats)."""
BRIGHTNESS_TOP = 254
"""Zigbee's brightness runs 0-254."""


def property_name(device: Device, name: str) -> str:
    """The Zigbee2MQTT property a canonical capability of ``device`` is published as."""
    return _THERMOSTAT.get(name, name) if device.type in ("climate", "heater") else name


def wire(option: Any) -> Any:
    return WIRE_WORDS.get(option, option) if isinstance(option, str) else option


def attribute_expose(name: str, attr: Attribute, prop: str | None = None) -> dict[str, Any]:
    access = 7 if attr.writable else 5
    prop = prop or name
    base: dict[str, Any] = {"name": prop, "property": prop, "access": access}
    kind = attr.kind
    if name == "brightness" and kind == "numeric" and attr.unit == "%":
        return {**base, "type": "numeric", "value_min": 0, "value_max": BRIGHTNESS_TOP}
    if name == "color_temp" and kind == "numeric" and attr.min and attr.max:  # Zigbee speaks mired, 1e6 / K
        return {**base, "type": "numeric", "value_min": kelvin_to_mired(attr.max),
                "value_max": kelvin_to_mired(attr.min), "unit": "mired"}
    if kind == "options":
        options = list(attr.options or [])
        if len(options) == 2 and (all(isinstance(o, bool) for o in options) or
                                  {str(o) for o in options} in ({"on", "off"}, {"locked", "unlocked"})):
            on, off = (options if options[0] in (True, "on", "locked") else options[::-1])
            return {**base, "type": "binary", "value_on": wire(on), "value_off": wire(off)}
        return {**base, "type": "enum", "values": [wire(o) for o in options]}
    if kind == "numeric":
        out = {**base, "type": "numeric"}
        for key, value in (("value_min", attr.min), ("value_max", attr.max), ("value_step", attr.step), ("unit", attr.unit)):
            if value is not None:
                out[key] = int(value) if isinstance(value, float) and value.is_integer() else value
        return out
    if kind == "color":
        return {**base, "type": "composite",
                "features": [{"type": "numeric", "name": c, "property": c, "access": access, "value_min": 0, "value_max": 255}
                             for c in "rgb"]}
    return {**base, "type": "text"}


def bridge_entry(device: Device) -> dict[str, Any]:
    features = [attribute_expose(name, attr, property_name(device, name)) for name, attr in device.attributes.items()]
    specific = _SPECIFIC_FOR_TYPE.get(device.type)
    exposes = [{"type": specific, "features": features}] if specific else features
    ieee = "0x" + hashlib.sha1(device.id.encode()).hexdigest()[:16]
    return {
        "ieee_address": ieee, "friendly_name": device.id, "type": "EndDevice", "supported": True,
        "disabled": False, "network_address": int(ieee[-4:], 16),
        "description": format_description(device.room, device.aliases, device.type, device.risky, device.name),
        "definition": {"model": f"iotlm-sim-{device.type}", "vendor": "iotlm", "description": f"simulated {device.type}",
                       "exposes": exposes, "options": []},
    }


def coordinator_entry() -> dict[str, Any]:
    return {"ieee_address": "0x00124b0000000000", "friendly_name": "Coordinator", "type": "Coordinator",
            "supported": True, "disabled": False, "definition": None}


__all__ = ["BRIGHTNESS_TOP", "attribute_expose", "bridge_entry", "coordinator_entry", "property_name", "wire"]
