"""Replies: short sentences composed from outcomes, in terms of what the devices reported."""

from __future__ import annotations

from typing import Any

from iotlm.device_drivers.model import Device, Value, describe_device, scale_to_percent

_STATES = {"on", "off", "locked", "unlocked", "open", "closed", "playing", "paused", "stopped", "cleaning", "charging", "docked"}


def label(device: Device | None, device_id: str, repeated: frozenset[str] = frozenset()) -> str:
    """"the kitchen light", "the floor lamp", "the front door lock" (see :func:`describe_device`); with the room
    whenever another device of the home has the same name (``repeated``: such names, in lower case)."""
    always = device is not None and device.name.lower() in repeated
    return describe_device(device, device_id, room="always" if always else "when_needed")


def repeated_names(devices: list[Device]) -> frozenset[str]:
    """The names (lower case) that more than one device of the home has ("Light 1" in every room)."""
    seen: set[str] = set()
    twice: set[str] = set()
    for device in devices:
        name = device.name.lower()
        (twice if name in seen else seen).add(name)
    return frozenset(twice)


def say_value(attribute: str | None, value: Value, device: Device | None) -> str:
    attr = device.attributes.get(attribute or "") if device else None
    if attribute in (None, "state"):
        return str(value)
    if attribute in ("mode", "preset") and isinstance(value, str):
        return f"in {value.replace('_', ' ')} mode"
    unit = attr.unit if attr and attr.unit else ""
    if attribute == "brightness" and attr is not None and attr.max and attr.max != 100 and not unit and isinstance(value, int | float):
        return f"brightness {scale_to_percent(value, attr.max)}%"  # a 0-254 brightness, said in percent
    shown = f"{value}{'' if unit in ('%', '') else ' '}{unit}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    return f"{attribute.replace('_', ' ')} {shown}"


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def compose(outcomes: list[dict[str, Any]], refused: list[dict[str, str]], queries: list[dict[str, Any]],
            clarify: list[str], devices: dict[str, Device], *, pending: list[dict[str, Any]] | None = None,
            understood: bool = True, repeated: frozenset[str] = frozenset(), preface: list[str] | None = None) -> str:
    parts: list[str] = []
    done: dict[str, list[str]] = {}
    for o in outcomes:
        step = o["step"]
        device = devices.get(step.get("device_id") or "")
        name = label(device, step.get("device_id") or step["tool"], repeated)
        status = o["status"]
        if status == "done":
            done.setdefault(name, []).append(say_value(step.get("attribute"), o.get("reported"), device))
        elif status == "already":
            parts.append(sentence(f"{name} is already {say_value(step.get('attribute'), o.get('reported'), device)}"))
        elif status == "unconfirmed":
            parts.append(sentence(f"I sent that to {name}, but it has not confirmed; it still reports "
                                  f"{say_value(step.get('attribute'), o.get('reported'), device)}"))
        elif status == "failed":
            parts.append(sentence(f"That failed for {name}: {o.get('reason', '')}"))
        elif status == "ok" and o.get("result") is not None and not step.get("device_id"):
            parts.append(sentence(f"{step['tool'].replace('_', ' ')}: {o['result']}"))
    done_parts = [f"{name} is now {' and '.join(v if v in _STATES or v.startswith('in ') else 'at ' + v for v in values)}"
                  for name, values in done.items()]
    if done_parts:
        parts.insert(0, sentence("; ".join(done_parts)))
    for q in queries:
        device = devices.get(q["device_id"])
        parts.append(sentence(_answer(device, q["device_id"], q.get("attribute"), repeated)))
    for r in refused:
        what = f'"{r["text"]}"' if r.get("name_clause") else "that"
        parts.append(sentence(f"I can't do {what}: {r['reason']}" if r.get("code") != "not_confirmed" else r["reason"]))
    for p in pending or []:
        device = devices.get(p.get("device_id") or "")
        action = (p.get("operation") or "change").replace("_", " ")
        parts.append(f"Do you want me to {action} {label(device, p.get('device_id') or p['tool'], repeated)}? "
                     "It needs your confirmation (yes/no).")
    parts += [sentence(c) for c in clarify]
    parts = [sentence(p) for p in preface or []] + parts
    if not parts:
        if not understood:
            return "Sorry, I didn't understand that. You can say things like \"turn on the kitchen light\" or \"is the front door locked?\""
        return "Nothing to do."
    return " ".join(parts)


def _answer(device: Device | None, device_id: str, attribute: str | None, repeated: frozenset[str]) -> str:
    if device is None:
        return f"I don't know {device_id}"
    name = label(device, device_id, repeated)
    if device.availability == "offline":
        return f"{name} is offline; it last reported {_summary(device)}"
    if attribute and attribute in device.attributes:
        value = device.attributes[attribute].value
        if value is None:
            return f"{name} has not reported its {attribute.replace('_', ' ')} yet"
        if attribute == "state":
            return f"{name} is {value}"
        if attribute in ("occupancy", "motion"):
            return f"{name} {'sees someone' if value else 'sees no one'}"
        if attribute == "contact":
            return f"{name} is {'closed' if value else 'open'}"
        return f"{name}: {say_value(attribute, value, device)}"
    return f"{name}: {_summary(device)}"


def _summary(device: Device) -> str:
    bits = [say_value(n, a.value, device) for n, a in device.attributes.items() if a.value is not None]
    return ", ".join(bits) or "nothing yet"


__all__ = ["compose", "label", "repeated_names", "say_value", "sentence"]
