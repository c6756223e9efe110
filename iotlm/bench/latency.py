"""Latency, memory and cold-start figures of the agent on this machine (iotlm bench latency)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from iotlm.agent.llm.backend import LocalModel, default_model_path
from iotlm.agent.session import Agent
from iotlm.bench.harness import models_dir, scratch
from iotlm.config import load_settings
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import EXAMPLE_HOME, load_home
from iotlm.device_drivers.simulator import Simulator
from iotlm.device_drivers.transport import Transport
from iotlm.runtime import build_runtime

ROOT = Path(__file__).resolve().parents[2]

FAST = [
    "turn on the kitchen light", "turn off the kitchen light", "set the bedroom light to 40%", "set the bedroom light to 60%",
    "dim the living room to 30%", "dim the living room to 50%", "switch on the coffee machine", "switch off the coffee machine",
    "set the bedroom fan to high", "set the bedroom fan to low", "open the bedroom curtains halfway", "close the bedroom curtains",
    "turn the tv volume up by 10", "turn the tv volume down by 10", "set the living room thermostat to 22 degrees",
    "set the living room thermostat to 21 degrees", "turn on the hallway and bathroom lights", "turn off the hallway and bathroom lights",
    "plz trun on the kitchn light", "kitchen light off please", "make the office desk lamp brighter", "make the office desk lamp dimmer",
]
LLM = ["wake up the desk lamp", "it is far too gloomy by the desk", "get the coffee going", "the bedroom is stuffy",
       "the office is pitch black", "I'd love some coffee", "I'm dripping with sweat in the office"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 2)


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99),
            "mean": round(statistics.mean(values), 2)} if values else {"n": 0}


def vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def broker_round_trip(broker_url: str, n: int = 300) -> dict[str, float]:
    """Command -> device-reported state through the broker, no agent: the floor to compare with."""
    from iotlm.device_drivers.probe import round_trip_ms

    return summary(round_trip_ms(load_home(EXAMPLE_HOME), broker_url, "kitchen.light", "brightness",
                                 [10 + i for i in range(80)], n))


def run(rounds: int = 3) -> dict[str, Any]:
    home = load_home(EXAMPLE_HOME)
    data_dir = scratch("iotlm-bench-")
    model_path = default_model_path(models_dir())
    results: dict[str, Any] = {"machine": f"{os.cpu_count()} cores", "model": model_path.name}
    with EmbeddedBroker() as broker:
        results["broker"] = broker.impl
        results["broker_round_trip_ms"] = broker_round_trip(broker.url)
        sim_t = Transport(broker.url).start()
        Simulator(home, sim_t).start()
        settings = load_settings({"home": str(data_dir), "model": str(model_path)}, environ={})
        runtime = build_runtime(settings, broker.url)
        runtime.connection.start()
        runtime.connection.registry.wait_for_devices([d.id for d in home.devices], 10)
        time.sleep(0.5)
        model = LocalModel(model_path)
        agent = Agent(runtime, model=model, floors={a.name: a.floor for a in home.areas if a.floor})
        transport = runtime.connection.transport
        original = transport.publish
        first_publish: list[float] = []

        def timed_publish(*a: Any, **kw: Any) -> bool:
            if not first_publish:
                first_publish.append(time.perf_counter())
            return original(*a, **kw)

        transport.publish = timed_publish  # type: ignore[method-assign]
        to_publish, turn_ms = [], []
        for _ in range(rounds):
            for text in FAST:
                first_publish.clear()
                start = time.perf_counter()
                result = agent.turn(text, thread="bench")
                if result.tier != "fast":
                    raise RuntimeError(f"the fast path did not handle {text!r}: {result.reply}")
                turn_ms.append((time.perf_counter() - start) * 1000)
                if first_publish:
                    to_publish.append((first_publish[0] - start) * 1000)
        results["fast_path"] = {"utterance_to_command_published_ms": summary(to_publish),
                                "turn_including_device_confirmation_ms": summary(turn_ms)}
        llm_ms: list[float] = []
        tokens: list[dict[str, int]] = []
        start = time.perf_counter()
        agent.turn(LLM[0], thread="bench-llm")
        results["llm_first_turn_cold_ms"] = round((time.perf_counter() - start) * 1000, 1)
        head_ms: list[float] = []
        for _ in range(rounds):
            for text in LLM:
                calls = model.calls
                start = time.perf_counter()
                result = agent.turn(text, thread="bench-llm")
                took = (time.perf_counter() - start) * 1000
                if model.calls > calls:
                    llm_ms.append(took)
                    tokens.append(dict(model.last_usage))
                elif result.tier == "llm":  # ranked by the goal head and planned from the effect model, no completion
                    head_ms.append(took)
        results["llm_path_warm_ms"] = summary(llm_ms)
        results["goal_head_path_warm_ms"] = summary(head_ms)
        # (after the cold figures: the process has the embedder loaded now, so this is the model's part)
        # a long-lived session (chat, the demo) warms up in the background while the person starts talking: the
        # first request beyond the fast path, once that is done
        warm_model = LocalModel(model_path)
        warm = Agent(runtime, model=warm_model, threads_db=data_dir / "warm-threads.db")
        started = time.perf_counter()
        warm.warm_up().join()
        results["warm_up_background_ms"] = round((time.perf_counter() - started) * 1000, 1)
        start = time.perf_counter()
        warm.turn(LLM[0], thread="bench-warm")
        results["llm_first_turn_after_warm_up_ms"] = round((time.perf_counter() - start) * 1000, 1)
        warm.close()
        warm_model.close()
        results["llm_tokens_per_turn"] = {"prompt": round(statistics.mean(t["prompt_tokens"] for t in tokens), 1),
                                          "completion": round(statistics.mean(t["completion_tokens"] for t in tokens), 1)}
        results["llm_tokens_per_s"] = round(sum(t["prompt_tokens"] + t["completion_tokens"] for t in tokens) / (sum(llm_ms) / 1000), 1)
        agent.close()
        model.close()
        runtime.stop()

        env = {**os.environ, "IOTLM_HOME": str(data_dir), "IOTLM_BROKER": broker.url, "IOTLM_MODEL": str(model_path)}
        cold = []
        for text in ("turn on the kitchen light", "turn off the kitchen light"):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "iotlm.cli", "ask", text, "--json"], env=env, cwd=ROOT, check=True,
                           capture_output=True)
            cold.append(round((time.perf_counter() - start) * 1000, 1))
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "iotlm.cli", "ask", LLM[0], "--json"], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        results["ask_cold_start_ms"] = {"fast_path": cold, "llm_path_with_model_load": round((time.perf_counter() - start) * 1000, 1)}

        chat = subprocess.Popen([sys.executable, "-m", "iotlm.cli", "chat"], env=env, cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert chat.stdin is not None and chat.stdout is not None
        chat.stdin.write(LLM[0] + "\n")
        chat.stdin.flush()
        chat.stdout.readline()
        kids = children(chat.pid)
        peak_chat, peak_model = vm_hwm_kb(chat.pid), max((vm_hwm_kb(k) for k in kids), default=0)
        chat.stdin.write("exit\n")
        chat.stdin.flush()
        chat.wait(timeout=30)
        results["chat_peak_rss_mb"] = {"chat_process": round(peak_chat / 1024, 1), "model_process": round(peak_model / 1024, 1),
                                       "total": round((peak_chat + peak_model) / 1024, 1)}
        sim_t.stop()
    return results


__all__ = ["FAST", "LLM", "ROOT", "broker_round_trip", "children", "pct", "run", "summary", "vm_hwm_kb"]
