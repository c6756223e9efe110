"""What every driver offers the rest of iotlm."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from iotlm.device_drivers.model import Device, Value
from iotlm.errors import DeviceError


class CommandError(DeviceError, ValueError):
    """A command the device cannot take (unknown attribute, value it would reject)."""


class CodecError(DeviceError, ValueError):
    """A payload that does not follow its dialect: a discovery config, state or command this driver cannot use."""


@runtime_checkable
class Driver(Protocol):
    name: str

    def start(self) -> None:
        """Subscribe to discovery and state; returns at once (discovery is asynchronous)."""

    def command(self, device: Device, values: dict[str, Value]) -> dict[str, Any]:
        """Send canonical ``values`` to ``device``; return what was published (topic -> payload)."""
        ...
