"""Device tools generated from capabilities: what each device's attributes allow.

Nothing is written per device: a light with ``state`` on/off and ``brightness`` 0-100 gets
``turn_on``, ``turn_off``, ``set_brightness`` and ``get_state``; a lock gets ``lock`` /
``unlock``; a cover ``open`` / ``close`` / ``set_position``; and so on from the attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iotlm.device_drivers.model import Attribute, Device, InvalidValue, Value
from iotlm.policies.model import Step
from iotlm.tools.registry import ToolInputError

# state option -> the verb people use for it
STATE_VERBS: dict[str, str] = {
    "on": "turn_on", "off": "turn_off", "locked": "lock", "unlocked": "unlock", "open": "open", "closed": "close",
    "playing": "play", "paused": "pause", "stopped": "stop", "cleaning": "start", "charging": "charge",
    "docked": "dock", "packed": "pack",
}


@dataclass(frozen=True)
class DeviceOperation:
    device_id: str
    operation: str
    attribute: str | None
    """None for ``get_state`` (reads every attribute)."""
    value: Value = None
    """The value a fixed operation sets (``turn_on`` -> "on"); None when it takes one."""
    takes_value: bool = False
    description: str = ""
    parameter: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return f"{self.device_id}.{self.operation}"

    @property
    def writes(self) -> bool:
        return self.attribute is not None

    def schema(self) -> dict[str, Any]:
        params: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        if self.takes_value and self.parameter is not None:
            params["properties"]["value"] = self.parameter
            params["required"] = ["value"]
        return {"name": self.name, "description": self.description, "parameters": params,
                "risk": "actuate" if self.writes else "read", "origin": "device", "device_id": self.device_id}

    def step(self, device: Device, args: dict[str, Any]) -> Step:
        """The step this call makes; bad arguments raise :class:`ToolInputError`."""
        extra = set(args) - ({"value"} if self.takes_value else set())
        if extra:
            takes = "value" if self.takes_value else "no arguments"
            raise ToolInputError(self.name, sorted(extra)[0], args[sorted(extra)[0]], f"{self.name} takes {takes}")
        value = self.value
        if self.takes_value:
            if "value" not in args:
                raise ToolInputError(self.name, "value", None, f"it is required ({_allowed(device.attributes[self.attribute or ''])})")
            attr = device.attributes[self.attribute or ""]
            try:
                value = attr.check(args["value"], name="value")
            except InvalidValue as exc:
                raise ToolInputError(self.name, "value", args["value"], _allowed(attr)) from exc
        return Step(tool=self.name, device_id=self.device_id, operation=self.operation, attribute=self.attribute,
                    value=value)


def _allowed(attr: Attribute) -> str:
    if attr.kind == "options":
        return "allowed: " + ", ".join(map(str, attr.options or []))
    if attr.kind == "numeric":
        return f"allowed: a number in {attr.range_text()}"
    if attr.kind == "color":
        return "allowed: [r, g, b] with each 0-255"
    return "allowed: text"


def _parameter(attr: Attribute) -> dict[str, Any]:
    if attr.kind == "options":
        return {"enum": list(attr.options or [])}
    if attr.kind == "numeric":
        out: dict[str, Any] = {"type": "number"}
        if attr.min is not None:
            out["minimum"] = attr.min
        if attr.max is not None:
            out["maximum"] = attr.max
        if attr.unit:
            out["unit"] = attr.unit
        return out
    if attr.kind == "color":
        return {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}, "minItems": 3, "maxItems": 3}
    return {"type": "string"}


def device_operations(device: Device) -> list[DeviceOperation]:
    where = f"the {device.name}" + (f" in the {device.room}" if device.room else "")
    ops: list[DeviceOperation] = [DeviceOperation(device.id, "get_state", None, description=f"Report the state of {where}.")]
    taken = {"get_state"}
    for name, attr in device.attributes.items():
        if not attr.writable or device.read_only:
            continue
        if name == "state" and attr.kind == "options":
            for option in attr.options or []:
                verb = STATE_VERBS.get(str(option))
                if verb and verb not in taken:
                    taken.add(verb)
                    ops.append(DeviceOperation(device.id, verb, "state", value=option,
                                               description=f"{verb.replace('_', ' ').capitalize()} {where}."))
            if any(str(o) not in STATE_VERBS for o in attr.options or []):
                ops.append(DeviceOperation(device.id, "set_state", "state", takes_value=True, parameter=_parameter(attr),
                                           description=f"Set the state of {where}."))
                taken.add("set_state")
            continue
        operation = f"set_{name}"
        if operation in taken:
            continue
        taken.add(operation)
        ops.append(DeviceOperation(device.id, operation, name, takes_value=True, parameter=_parameter(attr),
                                   description=f"Set the {name.replace('_', ' ')} of {where} ({_allowed(attr)})."))
    return ops


def implied_state(device: Device, attribute: str, value: Value) -> Value:
    """The state a value implies on this device: "on" for a brightness above 0 (on a device that can be on) or an
    appliance's temperature, "open" or "closed" for a cover's position; None when it implies none."""
    state = device.attributes.get("state")
    if state is None or not state.writable or attribute == "state" or not isinstance(value, int | float) or isinstance(value, bool):
        return None
    options = [str(o) for o in state.options or []]
    if attribute == "brightness" and value > 0 and "on" in options:
        return "on"
    if attribute == "position" and {"open", "closed"} <= set(options):
        return "open" if value > 0 else "closed"
    if attribute in ("temperature", "target_temperature") and device.type == "appliance" and value > 0 and "on" in options:
        return "on"  # "preheat the oven to 200": an oven set to a temperature is an oven that is on
    return None


def implied_values(device: Device, attribute: str, value: Value) -> dict[str, Value]:
    """What a command on ``attribute`` also means for the device, sent with it: a brightness above 0 turns an off
    light on; a cover's or valve's position opens it (above 0) or closes it (at 0); opening one whose position can be
    set opens it all the way (100), closing it shuts it (0). Empty when nothing else follows."""
    state = device.attributes.get("state")
    implied = implied_state(device, attribute, value)
    if implied is not None and state is not None and state.value != implied:
        return {"state": implied}
    position = device.attributes.get("position")
    if attribute == "state" and value in ("open", "closed") and position is not None and position.writable:
        wanted = (position.max if position.max is not None else 100) if value == "open" else (position.min or 0)
        wanted = int(wanted) if float(wanted).is_integer() else wanted
        if position.value != wanted and not (value == "open" and isinstance(position.value, int | float) and position.value > 0):
            return {"position": wanted}
    return {}


__all__ = ["STATE_VERBS", "DeviceOperation", "device_operations", "implied_state", "implied_values"]
