"""What every driver offers the rest of iotlm."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol, runtime_checkable

from iotlm.device_drivers.model import Device, Value
from iotlm.errors import DeviceError


class CommandError(DeviceError, ValueError):
    """A command the device cannot take (unknown attribute, value it would reject)."""


class CodecError(DeviceError, ValueError):
    """A payload that does not follow its dialect: a discovery config, state or command this driver cannot use."""


def parse_json(payload: bytes) -> Any:
    """A JSON payload of any dialect; a payload that is not JSON text raises :class:`CodecError`."""
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CodecError(f"payload is not JSON ({exc}); starts with {payload[:60]!r}") from exc


_MAC = re.compile(r"^[0-9a-f]{12}$")
_IEEE = re.compile(r"^0x[0-9a-f]{16}$")


def identity(value: Any) -> str | None:
    """The physical device a dialect's identifier names, the same in every dialect: ``mac:a8032ab12345`` for a MAC
    address (``A8:03:2A:B1:23:45``, ``A8032AB12345``), ``ieee:0x00158d0001a2b3c4`` for a Zigbee IEEE address (also as
    Zigbee2MQTT's Home Assistant identifier ``zigbee2mqtt_0x...``); None for anything else."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().removeprefix("zigbee2mqtt_")
    bare = re.sub(r"[:.-]", "", text)
    if _MAC.match(bare):
        return f"mac:{bare}"
    return f"ieee:{text}" if _IEEE.match(text) else None


@runtime_checkable
class Driver(Protocol):
    name: str

    def start(self) -> None:
        """Subscribe to discovery and state; returns at once (discovery is asynchronous)."""

    def command(self, device: Device, values: dict[str, Value]) -> dict[str, Any]:
        """Send canonical ``values`` to ``device``; return what was published (topic -> payload)."""
        ...


__all__ = ["CodecError", "CommandError", "Driver", "identity", "parse_json"]
