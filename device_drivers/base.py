"""What every driver offers the rest of iotlm."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from device_drivers.model import Device, Value


class CommandError(ValueError):
    """A command the device cannot take (unknown attribute, value it would reject)."""


@runtime_checkable
class Driver(Protocol):
    name: str

    def start(self) -> None:
        """Subscribe to discovery and state; returns at once (discovery is asynchronous)."""

    def command(self, device: Device, values: dict[str, Value]) -> dict[str, Any]:
        """Send canonical ``values`` to ``device``; return what was published (topic -> payload)."""
        ...
