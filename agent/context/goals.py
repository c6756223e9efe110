"""Goals from implicit requests: "the utility room must be too warm" is (utility room, temperature, down).

:func:`read_goal` finds the condition and direction in a complaint; :func:`plan_goal` turns a goal, the room's
readings and the effect model into the smallest plan that moves the condition the right way, with concrete values,
or a refusal that says why nothing in the room can (and names what the room has).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from iotlm.agent.context.conditions import CONDITIONS, Reading, RoomConditions
from iotlm.agent.context.effects import AIR_GOALS, Effect, effects_for, serves, working_steps
from iotlm.agent.understand.complaint import Goal, read_goal
from iotlm.agent.understand.index import HomeIndex
from iotlm.agent.understand.result import ReadResult
from iotlm.agent.understand.text import has
from iotlm.automations.describe import join
from iotlm.device_drivers.model import Device, describe_device
from iotlm.policies.model import Step
from iotlm.tools.device_tools import STATE_VERBS

_VERBS = {("temperature", "down"): "cool {it}", ("temperature", "up"): "warm {it}", ("humidity", "up"): "raise {its} humidity",
          ("humidity", "down"): "lower {its} humidity", ("illuminance", "up"): "make {it} brighter",
          ("illuminance", "down"): "make {it} darker", ("stuffy", "down"): "freshen {its} air", ("dusty", "down"): "clean {its} air",
          ("smoky", "down"): "clean {its} air", ("volume", "up"): "make {it} louder", ("volume", "down"): "make {it} quieter"}


@dataclass
class GoalPlan(ReadResult):
    reading: str | None = None
    """The reading it acted on, in words ("the utility room is 29.5 °C, too warm ...")."""
    note: str | None = None


def readings_for(goal: Goal, conditions: RoomConditions) -> list[Reading]:
    names = {"stuffy": ("co2", "voc", "pm25", "pm10"), "dusty": ("pm25", "pm10"), "smoky": ("pm25", "pm10", "voc")}.get(
        goal.condition, (goal.condition,))
    return [r for name in names if (r := conditions.read(goal.room, name)) is not None]


def plan_goal(goal: Goal, index: HomeIndex, conditions: RoomConditions, effects: Iterable[Effect], *,
              daylight: bool, text: str = "") -> GoalPlan:
    """The smallest plan for ``goal``: the first device (by the effects' rank, an effect the words cue first) that can
    be put to work or do one notch more; else a refusal naming what the room has. ``text``: the request's words."""
    readings = readings_for(goal, conditions)
    said = "; ".join(conditions.describe(r) for r in readings) or None
    wanted = AIR_GOALS.get(goal.condition, (goal.condition,))
    chosen = [e for c in wanted for e in effects_for(tuple(effects), c, goal.direction)]
    in_room = [d for d in index.devices.values() if (d.room or "").lower() == goal.room]
    cued = [e for e in chosen if any(has(text, c) for c in e.cues)
            and any(serves(e, d, index.device_kinds[d.id]) for d in in_room)]
    if cued:  # "let the daylight in": the blinds, or why not; never the lights instead
        chosen = cued
    chosen.sort(key=lambda e: e.rank)
    reading = next((r.value for r in readings if r.condition == goal.condition), None)
    band = conditions.bands.for_room(goal.condition, goal.room) if goal.condition in CONDITIONS else (None, None)
    could: list[Device] = []
    night: list[Device] = []
    for effect in chosen:
        for device in in_room:
            if not serves(effect, device, index.device_kinds[device.id]):
                continue
            if effect.daylight and not daylight:
                night.append(device)
                continue
            if device.availability == "offline":
                could.append(device)
                continue
            changes = working_steps(effect, device, reading=reading, band=band)
            if changes:
                steps = [change_step(device, c.attribute, c.value) for c in changes]
                return GoalPlan(steps=steps, reading=said, note=effect.note or None)
            could.append(device)
    template = _VERBS.get((goal.condition, goal.direction), "change {it}")
    verb = template.format(it=f"the {goal.room}", its=f"the {goal.room}'s")
    if could:
        names = [_state(d) for d in {d.id: d for d in could}.values()]
        return GoalPlan(reading=said, refusal=f"nothing more can {verb}: {join(names, 'and')} "
                                                f"{'is' if len(names) == 1 else 'are'} already doing all {'it' if len(names) == 1 else 'they'} can")
    names = sorted({d.name for d in in_room})
    if night:
        return GoalPlan(reading=said, refusal=f"it is dark outside, so opening the {join(sorted({d.name for d in night}), 'and')} "
                                              f"would not {verb}, and nothing else there can; it has: {', '.join(names)}")
    if not names:
        return GoalPlan(reading=said, refusal=f"there is no room called {goal.room}")
    return GoalPlan(reading=said, refusal=f"nothing in the {goal.room} can {template.format(it='it', its='its')}; it has: {', '.join(names)}")


def change_step(device: Device, attribute: str, value: object) -> Step:
    """The step that sets ``attribute`` of ``device`` to ``value``."""
    if attribute == "state":
        op = STATE_VERBS.get(str(value), "set_state")
    else:
        op = f"set_{attribute}"
    return Step(tool=f"{device.id}.{op}", device_id=device.id, operation=op, attribute=attribute, value=value)  # type: ignore[arg-type]


def _state(device: Device) -> str:
    bits = [f"{n.replace('_', ' ')} {a.value}" for n, a in device.attributes.items()
            if a.writable and a.value is not None and n in ("state", "mode", "temperature", "target_temperature", "fan_speed",
                                                              "speed", "intensity", "brightness", "position")]
    name = describe_device(device, device.id, room="when_needed")
    return f"{name} ({', '.join(bits)})" if bits else name


__all__ = ["Goal", "GoalPlan", "change_step", "plan_goal", "read_goal", "readings_for"]
