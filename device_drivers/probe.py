"""A transport diagnostic: how long a command takes to come back as device-reported state.

This is the floor the agent's latency is compared with. It talks to the devices of a
simulated home directly, below the policy gate, so it lives here with the drivers and is
never used to act on a real home.
"""

from __future__ import annotations

import time
from typing import Any

from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.simulator import Simulator
from iotlm.device_drivers.transport import Transport


def round_trip_ms(home: Home, broker_url: str, device_id: str, attribute: str, values: list[Any], n: int = 300) -> list[float]:
    """Command -> device-reported state, ``n`` times, on a private simulated copy of ``home``."""
    sim_t = Transport(broker_url).start()
    Simulator(home, sim_t, base="probe/z2m", ha_root="probe/ha").start()
    conn = Connection(Transport(broker_url), z2m_base="probe/z2m", ha_prefix="probe/hadisc").start()
    try:
        conn.registry.wait_for_devices([device_id], 10)
        out = []
        for i in range(n):
            value = values[i % len(values)]
            start = time.perf_counter()
            conn.command(device_id, {attribute: value})
            if conn.registry.wait_for(_reporting(device_id, attribute, value), 5):
                out.append((time.perf_counter() - start) * 1000)
        return out
    finally:
        conn.stop()
        sim_t.stop()


def _reporting(device_id: str, attribute: str, value: Any) -> Any:
    def check(registry: Any) -> bool:
        device = registry.get(device_id)
        return device is not None and device.attributes[attribute].value == value
    return check


__all__ = ["round_trip_ms"]
