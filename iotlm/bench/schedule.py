"""``iotlm bench schedule``: jobs said in chat, run on an accelerated clock against the simulated home.

One clock (:class:`~iotlm.device_drivers.clock.SimClock`) drives the agent, the rule engine and the simulated
appliances. For each case (``tests/bench/schedule/cases.jsonl``, written by its ``make_cases.py``): the home goes back
to its file and the case's ``setup``; the clock is set to 15:00 and held while the request is asked (and a
confirmation answered, when the case says so); then it runs at ``--speed`` (simulated seconds per real second), with
the case's sensor ``events`` reported at their minutes, until a few minutes past the last expected action. Stretches
where nothing runs and nothing is due are skipped at once.

A feasible case passes when every expected action reached its device within ``--tolerance`` simulated seconds
(default 60) of its minute, with its values, and no other command was sent. An infeasible one passes when nothing
was scheduled, nothing was sent, and the reply says why (the case's ``why`` words).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from iotlm.automations.engine import RuleEngine
from iotlm.automations.store import RuleStore
from iotlm.bench.harness import BenchHome, open_home, scratch
from iotlm.device_drivers.clock import SimClock
from iotlm.device_drivers.home import load_home
from iotlm.device_drivers.model import is_appliance
from iotlm.device_drivers.simulator.appliances import Programmes
from iotlm.memory.store import MemoryStore
from iotlm.policies.config import PolicyConfig, RateLimit

START = datetime(2026, 12, 2, 15, 0)
GROUPS = ("TIME", "TIME-X", "EVENT", "EVENT-X", "ALIGN", "ALIGN-X", "SPOKEN", "CHAIN", "BEFORE", "BEFORE-X", "CONFLICT",
          "CONFLICT-X", "NAMES", "REPEAT", "REPEAT-X", "PAUSE", "PAUSE-X", "SPOKEN-X")
POLICIES = PolicyConfig(users={"owner": "admin", "guest": "guest"}, rate_limit=RateLimit(max_commands=10**9, per_seconds=1))
LOCATION = "[schedule]\nlatitude = 51.5\nlongitude = -0.12\n"
"""London, for "at sunset"."""


@dataclass
class Result:
    id: str
    group: str
    text: str
    passed: bool
    reply: str
    problems: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    turn_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ScheduleBench:
    def __init__(self, home_file: Path, broker_url: str, *, speed: float = 1200.0, tolerance_s: float = 60.0,
                 model: Any = None) -> None:
        self.clock = SimClock(START, speed=speed)
        self.clock.pause()
        data = scratch("iotlm-schedule-")
        (data / "config.toml").write_text(LOCATION, encoding="utf-8")
        self.bench: BenchHome = open_home(load_home(home_file), broker_url, data_dir=data, clock=self.clock, policies=POLICIES,
                                          model=model)
        runtime = self.bench.runtime
        runtime.store = MemoryStore(data / "iotlm.db")  # a data directory: jobs are kept in rules.db beside it
        self.store = RuleStore(data / "rules.db")
        self.engine = RuleEngine(runtime.connection.registry, runtime.executor, self.store, user_for=runtime.user,
                                 clock=self.clock, late_grace_s=runtime.settings.schedule.late_grace).start()
        self.bench.sim.clock = self.clock
        self.programmes = Programmes(self.bench.sim, self.clock).start()
        self.tolerance_s = tolerance_s

    def close(self) -> None:
        self.programmes.stop()
        self.engine.stop()
        self.store.close()
        self.bench.close()

    def _reset(self, setup: dict[str, dict[str, Any]]) -> None:
        self.clock.pause()
        for rule in self.store.rules():
            self.store.remove(rule.id)
        self.engine.load([])
        sim = self.bench.sim
        with self.programmes.held():  # running programmes then end as the setup (or the home file) says, from 15:00
            self.bench.reset()
            self.clock.reset(START)
            for device_id, values in setup.items():
                applied = sim.apply(device_id, values, from_device=True)
                if applied.rejected:
                    raise ValueError(f"setup of {device_id}: {applied.rejected}")
                sim.publish_state(device_id)
        registry = self.bench.runtime.connection.registry
        registry.wait_for(lambda r: all(all(r.value(d, k) == v for k, v in values.items()) for d, values in setup.items()), 5.0)
        self.bench.runtime.connection.transport.drain()
        sim.commands.clear()

    def run_case(self, case: dict[str, Any]) -> Result:
        self._reset(case.get("setup", {}))
        agent = self.bench.agent
        user = case.get("user", "owner")
        thread = f"schedule-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        result = agent.turn(case["text"], thread=thread, user=user)
        if result.needs_confirmation and case.get("answer"):
            result = agent.turn(case["answer"], thread=thread, user=user)
        turn_ms = (time.perf_counter() - started) * 1000
        jobs = self.store.rules()  # jobs, and the rules a repeating request offered and the person accepted
        self.engine.load(jobs)
        expect = case.get("expect", [])
        horizon = max([e["at_min"] for e in expect] + [e["at_min"] for e in case.get("events", [])] + [0]) + 3
        self._run_until(horizon, case.get("events", []))
        sent = self._sent()
        problems = self._check(case, expect, sent, jobs, result.reply)
        return Result(case["id"], case["group"], case["text"], not problems, result.reply, problems, sent, round(turn_ms, 1))

    def _run_until(self, horizon_min: float, events: list[dict[str, Any]]) -> None:
        end = self.clock.start + timedelta(minutes=horizon_min)
        pending = sorted(events, key=lambda e: e["at_min"])
        self.clock.resume()
        try:
            while self.clock() < end:
                now = self.clock()
                while pending and now >= self.clock.start + timedelta(minutes=pending[0]["at_min"]):
                    event = pending.pop(0)
                    self.bench.sim.apply(event["device"], event["report"], from_device=True)
                    self.bench.sim.publish_state(event["device"])
                self._skip_idle(end, pending)
                time.sleep(0.002)
        finally:
            self.clock.pause()
        self.bench.runtime.connection.transport.drain()
        time.sleep(0.02)  # the last commands reach the devices

    def _skip_idle(self, end: datetime, pending: list[dict[str, Any]]) -> None:
        """Jump to a few minutes before the next thing that can happen, when nothing runs meanwhile: no programme
        running, no job waiting for a device, every report seen by iotlm and every firing acted on."""
        appliances = [d for d in self.bench.sim.devices() if is_appliance(d)]
        if any(d.attributes["operational_state"].value == "running" for d in appliances):
            return
        if any(r.trigger.device for r in self.engine.rules()) or not self.engine.idle():
            return
        registry = self.bench.runtime.connection.registry
        if any(registry.value(d.id, "operational_state") != d.attributes["operational_state"].value for d in appliances):
            return
        now = self.clock()
        moments = [self.clock.start + timedelta(minutes=e["at_min"]) for e in pending] + [end]
        due = self.store.next_due()
        if due is not None:
            moments.append(datetime.fromtimestamp(due, now.tzinfo))
        moments += [r.trigger.due for r in self.engine.rules() if r.trigger.due is not None]
        gap = (min(moments) - now).total_seconds() - 120
        if gap > 60:
            self.clock.advance(gap)

    def _sent(self) -> list[dict[str, Any]]:
        """Each command the devices received: when (minutes after 15:00, on the shared clock) and what it set."""
        return [{"device": rec.device_id, "set": rec.applied, "rejected": rec.rejected,
                 "at_min": round(((rec.at or self.clock()) - self.clock.start).total_seconds() / 60, 2)}
                for rec in list(self.bench.sim.commands)]

    def _check(self, case: dict[str, Any], expect: list[dict[str, Any]], sent: list[dict[str, Any]], jobs: list[Any],
               reply: str) -> list[str]:
        problems = []
        if case["group"].endswith("-X"):
            if jobs:
                problems.append(f"scheduled {len(jobs)} job(s) for an infeasible request")
            if sent:
                problems.append(f"sent {len(sent)} command(s)")
            why = case.get("why", "")
            words = [why] if isinstance(why, str) else why  # a list: any of its words
            if not any(w.lower() in reply.lower() for w in words):
                problems.append(f"the reply does not say why ({why!r})")
            return problems
        unused = list(sent)
        for want in expect:
            # the commands to the device around that minute, together (a programme and "on" may come as two)
            near = [g for g in unused if g["device"] == want["device"] and abs(g["at_min"] - want["at_min"]) * 60 <= self.tolerance_s]
            values: dict[str, Any] = {}
            for g in near:
                values.update(g["set"])
            if not near or any(values.get(k) != v for k, v in want["set"].items()):
                seen = [g for g in sent if g["device"] == want["device"]]
                problems.append(f"expected {want['device']} {want['set']} at minute {want['at_min']}; got "
                                f"{[(g['set'], g['at_min']) for g in seen] or 'nothing'}")
                continue
            for g in near:
                unused.remove(g)
        extra = [g for g in unused if not any(g["device"] == w["device"] for w in expect)]
        if extra:
            problems.append(f"changed what it should not: {[(g['device'], g['set'], g['at_min']) for g in extra]}")
        return problems


def load_cases(path: Path) -> list[dict[str, Any]]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {number} is not JSON ({exc.msg})") from exc
    return cases


def run(cases: list[dict[str, Any]], home_file: Path, broker_url: str, *, speed: float = 1200.0, model: Any = None,
        progress: Any = lambda _: None) -> dict[str, Any]:
    """``model``: the local model, for a step the words alone do not give ("make coffee at four"); None: asked about."""
    bench = ScheduleBench(home_file, broker_url, speed=speed, model=model)
    results: list[Result] = []
    started = time.perf_counter()
    try:
        for case in cases:
            result = bench.run_case(case)
            results.append(result)
            progress(f"{'ok  ' if result.passed else 'FAIL'} {result.id:12} {result.text}"
                     + ("" if result.passed else f"\n      {'; '.join(result.problems)}\n      reply: {result.reply}"))
    finally:
        bench.close()
    totals: dict[str, Any] = {}
    for group in (*GROUPS, "all"):
        mine = [r for r in results if r.group == group or group == "all"]
        if mine:
            passed = sum(r.passed for r in mine)
            totals[group] = {"cases": len(mine), "passed": passed, "success": round(100 * passed / len(mine), 1)}
    turns = sorted(r.turn_ms for r in results)
    return {"speed": speed, "tolerance_s": bench.tolerance_s, "wall_s": round(time.perf_counter() - started, 1),
            "turn_p50_ms": round(statistics.median(turns), 1) if turns else None, "totals": totals,
            "cases": [r.to_json() for r in results]}


__all__ = ["GROUPS", "LOCATION", "POLICIES", "START", "Result", "ScheduleBench", "load_cases", "run"]
