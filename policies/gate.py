"""The one gate: every step from every origin is decided here, and every decision audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from iotlm.device_drivers.model import Device
from iotlm.policies.audit import AuditLog
from iotlm.policies.model import Decision, Origin, Policy, PolicyContext, Step, User


def compose(policies: Sequence[Policy], step: Step, ctx: PolicyContext) -> Decision:
    """Ask every policy in order. A deny wins; then an ask (allowed if already confirmed)."""
    first_ask: Decision | None = None
    for policy in policies:
        decision = policy(step, ctx)
        if decision is None:
            continue
        if decision.verdict == "deny":
            return decision
        if decision.verdict == "ask" and first_ask is None:
            first_ask = decision
    if first_ask is not None:
        if ctx.confirmed:
            return Decision(verdict="allow", policy=first_ask.policy, code="confirmed",
                            reason=f"confirmed by {ctx.user.name}: {first_ask.reason}")
        return first_ask
    return Decision(verdict="allow", policy="default", code="allowed", reason="no policy objected")


def preview(policies: Sequence[Policy], step: Step, *, user: User, device: Device | None, now: datetime,
            origin: Origin = "rule") -> Decision:
    """What the gate would decide for ``user``, unconfirmed, with nothing audited (no executor needed)."""
    return compose(policies, step, PolicyContext(user=user, origin=origin, now=now, device=device))


class Gate:
    def __init__(self, policies: Sequence[Policy], audit: AuditLog) -> None:
        self.policies = list(policies)
        self.audit = audit

    def decide(self, step: Step, ctx: PolicyContext) -> Decision:
        decision = compose(self.policies, step, ctx)
        self.audit.record(step, ctx, decision)
        return decision


__all__ = ["Gate", "compose", "preview"]
