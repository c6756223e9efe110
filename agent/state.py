"""Graph state: a narrow input (what a turn brings) and the full state of a turn."""

from __future__ import annotations

from typing import Any, TypedDict


class TurnInput(TypedDict, total=False):
    utterance: str
    user: str
    room: str | None
    yes: bool
    origin: str


class AgentState(TurnInput, total=False):
    tier: str
    steps: list[dict[str, Any]]
    queries: list[dict[str, Any]]
    refused: list[dict[str, str]]
    clarify: list[str]
    unparsed: list[str]
    candidates: dict[str, list[str]]
    ranked: dict[str, dict[str, Any]]
    """For clauses about a room's conditions: the goal the model chose, with its confidence."""
    asked: list[dict[str, Any]]
    confirmed: bool
    outcomes: list[dict[str, Any]]
    reply: str
    needs_confirmation: bool
    understood: bool
    memo: dict[str, Any]
    answers: list[str]
    preface: list[str]
    """What the reply says first: the readings a goal's plan acted on."""
    job: dict[str, Any]
    """A job said in chat ("in 10 minutes ..."): the rule to save and what to say about it."""
    scheduled: list[dict[str, Any]]
    recent: list[str]
    """Devices the previous turn was about: what "it" and "them" mean in the next one."""
