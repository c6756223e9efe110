"""What reading a request about later produces: its parts, the anchor they hang on, and the draft job (or why there
is none)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from iotlm.errors import UserError


@dataclass
class Part:
    """One command of the request and when it happens: ``at`` (absolute) or ``offset`` after the anchor."""
    text: str
    at: datetime | None = None
    offset: float = 0.0
    revert: float | None = None
    now: bool = False
    """Said for now ("turn it on now and off in 10 minutes"): done at once, not by the job."""
    actions: list[dict[str, Any]] | None = None
    """Actions already worked out (putting back what a part done now changed), instead of words to parse."""


@dataclass
class Draft:
    """What a request about later comes to: a job to save, or why there is none."""
    job: dict[str, Any] | None = None
    says: str = ""
    refusal: str | None = None
    clarify: str | None = None
    now: list[str] = field(default_factory=list)
    """Commands of the same request to do at once ("turn on the fan now and off in 10 minutes")."""
    offer: bool = False
    """A standing rule ("every day at 7 am ..."): asked about before it is saved, whoever asks."""


@dataclass
class Anchor:
    kind: str  # "time", "event", "align"
    at: datetime | None = None
    trigger: dict[str, Any] | None = None
    says: str = ""
    offset: float = 0.0
    refusal: str | None = None
    explains: str = ""
    """How the anchor's time was worked out ("the dishwasher finishes at 16:00, so 10 minutes before is 15:50"), for a
    reply that names a conflict."""


class Unclear(UserError):
    """A request about later whose timing cannot be worked out; the message asks for what is missing."""


def problem(parse: Any) -> Draft | None:
    for clause in parse.clauses:
        if clause.refusal:
            return Draft(refusal=clause.refusal)
        if clause.clarify:
            return Draft(clarify=clause.clarify)
        if clause.act == "question":
            return Draft(clarify="a question can't be scheduled; ask it when you want to know")
    return None


__all__ = ["Anchor", "Draft", "Part", "Unclear", "problem"]
