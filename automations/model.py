"""Automation rules: a trigger, conditions, actions; checked against the devices that exist.

A rule is plain data (pydantic), stored in SQLite and also loadable from a YAML file::

    rules:
      - id: hallway-night-light
        when: {device: hallway.motion, attribute: occupancy, to: true}
        if: {after: "22:00", before: "06:00"}
        do:
          - {device: hallway.light, set: {brightness: 20}, for: 5m}
        cooldown: 30s

Trigger semantics: a rule fires when a device report matches its trigger and the rule is
armed; firing disarms it, and a report that does not match re-arms it. So "above 24" fires
once when the bedroom warms past 24 and again only after it has been 24 or below; a motion
sensor that keeps reporting "occupied" fires once. ``each: true`` fires on every matching
report (buttons). ``for`` requires the match to hold that long. ``at`` (with ``days``) is a
time-of-day schedule instead of a device.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from iotlm.device_drivers.clock import TimeOfDay, Window, aware, clock_of
from iotlm.device_drivers.model import Device, Value
from iotlm.errors import UserError
from iotlm.policies.model import Decision, Step
from iotlm.tools.device_tools import device_operations

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)?\s*$")


def seconds(value: Any) -> float | None:
    """``300``, ``"300s"``, ``"5m"``, ``"5 minutes"``, ``"1h"`` -> seconds."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m or 1h")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"{value} is negative; a duration is 0 or more")
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 5m or 1h")
    number, unit = float(match.group(1)), (match.group(2) or "s")
    return number / 1000 if unit == "ms" else number * (60 if unit[0] == "m" else 3600 if unit[0] == "h" else 1)


def clock(value: Any) -> str:
    """``"22:00"``, ``"7:05"``, ``"10 pm"``, ``"noon"`` -> ``"HH:MM"`` (read as chat reads a time: :func:`clock_of`)."""
    hour, minute, _ = clock_of(str(value))
    return f"{hour:02d}:{minute:02d}"


def days(value: Any) -> list[str]:
    """``"weekdays"``, ``["mon", "Friday"]``, ``"daily"`` -> sorted day abbreviations (mon..sun)."""
    if value is not None and not isinstance(value, str | list | tuple):
        raise ValueError(f"days must be a day, a list of days, 'weekdays' or 'weekends', not {value!r}")
    items = [value] if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for item in items:
        word = str(item).strip().lower()
        if word in ("weekdays", "workdays"):
            out += DAYS[:5]
        elif word in ("weekends", "weekend"):
            out += DAYS[5:]
        elif word in ("daily", "every day", "all"):
            out += DAYS
        elif word[:3] in DAYS:
            out.append(word[:3])
        else:
            raise ValueError(f"{item!r} is not a day; use mon..sun, weekdays or weekends")
    return sorted(set(out), key=DAYS.index)


Days = Annotated[list[str], BeforeValidator(days)]
Clock = Annotated[str | None, BeforeValidator(lambda v: None if v is None else clock(v))]
Seconds = Annotated[float | None, BeforeValidator(seconds)]


def _between(value: Value, above: float | None, below: float | None) -> bool:
    """A number strictly above ``above`` and strictly below ``below`` (each optional); anything else is not."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    return (above is None or value > above) and (below is None or value < below)


class Trigger(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    device: str | None = None
    attribute: str | None = None
    to: Value = None
    above: float | None = None
    below: float | None = None
    each: bool = False
    for_s: Seconds = Field(default=None, alias="for")
    at: Clock = None
    days: Days = Field(default_factory=list)
    due: datetime | None = None
    """One moment (a job: "in 20 minutes", "tomorrow at 7"), ISO 8601 with its time zone."""

    @field_validator("due")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else aware(value)

    @model_validator(mode="after")
    def _shape(self) -> Trigger:
        kinds = [k for k, v in (("a device", self.device), ("at", self.at), ("due", self.due)) if v is not None]
        if not kinds:
            raise ValueError("a trigger needs a device (when a device reports something), at (a time of day) "
                             "or due (one moment, ISO 8601)")
        if len(kinds) > 1:
            raise ValueError(f"a trigger is one of a device, a time of day (at) or a moment (due), not {' and '.join(kinds)}")
        if self.above is not None and self.below is not None and self.above >= self.below:
            raise ValueError(f"above {self.above} and below {self.below} can never both hold")
        if self.to is not None and (self.above is not None or self.below is not None):
            raise ValueError("use either to (a value) or above/below (a threshold), not both")
        return self

    def matches(self, value: Value) -> bool:
        if self.above is not None or self.below is not None:
            return _between(value, self.above, self.below)
        if self.to is not None:
            return bool(value == self.to)
        return True  # any report of the attribute


class Condition(BaseModel):
    """All given parts must hold: a time window, days, another device's state."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    after: Clock = None
    before: Clock = None
    days: Days = Field(default_factory=list)
    device: str | None = None
    attribute: str | None = None
    is_: Value = Field(default=None, alias="is")
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _shape(self) -> Condition:
        if self.device is not None and self.is_ is None and self.above is None and self.below is None:
            raise ValueError(f"the condition on {self.device} needs is, above or below")
        if self.device is None and (self.is_ is not None or self.above is not None or self.below is not None):
            raise ValueError("is/above/below in a condition need a device")
        return self

    def holds(self, now: datetime, state: Value = None) -> bool:
        if self.days and DAYS[now.weekday()] not in self.days:
            return False
        if self.after or self.before:
            start = _time(self.after) if self.after else TimeOfDay(0, 0)
            if self.before:
                inside = Window(start, _time(self.before)).contains(now.time())
            else:
                inside = now.time() >= start  # until midnight
            if not inside:
                return False
        if self.device is not None:
            if self.is_ is not None and state != self.is_:
                return False
            if (self.above is not None or self.below is not None) and not _between(state, self.above, self.below):
                return False
        return True


def _time(hhmm: str) -> TimeOfDay:
    hour, minute = hhmm.split(":")
    return TimeOfDay(int(hour), int(minute))


class Action(BaseModel):
    """Set attributes of one device; optionally after a delay, and put back after ``for``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    device: str
    set: dict[str, Value]
    delay_s: Annotated[float, BeforeValidator(seconds)] = Field(default=0.0, alias="after")
    revert_s: Seconds = Field(default=None, alias="for")

    @field_validator("set")
    @classmethod
    def _some(cls, value: dict[str, Value]) -> dict[str, Value]:
        if not value:
            raise ValueError("set needs at least one attribute, e.g. {state: on}")
        return value


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    text: str = ""
    """The sentence it was written from, if any."""
    trigger: Trigger = Field(alias="when")
    conditions: list[Condition] = Field(default_factory=list, alias="if")
    actions: list[Action] = Field(alias="do")
    cooldown_s: Annotated[float, BeforeValidator(seconds)] = Field(default=0.0, alias="cooldown")
    enabled: bool = True
    owner: str = "owner"
    approved_risky: bool = False
    """Risky actions (locks, garage doors, ovens) were approved when the rule was accepted."""
    approved: list[str] | None = None
    """Which of them, step by step (:func:`approval_key`): only the steps the owner could do when they approved it.
    None (a rules.yaml rule an admin wrote): ``approved_risky`` approves every step, as the owner's role allows."""
    kind: Literal["rule", "job"] = "rule"
    """A job runs once ("in 20 minutes ...", "after the dishwasher finishes ..."), then is done."""
    note: str = ""
    """For a job: what became of it (ran late, dropped, cancelled), said in `rules list`."""

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", value):
            raise ValueError(f"{value!r}: a rule id is 1-64 of a-z, 0-9, '-', '_', '.', starting with a letter or digit")
        return value

    @field_validator("conditions", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("actions")
    @classmethod
    def _actions(cls, value: list[Action]) -> list[Action]:
        if not value:
            raise ValueError("a rule needs at least one action (do)")
        return value

    def approves(self, step: Step) -> bool:
        """Whether the owner approved this step in advance (the gate still refuses what their role may not do)."""
        if not self.approved_risky:
            return False
        return self.approved is None or approval_key(step) in self.approved

    def devices(self) -> set[str]:
        out = {a.device for a in self.actions} | {c.device for c in self.conditions if c.device}
        return out | ({self.trigger.device} if self.trigger.device else set())


def step_for(device: Device, attribute: str, value: Value) -> Step:
    """The device operation that sets ``attribute`` to ``value`` (turn_on, lock, set_brightness...)."""
    attr = device.attributes.get(attribute)
    if attr is None:
        raise UserError(f"{device.id} has no {attribute!r}; it has: {', '.join(device.attributes)}")
    if not attr.writable:
        raise UserError(f"{device.id}.{attribute} can only be read")
    checked = attr.check(value)
    for op in device_operations(device):
        if op.attribute == attribute and (op.takes_value or op.value == checked):
            try:
                return op.step(device, {"value": checked} if op.takes_value else {})
            except Exception as exc:  # ToolInputError: say it as a rule problem
                raise UserError(str(exc)) from exc
    raise UserError(f"nothing sets {device.id}.{attribute} to {value!r}")


def _attribute_of(out: list[str], devices: dict[str, Device], where: str, device_id: str | None,
                  attribute: str | None) -> Any:
    """The attribute a rule part reads, or None with the reason added to ``out``."""
    if device_id is None:
        return None
    device = devices.get(device_id)
    if device is None:
        near = sorted(d for d in devices if device_id.split(".")[-1] in d)[:5]
        out.append(f"{where}: no device {device_id!r}" + (f"; similar: {', '.join(near)}" if near else ""))
        return None
    if attribute is None:
        out.append(f"{where}: say which attribute of {device_id}; it has: {', '.join(device.attributes)}")
        return None
    attr = device.attributes.get(attribute)
    if attr is None:
        out.append(f"{where}: {device_id} has no {attribute!r}; it has: {', '.join(device.attributes)}")
    return attr


def _compare(out: list[str], where: str, attr: Any, value: Value, above: float | None, below: float | None) -> None:
    """Whether a rule part's value or threshold fits the attribute; the reason added to ``out`` when not."""
    if attr is None:
        return
    if (above is not None or below is not None) and attr.kind != "numeric":
        out.append(f"{where}: above/below need a number, but {attr.kind} values are "
                   f"{', '.join(map(str, attr.options or [])) or attr.kind}")
    if value is not None:
        try:
            attr.check(value)
        except ValueError as exc:
            out.append(f"{where}: {value!r} is not a value it can report ({exc})")


def problems(rule: Rule, devices: dict[str, Device]) -> list[str]:
    """What is wrong with the rule against the devices that exist (empty: it can run)."""
    out: list[str] = []

    def attribute_of(where: str, device_id: str | None, attribute: str | None) -> Any:
        return _attribute_of(out, devices, where, device_id, attribute)

    def compare(where: str, attr: Any, value: Value, above: float | None, below: float | None) -> None:
        _compare(out, where, attr, value, above, below)

    t = rule.trigger
    compare("when", attribute_of("when", t.device, t.attribute), t.to, t.above, t.below)
    for i, c in enumerate(rule.conditions, 1):
        compare(f"if #{i}", attribute_of(f"if #{i}", c.device, c.attribute or ("state" if c.device else None)),
                c.is_, c.above, c.below)
    for i, a in enumerate(rule.actions, 1):
        device = devices.get(a.device)
        if device is None:
            attribute_of(f"do #{i}", a.device, None)
            continue
        for attribute, value in a.set.items():
            try:
                step_for(device, attribute, value)
            except ValueError as exc:
                out.append(f"do #{i}: {exc}")
    return out


def approval_key(step: Step) -> str:
    """How an approved step is named in a rule: ``front_door.lock.state="unlocked"``."""
    return f"{step.device_id}.{step.attribute}={json.dumps(step.value)}"


def _decided(rule: Rule, devices: dict[str, Device], decide: Callable[[Step, Device], Decision]) -> Iterator[tuple[Step, Decision]]:
    """Each step of the rule's actions with what the gate would decide about it (steps that cannot be made are left to
    :func:`problems`)."""
    for action in rule.actions:
        device = devices.get(action.device)
        if device is None:
            continue
        for attribute, value in action.set.items():
            try:
                step = step_for(device, attribute, value)
            except ValueError:
                continue
            yield step, decide(step, device)


def approvable(rule: Rule, devices: dict[str, Device], decide: Callable[[Step, Device], Decision]) -> list[str]:
    """The steps of ``rule`` its owner may approve: those the gate would ask them about. A step it would refuse them
    is never approved, so a later change of role or of the policy file cannot make an old approval cover it."""
    return [approval_key(step) for step, decision in _decided(rule, devices, decide) if decision.verdict == "ask"]


def gate_view(rule: Rule, devices: dict[str, Device], decide: Callable[[Step, Device], Decision]) -> tuple[list[str], list[str]]:
    """What the gate would say about the rule's actions, as its owner: (steps it would ask about, steps it would deny,
    each with the gate's reason). ``decide(step, device)`` is the gate's preview for the owner, unconfirmed."""
    asks: list[str] = []
    denies: list[str] = []
    for step, decision in _decided(rule, devices, decide):
        if decision.verdict == "ask":
            asks.append(f"{step.describe()} ({decision.reason})")
        elif decision.verdict == "deny":
            denies.append(f"{step.describe()}: {decision.reason}")
    return asks, denies


class ScheduleSettings(BaseModel):
    """``[schedule]`` in config.toml: jobs said in chat ("in 20 minutes", "at sunset")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    late_grace: Annotated[float, BeforeValidator(seconds)] = 1800.0
    """A job whose time passed while iotlm was down still runs, late and with a note, if it is at most this late
    (``"30m"``, ``"2h"``, seconds); later than that it is dropped, with a note."""
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    """Where the home is, for "at sunset" and "at sunrise" (degrees; east and north positive)."""


__all__ = ["DAYS", "Action", "Clock", "Condition", "Days", "Rule", "ScheduleSettings", "Seconds", "Trigger",
    "approvable", "approval_key", "clock", "days", "gate_view", "problems", "seconds", "step_for"]
