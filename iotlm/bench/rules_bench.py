"""Rule figures (iotlm bench rules): sensor event -> device command, and a flood of sensor messages.

A simulated building on the embedded Mosquitto: N rooms, each with a motion sensor and a
light, and two rules per room ("when the motion sensor sees someone, turn the light on";
"when it clears, turn it off"). Events alternate occupied/clear per sensor, so every event
makes exactly one command. Latency is from just before the sensor's report is published to
the moment a subscriber sees the light's command on the broker (Zigbee2MQTT ``/set``).
"""

from __future__ import annotations

import collections
import multiprocessing
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from iotlm.automations.engine import RuleEngine
from iotlm.automations.model import Rule
from iotlm.automations.store import RuleStore
from iotlm.bench.harness import scratch
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.home import parse_home
from iotlm.device_drivers.simulator import Simulator
from iotlm.device_drivers.simulator.load import SensorLoad
from iotlm.device_drivers.transport import Transport
from iotlm.policies.audit import AuditLog
from iotlm.policies.config import PolicyConfig, RateLimit
from iotlm.policies.defaults import default_policies
from iotlm.policies.gate import Gate
from iotlm.tools.executor import Executor
from iotlm.tools.plugins import build_tools, plugin_manager


def _devices(home: dict[str, Any], broker_url: str, base: str, rooms: int, pipe: Any) -> None:
    """The building's side, in a process of its own: the simulated devices, the sensors and a command probe."""
    transport = Transport(broker_url).start()
    Simulator(parse_home(home), transport, base=base, ha_root=f"{base}-ha").start()
    load = SensorLoad(Transport(broker_url).start(), base=base)
    lock = threading.Lock()
    sent: dict[str, collections.deque[tuple[str, float]]] = collections.defaultdict(collections.deque)
    latencies: list[float] = []
    skipped = [0]
    occupied = [False] * rooms

    def on_command(topic: str, payload: bytes) -> None:
        now = time.perf_counter()
        light = topic[len(base) + 1: -len("/set")]
        state = "on" if b'"ON"' in payload else "off"
        with lock:
            queue = sent.get(light)
            # the event that asked for this state; an event whose command never came ("already") is skipped
            while queue:
                wanted, stamp = queue.popleft()
                if wanted == state:
                    latencies.append((now - stamp) * 1000)
                    break
                skipped[0] += 1

    probe = Transport(broker_url).start()
    probe.subscribe(f"{base}/+/set", on_command, wait=5)
    pipe.send("ready")

    def event(i: int) -> tuple[str, dict[str, Any]]:
        room = i % rooms
        occupied[room] = not occupied[room]
        return f"room{room}.motion", {"occupancy": occupied[room]}

    while True:
        request = pipe.recv()
        if request[0] == "stop":
            return
        if request[0] == "flood":
            events = [event(i) for i in range(request[1])]
            pipe.send(load.flood(events))
            continue
        _, count, per_second = request
        with lock:
            latencies.clear()
            sent.clear()
            skipped[0] = 0
        events = [event(i) for i in range(count)]
        start = time.perf_counter()
        for i, (name, payload) in enumerate(events):
            due = start + i / per_second
            while (wait := due - time.perf_counter()) > 0:
                time.sleep(wait if wait > 0.002 else 0)
            with lock:
                sent[name.replace(".motion", ".light")].append(("on" if payload["occupancy"] else "off", time.perf_counter()))
            load.report(name, payload)
        sent_for = time.perf_counter() - start
        deadline = time.monotonic() + 30
        while len(latencies) + skipped[0] < count and time.monotonic() < deadline:
            time.sleep(0.01)
        with lock:
            pipe.send({"sent_for": sent_for, "latencies": list(latencies), "skipped": skipped[0]})


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 2) if ordered else 0.0


class Building:
    def __init__(self, broker_url: str, rooms: int = 50) -> None:
        self.rooms = rooms
        self.base = f"bench{int(time.time() * 1000) % 100000}/z2m"
        home = parse_home({"name": "building", "devices": [d for i in range(rooms) for d in (
            {"id": f"room{i}.motion", "name": "motion sensor", "room": f"room{i}", "type": "binary_sensor", "read_only": True,
             "attributes": {"occupancy": {"value": False, "options": [True, False], "writable": False}}},
            {"id": f"room{i}.light", "name": "light", "room": f"room{i}", "type": "light",
             "attributes": {"state": {"value": "off", "options": ["on", "off"]}}})]})
        self.data = scratch("iotlm-rules-bench-")
        # the devices, the sensors and the probe that sees commands run in a process of their own (as Zigbee2MQTT
        # and the radios would), so this process is only what `iotlm run` would be
        ctx = multiprocessing.get_context("spawn")
        self.pipe, child = ctx.Pipe()
        self.sim = ctx.Process(target=_devices, args=(home.model_dump(mode="json"), broker_url, self.base, rooms, child),
                               daemon=True)
        self.sim.start()
        if not self.pipe.poll(60) or self.pipe.recv() != "ready":
            raise RuntimeError("the simulated building did not start")
        self.conn = Connection(Transport(broker_url), z2m_base=self.base, ha_prefix=f"{self.base}-hadisc").start()
        if not self.conn.registry.wait_for_devices([d.id for d in home.devices], 30):
            self.sim.terminate()
            raise RuntimeError(f"the simulated building did not appear on {broker_url} within 30 s")
        time.sleep(0.3)
        config = PolicyConfig(rate_limit=RateLimit(max_commands=1_000_000, per_seconds=1))
        self.audit = AuditLog(self.data / "audit.db")
        executor = Executor(self.conn, Gate(default_policies(config), self.audit), build_tools(plugin_manager()),
                            policy_config=config)
        rules = []
        for i in range(rooms):
            for seen, state in ((True, "on"), (False, "off")):
                rules.append(Rule.model_validate({
                    "id": f"room{i}-{state}", "when": {"device": f"room{i}.motion", "attribute": "occupancy", "to": seen},
                    "do": [{"device": f"room{i}.light", "set": {"state": state}}]}))
        self.engine = RuleEngine(self.conn.registry, executor, RuleStore(self.data / "rules.db"), user_for=config.user)
        rejected = self.engine.load(rules)
        assert not rejected, rejected
        self.engine.start()

    def paced(self, count: int, per_second: float) -> dict[str, Any]:
        before = self.engine.stats.fired
        outcomes = dict(self.engine.stats.outcomes)
        self.pipe.send(("paced", count, per_second))
        got = self.pipe.recv()
        latencies = got["latencies"]
        return {"events": count, "rate_per_s": per_second, "achieved_rate_per_s": round(count / got["sent_for"], 1),
                "commands_seen": len(latencies), "events_without_command": got["skipped"],
                "fired": self.engine.stats.fired - before,
                "outcomes": {k: v - outcomes.get(k, 0) for k, v in self.engine.stats.outcomes.items() if v - outcomes.get(k, 0)},
                "p50_ms": _pct(latencies, 50), "p95_ms": _pct(latencies, 95), "p99_ms": _pct(latencies, 99),
                "mean_ms": round(statistics.mean(latencies), 2) if latencies else None}

    def flood(self, count: int = 10_000) -> dict[str, Any]:
        stats = self.engine.stats
        before = {k: getattr(stats, k) for k in ("reports", "evaluated", "fired", "suppressed", "dropped", "unconfirmed")}
        rss = _rss_mb()
        start = time.perf_counter()
        self.pipe.send(("flood", count))
        peak = rss
        published = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            peak = max(peak, _rss_mb())
            if published is None and self.pipe.poll(0):
                published = self.pipe.recv()
            if published is not None and stats.evaluated - before["evaluated"] >= count and self.engine.idle():
                break
            time.sleep(0.05)
        handled = time.perf_counter() - start
        time.sleep(self.engine.confirm_timeout + 1.5)  # let the confirmation checks of the last actions run
        after = {k: getattr(stats, k) - v for k, v in before.items()}
        return {"events": count, "published_in_s": round(published or 0, 2), "handled_in_s": round(handled, 2), **after,
                "rss_before_mb": rss, "rss_peak_mb": peak, "rss_after_mb": _rss_mb()}

    def close(self) -> None:
        self.engine.stop()
        self.pipe.send(("stop",))
        self.sim.join(5)
        if self.sim.is_alive():
            self.sim.terminate()
        self.conn.stop()
        self.audit.close()


def run(slow_events: int = 20, fast_events: int = 5000, flood_events: int = 10_000) -> dict[str, Any]:
    with EmbeddedBroker() as broker:
        building = Building(broker.url)
        try:
            return {"broker": broker.impl, "rooms": building.rooms, "rules": len(building.engine.rules()),
                    "at_1_per_s": building.paced(slow_events, 1.0),
                    "at_1000_per_s": building.paced(fast_events, 1000.0),
                    "flood": building.flood(flood_events)}
        finally:
            building.close()


__all__ = ["Building", "run"]
