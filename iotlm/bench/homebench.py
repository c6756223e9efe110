"""HomeBench (Li et al., ACL 2025) end to end through the simulator, scored like the paper."""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iotlm.bench.harness import BenchHome, open_home
from iotlm.device_drivers.base import CodecError
from iotlm.device_drivers.home import Home, homebench_home
from iotlm.device_drivers.model import Device, Value
from iotlm.device_drivers.zigbee2mqtt import codec as z2m_codec
from iotlm.tools.device_tools import STATE_VERBS, implied_state

CATEGORY_OF = {"normal": "VS", "unexist_device": "IS", "unexist_attribute": "IS"}
CATEGORY_NAMES = {"VS": "valid single", "IS": "invalid single", "VM": "valid multi", "IM": "invalid multi", "MM": "mixed multi"}
# SUCC (%) from the paper, 4 examples in the prompt; order VS, IS, VM, IM, MM, all.
PUBLISHED = {
    "o3-mini": (83.77, 88.36, 57.51, 64.04, 38.49, 74.44),
    "GPT-4o": (74.25, 87.10, 45.71, 61.86, 23.35, 66.85),
    "Qwen2.5-7B": (66.96, 14.07, 37.55, 0.00, 0.49, 29.98),
}


def category(kind: str) -> str:
    if kind in CATEGORY_OF:
        return CATEGORY_OF[kind]
    if kind.endswith("_mix"):
        return "MM"
    return "VM" if kind.endswith("_normal") else "IM"


def split_calls(text: str) -> list[str]:
    """``'''a.b.c(1),error_input,d.e.set_color((1,2,3))'''`` -> calls, without spaces, commas inside () kept."""
    body = text.strip().strip("'").replace(" ", "")
    out, depth, current = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            if current:
                out.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    if current:
        out.append(current)
    return [normalise_call(c) for c in out]


def normalise_call(call: str) -> str:
    if call == "error_input" or "." not in call:
        return call
    head, _, rest = call.partition("(")
    parts = head.split(".")
    parts[0] = re.sub(r"(?<!^)(?=[A-Z])", "_", parts[0]).lower()  # VacuumRobot -> vacuum_robot
    return ".".join(parts) + ("(" + rest if rest else "")


def format_value(value: Value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "(" + ",".join(str(v) for v in value) + ")"
    return str(value)


def call_for(device_id: str, attribute: str, value: Value) -> str:
    if attribute == "state":
        return normalise_call(f"{device_id}.{STATE_VERBS.get(str(value), 'set_state')}()")
    return normalise_call(f"{device_id}.set_{attribute}({format_value(value)})")


def out_of_declared_range(home: Home, calls: list[str]) -> bool:
    """Whether a gold call sets a value outside the range the home itself declares (a data quirk)."""
    devices = {normalise_call(d.id + ".x").rsplit(".", 1)[0]: d for d in home.devices}
    for call in calls:
        match = re.match(r"^(.+)\.set_([a-z_]+)\((-?\d+(?:\.\d+)?)\)$", call)
        if not match:
            continue
        device = devices.get(match.group(1))
        attr = device.attributes.get(match.group(2)) if device else None
        if attr is not None and attr.kind == "numeric":
            v = float(match.group(3))
            if (attr.min is not None and v < attr.min) or (attr.max is not None and v > attr.max):
                return True
    return False


@dataclass
class HBResult:
    id: str
    category: str
    gold: list[str]
    ours: list[str]
    tier: str
    latency_ms: float
    quirk: bool
    reply: str = ""
    gold_refuses_supported: bool = False
    """Failed only because the gold refuses actions whose device and attribute the home declares."""

    @property
    def success(self) -> bool:
        return Counter(self.gold) == Counter(self.ours)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "success": self.success, "gold": self.gold, "ours": self.ours,
                "tier": self.tier, "latency_ms": round(self.latency_ms, 2), "range_quirk": self.quirk,
                "gold_refuses_supported": self.gold_refuses_supported, "reply": self.reply}


def load_cases(data_dir: Path, *, sample: int | None, seed: int, homes: list[int] | None) -> list[dict[str, Any]]:
    with (data_dir / "test_data.jsonl").open(encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh if line.strip()]
    if homes:
        cases = [c for c in cases if c["home_id"] in set(homes)]
    if sample is not None and sample < len(cases):
        cases = random.Random(seed).sample(cases, sample)
    return cases


def load_homes(data_dir: Path, ids: Iterable[int]) -> dict[int, Home]:
    wanted = set(ids)
    homes = {}
    with (data_dir / "home_status_method.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["home_id"] in wanted:
                homes[record["home_id"]] = homebench_home(record)
    return homes


def run_case(bench: BenchHome, case: dict[str, Any], quirk: bool) -> HBResult:
    bench.reset()
    bench.sim.commands.clear()
    start = time.perf_counter()
    result = bench.agent.turn(case["input"], thread=f"hb-{uuid.uuid4().hex[:8]}", yes=True, origin="test")
    latency = (time.perf_counter() - start) * 1000
    bench.runtime.connection.transport.drain()
    bench.transport.drain()
    ours: list[str] = []
    for received in bench.sim.commands:  # what the devices actually received, read back from the wire
        device_id = received.device_id or ""
        wire = bench.sim.wire_device(device_id)
        try:
            values = z2m_codec.decode_state(wire, json.loads(received.payload)) if wire else {}
        except (ValueError, CodecError):
            values = {}
        ours += [call_for(device_id, attr, value) for attr, value in (without_implied(wire, values) if wire else values).items()]
    ours += [call_for(a["device_id"], a["attribute"], a["value"]) for a in result.actions if a["status"] == "already"]
    ours += ["error_input"] * len({r["text"] for r in result.refused})
    gold = split_calls(case["output"])
    out = HBResult(case["id"], category(case["type"]), gold, ours, result.tier, latency, quirk, result.reply)
    if not out.success:
        out.gold_refuses_supported = refuses_supported(bench.home, gold, ours)
    return out


def without_implied(device: Device, values: dict[str, Any]) -> dict[str, Any]:
    """One operation's payload, less the state it implies (a brightness sent with "on", a position with "open"): that
    state is part of the operation, as HomeBench counts calls, not a call of its own."""
    if "state" in values and any(implied_state(device, a, v) == values["state"] for a, v in values.items() if a != "state"):
        return {k: v for k, v in values.items() if k != "state"}
    return values


def refuses_supported(home: Home, gold: list[str], ours: list[str]) -> bool:
    """The only differences: the gold says error_input where we called a device attribute the home declares."""
    missing, extra = Counter(gold) - Counter(ours), Counter(ours) - Counter(gold)
    if set(missing) != {"error_input"} or sum(extra.values()) != missing["error_input"]:
        return False
    devices = {normalise_call(d.id + ".x").rsplit(".", 1)[0]: d for d in home.devices}
    for call in extra:
        match = re.match(r"^(.+)\.([a-z_]+)\(.*\)$", call)
        device = devices.get(match.group(1)) if match else None
        if device is None or match is None:
            return False
        op = match.group(2)
        if op.startswith("set_") and op[4:] not in device.attributes:
            return False
    return True


def run(data_dir: Path, broker_url: str, *, sample: int | None, seed: int, homes: list[int] | None,
        model: Any = None, progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None) -> list[HBResult]:
    cases = load_cases(data_dir, sample=sample, seed=seed, homes=homes)
    by_home: dict[int, list[dict[str, Any]]] = {}
    for case in cases:
        by_home.setdefault(case["home_id"], []).append(case)
    home_objs = load_homes(data_dir, by_home)
    results: list[HBResult] = []
    bar = progress(range(len(cases))) if progress else None
    ticker = iter(bar) if bar is not None else None
    for home_id in sorted(by_home):
        home = home_objs[home_id]
        bench = open_home(home, broker_url, model=model)
        try:
            for case in by_home[home_id]:
                results.append(run_case(bench, case, out_of_declared_range(home, split_calls(case["output"]))))
                if ticker is not None:
                    next(ticker, None)
        finally:
            bench.close()
    return results


def score(results: list[HBResult]) -> dict[str, dict[str, Any]]:
    """SUCC and F1 per category, on the cases whose gold fits the home; quirk cases apart."""
    def block(rs: list[HBResult]) -> dict[str, Any]:
        tp = fp = fn = 0
        for r in rs:
            g, o = Counter(r.gold), Counter(r.ours)
            common = sum((g & o).values())
            tp, fp, fn = tp + common, fp + sum(o.values()) - common, fn + sum(g.values()) - common
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"cases": len(rs), "succ": round(100 * sum(r.success for r in rs) / len(rs), 2) if rs else 0.0,
                "f1": round(100 * f1, 2), "fast_path": round(100 * sum(r.tier == "fast" for r in rs) / len(rs), 1) if rs else 0.0}

    clean = [r for r in results if not r.quirk]
    out = {c: block([r for r in clean if r.category == c]) for c in ("VS", "IS", "VM", "IM", "MM")}
    out["all"] = block(clean)
    out["range_quirk_cases"] = block([r for r in results if r.quirk])
    disputed = [r for r in clean if r.gold_refuses_supported]
    out["gold_refuses_supported"] = {"cases": len(disputed),
                                     "succ_without_them": block([r for r in clean if not r.gold_refuses_supported])["succ"]}
    return out


__all__ = ["CATEGORY_NAMES", "CATEGORY_OF", "PUBLISHED", "HBResult", "call_for", "category", "format_value",
    "load_cases", "load_homes", "normalise_call", "out_of_declared_range", "refuses_supported", "run", "run_case",
    "score", "split_calls", "without_implied"]
