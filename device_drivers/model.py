"""The device model: what a device is, what it can do, and unit conversions.

A device's attributes are kept in *canonical* values, the ones people say and home files
use: ``"on"``/``"off"``, ``"locked"``/``"unlocked"``, ``"open"``/``"closed"``, numbers in the
attribute's declared unit. Drivers translate canonical values to the wire form of their
dialect (``"ON"``, ``"LOCK"``, 0-254 brightness) through the device's :class:`Binding`.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from iotlm.errors import UserError

Value = bool | int | float | str | list[int] | None

DEVICE_TYPES = frozenset({
    "light", "switch", "fan", "climate", "lock", "cover", "media_player", "vacuum",
    "sensor", "binary_sensor", "appliance", "humidifier", "heater", "outlet", "valve", "other",
})
"""The device types iotlm knows; any other type a driver or home file gives is kept as "other"."""

# Wire spellings of two-state values, mapped to the canonical word people use.
_CANONICAL_WORDS: dict[str, str] = {
    "on": "on", "off": "off", "true": "on", "false": "off",
    "lock": "locked", "locked": "locked", "unlock": "unlocked", "unlocked": "unlocked",
    "open": "open", "opened": "open", "close": "closed", "closed": "closed",
}


class InvalidValue(UserError):
    """A value does not fit an attribute (wrong type, out of range, not an option)."""


class Attribute(BaseModel):
    """One property of a device: its current value and what values it accepts."""

    model_config = ConfigDict(extra="forbid")

    value: Value = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    unit: str | None = None
    options: list[Any] | None = None
    writable: bool = True

    @field_validator("min", "max", "step", mode="before")
    @classmethod
    def _number(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return float(v)
            except ValueError as exc:
                raise ValueError(f"expected a number, got {v!r}") from exc
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Attribute:
        if isinstance(self.value, bool) and self.options is None and self.min is None and self.max is None:
            self.options = [True, False]  # a motion sensor's {"value": false}: a yes/no reading, not text
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        if self.options is not None and (self.min is not None or self.max is not None):
            raise ValueError("an attribute has either options or a numeric range, not both")
        return self

    @property
    def kind(self) -> Literal["numeric", "options", "color", "text"]:
        if self.options is not None:
            return "options"
        if self.min is not None or self.max is not None or (isinstance(self.value, int | float) and not isinstance(self.value, bool)):
            return "numeric"
        if isinstance(self.value, list):
            return "color"
        return "text"

    def check(self, value: Any, *, name: str = "value") -> Value:
        """Return ``value`` coerced to this attribute's type, or raise with what is allowed."""
        kind = self.kind
        if kind == "options":
            assert self.options is not None
            for option in self.options:
                if _same(option, value):
                    return option  # type: ignore[no-any-return]
            raise InvalidValue(
                f"{name}: {value!r} is not one of the options {', '.join(map(str, self.options))}"
            )
        if kind == "numeric":
            number = _to_number(value)
            if number is None:
                raise InvalidValue(f"{name}: expected a number, got {value!r}")
            if (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
                raise InvalidValue(f"{name}: {_fmt(number)} is out of range {self.range_text()}")
            return _tidy(number)
        if kind == "color":
            if (
                isinstance(value, list | tuple) and len(value) == 3
                and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in value)
            ):
                return list(value)
            raise InvalidValue(f"{name}: expected an RGB triple of integers 0-255, got {value!r}")
        if not isinstance(value, str):
            raise InvalidValue(f"{name}: expected text, got {value!r}")
        return value

    def range_text(self) -> str:
        low = "-inf" if self.min is None else _fmt(self.min)
        high = "inf" if self.max is None else _fmt(self.max)
        return f"{low}..{high}{(' ' + self.unit) if self.unit else ''}"


class PropertyBinding(BaseModel):
    """How one canonical attribute appears on the wire in a driver's dialect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    """JSON key (Zigbee2MQTT property) or entity/topic key (Home Assistant)."""
    values: dict[str, Any] = Field(default_factory=dict)
    """Canonical value (as text) -> wire value, for two-state and enum attributes."""
    state_topic: str | None = None
    command_topic: str | None = None
    value_template: str | None = None
    command_template: str | None = None
    gettable: bool = False
    scale: float | None = None
    """The wire's value for 100 % of a percentage capability (Zigbee2MQTT's brightness 254, Home Assistant's 255, a
    0.0-1.0 volume's 1): the codec sends ``value * scale / 100`` and reads ``raw * 100 / scale``. None: as it is."""
    reciprocal: bool = False
    """The wire carries a million over the value: a colour temperature in mired, where the canonical model's is in
    Kelvin (2700 K is 370 mired)."""

    def to_wire(self, value: Any) -> Any:
        """A canonical number as the wire carries it (a brightness of 50 % as 127 of 254, 2700 K as 370 mired)."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            return value
        if self.reciprocal:
            return kelvin_to_mired(value) if value > 0 else value
        if self.scale is None:
            return value
        wire = value * self.scale / 100
        return round(wire) if self.scale > 1 else round(wire, 3)

    def from_wire(self, raw: Any) -> Any:
        """A wire number as the canonical model's (127 of 254 as 50 %, 370 mired as 2703 K); anything else as it is."""
        if self.reciprocal and isinstance(raw, int | float) and not isinstance(raw, bool) and raw > 0:
            return mired_to_kelvin(raw)
        if self.scale is None or not isinstance(raw, int | float) or isinstance(raw, bool) or not self.scale:
            return raw
        return round(raw * 100 / self.scale)


class Binding(BaseModel):
    """Which driver owns a device and how to reach it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    driver: str
    address: str
    """The device's name in its dialect (Zigbee2MQTT friendly name, HA device identifier)."""
    state_topic: str | None = None
    command_topic: str | None = None
    availability_topic: str | None = None
    properties: dict[str, PropertyBinding] = Field(default_factory=dict)
    identity: str | None = None
    """The physical device, the same through every dialect that announces it (``mac:...``, ``ieee:0x...``): a device
    seen through two dialects at once is one device (:class:`~iotlm.device_drivers.registry.DeviceRegistry`)."""


_HIDDEN = re.compile("[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c]")
"""Control characters and the invisible ones that reorder or hide text (a right-to-left override, U+202E, shows
"kcol" where "lock" is written): never part of a name a person reads."""


def shown_text(text: str) -> str:
    """A name as it may be shown and matched: without control and bidirectional-override characters."""
    return _HIDDEN.sub("", text).strip() or "unnamed"


class Device(BaseModel):
    """A device of the home, as discovered (or as written in a home file)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    room: str | None = None
    type: str = "other"
    attributes: dict[str, Attribute] = Field(default_factory=dict)
    risky: bool = False
    read_only: bool = False
    availability: Literal["online", "offline", "unknown"] = "unknown"
    binding: Binding | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not v or v != v.strip() or any(c in v for c in "#+\0"):
            raise ValueError(f"device id {v!r} must be non-empty, without surrounding spaces, '#', '+' or NUL")
        return v

    @field_validator("name", "room", mode="before")
    @classmethod
    def _shown(cls, v: Any) -> Any:
        return shown_text(v) if isinstance(v, str) else v

    @field_validator("aliases", mode="before")
    @classmethod
    def _shown_all(cls, v: Any) -> Any:
        return [shown_text(a) if isinstance(a, str) else a for a in v] if isinstance(v, list) else v

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, v: Any) -> str:
        return v if isinstance(v, str) and v in DEVICE_TYPES else "other"

    @model_validator(mode="after")
    def _read_only(self) -> Device:
        if self.read_only:
            for attr in self.attributes.values():
                attr.writable = False
        elif self.attributes and not any(a.writable for a in self.attributes.values()):
            self.read_only = True
        return self

    def state(self) -> dict[str, Value]:
        return {name: attr.value for name, attr in self.attributes.items()}

    def writable(self) -> dict[str, Attribute]:
        return {name: attr for name, attr in self.attributes.items() if attr.writable}


# ---------------------------------------------------------------- conversions


def canonical(value: Any) -> Any:
    """Canonical spelling of a two-state word ("ON" -> "on", "LOCK" -> "locked")."""
    if isinstance(value, str):
        return _CANONICAL_WORDS.get(value.strip().lower(), value)
    return value


# Canonical -> wire spelling used by Zigbee2MQTT and Home Assistant defaults.
WIRE_WORDS: dict[str, str] = {
    "on": "ON", "off": "OFF", "locked": "LOCK", "unlocked": "UNLOCK", "open": "OPEN", "closed": "CLOSE",
}


def canonical_option(value: Any) -> Any:
    """An enum/binary option as people say it: "ON" -> "on", "CLOSE" -> "closed", "Heat" -> "heat"."""
    if isinstance(value, str):
        word = value.strip().lower()
        return _CANONICAL_WORDS.get(word, word)
    return value


def to_bool(value: Any) -> bool | None:
    """``"on"``/``"ON"``/``True``/``1`` -> True, the opposites -> False, anything else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value) if value in (0, 1) else None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in {"on", "true", "yes", "1", "open", "locked", "lock"}:
            return True
        if word in {"off", "false", "no", "0", "closed", "close", "unlocked", "unlock"}:
            return False
    return None


def percent_to_scale(percent: float, scale_max: float = 254) -> int:
    """50 (%) on a 0-254 brightness -> 127."""
    if not 0 <= percent <= 100:
        raise InvalidValue(f"percent must be 0-100, got {_fmt(percent)}")
    return math.floor(percent * scale_max / 100 + 0.5) if percent < 100 else int(scale_max)


def scale_to_percent(raw: float, scale_max: float = 254) -> int:
    """127 on a 0-254 brightness -> 50 (%)."""
    if scale_max <= 0:
        raise InvalidValue(f"scale maximum must be positive, got {_fmt(scale_max)}")
    return math.floor(raw * 100 / scale_max + 0.5)


def kelvin_to_mired(kelvin: float) -> int:
    """2700 K -> 370 mired."""
    if kelvin <= 0:
        raise InvalidValue(f"colour temperature must be a positive number of kelvin, got {_fmt(kelvin)}")
    return round(1_000_000 / kelvin)


def mired_to_kelvin(mired: float) -> int:
    """370 mired -> 2700 K: the roundest Kelvin (a multiple of 100, else of 50, else of 10) that is ``mired`` when
    rounded back, so a colour temperature set in Kelvin and reported in mired comes back as it was set."""
    if mired <= 0:
        raise InvalidValue(f"colour temperature must be a positive number of mireds, got {_fmt(mired)}")
    low, high = 1_000_000 / (mired + 0.5), 1_000_000 / (mired - 0.5) if mired > 0.5 else math.inf
    for step in (100, 50, 10):
        candidate = math.ceil(low / step) * step
        if candidate < high and round(1_000_000 / candidate) == round(mired):
            return candidate
    return round(1_000_000 / mired)


def _to_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip().rstrip("%").strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _tidy(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _fmt(number: float) -> str:
    return str(_tidy(number))


def _same(option: Any, value: Any) -> bool:
    if isinstance(option, bool):
        return to_bool(value) is option if not isinstance(value, int | float) or isinstance(value, bool) else False
    if isinstance(option, str) and isinstance(value, str):
        a, b = option.strip().lower(), value.strip().lower()
        return a == b or canonical(a) == canonical(b)
    return bool(option == value)


def first_error(exc: ValidationError) -> tuple[str, str]:
    """(where, what) of a validation error's first problem: ("devices.0.attributes.b", "min 5.0 is above max 1.0")."""
    first = exc.errors()[0]
    return ".".join(str(p) for p in first["loc"]), str(first["msg"])


GENERIC_NAMES = frozenset({
    "light", "lights", "lamp", "fan", "heating", "temperature sensor", "blinds", "curtains", "curtain", "air conditioner",
    "humidifier", "dehumidifiers", "media player", "tv", "aromatherapy", "air purifiers", "water heater", "trash",
    "garage door", "switch",
})
"""Device names that say what a device is but not which one: replies add the room to them."""


def describe_device(device: Device | None, device_id: str = "", *, room: Literal["always", "when_needed"] = "when_needed") -> str:
    """The device in words: "the kitchen light", "the floor lamp", "the front door lock".

    The room is added when the name does not already contain it, and either ``room="always"`` (rules, which are read
    later and out of context) or the name is a generic one ("light", "fan"). Unknown devices are their id.
    """
    if device is None:
        return device_id
    where = device.room or ""
    if where and where.lower() not in device.name.lower() and (room == "always" or device.name.lower() in GENERIC_NAMES):
        return f"the {where} {device.name}"
    return f"the {device.name}"


def is_appliance(device: Device) -> bool:
    """A washer, dryer or dishwasher that runs programmes: it reports its operational state (stopped, running,
    paused, complete) and the minutes it has left."""
    return {"operational_state", "remaining_time", "state"} <= set(device.attributes)


def duration_min(device: Device, programme: Value = None) -> float | None:
    """How long ``programme`` (default: the selected one) runs, in minutes, as the device reports it."""
    chosen = programme if programme is not None else (device.attributes["programme"].value if "programme" in device.attributes else None)
    for name in ((f"duration_{chosen}",) if chosen is not None else ()) + ("duration",):
        attr = device.attributes.get(name)
        if attr is not None and isinstance(attr.value, (int, float)) and not isinstance(attr.value, bool):
            return float(attr.value)
    return None


__all__ = ["DEVICE_TYPES", "GENERIC_NAMES", "WIRE_WORDS", "Attribute", "Binding", "Device", "InvalidValue",
    "PropertyBinding", "Value", "canonical", "canonical_option", "describe_device", "duration_min", "first_error",
    "is_appliance", "kelvin_to_mired", "mired_to_kelvin", "percent_to_scale", "scale_to_percent", "shown_text",
    "to_bool"]
