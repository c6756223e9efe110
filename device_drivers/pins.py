"""What each device was when iotlm first saw it: its type, its risk, its physical identity and its attributes.

Discovery topics are often writable by more clients than they should be. Without this, whoever can publish
``zigbee2mqtt/bridge/devices`` could re-announce the front door lock as a light (and a guest could then unlock it as
one), or a new "front door" as the real one. So the registry keeps each device's first type, risk and identity here
(:class:`iotlm.memory.pins.PinStore`: in the home's SQLite file, across restarts) and holds back a re-announcement
that changes them until a person accepts it (``iotlm devices accept ID``) or says so in the devices file. Risk only
ever goes up on its own. A device that grows (Home Assistant discovery announces a device entity by entity) may change
its type as it grows; one that loses or changes what it could do may not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from iotlm.device_drivers.model import Device

__all__ = ["MemoryPins", "Pin", "Pins", "signature"]


@dataclass(frozen=True)
class Pin:
    type: str
    risky: bool
    identity: str | None = None
    attributes: tuple[str, ...] = ()
    """The device's attributes, a state's options with it (:func:`signature`)."""


def signature(device: Device) -> tuple[str, ...]:
    """What a device can do, as its pin keeps it: attribute names, and the options of those that have them."""
    return tuple(sorted(f"{n}:{'|'.join(sorted(map(str, a.options)))}" if a.options else n
                        for n, a in device.attributes.items()))


class Pins(Protocol):
    def get(self, device_id: str) -> Pin | None: ...

    def put(self, device_id: str, pin: Pin) -> None: ...

    def version(self) -> int: ...


class MemoryPins:
    """Pins for this process only (tests, and tools that keep no data directory)."""

    def __init__(self) -> None:
        self._pins: dict[str, Pin] = {}
        self._version = 0

    def get(self, device_id: str) -> Pin | None:
        return self._pins.get(device_id)

    def put(self, device_id: str, pin: Pin) -> None:
        self._pins[device_id] = pin
        self._version += 1

    def version(self) -> int:
        return self._version
