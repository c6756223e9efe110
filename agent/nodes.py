"""The graph's nodes: plain functions of (state, dependencies) -> state update."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langgraph.types import interrupt

from iotlm.agent import memory_requests
from iotlm.agent.context.complaints import conditions_and_goals, guard, ranked_goal, said_goals
from iotlm.agent.context.conditions import Bands, RoomConditions
from iotlm.agent.context.effects import DEFAULT_EFFECTS, Effect
from iotlm.agent.context.situations import Situations, taught
from iotlm.agent.later import later as later_turn
from iotlm.agent.later import later_words
from iotlm.agent.llm.planner import LLMPlanner
from iotlm.agent.reply import compose, label
from iotlm.agent.state import AgentState, origin_of, steps_of
from iotlm.agent.talk import Talk
from iotlm.agent.taught import ARROW, situation_turn, teach_turn
from iotlm.agent.understand.parser import Clause, Parser
from iotlm.automations.describe import describe, join
from iotlm.automations.model import Rule, ScheduleSettings, approval_key, problems, step_for
from iotlm.policies.config import ReadAccess
from iotlm.policies.model import Step, User
from iotlm.tools.executor import Executor

if TYPE_CHECKING:  # the heavy parts (numpy, the embedder) load when first used, not with the graph
    from iotlm.agent.llm.goal_head import GoalHead
    from iotlm.automations.store import RuleStore
    from iotlm.memory.memory import Memory
    from iotlm.memory.store import MemoryStore

MAX_CHARS = 2000
YES = {"yes", "y", "yeah", "yep", "sure", "ok", "okay", "do it", "go ahead", "confirm", "please do", "yes please", "affirmative"}


@dataclass
class Deps:
    executor: Executor
    parser: Callable[[], Parser]
    planner: Callable[[], LLMPlanner | None]
    user: Callable[[str], User]
    store: Callable[[], MemoryStore | None] = lambda: None
    """The memory store (history, turns, episodes, memories), or None."""
    memory: Callable[[], Memory | None] = lambda: None
    """The embedding memory, or None."""
    bands: Bands = field(default_factory=Bands)
    """Comfort bands of the room conditions."""
    effects: tuple[Effect, ...] = DEFAULT_EFFECTS
    """The effect model: which device moves which condition (the built-ins and the plugins')."""
    situations: Situations | None = None
    """"I'm leaving", "movie time", ...: the built-in, plugin and user situations."""
    talk: Talk | None = None
    """"help", "thanks", "never mind": the conversation around the requests."""
    news: Callable[[str, str], str] | None = None
    """"What happened today?" / "anything I should know?" (the talk kinds ``today`` and ``news``) for a person: what
    the watchers noticed (``news(user, kind)``), or None where nothing watches."""
    ranker: Callable[[], GoalHead | None] = lambda: None
    """Chooses the goal a request about a room means when the fast path cannot read it (the goal head), or None."""
    jobs: Callable[[], RuleStore | None] = lambda: None
    """The rules store, where jobs said in chat ("in 10 minutes ...") are kept for the rule engine, or None."""
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    read: ReadAccess = field(default_factory=ReadAccess)
    """Who reads what beyond their own (the policy file's [read]): here, whose scheduled jobs a person sees."""

    def conditions(self) -> RoomConditions:
        return RoomConditions(self.parser().index.devices.values(), bands=self.bands, store=self.store(), clock=self.executor.now)


def is_yes(answer: Any) -> bool:
    if isinstance(answer, bool):
        return answer
    return str(answer).strip().lower().strip(".!") in YES


def understand(state: AgentState, deps: Deps) -> dict[str, Any]:
    text = (state.get("utterance") or "").strip()
    fresh: dict[str, Any] = {"tier": "fast", "steps": [], "queries": [], "refused": [], "clarify": [], "unparsed": [],
                             "candidates": {}, "ranked": {}, "asked": [], "confirmed": False, "outcomes": [], "reply": "",
                             "needs_confirmation": False, "understood": True, "memo": {}, "answers": [], "preface": [], "named": [],
                             "ask_first": "", "goals": [], "reading": [],
                             "job": {}, "scheduled": []}
    if not text:
        return {**fresh, "clarify": ["Say what you'd like, for example \"turn on the kitchen light\""]}
    if len(text) > MAX_CHARS:
        return {**fresh, "refused": [{"text": text[:60] + "...", "code": "too_long",
                                      "reason": f"that request is {len(text)} characters long; keep it under {MAX_CHARS}"}]}
    kind = deps.talk.kind(text) if deps.talk is not None else None
    if kind in ("today", "news"):  # what the watchers noticed, for this person
        said = deps.news(state.get("user") or "owner", kind) if deps.news is not None else \
            "Nothing watches this home from here: the watchers run with `iotlm run`."
        return {**fresh, "answers": [said]}
    if kind is not None:  # "help", "thanks", "never mind": answered, nothing acts
        return {**fresh, "answers": [deps.talk.answer(kind, deps.parser().index)]}  # type: ignore[union-attr]
    early = _taught_later_or_situation(text, state, deps, fresh)
    if isinstance(early, dict):
        return early
    text, fresh["preface"] = early
    note = memory_requests.memo(text)
    if note is not None:
        return {**fresh, "memo": {"kind": note[0], "text": note[1]}}
    now = deps.executor.now()  # the agent's clock: "40 minutes ago" and "last night" as the history was stamped
    answer = (memory_requests.when_question(text, deps.parser(), deps.store(), state.get("room"), now)
              or memory_requests.how_question(text, deps.parser(), deps.store(), state.get("room"), now))
    if answer is not None:
        return {**fresh, "answers": [answer]}
    parse = deps.parser().parse(text, room=state.get("room"), recent=state.get("recent") or [])
    if parse.corrected and any(c.steps for c in parse.clauses):  # a corrected reading that acts is said back
        fresh["preface"].append("(I read " + join([f'"{a}" as "{b}"' for a, b in parse.corrected], "and") + ".)")
    several = len(parse.clauses) > 1  # then each refusal and question back says which part of the sentence it answers
    fresh["reading"] = [{"clause": c.text, "act": c.act, "used": list(c.used), "left": list(c.left),
                         **({"by": c.steps[0].reading["by"][0]} if c.steps and c.steps[0].reading.get("by") else {})}
                        for c in parse.clauses]  # "by": the reader other than the rules that read it
    if parse.corrected:
        fresh["reading"][0]["corrected"] = [f"{a} -> {b}" for a, b in parse.corrected]
    for clause in parse.clauses:
        if not _held_back(clause, fresh):
            _take(clause, fresh, state, deps, several)
    return fresh


def _held_back(clause: Clause, fresh: dict[str, Any]) -> bool:
    """A clause that never acts whatever else reads it: a statement (heard, nothing done) or a command about later in
    words the schedule reader could not read (asked when, never done now)."""
    if clause.note:
        fresh["answers"].append(clause.note)
        fresh["named"] = clause.named
        return True
    when = later_words(clause)
    if when is not None:
        fresh["clarify"].append(f"When should I do that? I couldn't read \"{when}\" as a time; say it like \"at 7:45\" "
                                "or \"in 15 minutes\", or say it again without the time to do it now.")
        return True
    return False


def _take(clause: Clause, fresh: dict[str, Any], state: AgentState, deps: Deps, several: bool) -> None:
    """What the fast path made of one clause, into the turn's state: steps, queries, answers, refusals, questions, or
    the clause left for the model."""
    if not clause.understood and clause.act == "question":
        # a question never reaches the planner or a preference: nothing may change because of it; what the person
        # told iotlm to remember may answer it ("where are my keys?")
        memory = deps.memory()
        told = memory_requests.from_memory(clause.text, memory, state.get("user") or "owner") if memory is not None else None
        fresh["clarify" if told is None else "answers"].append(
            told or f"I couldn't tell what \"{clause.text}\" asks about; name the device or the room")
        return
    if not clause.understood and (memory := deps.memory()) is not None:
        # "make the bedroom comfortable for sleeping": what this person told us they like, if it fits
        found = memory_requests.apply_preferences(clause.text, memory, deps.parser(), state.get("user") or "owner", state.get("room"))
        if found is not None:
            fresh["steps"] += [s.model_copy(update={"clause": clause.text}).model_dump() for s in found[0]]
            fresh["answers"].append(found[1])
            return
    if clause.conditions or clause.goals:
        conditions_and_goals(clause, fresh, deps, several)
    fresh["steps"] += [s.model_dump() for s in clause.steps]
    if clause.aside and clause.steps:
        fresh["answers"].append(clause.aside)
    fresh["queries"] += [{"device_id": q.device_id, "attribute": q.attribute} for q in clause.queries]
    if clause.refusal:
        fresh["refused"].append({"text": clause.text, "reason": clause.refusal, "code": clause.code or "refused",
                                 "name_clause": several})
    if clause.clarify:
        fresh["clarify"].append(f'About "{clause.text}": {clause.clarify}' if several else clause.clarify)
    if not clause.understood:
        fresh["unparsed"].append(clause.text)


def _taught_later_or_situation(text: str, state: AgentState, deps: Deps,
                               fresh: dict[str, Any]) -> dict[str, Any] | tuple[str, list[str]]:
    """The turn's state when ``text`` teaches a phrase, is about later, or says a situation; else the text to
    understand (a taught phrase's own words) and what the reply says first (whose phrase it was)."""
    lesson = taught(text)
    if lesson is not None:  # "remember that when I say movie night, dim the lounge lights to 10%"
        return teach_turn(lesson[0], lesson[1], state, deps, fresh)
    later = later_turn(text, state, deps, fresh)
    if later is not None:
        return later
    return situation_turn(text, state, deps, fresh)


def _confirm_job(state: AgentState, deps: Deps) -> dict[str, Any]:
    """A job is checked now, as its owner, by the gate that will check it when it runs: what the owner may not do
    is refused now, and a risky step is asked about now (nobody can answer when it fires). Steps of the same request
    for now are asked about in the same question."""
    job = state["job"]
    rule = Rule.model_validate(job["rule"])
    devices = deps.parser().devices
    found = problems(rule, devices)
    refused = list(state.get("refused", []))
    if found:
        reason = f"{'; '.join(found)}. Nothing was scheduled"
        return {"job": {}, "steps": [], "refused": [*refused, {"text": rule.text, "code": "infeasible", "reason": reason}]}
    now = steps_of(state)
    steps = [step_for(devices[a.device], k, v) for a in rule.actions for k, v in a.set.items()] + now
    user = deps.user(state.get("user") or "owner")
    decisions = deps.executor.preview(steps, user=user, origin=origin_of(state))
    denied = [d for d in decisions if d.verdict == "deny"]
    if denied:
        reason = f"{denied[0].reason}, so I scheduled nothing"
        return {"job": {}, "steps": [], "refused": [*refused, {"text": rule.text, "code": "denied", "reason": reason}]}
    asked = [s for s, d in zip(steps, decisions, strict=True) if d.verdict == "ask" and not (s in now and _already(s, deps))]
    offer = bool(job.get("offer"))  # a standing rule said in chat is offered, never saved unasked
    if (asked or offer) and not state.get("yes"):
        question = f"{job['says'][:-1]}. " + ("Shall I add that rule? (yes/no)" if offer else
                                              "Do you want me to schedule that? (yes/no)")
        answer = interrupt({"question": question, "steps": [s.model_dump() for s in asked],
                            "asked_at": deps.executor.now().timestamp(), "user": state.get("user") or "owner"})
        if not is_yes(answer):
            reason = "OK, I added no rule" if offer else "OK, I scheduled nothing"
            return {"job": {}, "steps": [], "refused": [*refused, {"text": rule.text, "code": "not_confirmed", "reason": reason}]}
    # approved step by step: the job's own steps the gate asked this owner about (never one it would refuse them)
    approved = [approval_key(s) for s, d in zip(steps, decisions, strict=True) if d.verdict == "ask" and s not in now]
    return {"job": {**job, "approved": approved}, "confirmed": bool(asked) or bool(state.get("yes"))}


def route_understood(state: AgentState) -> Literal["retrieve", "validate"]:
    return "retrieve" if state.get("unparsed") else "validate"


def retrieve(state: AgentState, deps: Deps) -> dict[str, Any]:
    """The candidates for each unread clause: the goal the ranker puts first, when the clause is about a room's
    conditions rather than a device; else the devices the words point at (for the device planner)."""
    parser = deps.parser()
    ranker = deps.ranker()
    ranked: dict[str, Any] = {}
    candidates: dict[str, list[str]] = {}
    planner = deps.planner()
    for text in state.get("unparsed", []):
        frame = parser.read(text)
        if ranker is not None and not frame.named and not frame.kinds:
            found = ranker.rank(text, parser.room_phrases(frame.rooms))
            if found is not None and found.goal is not None:
                ranked[text] = {"choice": found.choice, "goal": list(found.goal), "confidence": found.confidence,
                                "sure": ranker.sure(found), "rooms": frame.rooms}
                continue
        if planner is not None:
            candidates[text] = [d.id for d in planner.relevant(text, parser, state.get("room"))]
    return {"candidates": candidates, "ranked": ranked}


def plan(state: AgentState, deps: Deps) -> dict[str, Any]:
    planner = deps.planner()
    steps = list(state.get("steps", []))
    clarify = list(state.get("clarify", []))
    found: dict[str, Any] = {"preface": list(state.get("preface", [])), "refused": list(state.get("refused", [])),
                             "answers": list(state.get("answers", [])), "steps": steps}
    understood = True
    for text in state.get("unparsed", []):
        said_in = state.get("room")
        rooms = deps.parser().read(text).rooms or ([said_in.lower()] if said_in else [])
        found["goals"] = [*found.get("goals", state.get("goals") or []), *said_goals(text, rooms)]
        ranked = ranked_goal(text, state, deps, found)
        if ranked is not None:
            clarify += [ranked] if ranked else []
            continue
        if planner is None:
            understood = False
            continue
        result = planner.plan(text, deps.parser(), said_in)
        if result.error:
            clarify.append(f"I couldn't work that out ({result.error})")
        elif result.clarify:
            clarify.append(result.clarify)
        steps += [s.model_copy(update={"clause": text}).model_dump() for s in result.steps]
    return {**found, "clarify": clarify, "tier": "llm", "understood": understood}


def validate(state: AgentState, deps: Deps) -> dict[str, Any]:
    """Drop repeated steps, refuse steps for devices that are offline (they could not confirm), and keep a complaint's
    steps to its room and its way (:func:`iotlm.agent.context.complaints.guard`), whichever tier planned them."""
    seen: set[tuple[Any, ...]] = set()
    steps, refused = [], list(state.get("refused", []))
    planned, dropped = guard(list(state.get("steps", [])), list(state.get("goals") or []), deps)
    refused += dropped
    for raw in planned:
        key = (raw.get("device_id"), raw.get("attribute"), repr(raw.get("value")))
        if key in seen:
            continue
        seen.add(key)
        device = deps.executor.device(raw["device_id"]) if raw.get("device_id") else None
        if device is not None and device.availability == "offline":
            refused.append({"text": Step(**raw).describe(), "code": "offline",
                            "reason": f"{label(device, device.id)} is offline, so it could not do that"})
            continue
        steps.append(raw)
    return {"steps": steps, "refused": refused}


def confirm(state: AgentState, deps: Deps) -> dict[str, Any]:
    """Ask before risky steps. No side effects: this node runs again when the answer comes."""
    if state.get("job"):
        return _confirm_job(state, deps)
    memo = state.get("memo") or {}
    if memo.get("asks"):  # a phrase whose steps the gate asks about: its teacher says yes to learning it first
        say, do = str(memo["text"]).split(ARROW, 1)
        answer = interrupt({"question": f"When you say \"{say}\", I would {do}; {'; '.join(memo['asks'])} needs "
                                        "confirmation, and I will still ask each time. Shall I learn it? (yes/no)",
                            "steps": [], "asked_at": deps.executor.now().timestamp(), "user": state.get("user") or "owner"})
        if not is_yes(answer):
            return {"memo": {}, "answers": [*state.get("answers", []), f"OK, I didn't learn \"{say}\"."]}
        return {"memo": {"kind": memo["kind"], "text": memo["text"]}}
    steps = steps_of(state)
    if not steps or state.get("yes"):
        return {"confirmed": bool(state.get("yes"))}
    if state.get("ask_first"):  # many devices at once ("turn off everything"): asked first, all or nothing
        answer = interrupt({"question": state["ask_first"], "steps": [s.model_dump() for s in steps],
                            "asked_at": deps.executor.now().timestamp(), "user": state.get("user") or "owner"})
        if not is_yes(answer):
            return {"steps": [], "refused": [*state.get("refused", []), {"text": "everything", "code": "not_confirmed",
                                                                          "reason": "OK, I changed nothing."}]}
    user = deps.user(state.get("user") or "owner")
    decisions = deps.executor.preview(steps, user=user, origin=origin_of(state))
    asked = [s for s, d in zip(steps, decisions, strict=True) if d.verdict == "ask" and not _already(s, deps)]
    if not asked:
        return {"confirmed": False}
    answer = interrupt({"question": _question(asked, deps), "steps": [s.model_dump() for s in asked],
                        "asked_at": deps.executor.now().timestamp(), "user": state.get("user") or "owner"})
    if is_yes(answer):
        return {"confirmed": True}
    keep = [s.model_dump() for s in steps if s not in asked]
    refused = list(state.get("refused", [])) + [
        {"text": s.describe(), "code": "not_confirmed", "reason": f"OK, I left {_what(s, deps)} as it is."} for s in asked]
    return {"steps": keep, "refused": refused, "confirmed": False}


def route_confirmed(state: AgentState) -> Literal["execute", "respond"]:
    return "execute" if state.get("steps") or state.get("job") else "respond"


def execute(state: AgentState, deps: Deps) -> dict[str, Any]:
    saved = _save_job(state, deps) if state.get("job") else {}
    steps = steps_of(state)
    if not steps:
        return saved
    user = deps.user(state.get("user") or "owner")
    outcomes = deps.executor.run(steps, user=user, origin=origin_of(state), confirmed=bool(state.get("confirmed")))
    return {**saved, "outcomes": [o.model_dump() for o in outcomes],
            "needs_confirmation": any(o.status == "needs_confirmation" for o in outcomes)}


def _save_job(state: AgentState, deps: Deps) -> dict[str, Any]:
    job = state["job"]
    store = deps.jobs()
    if store is None:
        return {"refused": [*state.get("refused", []), {
            "text": job["rule"]["text"], "code": "no_store",
            "reason": "this agent runs without its rules store (no data directory), so nothing can be scheduled"}]}
    approved = list(job.get("approved") or [])
    rule = Rule.model_validate({**job["rule"], "approved_risky": bool(approved), "approved": approved})
    store.save(rule, source="chat")
    t = rule.trigger
    scheduled = {"id": rule.id, "kind": rule.kind, "due": t.due.isoformat() if t.due else None,
                 "event": None if t.due else t.model_dump(exclude_none=True, exclude_defaults=True),
                 "actions": [a.model_dump(by_alias=True, exclude_defaults=True) for a in rule.actions]}
    said = job["says"] if rule.kind == "job" else \
        f"Rule {rule.id} added: {describe(rule, deps.parser().devices)} (iotlm rules list shows it; remove it there)."
    return {"answers": [*list(state.get("answers", [])), said], "scheduled": [scheduled]}


def respond(state: AgentState, deps: Deps) -> dict[str, Any]:
    outcomes = state.get("outcomes", [])
    mentioned = {o["step"].get("device_id") for o in outcomes} | {q["device_id"] for q in state.get("queries", [])}
    mentioned |= {p.get("device_id") for p in state.get("asked", [])}
    devices = {i: d for i in mentioned if i and (d := deps.executor.device(i)) is not None}
    refused = list(state.get("refused", []))
    for o in outcomes:
        if o["status"] == "denied":
            refused.append({"text": o["step"].get("clause") or Step(**o["step"]).describe(), "reason": o["reason"],
                            "code": o.get("code") or "denied"})
    shown = [o for o in outcomes if o["status"] not in ("denied", "needs_confirmation")]
    pending = [o["step"] for o in outcomes if o["status"] == "needs_confirmation"]
    reply = compose(shown, refused, state.get("queries", []), state.get("clarify", []) + state.get("answers", []), devices,
                    pending=pending, repeated=deps.parser().index.repeated, preface=state.get("preface", []),
                    understood=state.get("understood", True) and not (state.get("unparsed") and not shown and not refused))
    if state.get("memo"):
        reply = f"OK, I'll remember that {state['memo']['text']}."
        if state["memo"]["kind"] == "situation":
            say, do = state["memo"]["text"].split(ARROW, 1)
            reply = f"OK: when you say \"{say}\", I'll {do}. (Only for you; an admin can share it with the household.)"
        if deps.store() is None:
            reply = "I can't remember anything here: this agent runs without its memory store (no data directory)."
    ids = [s["device_id"] for s in state.get("steps", []) if s.get("device_id")] + [q["device_id"] for q in state.get("queries", [])]
    return {"reply": reply, "refused": refused, "needs_confirmation": bool(pending),
            "recent": list(dict.fromkeys(ids)) or state.get("named") or state.get("recent", [])}


def remember(state: AgentState, deps: Deps) -> dict[str, Any]:
    """Keep the turn, the episode (the plan and what came of it), and anything asked to be remembered."""
    store = deps.store()
    if store is None:
        return {}
    user = state.get("user") or "owner"
    note = state.get("memo")
    if note:
        memory = deps.memory() if note["kind"] != "situation" else None  # a taught phrase is matched by its words
        if memory is not None:
            memory.add(note["text"], kind=note["kind"], user=user)
        else:
            store.add_memory(note["text"], kind=note["kind"], user=user)
    steps = state.get("steps", [])
    if steps:
        outcomes = state.get("outcomes", [])
        success = bool(outcomes) and all(o["status"] in ("done", "already") for o in outcomes) and not state.get("refused")
        store.add_episode(user, state.get("utterance", ""), steps, outcomes, state.get("tier", "fast"), success)
    store.add_turn(state.get("origin") or "chat", user, state.get("utterance", ""), state.get("reply", ""))
    return {}


def _already(step: Step, deps: Deps) -> bool:
    device = deps.executor.device(step.device_id) if step.device_id else None
    attr = device.attributes.get(step.attribute or "") if device else None
    if attr is None:
        return False
    try:
        return attr.value == attr.check(step.value)
    except ValueError:
        return False


def _what(step: Step, deps: Deps) -> str:
    device = deps.executor.device(step.device_id) if step.device_id else None
    return label(device, step.device_id or step.tool)


def _question(asked: list[Step], deps: Deps) -> str:
    return f"Do you want me to {' and '.join(_action(s, deps) for s in asked)}? (yes/no)"


def _action(step: Step, deps: Deps) -> str:
    """A step as the question says it: "unlock the front door lock", "set the oven's temperature to 200 °C"."""
    what = _what(step, deps)
    device = deps.executor.device(step.device_id) if step.device_id else None
    attr = device.attributes.get(step.attribute or "") if device is not None else None
    if step.attribute and step.attribute != "state" and step.value is not None:
        unit = f" {attr.unit}" if attr is not None and attr.unit else ""
        return f"set {what}'s {step.attribute.replace('_', ' ')} to {step.value}{unit}"
    return f"{(step.operation or 'change').replace('_', ' ')} {what}"


__all__ = ["MAX_CHARS", "YES", "Deps", "confirm", "execute", "is_yes", "plan", "remember", "respond", "retrieve",
    "route_confirmed", "route_understood", "understand", "validate"]
