"""What reading a request comes to, whichever reader read it: the steps to take, why none (a refusal), a question to
put back, and the words left over. The fast path's clauses, a room goal's plan, a situation's plan and the model's plan
are each one, with what is theirs besides."""

from __future__ import annotations

from dataclasses import dataclass, field

from iotlm.policies.model import Step


@dataclass(kw_only=True)
class ReadResult:
    steps: list[Step] = field(default_factory=list)
    refusal: str | None = None
    """Why nothing acts, said to the person."""
    clarify: str | None = None
    """The question put back instead of acting."""
    left: tuple[str, ...] = ()
    """The words it could not account for: with any, nothing acts."""


__all__ = ["ReadResult"]
