"""State-based evaluation cases (DESIGN.md, "Evaluation cases") and their runner."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from iotlm.agent.bench.harness import BenchHome
from iotlm.device_drivers.model import Value, first_error

CATEGORIES = ("VS", "VM", "IS", "IM", "MM", "REL", "RISK", "QUERY")


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    category: str
    command: str
    yes: bool = False
    expect: dict[str, dict[str, Value]] = Field(default_factory=dict)
    may: dict[str, dict[str, Value]] = Field(default_factory=dict)
    refuse: bool = False
    confirm_needed: bool = False
    reply_any: list[str] = Field(default_factory=list)
    room: str | None = None
    user: str | None = None


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

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "pass": self.passed, "tier": self.tier,
                "latency_ms": round(self.latency_ms, 2), "differences": self.differences, "reply": self.reply}


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
    for device_id, attrs in after.items():
        for attr, value in attrs.items():
            was = before.get(device_id, {}).get(attr)
            if value == was or attr in case.expect.get(device_id, {}):
                continue
            allowed = case.may.get(device_id, {})
            if attr in allowed and allowed[attr] == value:
                continue
            problems.append(f"{device_id}.{attr} changed {was!r} -> {value!r}, which the case does not allow")
    if case.refuse and not refused:
        problems.append("expected a refused step; none was reported")
    if case.confirm_needed and not needs_confirmation:
        problems.append("expected a request for confirmation; none came")
    if case.reply_any and not any(s.lower() in reply.lower() for s in case.reply_any):
        problems.append(f"reply {reply!r} contains none of {case.reply_any}")
    return problems


def run_case(bench: BenchHome, case: Case) -> CaseResult:
    bench.reset()
    before = bench.states()
    try:
        result = bench.agent.turn(case.command, thread=f"case-{case.id}-{uuid.uuid4().hex[:6]}", user=case.user,
                                  room=case.room, yes=case.yes, origin="test")
    except Exception as exc:  # a crash is a failed case, not a failed run
        return CaseResult(case.id, case.category, False, "error", 0.0, [f"the agent raised {type(exc).__name__}: {exc}"])
    after = bench.states()
    problems = check(case, before, after, reply=result.reply, refused=bool(result.refused),
                     needs_confirmation=result.needs_confirmation)
    return CaseResult(case.id, case.category, not problems, result.tier, result.latency_ms, problems, result.reply)


def run_suite(bench: BenchHome, cases: Iterable[Case], progress: Callable[[Iterable[Case]], Iterable[Case]] | None = None
              ) -> list[CaseResult]:
    items = list(cases)
    return [run_case(bench, case) for case in (progress(items) if progress else items)]


def totals(results: list[CaseResult]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for category in sorted({r.category for r in results}, key=lambda c: (CATEGORIES.index(c) if c in CATEGORIES else 99, c)):
        rs = [r for r in results if r.category == category]
        out[category] = {"cases": len(rs), "passed": sum(r.passed for r in rs), "success": round(100 * sum(r.passed for r in rs) / len(rs), 2)}
    if results:
        out["all"] = {"cases": len(results), "passed": sum(r.passed for r in results),
                      "success": round(100 * sum(r.passed for r in results) / len(results), 2)}
    return out
