"""Taught phrases ("remember that when I say movie night, dim the lounge lights"): whose they are, what the gate says
about teaching one, and when one applies.

A taught phrase is a memory of kind ``situation`` (``"movie night => dim the lounge lights"``) and, like every memory,
it belongs to the person who taught it until an admin shares it with the household (``iotlm memory share ID``). Three
rules keep a phrase from changing what anyone else's words do:

- it applies only to its teacher's words, and to everyone's once shared;
- it never changes a sentence that already has a reading: "lock the front door" keeps its meaning, whoever taught
  "when I say lock the front door, unlock it" (refused when taught, and ignored if one was stored before);
- teaching is checked by the gate as the teacher: what they could not do themselves is refused, and a step the gate
  would ask about is asked about when the phrase is taught (and again each time it runs).

The reply says whenever a taught phrase was used, and whose it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from iotlm.agent.context.situations import Situations
from iotlm.agent.state import AgentState, origin_of
from iotlm.agent.understand.parser import Parser
from iotlm.policies.model import Step

if TYPE_CHECKING:
    from iotlm.agent.nodes import Deps

__all__ = ["Lesson", "Phrase", "check_lesson", "has_reading", "phrases_for", "situation_turn", "teach_turn", "whose"]

ARROW = " => "


@dataclass(frozen=True)
class Phrase:
    """A taught phrase as stored: the words, what they run, who taught it, whether an admin shared it."""

    say: str
    do: str
    owner: str
    shared: bool


def phrases_for(store: Any, user: str) -> list[Phrase]:
    """The phrases that apply to ``user``'s words: their own, then the shared ones (their own win on the same words)."""
    if store is None:
        return []
    found: dict[str, Phrase] = {}
    for row in store.memories(kind="situation", visible_to=user):
        if ARROW not in row["text"]:
            continue
        say, do = row["text"].split(ARROW, 1)
        phrase = Phrase(say.strip(), do.strip(), str(row["user"]), bool(row.get("shared")))
        key = say.strip().lower()
        if key not in found or (found[key].owner != user and phrase.owner == user):
            found[key] = phrase
    return list(found.values())


def whose(phrase: Phrase, user: str) -> str:
    """How the reply names a phrase's owner: "your" or "alice's shared"."""
    return "your" if phrase.owner == user else f"{phrase.owner}'s shared"


def has_reading(parser: Parser, text: str, room: str | None = None) -> bool:
    """Whether the fast path reads ``text`` whole, as something to do or to answer: then a taught phrase never
    changes what it means."""
    clauses = parser.parse(text, room=room).clauses
    return bool(clauses) and all(c.understood and not c.clarify for c in clauses) and \
        any(c.steps or c.queries or c.conditions or c.goals or c.refusal for c in clauses)


@dataclass
class Lesson:
    """What the gate says about teaching a phrase: refused (why), or allowed, perhaps after a yes (the questions)."""

    say: str
    do: str
    refusal: str | None = None
    asks: list[str] = field(default_factory=list)
    """The steps the gate would ask the teacher about, in words: the teaching itself is confirmed first."""


def check_lesson(say: str, do: str, *, parser: Parser, situations: Situations | None, preview: Any, room: str | None) -> Lesson:
    """Check "when I say ``say``, ``do``" as its teacher. ``preview(steps)``: the gate's decisions for the teacher."""
    lesson = Lesson(say, do)
    builtin = situations.match(say, parser.index) if situations is not None else None
    if has_reading(parser, say, room) or (builtin is not None and situations is not None
                                          and situations.situations[builtin[0]].run is None):
        lesson.refusal = (f"\"{say}\" already means something to me, and a taught phrase never changes what a sentence "
                          "means; teach it with other words")
        return lesson
    steps: list[Step] = []
    taught = situations.match(do, parser.index) if situations is not None else None
    if taught is not None and situations is not None and situations.situations[taught[0]].run is not None:
        lesson.refusal = "a taught phrase cannot run another taught phrase; say what it should do"
        return lesson
    clauses = [] if taught is not None else parser.parse(do, room=room).clauses
    unread = [c.text for c in clauses if not c.understood or c.clarify or c.refusal or not c.steps]
    if taught is None and (unread or not clauses):
        lesson.refusal = (f"I can learn a phrase only for what I can read now, and I could not read "
                          f"\"{unread[0] if unread else do}\" as something to do; say it as a request, e.g. "
                          "\"turn off the kitchen light\"")
        return lesson
    for clause in clauses:
        steps += clause.steps
    for step, decision in zip(steps, preview(steps), strict=True):
        if decision.verdict == "deny":
            lesson.refusal = f"I won't learn that: {decision.reason}"
            return lesson
        if decision.verdict == "ask":
            lesson.asks.append(step.describe())
    return lesson


def teach_turn(say: str, do: str, state: AgentState, deps: Deps, fresh: dict[str, Any]) -> dict[str, Any]:
    """A phrase to learn, checked by the gate as its teacher: refused, learnt, or asked about first (see
    :mod:`iotlm.agent.taught`)."""
    user = deps.user(state.get("user") or "owner")
    lesson = check_lesson(say, do, parser=deps.parser(), situations=deps.situations, room=state.get("room"),
                          preview=lambda steps: deps.executor.preview(steps, user=user, origin=origin_of(state)))
    if lesson.refusal:
        return {**fresh, "refused": [{"text": f"when I say {say}", "code": "not_taught", "reason": lesson.refusal}]}
    return {**fresh, "memo": {"kind": "situation", "text": f"{say}{ARROW}{do}", "asks": lesson.asks}}


def situation_turn(text: str, state: AgentState, deps: Deps, fresh: dict[str, Any]) -> dict[str, Any] | tuple[str, list[str]]:
    """The turn's state when ``text`` says a situation; else the text to understand (a taught phrase's own words, with
    the note that says whose phrase it was)."""
    if deps.situations is None:
        return text, []
    user = state.get("user") or "owner"
    phrases = {p.say.lower(): p for p in phrases_for(deps.store(), user)}
    situations = deps.situations.with_taught([(p.say, p.do) for p in phrases.values()])
    parser = deps.parser()
    match = situations.match(text, parser.index)
    if match is None:
        return text, []
    name, room, unknown = match
    taught_phrase = situations.situations[name].run is not None
    if taught_phrase and has_reading(parser, text, state.get("room")):
        return text, []  # a sentence that already means something keeps its meaning, whatever anyone taught
    plan = situations.plan(name, parser.index, deps.conditions(), room=room, unknown_place=unknown,
                           said_in=(state.get("room") or "").lower() or None)
    if plan.run:
        phrase = phrases.get(situations.situations[name].say[0].lower())
        owner = f"{whose(phrase, user)} taught phrase" if phrase is not None else "a taught phrase"
        return plan.run, [f"(\"{situations.situations[name].say[0]}\" is {owner}: {plan.run}.)"]
    steps = [s.model_copy(update={"clause": text}).model_dump() for s in plan.steps]
    refused = [{"text": text, "reason": plan.refusal, "code": "infeasible"}] if plan.refusal else []
    return {**fresh, "steps": steps, "refused": refused, "preface": plan.notes[:1], "answers": plan.notes[1:],
            "ask_first": plan.ask or ""}
