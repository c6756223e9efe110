"""What every driver offers the rest of iotlm."""

from __future__ import annotations

import json
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


@runtime_checkable
class Driver(Protocol):
    name: str

    def start(self) -> None:
        """Subscribe to discovery and state; returns at once (discovery is asynchronous)."""

    def command(self, device: Device, values: dict[str, Value]) -> dict[str, Any]:
        """Send canonical ``values`` to ``device``; return what was published (topic -> payload)."""
        ...
