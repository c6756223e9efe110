"""Foundation figures: discovery time and command -> device-reported state round trip.

Usage: .venv/bin/python scripts/bench_foundation.py [--n 300] [--broker mosquitto|amqtt]
Runs the simulated example home on an embedded broker; prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device_drivers.broker import EmbeddedBroker  # noqa: E402
from device_drivers.connection import Connection  # noqa: E402
from device_drivers.home import load_home  # noqa: E402
from device_drivers.simulator import Simulator  # noqa: E402
from device_drivers.transport import Transport  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--broker", choices=["mosquitto", "amqtt"], default="mosquitto")
    args = parser.parse_args()
    home = load_home(Path(__file__).resolve().parents[1] / "examples" / "homes" / "flat.json")
    with EmbeddedBroker(kind=args.broker) as broker:
        sim_t = Transport(broker.url).start()
        Simulator(home, sim_t, dialect="both").start()
        t0 = time.perf_counter()
        conn = Connection(Transport(broker.url)).start()
        ids = [d.id for d in home.devices]
        assert conn.registry.wait_for_devices(ids, timeout=10)
        discovery_ms = (time.perf_counter() - t0) * 1000
        rtts: list[float] = []
        for i in range(args.n):
            level = 10 + i % 80
            start = time.perf_counter()
            conn.command("kitchen.light", {"brightness": level})
            ok = conn.registry.wait_for(lambda r, level=level: r.get("kitchen.light").attributes["brightness"].value == level, 5)  # type: ignore[union-attr, misc]
            if ok:
                rtts.append((time.perf_counter() - start) * 1000)
        conn.stop()
        sim_t.stop()
    print(json.dumps({
        "broker": args.broker, "devices": len(ids), "discovery_ms": round(discovery_ms, 1),
        "roundtrip_ms": {"n": len(rtts), "p50": round(statistics.median(rtts), 2), "p95": round(pct(rtts, 95), 2),
                         "p99": round(pct(rtts, 99), 2)},
    }))


if __name__ == "__main__":
    main()
