"""Graph state: a narrow input (what a turn brings) and the full state of a turn."""

from __future__ import annotations

from typing import Any, TypedDict

from iotlm.policies.model import Step


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
    reading: list[dict[str, Any]]
    """How each clause was read: its speech act, the words used and those left over (``iotlm ask --json``)."""
    goals: list[dict[str, str]]
    """The complaints of the turn, by clause: room, condition and direction; every tier's steps are held to them."""
    ask_first: str
    """A question to put before any of the steps run (a situation that would change many devices)."""
    named: list[str]
    """Devices a statement was about ("the kids left the bedroom light on"): "it" in the next turn."""


def steps_of(state: AgentState) -> list[Step]:
    """The turn's steps as :class:`Step` objects (the checkpointed state keeps them as plain dicts, which threads saved
    by earlier versions hold too)."""
    return [Step(**s) for s in state.get("steps", [])]


def origin_of(state: AgentState) -> Any:
    """Where the turn came from, as the gate and the audit log name it (chat unless said)."""
    return state.get("origin") or "chat"


__all__ = ["AgentState", "TurnInput", "origin_of", "steps_of"]
