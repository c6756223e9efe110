"""The simulated devices as Shelly Gen2+ devices over MQTT: ``<prefix>/online``, the RPC answers on the caller's
``<src>/rpc`` (``Shelly.GetConfig``, ``Shelly.GetStatus``, ``Switch.Set``, ``Light.Set``, ``Cover.*``), and each
component's status on ``<prefix>/status/<component>``. Each device is one Shelly whose prefix is its id; its component
is named "<room> / <name>". A device no Shelly is (a lock, a TV, a light with both colour and white spectrum) is left
out, with why. A light with colour is an ``rgb`` component, one with white spectrum a ``cct`` (its colour temperature in
Kelvin on the wire); a cover with a position is a calibrated cover, one without only opens and closes.
"""

from __future__ import annotations

from typing import Any

from iotlm.device_drivers.model import Device
from iotlm.device_drivers.shelly.codec import SET_METHOD
from iotlm.device_drivers.simulator.tasmota_face import A_KIND, brightness_top, mac_of

NOT_SHELLY = A_KIND
RELAYS = ("switch", "outlet", "fan", "heater", "valve", "light")


def left_out(device: Device) -> str | None:
    """Why no Shelly component iotlm reads can be this device; None when one can."""
    if device.type in NOT_SHELLY:
        return f"no Shelly is {NOT_SHELLY[device.type]}: iotlm reads Shelly switches, lights, covers and H&T sensors"
    if device.type == "binary_sensor":
        return "iotlm reads no Shelly motion or door sensors (they report over Bluetooth, not MQTT)"
    names = set(device.attributes)
    writable = {n for n, a in device.attributes.items() if a.writable}
    readings = names - writable
    if device.type == "sensor":
        extra = readings - {"temperature", "humidity"}
        return f"a Shelly H&T measures temperature and humidity, not {', '.join(sorted(extra))}" if extra else None
    if device.type == "cover":
        if readings or not writable or not writable <= {"state", "position"}:
            others = sorted(readings | (writable - {"state", "position"}))
            return f"a Shelly cover opens, closes and goes to a position; it has no {', '.join(others)}"
        return None
    state = device.attributes.get("state")
    if state is None or [str(o) for o in state.options or []] != ["on", "off"] or device.type not in RELAYS:
        return f"a Shelly output is on or off; a {device.type} with {', '.join(sorted(writable))} is not"
    if readings - {"power"}:
        return f"a Shelly switch measures power, not {', '.join(sorted(readings - {'power'}))}"
    if device.type == "light" and {"color", "color_temp"} <= writable:
        return "a Shelly light has colour (rgb) or white spectrum (cct), not both"
    extra = writable - ({"state", "brightness", "color", "color_temp"} if device.type == "light" else {"state"})
    if extra:
        return f"a Shelly {'light' if device.type == 'light' else 'switch'} has no {', '.join(sorted(extra))}"
    return None


def component(device: Device) -> str:
    """``switch:0``, ``light:0``, ``rgb:0``, ``cct:0``, ``cover:0``, or ``temperature:0`` for a sensor."""
    if device.type == "cover":
        return "cover:0"
    if device.type == "sensor":
        return "temperature:0"
    if "color" in device.attributes:
        return "rgb:0"
    if "color_temp" in device.attributes:
        return "cct:0"
    return "light:0" if "brightness" in device.attributes else "switch:0"


def friendly(device: Device) -> str:
    return f"{device.room} / {device.name}" if device.room else device.name


def config(device: Device) -> dict[str, Any]:
    """``Shelly.GetConfig``'s result."""
    out: dict[str, Any] = {"sys": {"device": {"name": friendly(device), "mac": mac_of(device.id), "fw_id": "iotlm-sim"}}}
    if device.type == "sensor":
        for name, key in (("temperature", "temperature:0"), ("humidity", "humidity:0")):
            if name in device.attributes:
                out[key] = {"id": 0, "name": None}
    else:
        out[component(device)] = {"id": 0, "name": friendly(device)}
        temp = device.attributes.get("color_temp")
        if temp is not None and temp.min and temp.max:
            out[component(device)]["ct_range"] = [round(temp.min), round(temp.max)]
    return out


def statuses(device: Device) -> dict[str, dict[str, Any]]:
    """Each component's status, as ``<prefix>/status/<component>`` carries it (a brightness as Shelly's 0-100)."""
    state = device.state()
    if device.type == "sensor":
        out: dict[str, dict[str, Any]] = {}
        if state.get("temperature") is not None:
            out["temperature:0"] = {"id": 0, "tC": state["temperature"], "tF": round(float(state["temperature"]) * 9 / 5 + 32, 1)}  # type: ignore[arg-type]
        if state.get("humidity") is not None:
            out["humidity:0"] = {"id": 0, "rh": state["humidity"]}
        return out
    if device.type == "cover":
        if "position" not in device.attributes:  # not calibrated: it knows only open and closed
            return {"cover:0": {"id": 0, "source": "MQTT", "state": state.get("state"), "pos_control": False, "apower": 0.0}}
        position = state.get("position")
        moved = "open" if position == 100 else "closed" if position == 0 else "stopped"
        return {"cover:0": {"id": 0, "source": "MQTT", "state": moved, "current_pos": position, "pos_control": True,
                            "apower": 0.0}}
    status: dict[str, Any] = {"id": 0, "source": "MQTT", "output": state.get("state") == "on"}
    if state.get("brightness") is not None:
        status["brightness"] = round(float(state["brightness"]) * 100 / brightness_top(device))  # type: ignore[arg-type]
    if isinstance(state.get("color"), list):
        status["rgb"] = state["color"]
    if isinstance(state.get("color_temp"), int | float):
        status["ct"] = state["color_temp"]
    if "power" in state:
        status["apower"] = float(state["power"] or 0)  # type: ignore[arg-type]
    return {component(device): status}


def decode_call(device: Device, method: str, params: Any) -> dict[str, Any]:
    """What an RPC call asks of the device, in canonical values; ValueError (with Shelly's message) when it cannot."""
    if not isinstance(params, dict) or params.get("id") != 0:
        raise ValueError("params: id 0 is the only component")
    kind = component(device).split(":")[0]
    if method in SET_METHOD.values():
        if SET_METHOD.get(kind) != method:
            raise ValueError(f"No handler for {method}")
        return _set(device, kind, params)
    if kind == "cover" and method == "Cover.GoToPosition":
        if "position" not in device.attributes:
            raise ValueError("Cover is not calibrated")
        position = params.get("pos")
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 100:
            raise ValueError("pos: expected an integer 0-100")
        return {"position": position, "state": "open" if position > 0 else "closed"}
    if kind == "cover" and method in ("Cover.Open", "Cover.Close"):
        opened = {"position": 100, "state": "open"} if method == "Cover.Open" else {"position": 0, "state": "closed"}
        return {k: v for k, v in opened.items() if k in device.attributes}
    raise ValueError(f"No handler for {method}")


def _set(device: Device, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """What ``Switch.Set``, ``Light.Set``, ``RGB.Set`` or ``CCT.Set`` asks of the device, in canonical values."""
    values: dict[str, Any] = {}
    if "on" in params:
        if not isinstance(params["on"], bool):
            raise ValueError("on: expected a boolean")
        values["state"] = "on" if params["on"] else "off"
    if "brightness" in params and kind != "switch":
        brightness = params["brightness"]
        if not isinstance(brightness, int | float) or isinstance(brightness, bool) or not 0 <= brightness <= 100:
            raise ValueError("brightness: expected a number 0-100")
        values["brightness"] = round(brightness * brightness_top(device) / 100)
    if "rgb" in params and kind == "rgb":
        rgb = params["rgb"]
        if not (isinstance(rgb, list) and len(rgb) == 3 and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in rgb)):
            raise ValueError("rgb: expected three integers 0-255")
        values["color"] = rgb
    if "ct" in params and kind == "cct":
        ct = params["ct"]
        if not isinstance(ct, int | float) or isinstance(ct, bool) or not 1000 <= ct <= 10000:
            raise ValueError("ct: expected a colour temperature in Kelvin")
        values["color_temp"] = round(ct)
    if not values:
        raise ValueError("nothing to set: give on or brightness")
    return values


__all__ = ["NOT_SHELLY", "RELAYS", "component", "config", "decode_call", "friendly", "left_out", "statuses"]
