"""State-based evaluation cases (docs/design.md, "File formats") and their runner."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from iotlm.bench.harness import BenchHome
from iotlm.device_drivers.model import Value, first_error

CATEGORIES = ("VS", "VM", "IS", "IM", "MM", "REL", "RISK", "QUERY", "INQ", "INQ-X", "GOAL", "GOAL-X", "SIT", "SIT-X")


Trap = Literal["later", "statement", "name_number", "leftover", "outside_room"]

Bound = dict[str, float]
"""``{">": x}`` or ``{"<": x}``: a number above or below x."""


class Moves(BaseModel):
    """A condition the request should move, checked in the simulated environment when there is one."""
    model_config = ConfigDict(extra="forbid")

    room: str
    value: str
    """temperature, humidity, illuminance, pm25, pm10 or co2."""
    direction: str = Field(pattern="^(up|down)$")


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    category: str
    command: str
    yes: bool = False
    expect: dict[str, dict[str, Value]] = Field(default_factory=dict)
    may: dict[str, dict[str, Value]] = Field(default_factory=dict)
    refuse: bool = False
    confirm_needed: bool = False
    reply_any: list[str] = Field(default_factory=list)
    reply_all: list[list[str]] = Field(default_factory=list)
    """Groups of strings: each group needs one of its strings in the reply, as a whole word or number."""
    expect_any: list[dict[str, dict[str, Value | Bound]]] = Field(default_factory=list)
    """Alternatives: at least one must hold; the devices any alternative names may change."""
    room: str | None = Field(default=None, alias="context_room")
    user: str | None = None
    home: str | None = None
    """The home file the case is about, relative to the cases file (for files that span several homes)."""
    moves: Moves | None = None
    """With a simulated environment: over 20 simulated minutes the room's value must end further that way than it
    would have without the request."""
    trap: Trap | None = None
    """What a wrong reading of this case would be, for the report's counts (with nothing allowed to change, changing
    anything is that mistake): about later, a statement, a number in a name, words left over, outside the
    complaint's room."""

    def allowed_devices(self) -> set[str]:
        """The devices the case lets change: those it expects, may change, or names in an alternative."""
        return set(self.expect) | set(self.may) | {d for alt in self.expect_any for d in alt}


@dataclass
class CaseFileError:
    line: int
    message: str


@dataclass
class CaseResult:
    id: str
    category: str
    passed: bool
    tier: str
    latency_ms: float
    differences: list[str] = field(default_factory=list)
    reply: str = ""
    changed: list[str] = field(default_factory=list)
    """The devices whose reported values changed."""
    untargeted: list[str] = field(default_factory=list)
    """Changed devices the case did not point at (not in expect, may or expect_any)."""
    mistakes: list[str] = field(default_factory=list)
    """The report's kinds of wrong reading this case made (:data:`MISTAKES`)."""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "pass": self.passed, "tier": self.tier,
                "latency_ms": round(self.latency_ms, 2), "differences": self.differences, "reply": self.reply,
                "changed": self.changed, "untargeted": self.untargeted, "mistakes": self.mistakes}


MISTAKES = {
    "later": "acted now on a request about later",
    "statement": "acted on a statement",
    "name_number": "acted on a number that was part of a name",
    "leftover": "acted on a reading with words left over",
    "outside_room": "acted outside the complaint's room",
    "wrong_way": "moved a condition the wrong way",
}
"""The counts every suite reports, each of which must be 0: a case whose ``trap`` (or category "later", as in the
SLURP set) says what a wrong reading would do, and that changed a device it did not allow; a complaint (a case with
``moves``) that changed a device in another room, or moved its condition the other way."""


def mistakes(case: Case, untargeted: list[str], rooms: dict[str, str], moved_wrong: bool) -> list[str]:
    """The kinds of wrong reading a case's result shows (see :data:`MISTAKES`)."""
    found: list[str] = []
    trap = case.trap or ("later" if case.category.lower() == "later" else None)
    if trap is not None and untargeted:
        found.append(trap)
    if case.moves is not None and any(rooms.get(d, "") != case.moves.room for d in untargeted) and "outside_room" not in found:
        found.append("outside_room")
    if moved_wrong:
        found.append("wrong_way")
    return found


def load_cases(path: Path) -> tuple[list[Case], list[CaseFileError]]:
    """Every valid case, and one error (with its line number) for each line that is not one."""
    cases, errors = [], []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        return [], [CaseFileError(0, f"cannot read {path}: {exc.strerror or exc}")]
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            case = Case.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            errors.append(CaseFileError(number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        except ValidationError as exc:
            where, what = first_error(exc)
            errors.append(CaseFileError(number, f"{where}: {what}"))
            continue
        if case.id in seen:
            errors.append(CaseFileError(number, f"case id {case.id!r} is used twice"))
            continue
        seen.add(case.id)
        cases.append(case)
    return cases, errors


def check(case: Case, before: dict[str, dict[str, Value]], after: dict[str, dict[str, Value]], *, reply: str,
          refused: bool, needs_confirmation: bool) -> list[str]:
    """What differs from the case's expectation; empty when the case passes."""
    problems = []
    for device_id, attrs in case.expect.items():
        for attr, want in attrs.items():
            got = after.get(device_id, {}).get(attr, "<no such attribute>")
            if got != want:
                problems.append(f"{device_id}.{attr}: expected {want!r}, device reports {got!r}")
    if case.expect_any and not any(_holds(alt, after) for alt in case.expect_any):
        problems.append(f"none of the {len(case.expect_any)} expected alternatives holds")
    alternatives = {d for alt in case.expect_any for d in alt}
    problems += [f"{device_id}.{attr} changed {was!r} -> {value!r}, which the case does not allow"
                 for device_id, attr, was, value in changes(before, after)
                 if attr not in case.expect.get(device_id, {}) and device_id not in alternatives
                 and case.may.get(device_id, {}).get(attr, _UNSET) != value]
    if case.refuse and not refused:
        problems.append("expected a refused step; none was reported")
    if case.confirm_needed and not needs_confirmation:
        problems.append("expected a request for confirmation; none came")
    if case.reply_any and not any(s.lower() in reply.lower() for s in case.reply_any):
        problems.append(f"reply {reply!r} contains none of {case.reply_any}")
    for group in case.reply_all:
        if not any(says(reply, s) for s in group):
            problems.append(f"reply {reply!r} says none of {group}")
    return problems


_UNSET = object()


def changes(before: dict[str, dict[str, Value]], after: dict[str, dict[str, Value]]) -> list[tuple[str, str, Value, Value]]:
    """(device, attribute, before, after) for every reported value that changed."""
    return [(device_id, attr, before.get(device_id, {}).get(attr), value)
            for device_id, attrs in after.items() for attr, value in attrs.items()
            if value != before.get(device_id, {}).get(attr)]


def says(reply: str, text: str) -> bool:
    """``text`` in ``reply`` as a whole word or number, ignoring case ("26" is not in "26.5", nor "on" in "front")."""
    return re.search(rf"(?<![\w.]){re.escape(text)}(?!\w|\.\d)", reply, re.IGNORECASE) is not None


def _holds(alternative: dict[str, dict[str, Value | Bound]], after: dict[str, dict[str, Value]]) -> bool:
    for device_id, attrs in alternative.items():
        for attr, want in attrs.items():
            got = after.get(device_id, {}).get(attr)
            if isinstance(want, dict):
                if not isinstance(got, int | float) or isinstance(got, bool):
                    return False
                if (">" in want and not got > want[">"]) or ("<" in want and not got < want["<"]):
                    return False
            elif got != want:
                return False
    return True


MINUTES = 20.0


def in_canonical(case: Case, home: Any) -> Case:
    """The case's expectations in the canonical model, where its home file wrote a dialect's names or units (a 0-254
    brightness, a thermostat's ``temperature`` setpoint): cases are written in their home file's words."""
    def convert(states: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {device: dict(home.canonical(device, attr, value) for attr, value in attrs.items())
                for device, attrs in states.items()}
    if not getattr(home, "renamed", None):
        return case
    return case.model_copy(update={"expect": convert(case.expect), "may": convert(case.may),
                                   "expect_any": [convert(alt) for alt in case.expect_any]})


def run_case(bench: BenchHome, case: Case, environment: Any = None) -> CaseResult:
    case = in_canonical(case, bench.home)
    bench.reset()
    watched = environment is not None and case.moves is not None
    baseline = environment.project(MINUTES) if watched else None
    before = bench.states()
    try:
        result = bench.agent.turn(case.command, thread=f"case-{case.id}-{uuid.uuid4().hex[:6]}", user=case.user,
                                  room=case.room, yes=case.yes, origin="test")
    except Exception as exc:  # a crash is a failed case, not a failed run
        return CaseResult(case.id, case.category, False, "error", 0.0, [f"the agent raised {type(exc).__name__}: {exc}"])
    after = bench.states()
    problems = check(case, before, after, reply=result.reply, refused=bool(result.refused),
                     needs_confirmation=result.needs_confirmation)
    wrong_way = False
    if watched and case.moves is not None and baseline is not None:
        projected = environment.project(MINUTES)
        problems += _moved(case.moves, baseline, projected)
        wrong_way = _went_back(case.moves, baseline, projected)
    changed = sorted({device_id for device_id, *_ in changes(before, after)})
    untargeted = [d for d in changed if d not in case.allowed_devices()]
    rooms = {d.id: (d.room or "").lower() for d in bench.home.devices}
    return CaseResult(case.id, case.category, not problems, result.tier, result.latency_ms, problems, result.reply,
                      changed=changed, untargeted=untargeted, mistakes=mistakes(case, untargeted, rooms, wrong_way))


def _went_back(moves: Moves, baseline: dict[str, dict[str, float]], projected: dict[str, dict[str, float]]) -> bool:
    """Whether the request moved the room's value the other way than it asked (worse than doing nothing)."""
    if moves.room not in projected or moves.value not in projected[moves.room]:
        return False
    without, with_it = baseline[moves.room][moves.value], projected[moves.room][moves.value]
    return with_it > without + 1e-6 if moves.direction == "down" else with_it < without - 1e-6


def _moved(moves: Moves, baseline: dict[str, dict[str, float]], projected: dict[str, dict[str, float]]) -> list[str]:
    if moves.room not in projected or moves.value not in projected[moves.room]:
        return [f"the simulated environment has no {moves.value} for the {moves.room}"]
    without, with_it = baseline[moves.room][moves.value], projected[moves.room][moves.value]
    if (with_it < without - 1e-6) if moves.direction == "down" else (with_it > without + 1e-6):
        return []
    return [f"the {moves.room}'s {moves.value} did not go {moves.direction}: {round(with_it, 2)} after {MINUTES:g} simulated "
            f"minutes, against {round(without, 2)} without the request"]


def run_suite(bench: BenchHome, cases: Iterable[Case], progress: Callable[[Iterable[Case]], Iterable[Case]] | None = None,
              environment: Any = None) -> list[CaseResult]:
    """``environment``: a simulated environment on the bench's simulator; cases with ``moves`` are then checked by
    their effect too."""
    items = list(cases)
    return [run_case(bench, case, environment) for case in (progress(items) if progress else items)]


def totals(results: list[CaseResult]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for category in sorted({r.category for r in results}, key=lambda c: (CATEGORIES.index(c) if c in CATEGORIES else 99, c)):
        rs = [r for r in results if r.category == category]
        out[category] = {"cases": len(rs), "passed": sum(r.passed for r in rs), "success": round(100 * sum(r.passed for r in rs) / len(rs), 2)}
    if results:
        out["all"] = {"cases": len(results), "passed": sum(r.passed for r in results),
                      "success": round(100 * sum(r.passed for r in results) / len(results), 2),
                      # the two counts that must stay at 0: a question that changed a device, and a device changed
                      # that the request did not point at
                      "questions_that_changed_a_device": sum(bool(r.changed) for r in results if r.category == "QUERY"),
                      "actions_on_devices_not_pointed_at": sum(len(r.untargeted) for r in results),
                      "mistakes": {kind: sum(kind in r.mistakes for r in results) for kind in MISTAKES}}
    return out


__all__ = ["CATEGORIES", "MINUTES", "MISTAKES", "Bound", "Case", "CaseFileError", "CaseResult", "Moves", "Trap",
    "changes", "check", "in_canonical", "load_cases", "mistakes", "run_case", "run_suite", "says", "totals"]
