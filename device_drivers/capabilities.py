"""The canonical device model: device classes, their capabilities (fixed meaning, unit and range), their operations
and what each implies, and how each dialect names them.

Every layer above the drivers speaks only this model. A driver's codec, and the home-file loader, translate a
dialect's names, units and ranges into it on the way in and back on the way out (:func:`canonical_attributes`, and
each codec's :class:`~iotlm.device_drivers.model.PropertyBinding` with its ``scale``). So a Home Assistant speaker's
``volume_level`` 0.0-1.0 is ``volume`` 0-100 %, its ``is_volume_muted`` is ``muted``, a cover's ``current_position`` is
``position`` %, a Zigbee2MQTT thermostat's ``current_heating_setpoint`` is ``target_temperature`` °C and a light's 0-254
brightness is ``brightness`` %. ``python -m iotlm.device_drivers.capabilities`` prints the README's table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from iotlm.device_drivers.model import mired_to_kelvin

__all__ = ["CAPABILITIES", "CLASSES", "DIALECT_NAMES", "DIALECT_ONLY_NAMES", "ROOM_READERS", "Capability", "DeviceClass",
           "Renamed", "canonical_attributes", "describes_room", "shown", "table"]

Kind = Literal["state", "number", "option", "flag", "color", "text"]


@dataclass(frozen=True)
class Capability:
    name: str
    kind: Kind
    meaning: str
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    reading: bool = False
    """A value the device reports and nobody sets (a temperature, a contact)."""
    said: tuple[str, str] | None = None
    """How a flag's true and false are said ("occupied"/"clear"), rather than True/False."""


CAPABILITIES: dict[str, Capability] = {c.name: c for c in (
    Capability("state", "state", "on/off, open/closed, locked/unlocked, playing/paused, a vacuum's activity"),
    Capability("brightness", "number", "how bright a light is; above 0 means on", "%", 0, 100),
    Capability("color", "color", "a light's colour as red, green, blue 0-255"),
    Capability("color_temp", "number", "a white light's colour temperature", "K"),
    Capability("position", "number", "how far open a cover or valve is; above 0 means open", "%", 0, 100),
    Capability("tilt", "number", "the slats' angle of a blind", "%", 0, 100),
    Capability("volume", "number", "a media player's volume", "%", 0, 100),
    Capability("muted", "flag", "a media player muted, whatever its volume", said=("muted", "sound on")),
    Capability("source", "option", "a media player's input"),
    Capability("target_temperature", "number", "the setpoint of a thermostat, heater, AC or appliance", "°C"),
    Capability("mode", "option", "a climate device's or appliance's mode (heat, cool, auto, dry, fan only, eco)"),
    Capability("fan_speed", "option", "a climate device's or purifier's fan speed"),
    Capability("speed", "option", "a fan's speed"),
    Capability("swing", "option", "which way a fan or AC swings"),
    Capability("intensity", "number", "a humidifier's, dehumidifier's or diffuser's strength", "%"),
    Capability("operational_state", "option", "an appliance's programme: stopped, running, paused, complete", reading=True),
    Capability("remaining_time", "number", "the minutes an appliance's programme has left", "min", reading=True),
    Capability("programme", "option", "the programme an appliance runs"),
    Capability("current_temperature", "number", "what a climate device or appliance measures itself", "°C", reading=True),
    Capability("temperature", "number", "a temperature reading (room scope for sensors and climate devices)", "°C",
               reading=True),
    Capability("humidity", "number", "relative humidity", "%", 0, 100, reading=True),
    Capability("illuminance", "number", "light level", "lx", reading=True),
    Capability("pm25", "number", "PM2.5", "µg/m³", reading=True),
    Capability("pm10", "number", "PM10", "µg/m³", reading=True),
    Capability("co2", "number", "CO2", "ppm", reading=True),
    Capability("voc", "number", "volatile organic compounds", "ppb", reading=True),
    Capability("noise", "number", "noise level", "dB", reading=True),
    Capability("occupancy", "flag", "someone is there", reading=True, said=("occupied", "clear")),
    Capability("contact", "flag", "a door or window sensor: true is closed", reading=True, said=("closed", "open")),
    Capability("power", "number", "power drawn", "W", reading=True),
    Capability("energy", "number", "energy used", "kWh", reading=True),
    Capability("battery", "number", "battery charge", "%", 0, 100, reading=True),
    Capability("water_leak", "flag", "a leak sensor: true is water found", reading=True, said=("leak", "dry")),
    Capability("smoke", "flag", "a smoke alarm: true is smoke", reading=True, said=("smoke", "clear")),
    Capability("carbon_monoxide", "flag", "a CO alarm: true is carbon monoxide", reading=True,
               said=("carbon monoxide", "clear")),
)}


@dataclass(frozen=True)
class DeviceClass:
    name: str
    capabilities: tuple[str, ...]
    operations: tuple[str, ...]
    implies: tuple[str, ...] = field(default_factory=tuple)
    """What its operations and values imply, in words (the code: :func:`iotlm.tools.device_tools.implied_values`)."""


CLASSES: dict[str, DeviceClass] = {c.name: c for c in (
    DeviceClass("light", ("state", "brightness", "color", "color_temp"), ("turn_on", "turn_off", "set_brightness",
                "set_color", "set_color_temp"), ("a brightness above 0 turns it on",)),
    DeviceClass("switch", ("state", "power"), ("turn_on", "turn_off")),
    DeviceClass("outlet", ("state", "power", "energy"), ("turn_on", "turn_off")),
    DeviceClass("fan", ("state", "speed", "swing"), ("turn_on", "turn_off", "set_speed", "set_swing")),
    DeviceClass("cover", ("state", "position", "tilt"), ("open", "close", "stop", "set_position", "set_tilt"),
                ("a position above 0 is open, 0 is closed", "open is position 100 where the position is writable")),
    DeviceClass("valve", ("state", "position"), ("open", "close", "set_position"),
                ("opening a valve means position 100, closing it 0", "a position above 0 is open")),
    DeviceClass("lock", ("state",), ("lock", "unlock")),
    DeviceClass("climate", ("state", "mode", "target_temperature", "current_temperature", "fan_speed", "swing"),
                ("turn_on", "turn_off", "set_mode", "set_target_temperature", "set_fan_speed")),
    DeviceClass("heater", ("state", "target_temperature", "current_temperature"), ("turn_on", "turn_off",
                "set_target_temperature")),
    DeviceClass("humidifier", ("state", "intensity", "mode", "humidity"), ("turn_on", "turn_off", "set_intensity")),
    DeviceClass("media_player", ("state", "volume", "muted", "source"), ("play", "pause", "stop", "turn_on", "turn_off",
                "set_volume", "mute", "unmute", "set_source"), ("muting sets muted; without it, volume 0",)),
    DeviceClass("vacuum", ("state", "battery"), ("start", "pause", "stop", "return_to_base"),
                ("start is cleaning, pause paused, stop idle (or stopped), return to base docked (or returning)",)),
    DeviceClass("appliance", ("state", "operational_state", "remaining_time", "programme", "target_temperature",
                "current_temperature"), ("turn_on", "turn_off", "start", "pause", "set_programme"),
                ("a temperature set on an oven turns it on", "its own temperature is never the room's")),
    DeviceClass("sensor", ("temperature", "humidity", "illuminance", "pm25", "pm10", "co2", "voc", "noise", "power",
                "energy", "battery"), ()),
    DeviceClass("binary_sensor", ("occupancy", "contact", "water_leak", "smoke", "carbon_monoxide", "battery"), ()),
)}

ROOM_READERS = frozenset({"sensor", "binary_sensor", "climate", "heater", "humidifier", "fan", "light", "cover", "switch",
                          "outlet", "other"})
"""Device types whose readings describe the room they are in; an appliance's (a fridge's inside, a water heater's
tank, an oven) describe the appliance only."""


def describes_room(device_type: str) -> bool:
    return device_type in ROOM_READERS


def shown(name: str, value: Any) -> str:
    """A capability's value as a person reads it: a flag in its words ("occupied", "clear"), a number without a
    needless ".0", an option with spaces ("fan only"); "?" before anything was reported."""
    if value is None:
        return "?"
    capability = CAPABILITIES.get(name)
    if isinstance(value, bool):
        said = capability.said if capability and capability.said else ("yes", "no")
        return said[0] if value else said[1]
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "rgb(" + ", ".join(map(str, value)) + ")"
    return str(value).replace("_", " ")


# ---------------------------------------------------------------- dialects

Conversion = Literal["same", "fraction", "scale", "mired"]


@dataclass(frozen=True)
class Name:
    canonical: str
    conversion: Conversion = "same"
    """"fraction": 0.0-1.0 is 0-100 %; "scale": 0-max (the attribute's own max, e.g. 254 or 255) is 0-100 %;
    "mired": the dialect's colour temperature is in mired, a million over the Kelvin."""


DIALECT_NAMES: dict[str, dict[str, Name]] = {
    "zigbee2mqtt": {
        "current_heating_setpoint": Name("target_temperature"), "occupied_heating_setpoint": Name("target_temperature"),
        "occupied_cooling_setpoint": Name("target_temperature"), "local_temperature": Name("current_temperature"),
        "system_mode": Name("mode"), "brightness": Name("brightness", "scale"), "fan_mode": Name("fan_speed"),
        "position": Name("position"), "illuminance_lux": Name("illuminance"),
        "color_temp": Name("color_temp", "mired"),
    },
    "homeassistant": {
        "current_position": Name("position"), "current_tilt_position": Name("tilt"),
        "volume_level": Name("volume", "fraction"), "is_volume_muted": Name("muted"), "hvac_mode": Name("mode"),
        "fan_mode": Name("fan_speed"), "percentage": Name("speed"), "brightness": Name("brightness", "scale"),
        "battery_level": Name("battery"), "swing_mode": Name("swing"), "preset_mode": Name("mode"),
        "carbon_dioxide": Name("co2"), "volatile_organic_compounds": Name("voc"), "sound_pressure": Name("noise"),
        "color_temp": Name("color_temp", "mired"), "color_temp_kelvin": Name("color_temp"),
    },
    "tasmota": {"Dimmer": Name("brightness"), "CT": Name("color_temp", "mired"), "Shutter1": Name("position")},
    "shelly": {"brightness": Name("brightness"), "current_pos": Name("position"), "apower": Name("power"),
               "rgb": Name("color"), "ct": Name("color_temp")},
    "esphome": {"brightness": Name("brightness", "scale"), "color_temp": Name("color_temp", "mired")},
}
"""What each dialect calls a capability, and how its values convert. Home files may use Home Assistant's names."""

SPOKEN = frozenset({"percentage", "rgb"})
"""Dialect names that are also words a person says ("50 percentage", "RGB"): the reader may use them as words."""

DIALECT_ONLY_NAMES = frozenset(n for names in DIALECT_NAMES.values() for n, spec in names.items()
                               if n != spec.canonical and n not in CAPABILITIES and n not in SPOKEN)
"""Names no layer above the drivers may use: they exist only in a dialect (a test scans the code for them)."""


SETPOINT_TYPES = frozenset({"climate", "heater", "appliance", "humidifier"})
"""Types whose writable ``temperature`` is a setpoint (Home Assistant's climate ``temperature``), not a reading."""


@dataclass(frozen=True)
class Renamed:
    """How one attribute of a home file became canonical: its new name, and the factor its values were multiplied by
    (or, ``reciprocal``, a million over the value: mired as Kelvin)."""

    canonical: str
    factor: float = 1.0
    reciprocal: bool = False

    def value(self, value: Any) -> Any:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return value
        if self.reciprocal:
            return mired_to_kelvin(value) if value > 0 else value
        return value if self.factor == 1.0 else round(value * self.factor)


def canonical_attributes(attributes: dict[str, Any], device_type: str = "other",
                         renamed: dict[str, Renamed] | None = None) -> dict[str, Any]:
    """A home file's attributes (JSON objects, as written) in the canonical model: Home Assistant's and Zigbee2MQTT's
    names renamed, a setpoint called ``temperature`` as ``target_temperature``, a 0-1 volume and a 0-255 brightness as
    percentages. What is already canonical is kept as it is. ``renamed`` is filled with what changed (so that what
    was written in the file's own names, such as a benchmark case, can be read the same way)."""
    names = {**DIALECT_NAMES["zigbee2mqtt"], **DIALECT_NAMES["homeassistant"]}
    out: dict[str, Any] = {}
    for name, spec in attributes.items():
        found = names.get(name)
        if found is None and name == "temperature" and device_type in SETPOINT_TYPES and isinstance(spec, dict) \
                and spec.get("writable", True) and "target_temperature" not in attributes:
            found = Name("target_temperature")
        if found is None or not isinstance(spec, dict):
            out.setdefault(name, spec)
            continue
        converted, factor, reciprocal = _convert(dict(spec), found.conversion)
        if found.canonical in CAPABILITIES and CAPABILITIES[found.canonical].unit and "unit" not in converted:
            converted["unit"] = CAPABILITIES[found.canonical].unit
        out[found.canonical] = converted
        if renamed is not None and (found.canonical != name or factor != 1.0 or reciprocal):
            renamed[name] = Renamed(found.canonical, factor, reciprocal)
    return out


def _convert(spec: dict[str, Any], conversion: Conversion) -> tuple[dict[str, Any], float, bool]:
    if conversion == "same":
        return spec, 1.0, False
    if conversion == "mired":
        return _kelvin(spec)
    given = spec.get("max")
    if conversion != "fraction" and given is not None and (not isinstance(given, int | float) or isinstance(given, bool)):
        return spec, 1.0, False  # not a number: the attribute's own check names the field and what it should be
    top = 1.0 if conversion == "fraction" else float(given or 100)
    if conversion == "scale" and top <= 100:
        return spec, 1.0, False  # already a percentage
    value = spec.get("value")
    if isinstance(value, int | float) and not isinstance(value, bool):
        spec["value"] = round(value * 100 / top)
    spec["min"], spec["max"], spec["unit"] = 0, 100, "%"
    return spec, 100 / top, False


def _kelvin(spec: dict[str, Any]) -> tuple[dict[str, Any], float, bool]:
    """A colour temperature written in mired (153-500) as Kelvin (2000-6536); one already in Kelvin (its unit says
    K, or its numbers are above 1000, which no mired is) as it is."""
    numbers = [v for v in (spec.get("value"), spec.get("min"), spec.get("max"))
               if isinstance(v, int | float) and not isinstance(v, bool)]
    if str(spec.get("unit", "")).lower() in ("k", "kelvin") or any(v > 1000 for v in numbers):
        spec["unit"] = "K"
        return spec, 1.0, False

    def flip(v: Any) -> Any:
        return mired_to_kelvin(v) if isinstance(v, int | float) and not isinstance(v, bool) and v > 0 else v
    spec["value"] = flip(spec.get("value"))
    spec["min"], spec["max"] = flip(spec.get("max")), flip(spec.get("min"))
    spec["unit"] = "K"
    return spec, 1.0, True


def table() -> str:
    """The README's table: each class, its capabilities and operations, and how each dialect names them."""
    renamed: dict[str, list[str]] = {}
    for dialect, names in DIALECT_NAMES.items():
        for name, spec in names.items():
            if name != spec.canonical or spec.conversion != "same":
                note = {"fraction": " (0-1)", "scale": " (0-254 or 0-255)", "mired": " (mired)"}.get(spec.conversion, "")
                renamed.setdefault(spec.canonical, []).append(f"{dialect}: `{name}`{note}")
    rows = ["| class | capabilities | operations | implies |", "|---|---|---|---|"]
    for c in CLASSES.values():
        caps = ", ".join(f"`{n}`" + (f" {CAPABILITIES[n].unit}" if CAPABILITIES[n].unit else "") for n in c.capabilities)
        rows.append(f"| {c.name} | {caps} | {', '.join(c.operations) or '-'} | {'; '.join(c.implies) or '-'} |")
    rows += ["", "| capability | dialect names |", "|---|---|"]
    rows += [f"| `{name}` | {'; '.join(sorted(where))} |" for name, where in sorted(renamed.items())]
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
