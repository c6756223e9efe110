"""What the gate decides about: a step, the context it is asked in, and the decision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from iotlm.device_drivers.model import Device, Value

Verdict = Literal["allow", "ask", "deny"]
Origin = Literal["chat", "rule", "api", "tool", "cli", "test"]


class Step(BaseModel):
    """One thing to do: a device operation, or a call of a (non-device) tool."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tool: str
    """The tool this step comes from: ``kitchen.light.set_brightness`` or ``notify``."""
    device_id: str | None = None
    operation: str | None = None
    """``turn_on``, ``set_brightness``, ``unlock``... for device steps."""
    attribute: str | None = None
    value: Value = None
    args: dict[str, Any] = Field(default_factory=dict)
    clause: str | None = None
    """The words this step came from (for replies and for scoring one refusal per clause)."""
    reading: dict[str, list[str]] = Field(default_factory=dict)
    """How its clause was read: the words it ``used`` and those ``left`` over (the audit log keeps it)."""

    def describe(self) -> str:
        if self.device_id is None:
            return f"{self.tool}({', '.join(f'{k}={v!r}' for k, v in self.args.items())})"
        if self.attribute is None:
            return f"{self.device_id}.{self.operation}"
        return f"{self.device_id}.{self.attribute} = {self.value!r}"


class User(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = "owner"
    role: str = "admin"


class PolicyContext(BaseModel):
    """Everything a policy may look at. Policies are pure: same step + context, same decision."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    user: User = User()
    origin: Origin = "api"
    now: datetime
    device: Device | None = None
    """The step's device as last reported (None for tool calls or unknown devices)."""
    known_devices: tuple[str, ...] = ()
    recent_commands: int = 0
    """Commands sent to the step's device within the rate-limit window."""
    confirmed: bool = False
    """The person already confirmed (``--yes``, "yes" in chat, a rule approved when accepted)."""
    tool_requires_confirmation: bool = False


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    verdict: Verdict
    reason: str
    policy: str
    code: str = ""
    """A stable code for user-facing messages (``out_of_range``, ``needs_confirmation``...)."""


Policy = Callable[[Step, PolicyContext], Decision | None]
"""A pure function: a decision, or None when the policy has nothing to say about the step."""


__all__ = ["Decision", "Origin", "Policy", "PolicyContext", "Step", "User", "Verdict"]
