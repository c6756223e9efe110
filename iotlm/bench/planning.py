"""Planning accuracy and latency on a large home, with and without device retrieval (iotlm bench planning).

The home is generated: 50 rooms, each with about ten ordinary devices (512 in all). The requests
are indirect ("it's too dark in the sauna"): the fast path leaves them to the model, which must
pick the right device and operation. Each is planned three ways:

- ``whole-home``: every writable device in the prompt and the grammar (no retrieval at all);
- ``words``: the planner's lexical retrieval only;
- ``words+embeddings``: lexical retrieval topped up by the memory's MiniLM device retrieval
  (what the agent runs).

A plan is right when its first step acts on a device of the expected kind in the named room,
in the expected direction. A question back ("which device do you mean?") counts as not right.

The ``agent`` line is what the agent does now (issue 14): the fast path reads complaints it knows as goals; for the
rest, the model ranks the goals a room can have (:mod:`iotlm.agent.llm.goal_choices`, cached prefix, grammar of goal
names) and the goal planner makes the plan from the effect model; only a request about no goal reaches the device
planner. Its latency is the model's ranking plus planning, per request left to the model.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from iotlm.agent.context.conditions import RoomConditions
from iotlm.agent.context.effects import DEFAULT_EFFECTS
from iotlm.agent.context.goals import Goal, plan_goal
from iotlm.agent.llm.backend import Model
from iotlm.agent.llm.planner import LLMPlanner, PlanResult
from iotlm.agent.understand.parser import Parser
from iotlm.agent.understand.text import normalise
from iotlm.device_drivers.home import Home, parse_home
from iotlm.device_drivers.model import Device

ROOMS = ["kitchen", "living room", "dining room", "master bedroom", "guest bedroom", "kids room", "nursery", "study", "office",
         "library", "gym", "sauna", "laundry room", "utility room", "garage", "workshop", "attic", "cellar", "hallway", "landing",
         "porch", "conservatory", "games room", "cinema room", "music room", "bathroom", "ensuite", "guest bathroom", "playroom",
         "pantry", "boot room", "studio", "loft", "sun room", "den", "snug", "lounge", "reading room", "wine cellar", "tool shed",
         "pool house", "greenhouse", "guest house", "annex", "nanny room", "dressing room", "walk-in closet", "craft room",
         "server room", "mudroom"]

_ON_OFF = {"value": "off", "options": ["on", "off"]}


def _devices_for(room: str, i: int) -> list[dict[str, Any]]:
    slug = room.replace(" ", "_").replace("-", "_")
    light = {"state": dict(_ON_OFF), "brightness": {"value": 60, "min": 0, "max": 100, "unit": "%"}}
    devices: list[dict[str, Any]] = [
        {"id": f"{slug}.ceiling_light", "name": "ceiling light", "type": "light", "attributes": light},
        {"id": f"{slug}.lamp", "name": "lamp", "type": "light", "attributes": light},
        {"id": f"{slug}.blinds", "name": "blinds", "type": "cover",
         "attributes": {"state": {"value": "open", "options": ["open", "closed"]},
                        "position": {"value": 40, "min": 0, "max": 100, "unit": "%"}}},
        {"id": f"{slug}.radiator", "name": "radiator", "type": "climate",
         "attributes": {"mode": {"value": "heat", "options": ["off", "heat", "auto"]},
                        "target_temperature": {"value": 20, "min": 5, "max": 30, "unit": "°C", "step": 0.5},
                        "current_temperature": {"value": 19.5, "min": -20, "max": 50, "unit": "°C", "writable": False}}},
        {"id": f"{slug}.fan", "name": "fan", "type": "fan",
         "attributes": {"state": dict(_ON_OFF), "speed": {"value": "low", "options": ["low", "medium", "high"]}}},
        {"id": f"{slug}.speaker", "name": "speaker", "type": "media_player",
         "attributes": {"state": dict(_ON_OFF), "volume": {"value": 30, "min": 0, "max": 100, "unit": "%"}}},
        {"id": f"{slug}.plug", "name": "smart plug", "type": "outlet", "attributes": {"state": dict(_ON_OFF)}},
        {"id": f"{slug}.motion", "name": "motion sensor", "type": "binary_sensor", "read_only": True,
         "attributes": {"occupancy": {"value": False, "options": [True, False], "writable": False}}},
        {"id": f"{slug}.climate", "name": "temperature sensor", "type": "sensor", "read_only": True,
         "attributes": {"temperature": {"value": 19.5, "min": -20, "max": 60, "unit": "°C", "writable": False}}},
        {"id": f"{slug}.humidifier", "name": "humidifier", "type": "humidifier",
         "attributes": {"state": dict(_ON_OFF), "intensity": {"value": 40, "min": 0, "max": 100, "unit": "%"}}},
    ]
    if i % 2 == 0:
        devices.append({"id": f"{slug}.tv", "name": "tv", "type": "media_player",
                        "attributes": {"state": dict(_ON_OFF), "volume": {"value": 20, "min": 0, "max": 100, "unit": "%"}}})
    for d in devices:
        d["room"] = room
    return devices


def big_home(rooms: int = 50) -> Home:
    devices = [d for i, room in enumerate(ROOMS[:rooms]) for d in _devices_for(room, i)]
    return parse_home({"name": f"big-{len(devices)}", "areas": [{"name": r} for r in ROOMS[:rooms]], "devices": devices})


@dataclass(frozen=True)
class Want:
    """What a right plan does: a device named like ``device`` in the room, changing ``attribute`` ``direction``."""
    template: str
    device: tuple[str, ...]
    moves: tuple[tuple[str, str], ...]  # (attribute, "on" | "off" | "up" | "down" | "open" | "closed")


WANTS = [
    # by day (the bench plans with daylight), opening the half-open blinds is as right as a light
    Want("it's too dark in the {room}", ("ceiling_light", "lamp", "blinds"),
         (("state", "on"), ("brightness", "up"), ("position", "up"))),
    Want("I can barely see anything in the {room}", ("ceiling_light", "lamp", "blinds"),
         (("state", "on"), ("brightness", "up"), ("position", "up"))),
    Want("it's freezing in the {room}", ("radiator",), (("target_temperature", "up"), ("mode", "heat"))),
    Want("I'm shivering in the {room}", ("radiator",), (("target_temperature", "up"), ("mode", "heat"))),
    Want("the air in the {room} is so stuffy", ("fan",), (("state", "on"), ("speed", "up"))),
    Want("the sun is blinding me in the {room}", ("blinds",), (("state", "closed"), ("position", "down"))),
    Want("let some daylight into the {room}", ("blinds",), (("state", "open"), ("position", "up"))),
    Want("I can't hear the music in the {room}", ("speaker",), (("volume", "up"), ("state", "on"))),
    Want("the air in the {room} is too dry", ("humidifier",), (("state", "on"), ("intensity", "up"))),
    # the bench home's lights are off, so by day the light comes in through the blinds: lowering them is right too
    Want("the {room} is lit up like a stadium", ("ceiling_light", "lamp", "blinds"),
         (("state", "off"), ("state", "closed"), ("brightness", "down"), ("position", "down"))),
]


def requests(n: int, seed: int = 0) -> list[tuple[str, str, Want]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        want = WANTS[i % len(WANTS)]
        room = rng.choice(ROOMS)
        out.append((want.template.format(room=room), room, want))
    return out


def right(result: PlanResult, room: str, want: Want, devices: dict[str, Device]) -> bool:
    if not result.steps:
        return False
    step = result.steps[0]
    device = devices.get(step.device_id or "")
    if device is None or device.room != room or device.id.split(".", 1)[1] not in want.device:
        return False
    before = device.attributes[step.attribute or "state"].value if step.attribute in device.attributes else None
    for attribute, direction in want.moves:
        if step.attribute != attribute:
            continue
        if direction in ("up", "down"):
            if isinstance(step.value, (int, float)) and isinstance(before, (int, float)):
                if step.value > before if direction == "up" else step.value < before:
                    return True
            order = ["low", "medium", "high"]
            if step.value in order and before in order:
                if (order.index(str(step.value)) > order.index(str(before))) == (direction == "up"):
                    return True
        elif str(step.value) == direction:
            return True
    return False


def agent_plan(text: str, parser: Parser, conditions: RoomConditions, model: Model, ranker: Any) -> PlanResult:
    """What the agent plans for ``text`` (no device changes: the home is not live here)."""
    clauses = parser.parse(text).clauses
    steps = [s for cl in clauses for s in cl.steps]
    goals = [g for cl in clauses for g in cl.goals]
    if not goals and not steps:
        planner = LLMPlanner(model)
        frame = parser.read(text)
        ranked = ranker.rank(text, parser.room_phrases(frame.rooms)) if ranker is not None and not frame.named and not frame.kinds else None
        if ranked is not None and ranked.goal is not None and frame.rooms:
            if not ranker.sure(ranked):
                return PlanResult(clarify=f"not sure: {ranked.choice} ({ranked.confidence})", confidence=ranked.confidence)
            goals = [Goal(r, ranked.goal[0], ranked.goal[1]) for r in frame.rooms]
        else:
            return planner.plan(text, parser)
    for goal in goals:
        steps += plan_goal(goal, parser.index, conditions, DEFAULT_EFFECTS, daylight=True, text=normalise(text)).steps
    return PlanResult(steps=steps)


class WholeHome(LLMPlanner):
    """The planner with every writable device offered: what it would be without retrieval."""

    def relevant(self, text: str, parser: Parser, room: str | None = None) -> list[Device]:
        return [d for d in parser.devices.values() if any(a.writable for a in d.attributes.values())]


def run(model: Model, retriever: Callable[[str, list[Device]], list[Device]] | None, *, ranker: Any = None,
        whole_home_model: Model | None = None,
        n: int = 40, whole_home_n: int = 10, seed: int = 0, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """``whole_home_model`` is the same GGUF loaded with a context long enough for every device (None: not run)."""
    home = big_home()
    parser = Parser(home.devices)
    devices = {d.id: d for d in home.devices}
    cases = requests(n, seed)
    conditions = RoomConditions(home.devices)
    left_to_model, fast_right = [], 0
    for text, room, want in cases:
        clauses = parser.parse(text).clauses
        steps = [s for cl in clauses for s in cl.steps]
        for goal in (g for cl in clauses for g in cl.goals):
            steps += plan_goal(goal, parser.index, conditions, DEFAULT_EFFECTS, daylight=True, text=normalise(text)).steps
        if steps or any(cl.refusal or cl.goals for cl in clauses):
            fast_right += right(PlanResult(steps=steps), room, want, devices)
        else:
            left_to_model.append((text, room, want))
    configs: list[tuple[str, LLMPlanner, int]] = [
        ("words", LLMPlanner(model), n),
        ("words+embeddings", LLMPlanner(model, retriever=retriever), n),
    ]
    if whole_home_model is not None:
        configs.append(("whole-home", WholeHome(whole_home_model), whole_home_n))
    results: dict[str, Any] = {"home_devices": len(home.devices), "requests": len(cases),
                               "fast_path": {"cases": len(cases) - len(left_to_model), "right": fast_right},
                               "left_to_the_model": len(left_to_model), "configs": {}}
    # what the agent does now with what the fast path leaves: the goal head, then the device planner
    agent_times, agent_right = [], 0
    for text, room, want in left_to_model:
        start = time.perf_counter()
        result = agent_plan(text, parser, conditions, model, ranker)
        agent_times.append((time.perf_counter() - start) * 1000)
        ok = right(result, room, want, devices)
        agent_right += ok
        progress(f"agent: {'ok ' if ok else 'no '} {text} -> {[s.describe() for s in result.steps] or result.clarify}")
    ordered_agent = sorted(agent_times)
    results["agent"] = {"cases": len(left_to_model), "right": agent_right,
                        "p50_ms_all": round(statistics.median(ordered_agent), 1) if ordered_agent else None}
    for name, planner, limit in configs:
        if name == "words+embeddings" and retriever is None:
            continue
        times, hits, prompt_devices = [], 0, []
        for text, room, want in left_to_model[:limit]:
            offered = planner.relevant(text, parser)
            start = time.perf_counter()
            result = planner.plan(text, parser)
            times.append((time.perf_counter() - start) * 1000)
            prompt_devices.append(len(offered))
            ok = right(result, room, want, devices)
            hits += ok
            progress(f"{name}: {'ok ' if ok else 'no '} {text} -> {[s.describe() for s in result.steps] or result.clarify}")
        ordered = sorted(times)
        results["configs"][name] = {
            "cases": len(times), "right": hits, "accuracy": round(100 * hits / max(1, len(times)), 1),
            "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
            "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1) if ordered else None,
            "first_ms": round(times[0], 1) if times else None,
            "devices_in_prompt": round(statistics.mean(prompt_devices), 1) if prompt_devices else 0,
        }
    return results


__all__ = ["ROOMS", "WANTS", "Want", "WholeHome", "agent_plan", "big_home", "requests", "right", "run"]
