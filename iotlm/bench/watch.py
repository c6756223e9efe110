"""``iotlm bench watch``: a simulated month of the watched flat, with anomalies planted at known times.

The household (:mod:`iotlm.bench.watch_month`) and the environment simulation (rooms drifting toward outdoors, heated,
aired, steamed up by showers) report into a real device registry on a clock the benchmark moves: events at their exact
moments, the rooms' sensors every simulated minute with noise, the watch engine ticking every 15 simulated seconds.
The built-in watchers and the real notices store (SQLite) run as in ``iotlm run``. The history goes to a real state
history (SQLite), from which routine mining runs at the end.

Scored per kind of watcher: planted anomalies found (a notice from that watcher about that device between the
anomaly's start and five minutes after its end), missed, false alarms (notices that match no planted anomaly and no
finished programme), and the delay from the moment the condition had held for the watcher's ``for`` to the notice.
Routine mining: suggestions that match a planted routine (same device, value and days, within 15 minutes) and those
that do not. Cost: on a live building (embedded Mosquitto, simulated sensors in their own process) at 1,000 reports a
second, the time each report spends in the watch engine and in the rule engine, measured in the same run.
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from iotlm.automations.notices import Notices
from iotlm.automations.routines import find_routines
from iotlm.automations.watch import WatchEngine
from iotlm.automations.watchers import Watcher, builtin_watchers
from iotlm.bench.harness import scratch
from iotlm.bench.watch_month import PLANTED, Event, Truth, month
from iotlm.device_drivers.capabilities import describes_room
from iotlm.device_drivers.home import load_home
from iotlm.device_drivers.model import Device
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.simulator.environment import READINGS, Environment, Outdoor
from iotlm.memory.history import HistoryRecorder
from iotlm.memory.store import MemoryStore

HOME = Path(str(resources.files("iotlm.device_drivers").joinpath("homes", "watched.json")))
ZONE = ZoneInfo("Europe/Berlin")
START = datetime(2026, 11, 2, tzinfo=ZONE)  # a Monday
TICK_S = 15.0
NOISE = {"temperature": 0.12, "current_temperature": 0.12, "humidity": 0.8, "illuminance": 4.0, "co2": 6.0,
         "pm25": 0.3, "pm10": 0.4}
"""Standard deviation of each reading's noise."""


class BenchClock:
    """The month's time, moved by the benchmark."""

    speed = 1e9

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, t: float) -> None:
        self.now = datetime.fromtimestamp(t, ZONE)


class HomeSim:
    """The environment simulation's view of the home: the registry's devices; what their readings become is reported
    to the registry with sensor noise (a silent or unavailable device reports nothing)."""

    def __init__(self, registry: DeviceRegistry, rng: random.Random) -> None:
        self.registry = registry
        self.rng = rng
        self.silent: set[str] = set()
        self.on_reset: list[Callable[[], None]] = []

    def devices(self) -> list[Device]:
        return self.registry.all()

    def apply(self, device_id: str, values: dict[str, Any], *, from_device: bool = False) -> None:
        if device_id in self.silent:
            return
        noisy = {}
        for name, value in values.items():
            sd = NOISE.get(name)
            if sd is not None and isinstance(value, int | float):
                value = round(value + self.rng.gauss(0, sd), 1 if isinstance(value, float) else 0)
                value = int(value) if name != "temperature" and name != "current_temperature" else value
            noisy[name] = value
        self.registry.report(device_id, noisy)

    def publish_state(self, device_id: str) -> None:
        """Nothing to publish: the registry is the broker's other end here."""


def run_month(*, days: int = 30, seed: int = 0, watchers: list[Watcher] | None = None,
              data: Path | None = None) -> dict[str, Any]:
    data = data or scratch("iotlm-watch-bench-")
    clock = BenchClock(START)
    registry = DeviceRegistry()
    home = load_home(HOME)
    for device in home.devices:
        registry.upsert(device)
    rng = random.Random(seed + 1)
    sim = HomeSim(registry, rng)
    env = Environment(sim, outdoor=Outdoor(temperature=7.0, humidity=55.0))
    store = MemoryStore(data / "iotlm.db")
    history = HistoryRecorder(store, clock=clock).attach(registry)
    notices = Notices(data / "iotlm.db", people=lambda: {"owner": "admin"}, clock=clock, devices=registry.all)
    watchers = watchers if watchers is not None else list(builtin_watchers().values())
    engine = WatchEngine(registry, watchers, notices, clock=clock)
    registry.add_report_listener(engine.on_report)
    script = month(START, days, seed)
    events = list(script.events)
    heapq.heapify(events)
    showers: list[tuple[float, dict[str, Any]]] = []
    t, end = START.timestamp(), START.timestamp() + days * 86400
    wall = time.perf_counter()
    next_minute = t
    while t < end:
        while events and events[0].t <= t:
            event = heapq.heappop(events)
            clock.set(event.t)
            _apply(event, registry, sim, showers)
        clock.set(t)
        if t >= next_minute:
            _steam(env, showers, t)
            env.step(1.0)  # the rooms' sensors report what changed
            if int(next_minute - START.timestamp()) % 300 == 0:
                _readings(env, sim)  # and every five minutes all they read, changed or not
            next_minute += 60
        engine.tick(t)
        t += TICK_S
    history.flush()
    elapsed = time.perf_counter() - wall
    found = notices.list(everyone=True, limit=100_000)
    scored = score(script.truths, found, {w.id: w for w in watchers})
    suggestions = find_routines(store.changes(attributes=("state", "mode")), {d.id: d for d in home.devices}, ZONE,
                                since=START.timestamp(), until=end - 1)
    mined = score_routines([s.as_json() for s in suggestions])
    history.stop()
    store.close()
    notices.close()
    return {"days": days, "seed": seed, "events": len(script.events), "reports": engine.reports,
            "watchers": len(watchers), "notices": len(found), "seconds": round(elapsed, 1), **scored, "routines": mined}


def _apply(event: Event, registry: DeviceRegistry, sim: HomeSim, showers: list[tuple[float, dict[str, Any]]]) -> None:
    if event.kind == "report":
        if event.device not in sim.silent:
            registry.report(event.device, event.values)
    elif event.kind in ("offline", "online"):
        registry.set_availability(event.device, event.kind)
        (sim.silent.add if event.kind == "offline" else sim.silent.discard)(event.device)
    elif event.kind in ("silent", "speak"):
        (sim.silent.add if event.kind == "silent" else sim.silent.discard)(event.device)
    elif event.kind == "shower":
        showers.append((event.t, event.values))


def _readings(env: Environment, sim: HomeSim) -> None:
    for device in sim.devices():
        room = env.rooms.get((device.room or "").lower())
        if room is None or not describes_room(device.type):
            continue
        values = {name: room.values[value] for value, names in READINGS.items() for name in names
                  if name in device.attributes and not device.attributes[name].writable}
        if values:
            sim.apply(device.id, values, from_device=True)


def _steam(env: Environment, showers: list[tuple[float, dict[str, Any]]], t: float) -> None:
    """A shower holds the bathroom's humidity at its peak for a while, then the fan (or the air) takes it back down."""
    room = env.rooms.get("bathroom")
    if room is None:
        return
    for start, shower in list(showers):
        minutes = (t - start) / 60
        base = env.outdoor.humidity
        if minutes <= shower["hold"]:
            room.values["humidity"] = shower["peak"]
        elif minutes <= shower["hold"] + 8 * shower["tau"]:
            room.values["humidity"] = base + (shower["peak"] - base) * math.exp(-(minutes - shower["hold"]) / shower["tau"])
        else:
            showers.remove((start, shower))


def score(truths: list[Truth], notices: list[dict[str, Any]], watchers: dict[str, Watcher]) -> dict[str, Any]:
    matched: set[int] = set()
    kinds: dict[str, dict[str, Any]] = {}
    delays: list[float] = []
    for truth in truths:
        watcher = watchers.get(truth.watcher)
        row = kinds.setdefault(truth.watcher, {"about": watcher.about if watcher else "?", "planted": 0, "found": 0,
                                               "missed": 0, "false_alarms": 0, "delays_s": []})
        row["planted"] += 1
        hit = next((n for n in sorted(notices, key=lambda n: n["at"]) if n["id"] not in matched
                    and n["watcher"] == truth.watcher and n["device_id"] == truth.device
                    and truth.start - 1 <= n["at"] <= truth.end + 300), None)
        if hit is None:
            row["missed"] += 1
            continue
        matched.add(hit["id"])
        row["found"] += 1
        delay = hit["at"] - (truth.start + (watcher.for_ if watcher else 0.0))
        if truth.watcher == "reading_stuck" and watcher is not None and watcher.unchanged:
            delay = hit["at"] - (truth.start + watcher.unchanged)
        row["delays_s"].append(round(delay, 1))
        delays.append(delay)
    false = [n for n in notices if n["id"] not in matched]
    for n in false:
        row = kinds.setdefault(n["watcher"], {"about": n["about"], "planted": 0, "found": 0, "missed": 0,
                                              "false_alarms": 0, "delays_s": []})
        row["false_alarms"] += 1
        row.setdefault("false_examples", []).append(n["text"])
    for row in kinds.values():
        row["median_delay_s"] = statistics.median(row["delays_s"]) if row["delays_s"] else None
        row["false_examples"] = row.get("false_examples", [])[:3]
        del row["delays_s"]
    planted = len(truths)
    found = sum(r["found"] for r in kinds.values())
    return {"planted": planted, "found": found, "found_pct": round(100 * found / planted, 1) if planted else 0.0,
            "false_alarms": len(false), "median_delay_s": round(statistics.median(delays), 1) if delays else None,
            "max_delay_s": round(max(delays), 1) if delays else None, "by_watcher": dict(sorted(kinds.items()))}


def score_routines(suggestions: list[dict[str, Any]]) -> dict[str, Any]:
    def minutes(hhmm: str) -> int:
        h, m = hhmm.split(":")
        return int(h) * 60 + int(m)

    hits: list[dict[str, Any]] = []
    spurious: list[dict[str, Any]] = []
    for s in suggestions:
        match = next((p for p in PLANTED if p[:3] == (s["device_id"], s["attribute"], str(s["value"])) and p[3] == s["days"]
                      and abs(minutes(p[4]) - minutes(s["at"])) <= 15), None)
        (hits if match else spurious).append(s)
    return {"planted": len(PLANTED), "suggested": len(suggestions), "found": len({(s["device_id"], s["value"]) for s in hits}),
            "not_planted": len(spurious), "suggestions": [s["say"] for s in suggestions],
            "rules": [s["rule"] for s in suggestions]}


def run_cost(events: int = 10_000, per_second: float = 1000.0) -> dict[str, Any]:
    """Per-report cost of the watch engine beside the rule engine's, on a live building at ``per_second``."""
    from iotlm.bench.rules_bench import Building, _pct
    from iotlm.device_drivers.broker import EmbeddedBroker

    with EmbeddedBroker() as broker:
        building = Building(broker.url)
        registry = building.conn.registry
        data = scratch("iotlm-watch-cost-")
        notices = Notices(data / "iotlm.db", people=lambda: {"owner": "admin"})
        watchers = list(builtin_watchers().values())
        watch = WatchEngine(registry, watchers, notices)
        costs: dict[str, list[float]] = {"watchers": [], "rules": []}

        def timed(name: str, listener: Callable[[str, dict[str, Any]], None]) -> Callable[[str, dict[str, Any]], None]:
            def run(device_id: str, values: dict[str, Any]) -> None:
                start = time.perf_counter()
                listener(device_id, values)
                costs[name].append((time.perf_counter() - start) * 1000)
            return run

        try:
            registry.remove_report_listener(building.engine.on_report)
            registry.add_report_listener(timed("rules", building.engine.on_report))
            registry.add_report_listener(timed("watchers", watch.on_report))
            paced = building.paced(events, per_second)
            watched = watch.watched()
            return {"rooms": building.rooms, "rules": len(building.engine.rules()), "watchers": len(watchers),
                    "watched_pairs": watched, "events": events, "rate_per_s": per_second,
                    "achieved_rate_per_s": paced["achieved_rate_per_s"],
                    **{f"{name}_ms": {"p50": _pct(c, 50), "p95": _pct(c, 95), "p99": _pct(c, 99), "n": len(c)}
                       for name, c in costs.items()}}
        finally:
            notices.close()
            building.close()


def run(days: int = 30, seed: int = 0, cost: bool = True) -> dict[str, Any]:
    out = {"home": "device_drivers/homes/watched.json", "month": run_month(days=days, seed=seed)}
    if cost:
        out["cost"] = run_cost()
    return out


__all__ = ["HOME", "START", "BenchClock", "HomeSim", "run", "run_cost", "run_month", "score", "score_routines"]
