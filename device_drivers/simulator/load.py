"""Device-side load: sensors reporting as Zigbee2MQTT would, one at a time or as fast as possible.

Benchmarks use it to play a building full of sensors against the agent's own connection. It
publishes state reports only (what devices send), never commands, so it lives with the
simulator and not in the agent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from iotlm.device_drivers.transport import Transport


class SensorLoad:
    """Publishes ``(friendly_name, payload)`` reports under ``base`` (a Zigbee2MQTT base topic)."""

    def __init__(self, transport: Transport, base: str = "zigbee2mqtt") -> None:
        self.transport = transport
        self.base = base.rstrip("/")
        self.sent = 0

    def report(self, name: str, payload: dict[str, Any], qos: int = 0) -> float:
        """One report; returns ``time.perf_counter()`` just before it was handed to the network."""
        stamp = time.perf_counter()
        self.transport.publish(f"{self.base}/{name}", payload, qos=qos)
        self.sent += 1
        return stamp

    def flood(self, reports: Iterable[tuple[str, dict[str, Any]]], qos: int = 0) -> float:
        """Every report back to back; returns the seconds it took to hand them over."""
        start = time.perf_counter()
        for name, payload in reports:
            self.transport.publish(f"{self.base}/{name}", payload, qos=qos)
            self.sent += 1
        return time.perf_counter() - start


__all__ = ["SensorLoad"]
