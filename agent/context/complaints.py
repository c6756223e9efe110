"""Complaints and questions about a room's conditions: answered from its readings, planned as goals with the effect
model (the fast path's goals, and the goal the ranker chose for words it could not read)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from iotlm.agent.context.conditions import RoomConditions
from iotlm.agent.context.effects import push
from iotlm.agent.context.goals import Goal, plan_goal
from iotlm.agent.state import AgentState
from iotlm.agent.understand.complaint import read_goal
from iotlm.agent.understand.learned import asked_way
from iotlm.agent.understand.text import normalise
from iotlm.device_drivers.clock import TimeOfDay, Window, sun_up
from iotlm.device_drivers.model import describe_device
from iotlm.tools.device_tools import implied_values

if TYPE_CHECKING:
    from iotlm.agent.nodes import Deps

__all__ = ["conditions_and_goals", "daylight", "guard", "plan_goals", "ranked_goal", "said_goals"]


def daylight(conditions: RoomConditions, now: datetime, latitude: float | None = None, longitude: float | None = None) -> bool:
    """Whether there is daylight to let in: an outdoor light sensor says so; else the sun, where the home's place is
    set ([schedule] latitude and longitude); else the time of day (07:00-19:00)."""
    for room in conditions.rooms():
        if any(w in room for w in ("outdoor", "outside", "garden", "yard", "exterior")):
            reading = conditions.read(room, "illuminance")
            if reading is not None:
                return reading.value >= 1000
    if latitude is not None and longitude is not None:
        return sun_up(now, latitude, longitude)
    return Window(TimeOfDay(7), TimeOfDay(19)).contains(now.time())


def conditions_and_goals(clause: Any, fresh: dict[str, Any], deps: Deps, several: bool) -> None:
    """Answer a question about a room's conditions from its readings; plan a goal from them and the effect model."""
    fresh["goals"] = [*fresh.get("goals", []), *({"clause": clause.text, "room": g.room, "condition": g.condition,
                                                    "direction": g.direction} for g in clause.goals)]
    conditions = deps.conditions()
    for room, asked in clause.conditions:
        fresh["answers"].append(conditions.answer(room, asked))
    plan_goals(clause.goals, clause.text, clause.text, fresh, deps, conditions, several=several)


def plan_goals(goals: list[Goal], text: str, words: str, into: dict[str, Any], deps: Deps, conditions: RoomConditions, *,
                several: bool = False) -> None:
    """Plan each goal from the readings and the effect model into the turn's state: the reading it acted on first in
    the reply, the steps (for ``text``, the clause), or why nothing can; ``words``: the clause as normalised."""
    light = daylight(conditions, deps.executor.now(), deps.schedule.latitude, deps.schedule.longitude)
    for goal in goals:
        plan = plan_goal(goal, deps.parser().index, conditions, deps.effects, daylight=light, text=words)
        if plan.reading:
            into["preface"].append(plan.reading)
        if plan.refusal:
            into["refused"].append({"text": text, "reason": plan.refusal, "code": "infeasible", "name_clause": several})
        if plan.note:
            into["answers"].append(plan.note)
        into["steps"] += [s.model_copy(update={"clause": text}).model_dump() for s in plan.steps]


def ranked_goal(text: str, state: AgentState, deps: Deps, found: dict[str, Any]) -> str | None:
    """A request about a room in words the fast path does not know ("it's like a sauna in the study"): the goal the
    model ranked first (see :func:`retrieve`), planned by the goal planner. Returns None when the request is not about
    a room's conditions (the device planner takes it), "" when planned, or a question back."""
    ranked = (state.get("ranked") or {}).get(text)
    if ranked is None:
        return None
    said_in = state.get("room")
    rooms = ranked["rooms"] or ([said_in.lower()] if said_in else [])
    if not ranked["sure"]:
        where = f"the {rooms[0]}" if rooms else "the room"
        return f"I'm not sure what you'd like. Do you want {where} {ranked['choice']}? Say it in other words if not"
    if not rooms:
        return f"Which room would you like {ranked['choice']}?"
    parser = deps.parser()
    asked = asked_way(text, parser.read(text), parser.readers)
    condition, direction = ranked["goal"][0], ranked["goal"][1]
    if asked is not None and asked[1] == _MEASURED_BY.get(condition) and asked[0] != direction:
        # "make a room darker" ranked as "too dark": the words ask the other way, so ask rather than brighten it
        more = "more" if asked[0] == "up" else "less"
        return f"I'm not sure which way you'd like the {rooms[0]}: {more} {asked[1]}? Say it with the level you want"
    goals = [Goal(room, condition, direction) for room in rooms]
    plan_goals(goals, text, normalise(text), found, deps, deps.conditions())
    return ""


_MEASURED_BY = {"illuminance": "brightness", "temperature": "temperature"}
"""A goal's condition, and the level a request changes to move it (how the learned reader names it)."""


def said_goals(text: str, rooms: list[str]) -> list[dict[str, str]]:
    """The goals a complaint the fast path could not read still says ("the bathroom light is way too glaring"): its
    condition and direction from its words, in the rooms it names (or where it was said)."""
    found = read_goal(normalise(text))
    if found is None or not rooms:
        return []
    return [{"clause": text, "room": room, "condition": found[0], "direction": found[1]} for room in rooms]


def guard(steps: list[dict[str, Any]], goals: list[dict[str, str]], deps: Deps) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """A complaint acts only in its room and only through what moves its condition its way (the effect model),
    whichever tier planned it: the other steps of its clause are dropped, each with why."""
    by_clause: dict[str, list[dict[str, str]]] = {}
    for goal in goals:
        by_clause.setdefault(goal["clause"], []).append(goal)
    kept, dropped = [], []
    index = deps.parser().index
    together: dict[tuple[str, str], dict[str, Any]] = {}  # a plan's steps on one device work together (on, cool, fan)
    for raw in steps:
        if raw.get("device_id") and raw.get("attribute"):
            together.setdefault((raw.get("clause") or "", raw["device_id"]), {})[raw["attribute"]] = raw.get("value")
    for raw in steps:
        wanted = by_clause.get(raw.get("clause") or "")
        device = index.devices.get(raw.get("device_id") or "")
        if not wanted or device is None or raw.get("attribute") is None:
            kept.append(raw)
            continue
        room = (device.room or "").lower()
        here = [g for g in wanted if g["room"] == room]
        name = describe_device(device, room="always")
        if not here:
            dropped.append({"text": raw.get("clause") or "", "code": "outside_room",
                            "reason": f"I left {name} alone: it is not in the {wanted[0]['room']}"})
            continue
        goal = here[0]
        change = dict(together[(raw.get("clause") or "", device.id)])
        for attribute, value in list(change.items()):
            change = {**implied_values(device, attribute, value), **change}
        way = push(deps.effects, device, index.device_kinds.get(device.id, set()), change, goal["condition"])
        if (way > 0) != (goal["direction"] == "up") or way == 0:
            what = goal["condition"].replace("illuminance", "light level")
            why = "would move it the wrong way" if way else "does not change it"
            dropped.append({"text": raw.get("clause") or "", "code": "wrong_way",
                            "reason": f"I left {name} alone: by what I know of it, that {why} ({what})"})
            continue
        kept.append(raw)
    return kept, dropped
