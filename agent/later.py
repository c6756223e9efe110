"""Chat about later: a job to schedule ("in 10 minutes turn off the light"), the jobs there are ("what's scheduled?"),
or one to cancel. Each person sees and cancels their own jobs (everyone's for the roles the policy file's [read] jobs
names)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from iotlm.agent.state import AgentState
from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.acts import unread_time
from iotlm.agent.understand.text import has
from iotlm.automations.jobs.reader import CANCEL, LIST, ScheduleReader, say_job
from iotlm.automations.model import Rule
from iotlm.device_drivers.clock import aware

if TYPE_CHECKING:
    from iotlm.agent.nodes import Deps

__all__ = ["cancel", "jobs", "later", "later_words", "scheduled"]


def later(text: str, state: AgentState, deps: Deps, fresh: dict[str, Any]) -> dict[str, Any] | None:
    """The turn's state when ``text`` is about later: a job to schedule, the jobs there are, or one to cancel."""
    words = " ".join(text.lower().split())
    store = deps.jobs()
    if LIST.match(words):
        return {**fresh, "answers": [scheduled(store, deps, state.get("user") or "owner")]}
    asked = CANCEL.match(words)
    if asked:
        return {**fresh, **cancel(asked.group("what") or "", bool(asked.group("all")), store, deps, state)}
    def plan(said: str) -> Any:  # the model, only for a step the words alone do not give
        planner = deps.planner()
        return planner.plan(said, deps.parser()) if planner is not None else None

    reader = ScheduleReader(deps.parser(), deps.executor.now(), latitude=deps.schedule.latitude,
                            longitude=deps.schedule.longitude, plan=plan)
    draft = reader.read(text, room=state.get("room"), recent=state.get("recent") or [], owner=state.get("user") or "owner")
    if draft is None:
        return None
    if draft.refusal:
        return {**fresh, "refused": [{"text": text, "reason": f"{draft.refusal}. Nothing was scheduled", "code": "infeasible"}]}
    if draft.clarify:
        return {**fresh, "clarify": [draft.clarify]}
    steps = []  # "turn on the fan now and off in 10 minutes": the part for now is done at once, as any request
    for said in draft.now:
        for clause in deps.parser().parse(said, room=state.get("room"), recent=state.get("recent") or []).clauses:
            steps += [s.model_copy(update={"clause": said}).model_dump() for s in clause.steps]
    return {**fresh, "steps": steps, "job": {"rule": draft.job, "says": draft.says, "offer": draft.offer}}


def jobs(store: Any, deps: Deps, name: str) -> list[Rule]:
    """The running jobs ``name`` may see: their own, or everyone's for the roles the policy file's [read] jobs names."""
    if store is None:
        return []
    everyone = deps.read.may("jobs", deps.user(name).role)
    return [r for r in store.rules() if r.kind == "job" and r.enabled and (everyone or r.owner == name)]


def scheduled(store: Any, deps: Deps, name: str) -> str:
    """The jobs ``name`` may see, in words."""
    if store is None:
        return "Nothing can be scheduled here: this agent runs without its rules store (no data directory)."
    running = jobs(store, deps, name)
    if not running:
        return "Nothing is scheduled."
    devices = deps.parser().devices
    now = aware(deps.executor.now())
    lines = [f"{i}. {say_job(job, devices, now)}" for i, job in enumerate(running, 1)]
    return f"Scheduled ({len(running)}): " + " ".join(lines)


def cancel(what: str, everything: bool, store: Any, deps: Deps, state: AgentState) -> dict[str, Any]:
    """Cancel the asker's jobs about ``what`` (all of them with ``everything``)."""
    mine = jobs(store, deps, state.get("user") or "owner")
    words = [w for w in what.split() if w not in ("the", "my", "a", "that", "this", "all", "scheduled", "for")]
    devices = deps.parser().devices

    def about(job: Rule) -> bool:
        names = " ".join(f"{a.device} {devices[a.device].name if a.device in devices else ''}" for a in job.actions)
        text = f"{names} {job.trigger.device or ''} {job.text}".lower().replace("_", " ")
        return all(w in text for w in words)

    chosen = mine if everything or not words else [j for j in mine if about(j)]
    if not chosen:
        listed = scheduled(store, deps, state.get("user") or "owner")
        return {"refused": [{"text": what or "cancel", "code": "not_found",
                             "reason": f"no scheduled job of yours is about '{what}' ({listed})"}]}
    for job in chosen:
        store.remove(job.id)
    said = "; ".join(say_job(j, devices, aware(deps.executor.now())) for j in chosen)
    return {"answers": [f"Cancelled {len(chosen)} scheduled job{'s' if len(chosen) > 1 else ''}: {said}."]}


_NOW = re.compile(r"\b(?:when|whenever) (?:you (?:get|have) (?:a|the) (?:chance|minute|moment|sec|second)|you can|possible)\b"
                  r"|\bas soon as (?:possible|you can)\b")
"""Ways to say "now" that hold a time word."""
_COPULA = re.compile(r"\b(?:is|are|am|was|were|feels?|seems?|looks?)\b")


def later_words(clause: Any) -> str | None:
    """The time phrase of a command the fast path read without it (see :mod:`iotlm.agent.understand.acts`), or None.
    "at 3" is a time unless the reading set something to 3."""
    if clause.act != "command":
        return None  # a complaint, a question or a report
    text = _NOW.sub(" ", clause.text)
    if not clause.steps and _COPULA.search(text) and not any(has(text, verb) for verb, _ in lx.VERBS):
        return None  # says how things are, with no verb to do ("the bedroom is an icebox tonight"): not a request
    used = {s.value for s in clause.steps if isinstance(s.value, int | float) and not isinstance(s.value, bool)}
    bare = re.search(r"\bat\s+(\d{1,2})\b", text)
    return unread_time(text, bare_number_is_value=bare is not None and int(bare.group(1)) in used)
