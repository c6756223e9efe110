"""Device-side load: sensors reporting as Zigbee2MQTT would, as fast as possible or at a set rate.

Benchmarks use it to play a building full of sensors against the agent's own connection. It
publishes state reports only (what devices send), never commands, so it lives with the
simulator and not in the agent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from device_drivers.transport import Transport


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

    def paced(self, reports: Iterable[tuple[str, dict[str, Any]]], per_second: float,
              on_sent: Callable[[int, float], None] | None = None, qos: int = 0) -> float:
        """Reports at ``per_second`` on a fixed schedule (no drift); ``on_sent(i, stamp)`` after each."""
        interval = 1.0 / per_second
        start = time.perf_counter()
        for i, (name, payload) in enumerate(reports):
            due = start + i * interval
            while (wait := due - time.perf_counter()) > 0:
                time.sleep(wait if wait > 0.002 else 0)
            stamp = self.report(name, payload, qos=qos)
            if on_sent is not None:
                on_sent(i, stamp)
        return time.perf_counter() - start
