"""The executor: the only path from iotlm to a device.

Every step, whatever its origin (chat, rule, API, a tool, a plugin), is decided by the gate
and audited here before anything is published; what is reported back is what the device
reports, never what was asked for.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from iotlm.device_drivers.base import CommandError
from iotlm.device_drivers.clock import WALL
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.model import Device, Value
from iotlm.policies.config import PolicyConfig
from iotlm.policies.gate import Gate, compose
from iotlm.policies.model import Decision, Origin, PolicyContext, Step, User
from iotlm.tools.context import PUBLISH_PREFIXES, PublishNotAllowed, ToolContext
from iotlm.tools.device_tools import DeviceOperation, device_operations, implied_values
from iotlm.tools.registry import ToolRegistry, UnknownToolError

log = logging.getLogger(__name__)

Status = Literal["done", "already", "unconfirmed", "denied", "needs_confirmation", "failed", "ok"]


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: Step
    status: Status
    reason: str = ""
    code: str = ""
    reported: Value = None
    """The device-reported value after the step (device steps)."""
    result: Any = None
    """What a read or a tool call returned."""

    @property
    def ok(self) -> bool:
        return self.status in ("done", "already", "ok")


class Executor:
    def __init__(self, connection: Connection, gate: Gate, tools: ToolRegistry, *,
                 policy_config: PolicyConfig | None = None, clock: Callable[[], datetime] = WALL,
                 verify_timeout: float = 2.0) -> None:
        self._connection = connection
        self.gate = gate
        self.tools = tools
        self._clock = clock
        self.verify_timeout = verify_timeout
        limit = (policy_config or PolicyConfig()).rate_limit
        self._window = limit.per_seconds
        self._sent: dict[str, deque[float]] = {}
        self._sent_values: dict[tuple[str, str], tuple[Value, float]] = {}
        connection.registry.add_listener(self._on_change)
        self._lock = threading.Lock()

    # ------------------------------------------------------------ reading

    def now(self) -> datetime:
        return self._clock()

    @property
    def clock(self) -> Callable[[], datetime]:
        """The clock the gate sees (time-of-day policies); the rule engine and jobs run on it too."""
        return self._clock

    def devices(self) -> list[Device]:
        return self._connection.registry.all()

    def device(self, device_id: str) -> Device | None:
        return self._connection.registry.get(device_id)

    def operation(self, name: str) -> tuple[Device, DeviceOperation]:
        device_id, _, op_name = name.rpartition(".")
        device = self.device(device_id) if device_id else None
        if device is None:
            raise UnknownToolError(f"no tool {name!r}: there is no device {device_id!r}" if device_id else f"no tool {name!r}")
        for op in device_operations(device):
            if op.operation == op_name:
                return device, op
        ops = ", ".join(op.operation for op in device_operations(device))
        raise UnknownToolError(f"no tool {name!r}: the {device.name} can do: {ops}")

    # ------------------------------------------------------------ entry points

    def call(self, name: str, args: dict[str, Any] | None = None, *, user: User | None = None, origin: Origin = "api",
             confirmed: bool = False, wait: float | None = None) -> Outcome:
        """Call a registered tool or a device operation (``kitchen.light.turn_on``).

        Bad arguments raise :class:`~tools.registry.ToolInputError` and nothing is sent.
        """
        args = dict(args or {})
        user = user or User()
        if name in self.tools:
            return self._call_tool(name, args, user, origin, confirmed)
        device, op = self.operation(name)
        step = op.step(device, args)
        return self.run([step], user=user, origin=origin, confirmed=confirmed, wait=wait)[0]

    def run(self, steps: Sequence[Step], *, user: User | None = None, origin: Origin = "api",
            confirmed: bool | Callable[[Step], bool] = False, wait: float | None = None) -> list[Outcome]:
        """Decide, send and verify device steps; the valid ones run even if others are refused. ``confirmed``: whether
        the person confirmed, for every step or step by step (a rule's owner approved some of its steps)."""
        user = user or User()
        outcomes: list[Outcome | None] = []
        sent: list[tuple[int, Step, dict[str, Value]]] = []
        for step in steps:
            outcome = self._decide_and_send(step, user, origin, confirmed(step) if callable(confirmed) else confirmed)
            if isinstance(outcome, dict):  # sent, with what it implies (a light's state, a valve's position)
                sent.append((len(outcomes), step, outcome))
                outcomes.append(None)
            else:
                outcomes.append(outcome)
        if sent:
            self._verify(sent, outcomes, self.verify_timeout if wait is None else wait)
        return [o for o in outcomes if o is not None]

    def preview(self, steps: Sequence[Step], *, user: User | None = None, origin: Origin = "api",
                confirmed: bool = False) -> list[Decision]:
        """What the gate would decide, without deciding (nothing audited, nothing sent)."""
        user = user or User()
        out = []
        for step in steps:
            device = self.device(step.device_id) if step.device_id else None
            out.append(compose(self.gate.policies, step, self._context(step, user, origin, confirmed, device)))
        return out

    def record_asked(self, steps: Sequence[Step], *, user: User | None = None, origin: Origin = "api") -> list[Decision]:
        """Decide (and so audit) steps that were put to the person as a question; nothing is sent."""
        user = user or User()
        return [self.gate.decide(s, self._context(s, user, origin, False, self.device(s.device_id) if s.device_id else None))
                for s in steps]

    # ------------------------------------------------------------ internals

    def _context(self, step: Step, user: User, origin: Origin, confirmed: bool, device: Device | None,
                 tool_requires_confirmation: bool = False) -> PolicyContext:
        return PolicyContext(user=user, origin=origin, now=self._clock(), device=device, confirmed=confirmed,
                             recent_commands=self._recent(step.device_id) if step.device_id else 0,
                             tool_requires_confirmation=tool_requires_confirmation)

    def _call_tool(self, name: str, args: dict[str, Any], user: User, origin: Origin, confirmed: bool) -> Outcome:
        tool = self.tools.get(name)
        values = tool.validate(args)
        step = Step(tool=name, args=values)
        decision = self.gate.decide(step, self._context(step, user, origin, confirmed, None, tool.requires_confirmation))
        if decision.verdict != "allow":
            status: Status = "denied" if decision.verdict == "deny" else "needs_confirmation"
            return Outcome(step=step, status=status, reason=decision.reason, code=decision.code)
        if tool.context_arg:
            values[tool.context_arg] = ToolContext(executor=self, user=user, origin="tool", confirmed=confirmed)
        try:
            result = tool.func(**values)
        except Exception as exc:  # a tool's failure is a result, not a crash
            log.exception("tool %s failed", name)
            return Outcome(step=step, status="failed", reason=f"{name} failed: {exc}", code="tool_failed")
        return Outcome(step=step, status="ok", result=result, code="ok")

    def _decide_and_send(self, step: Step, user: User, origin: Origin, confirmed: bool) -> Outcome | dict[str, Value]:
        """The step's outcome when it was not sent (denied, a read, already so, asked about, failed); else what was
        sent with it that it implies."""
        device = self.device(step.device_id) if step.device_id else None
        decision = self.gate.decide(step, self._context(step, user, origin, confirmed, device))
        if decision.verdict == "deny":
            return Outcome(step=step, status="denied", reason=decision.reason, code=decision.code)
        if device is None or step.attribute is None:  # a read
            if decision.verdict == "ask":
                return Outcome(step=step, status="needs_confirmation", reason=decision.reason, code=decision.code)
            return Outcome(step=step, status="ok", result=device.state() if device else None, code="ok")
        attr = device.attributes[step.attribute]
        value = attr.check(step.value)
        # what the value implies (a brightness turns an off light on), unless already on its way
        implied = {k: v for k, v in implied_values(device, step.attribute, value).items() if self.in_flight(device.id, k) != v}
        if attr.value == value and self.in_flight(device.id, step.attribute) in (None, value) and not implied:
            return Outcome(step=step, status="already", reported=attr.value, code="already",
                           reason=f"the {device.name} is already {_say(step.attribute, value)}")
        if decision.verdict == "ask":
            return Outcome(step=step, status="needs_confirmation", reason=decision.reason, code=decision.code)
        try:
            self._connection.command(device.id, {step.attribute: value, **implied})
        except CommandError as exc:
            return Outcome(step=step, status="failed", reason=str(exc), code="command_failed")
        self._note_sent(device.id)
        with self._lock:
            for attribute, sent_value in ((step.attribute, value), *implied.items()):
                self._sent_values[(device.id, attribute)] = (sent_value, time.monotonic())
        return implied

    def _on_change(self, device_id: str, changed: dict[str, Value]) -> None:
        """A device reported the value last sent: it is no longer in flight (an older value reported meanwhile is not)."""
        if not self._sent_values:
            return
        with self._lock:
            for attribute, value in changed.items():
                sent = self._sent_values.get((device_id, attribute))
                if sent is not None and sent[0] == value:
                    del self._sent_values[(device_id, attribute)]

    def in_flight(self, device_id: str, attribute: str) -> Value:
        """The value last sent to this attribute if the device has not reported it yet (within 30 s; else None).
        "Already" is judged against where the device is going, not only where it last said it was."""
        with self._lock:
            sent = self._sent_values.get((device_id, attribute))
        return sent[0] if sent is not None and time.monotonic() - sent[1] < 30.0 else None

    def _verify(self, sent: list[tuple[int, Step, dict[str, Value]]], outcomes: list[Outcome | None], timeout: float) -> None:
        registry = self._connection.registry

        def wanted(step: Step, implied: dict[str, Value]) -> bool:  # checked on every report while waiting: no copies
            device_id = step.device_id or ""
            return bool(registry.value(device_id, step.attribute or "") == step.value) and all(
                registry.value(device_id, k) == v for k, v in implied.items())

        registry.wait_for(lambda r: all(wanted(s, i) for _, s, i in sent), timeout)
        for index, step, _ in sent:
            reported = registry.value(step.device_id or "", step.attribute or "")
            if reported == step.value:
                outcomes[index] = Outcome(step=step, status="done", reported=reported, code="done")
            else:
                outcomes[index] = Outcome(
                    step=step, status="unconfirmed", reported=reported, code="unconfirmed",
                    reason=f"{step.device_id} did not confirm within {timeout:g} s; it reports {step.attribute} = {reported!r}")

    def _recent(self, device_id: str) -> int:
        cutoff = time.monotonic() - self._window
        with self._lock:
            sent = self._sent.get(device_id)
            if not sent:
                return 0
            while sent and sent[0] < cutoff:
                sent.popleft()
            return len(sent)

    def _note_sent(self, device_id: str) -> None:
        with self._lock:
            self._sent.setdefault(device_id, deque()).append(time.monotonic())

    def reply(self, topic: str, payload: dict[str, Any]) -> None:
        """Answer a request made over MQTT (``iotlm/<home>/reply/<id>``); nothing else can be published this way."""
        if not re.fullmatch(r"iotlm/[^/#+]+/(?:anonymous/)?reply/[^#+]+", topic):
            raise PublishNotAllowed(f"replies go to iotlm/<home>/reply/<user>/<id> or iotlm/<home>/anonymous/reply/<id>, "
                                    f"not {topic!r}")
        self._connection.transport.publish(topic, payload, qos=1)

    def notify(self, topic: str, payload: dict[str, Any]) -> None:
        """Tell one person what the watchers noticed (``iotlm/<home>/notify/<user>``); nothing else goes this way."""
        if not re.fullmatch(r"iotlm/[^/#+]+/notify/[^/#+]+", topic):
            raise PublishNotAllowed(f"notices go to iotlm/<home>/notify/<user>, not {topic!r}")
        self._connection.transport.publish(topic, payload, qos=1)

    def publish(self, topic: str, payload: dict[str, Any] | str) -> None:
        """Publish a non-device message (notifications, events); device topics are refused."""
        if not topic.startswith(PUBLISH_PREFIXES) or any(c in topic for c in "#+"):
            raise PublishNotAllowed(f"tools may publish only under {' or '.join(PUBLISH_PREFIXES)}, not {topic!r}; "
                                    "devices are changed with ctx.act(), which goes through the policy gate")
        self._connection.transport.publish(topic, payload, qos=1)


def _say(attribute: str, value: Value) -> str:
    return str(value) if attribute == "state" else f"at {attribute} {value}"


__all__ = ["Executor", "Outcome", "Status"]
