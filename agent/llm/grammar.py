"""GBNF grammars generated from device operations: only real ids, real operations, typed values."""

from __future__ import annotations

import json
import re

from iotlm.device_drivers.model import Device
from iotlm.tools.device_tools import DeviceOperation, device_operations

_NUMBER = '"-"? [0-9] [0-9]? [0-9]? [0-9]? ("." [0-9])?'


def _literal(text: str) -> str:
    return json.dumps(text)


def _rule_name(index: int) -> str:
    return f"dev{index}"


def _value_rule(op: DeviceOperation) -> str:
    param = op.parameter or {}
    if "enum" in param:
        return "(" + " | ".join(_literal(str(v)) for v in param["enum"]) + ")"
    if param.get("type") == "number":
        return "num"
    if param.get("type") == "array":
        return 'byte "," byte "," byte'
    return '[a-zA-Z0-9 _-]{1,40}'


def grammar_for(devices: list[Device]) -> str:
    """``root ::= call ("; " call)* | "none"``, each call ``<device id>.<operation>(<value>)``."""
    lines = ['root ::= call ("; " call)? | "none"']
    alternatives = []
    for index, device in enumerate(devices):
        ops = [op for op in device_operations(device) if op.writes or op.operation == "get_state"]
        if not ops:
            continue
        name = _rule_name(index)
        alternatives.append(name)
        calls = []
        for op in ops:
            inner = _value_rule(op) if op.takes_value else ""
            calls.append(f'{_literal(op.operation + "(")} {inner} ")"' if inner else _literal(op.operation + "()"))
        lines.append(f'{name} ::= {_literal(device.id + ".")} ({" | ".join(calls)})')
    lines.insert(1, "call ::= " + (" | ".join(alternatives) if alternatives else '"none"'))
    lines.append(f"num ::= {_NUMBER}")
    lines.append('byte ::= [0-9] [0-9]? [0-9]?')
    return "\n".join(lines) + "\n"


def calls_for(devices: list[Device]) -> dict[str, object] | None:
    """What :func:`grammar_for` allows, as data for a decoder that walks it token by token (``LocalModel.complete_calls``):
    each call's head (``kitchen.light.set_brightness(``) and its value (a list of options, a number, a colour). None when
    a value is free text, which only the grammar can say."""
    calls: list[dict[str, object]] = []
    for device in devices:
        for op in device_operations(device):
            if not (op.writes or op.operation == "get_state"):
                continue
            if not op.takes_value:
                calls.append({"head": f"{device.id}.{op.operation}()", "value": None})
                continue
            param = op.parameter or {}
            if "enum" in param:
                value: dict[str, object] = {"kind": "enum", "options": [str(v) for v in param["enum"]]}
            elif param.get("type") == "number":
                value = {"kind": "num"}
            elif param.get("type") == "array":
                value = {"kind": "rgb"}
            else:
                return None
            calls.append({"head": f"{device.id}.{op.operation}(", "value": value})
    return {"calls": calls, "max_calls": 2} if calls else None


_CALL = re.compile(r"^(?P<device>.+)\.(?P<op>[a-z_]+)\((?P<value>.*)\)$")


def parse_calls(text: str) -> list[tuple[str, str, str | None]]:
    """``kitchen.light.set_brightness(40); hallway.front_door.lock()`` -> [(device, op, value)]."""
    text = text.strip()
    if not text or text == "none":
        return []
    out = []
    for part in text.split(";"):
        match = _CALL.match(part.strip())
        if match is None:
            raise ValueError(f"not a call: {part.strip()!r}")
        value = match.group("value").strip()
        out.append((match.group("device"), match.group("op"), value or None))
    return out


__all__ = ["calls_for", "grammar_for", "parse_calls"]
