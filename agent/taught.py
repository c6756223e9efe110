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
from typing import Any

from iotlm.agent.situations import Situations
from iotlm.agent.understand.parser import Parser
from iotlm.policies.model import Step

__all__ = ["Lesson", "Phrase", "check_lesson", "has_reading", "phrases_for", "whose"]

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
