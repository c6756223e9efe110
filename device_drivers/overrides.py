"""What a person says about their devices that no dialect can: the room, a better name, other names, whether a device
is risky, what kind it is. Kept in ``$IOTLM_HOME/devices.toml`` (or the ``devices_file`` setting), by device id as
``iotlm devices`` lists it, and applied whenever a driver announces that device::

    ["tasmota_8E2A1F"]
    room = "kitchen"
    name = "kettle plug"
    aliases = ["kettle"]
    type = "outlet"

    ["garage.garage_door"]
    risky = true
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from iotlm.device_drivers.model import DEVICE_TYPES, Device, first_error
from iotlm.errors import SetupError


class OverrideFileError(SetupError):
    """A devices file that cannot be used; the message says where and what would be right."""


class DeviceOverride(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    room: str | None = None
    name: str | None = None
    aliases: list[str] | None = None
    type: str | None = None
    risky: bool | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, v: str | None) -> str | None:
        if v is not None and v not in DEVICE_TYPES:
            raise ValueError(f"{v!r} is not a device type; use one of {', '.join(sorted(DEVICE_TYPES))}")
        return v

    @field_validator("room", "name")
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be empty; leave it out to keep what the device says")
        return v.strip().lower() if v is not None else None

    def changes(self) -> dict[str, Any]:
        """What it says of the device (what it leaves unsaid is the dialect's)."""
        return self.model_dump(exclude_none=True)

    def apply(self, device: Device) -> Device:
        """``device`` as the person describes it."""
        changes = self.changes()
        return device.model_copy(update=changes) if changes else device


def load_overrides(path: Path) -> dict[str, DeviceOverride]:
    """The devices file at ``path`` ({} when there is none); a broken one raises :class:`OverrideFileError`."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise OverrideFileError(f"cannot read devices file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise OverrideFileError(f"devices file {path}: not valid TOML ({exc})") from exc
    out: dict[str, DeviceOverride] = {}
    for device_id, fields in data.items():
        if not isinstance(fields, dict):
            raise OverrideFileError(f'devices file {path}: {device_id!r} must be a table (["{device_id}"] then room = "...")')
        try:
            out[device_id] = DeviceOverride.model_validate(fields)
        except ValidationError as exc:
            where, what = first_error(exc)
            known = ", ".join(DeviceOverride.model_fields)
            raise OverrideFileError(f"devices file {path}: [{device_id}] {where}: {what} (a device takes {known})") from exc
    return out


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")  # JSON's escapes are TOML's


def dump_overrides(overrides: dict[str, DeviceOverride]) -> str:
    """The devices file's text (what :func:`load_overrides` reads back the same)."""
    lines = ["# What you say of your devices, over what their dialects say: room, name, aliases, type, risky.",
             "# By device id, as `iotlm devices` lists it. `iotlm devices set` writes this file.", ""]
    for device_id in sorted(overrides):
        lines.append(f"[{_toml(device_id)}]")
        lines += [f"{key} = {_toml(value)}" for key, value in overrides[device_id].model_dump().items() if value is not None]
        lines.append("")
    return "\n".join(lines)


def set_override(path: Path, device_id: str, changes: dict[str, Any], *, clear: bool = False) -> DeviceOverride | None:
    """Change what the devices file at ``path`` says of ``device_id`` (``clear``: forget it first); return what it says
    now (None: nothing). A change a device cannot take raises :class:`OverrideFileError`; the file is then untouched."""
    overrides = load_overrides(path)
    current = {} if clear or device_id not in overrides else overrides[device_id].changes()
    merged = {**current, **{k: v for k, v in changes.items() if v is not None}}
    if merged:
        try:
            overrides[device_id] = DeviceOverride.model_validate(merged)
        except ValidationError as exc:
            where, what = first_error(exc)
            raise OverrideFileError(f"{device_id}: {where}: {what}") from exc
    else:
        overrides.pop(device_id, None)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(dump_overrides(overrides), encoding="utf-8")
    os.replace(partial, path)
    return overrides.get(device_id)


__all__ = ["DeviceOverride", "OverrideFileError", "dump_overrides", "load_overrides", "set_override"]
