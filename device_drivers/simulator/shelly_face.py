"""The simulated devices as Shelly Gen2+ devices over MQTT: ``<prefix>/online``, the RPC answers on the caller's
``<src>/rpc`` (``Shelly.GetConfig``, ``Shelly.GetStatus``, ``Switch.Set``, ``Light.Set``, ``Cover.*``), and each
component's status on ``<prefix>/status/<component>``. Each device is one Shelly whose prefix is its id; its component
is named "<room> / <name>". A device no Shelly is (a lock, a TV, a light with colour) is left out, with why.
"""

from __future__ import annotations

from typing import Any

from iotlm.device_drivers.model import Device
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
        return None if writable == {"state", "position"} and not readings else \
            "a Shelly cover has a position; this cover only opens and closes"
    state = device.attributes.get("state")
    if state is None or [str(o) for o in state.options or []] != ["on", "off"] or device.type not in RELAYS:
        return f"a Shelly output is on or off; a {device.type} with {', '.join(sorted(writable))} is not"
    if readings - {"power"}:
        return f"a Shelly switch measures power, not {', '.join(sorted(readings - {'power'}))}"
    extra = writable - ({"state", "brightness"} if device.type == "light" else {"state"})
    if extra:
        return f"a Shelly {'light' if device.type == 'light' else 'switch'} has no {', '.join(sorted(extra))}"
    return None


def component(device: Device) -> str:
    """``switch:0``, ``light:0``, ``cover:0``, or ``temperature:0`` for a sensor."""
    if device.type == "cover":
        return "cover:0"
    if device.type == "sensor":
        return "temperature:0"
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
        position = state.get("position")
        moved = "open" if position == 100 else "closed" if position == 0 else "stopped"
        return {"cover:0": {"id": 0, "source": "MQTT", "state": moved, "current_pos": position, "apower": 0.0}}
    status: dict[str, Any] = {"id": 0, "source": "MQTT", "output": state.get("state") == "on"}
    if state.get("brightness") is not None:
        status["brightness"] = round(float(state["brightness"]) * 100 / brightness_top(device))  # type: ignore[arg-type]
    if "power" in state:
        status["apower"] = float(state["power"] or 0)  # type: ignore[arg-type]
    return {component(device): status}


def decode_call(device: Device, method: str, params: Any) -> dict[str, Any]:
    """What an RPC call asks of the device, in canonical values; ValueError (with Shelly's message) when it cannot."""
    if not isinstance(params, dict) or params.get("id") != 0:
        raise ValueError("params: id 0 is the only component")
    kind = component(device).split(":")[0]
    if method in ("Switch.Set", "Light.Set"):
        if method.split(".")[0].lower() != kind:
            raise ValueError(f"No handler for {method}")
        values: dict[str, Any] = {}
        if "on" in params:
            if not isinstance(params["on"], bool):
                raise ValueError("on: expected a boolean")
            values["state"] = "on" if params["on"] else "off"
        if "brightness" in params and kind == "light":
            brightness = params["brightness"]
            if not isinstance(brightness, int | float) or isinstance(brightness, bool) or not 0 <= brightness <= 100:
                raise ValueError("brightness: expected a number 0-100")
            values["brightness"] = round(brightness * brightness_top(device) / 100)
        if not values:
            raise ValueError("nothing to set: give on or brightness")
        return values
    if kind == "cover" and method == "Cover.GoToPosition":
        position = params.get("pos")
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 100:
            raise ValueError("pos: expected an integer 0-100")
        return {"position": position, "state": "open" if position > 0 else "closed"}
    if kind == "cover" and method in ("Cover.Open", "Cover.Close"):
        return {"position": 100, "state": "open"} if method == "Cover.Open" else {"position": 0, "state": "closed"}
    raise ValueError(f"No handler for {method}")
