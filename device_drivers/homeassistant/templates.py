"""Home Assistant's templates, the forms iotlm evaluates without Jinja: a state's ``value_template``
(``{{ value_json.x }}``, ``{{ value }}`` and a filter) and a command's ``command_template`` (``{{ value | int }}``,
``{"key": {{ value }}}``). A template of another form is said once, when its device is discovered. No I/O here."""

from __future__ import annotations

import json
import re
from typing import Any

from iotlm.device_drivers.base import CodecError

JSON_LIGHT = "json-light"
"""The command "template" of a light on the JSON schema: the whole state as one JSON object, not a template."""

_TEMPLATE = re.compile(
    r"""^\{\{\s*(?:value_json(?P<path>(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\s*(?:"[^"]*"|'[^']*'|\d+)\s*\])+)|(?P<plain>value))"""
    r"""\s*(?:\|\s*(?P<filter>int|float|string|lower|upper)(?:\(\s*\d*\s*\))?\s*)?\}\}$"""
)
_PATH_PART = re.compile(r"""\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:"([^"]*)"|'([^']*)'|(\d+))\s*\]""")


def render_template(template: str | None, payload: bytes) -> Any:
    """Evaluate the ``{{ value_json.x }}`` / ``{{ value_json["x"] }}`` / ``{{ value }}`` forms.

    Returns the extracted value (``None`` when the key is absent); raises :class:`CodecError`
    for a template of another form or a payload that is not JSON when the template needs it.
    """
    text = payload.decode("utf-8", "replace")
    if template is None:
        return text
    match = _TEMPLATE.match(template.strip())
    if match is None:
        raise CodecError(f"value_template {template!r} is not of the supported forms {{{{ value_json.x }}}}, {{{{ value }}}}")
    if match.group("plain"):
        value: Any = text
    else:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CodecError(f"state is not JSON but the template reads value_json: {text[:60]!r}") from exc
        for part in _PATH_PART.finditer(match.group("path")):
            key: Any = part.group(1) or part.group(2) or part.group(3)
            if part.group(4) is not None:
                key = int(part.group(4))
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return None
    flt = match.group("filter")
    try:
        if flt == "int":
            return int(float(value))
        if flt == "float":
            return float(value)
    except (TypeError, ValueError):
        return None
    if flt in ("string", "lower", "upper"):
        value = str(value)
        return value.lower() if flt == "lower" else value.upper() if flt == "upper" else value
    return value


_PLACEHOLDER = re.compile(r"\{\{-?\s*(?P<var>value|position)\s*(?P<filters>(?:\|\s*[a-z_0-9]+\s*(?:\(\s*-?\d*\s*\))?\s*)*)-?\}\}")
_FILTER = re.compile(r"\|\s*(?P<name>[a-z_0-9]+)\s*(?:\(\s*(?P<arg>-?\d*)\s*\))?")
_FILTERS = ("int", "float", "round", "string", "lower", "upper", "tojson", "trim")
SUPPORTED_COMMAND_TEMPLATES = ("{{ value }}", "{{ value | int }}", "{{ value | float }}", "{{ value | round(N) }}",
                               "{{ value | tojson }}", '{"key": {{ value }}}', '{"key": "{{ value }}"}')


def command_template_problem(template: str | None) -> str | None:
    """None when iotlm can render ``template`` exactly; else why not (said once, when the device is discovered)."""
    if template is None or template == JSON_LIGHT:
        return None
    for match in _PLACEHOLDER.finditer(template):
        for f in _FILTER.finditer(match.group("filters")):
            if f.group("name") not in _FILTERS:
                return f"its command template uses the filter {f.group('name')!r}, which iotlm does not render " \
                       f"(supported: {', '.join(_FILTERS)})"
    rest = _PLACEHOLDER.sub("", template)
    if "{{" in rest or "{%" in rest or "{#" in rest:
        return (f"its command template {template!r} needs more of Jinja than iotlm renders; supported forms: "
                f"{', '.join(SUPPORTED_COMMAND_TEMPLATES)}")
    if not _PLACEHOLDER.search(template):
        return f"its command template {template!r} does not use the value"
    return None


def render_command(template: str, value: Any) -> str:
    """Render a command template (checked by :func:`command_template_problem`) with the value to send."""
    def one(match: re.Match[str]) -> str:
        out: Any = value
        for f in _FILTER.finditer(match.group("filters")):
            name, arg = f.group("name"), f.group("arg")
            if name == "int":
                out = int(float(out))
            elif name == "float":
                out = float(out)
            elif name == "round":
                out = round(float(out), int(arg) if arg else 0)
            elif name in ("string", "trim"):
                out = str(out).strip() if name == "trim" else str(out)
            elif name in ("lower", "upper"):
                out = str(out).lower() if name == "lower" else str(out).upper()
            elif name == "tojson":
                return json.dumps(out)
        return str(out)
    return _PLACEHOLDER.sub(one, template)


def template_key(template: Any) -> str | None:
    if not isinstance(template, str):
        return None
    match = _TEMPLATE.match(template.strip())
    if match is None or not match.group("path"):
        return None
    parts = list(_PATH_PART.finditer(match.group("path")))
    last = parts[-1]
    return last.group(1) or last.group(2) or last.group(3)


__all__ = ["JSON_LIGHT", "SUPPORTED_COMMAND_TEMPLATES", "command_template_problem", "render_command", "render_template", "template_key"]
