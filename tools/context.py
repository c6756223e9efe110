"""What a tool function gets to work with: devices to read, and actions that go through the gate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from iotlm.device_drivers.model import Device, Value
from iotlm.errors import SetupError
from iotlm.policies.model import Origin, User

if TYPE_CHECKING:
    from iotlm.tools.executor import Executor, Outcome

PUBLISH_PREFIXES = ("iotlm/notify", "iotlm/plugins/")


class PublishNotAllowed(SetupError):
    """A tool tried to publish outside the topics tools may use (devices are reached via act())."""


@dataclass(frozen=True)
class ToolContext:
    executor: Executor
    user: User
    origin: Origin
    confirmed: bool = False

    def devices(self, room: str | None = None, type: str | None = None) -> list[Device]:
        out = self.executor.devices()
        if room is not None:
            out = [d for d in out if (d.room or "").lower() == room.lower()]
        if type is not None:
            out = [d for d in out if d.type == type]
        return out

    def device(self, device_id: str) -> Device | None:
        return self.executor.device(device_id)

    def act(self, device_id: str, operation: str, value: Value = None) -> Outcome:
        """Do a device operation, as this tool's caller, through the gate."""
        args = {} if value is None else {"value": value}
        return self.executor.call(f"{device_id}.{operation}", args, user=self.user, origin=self.origin,
                                  confirmed=self.confirmed)

    def publish(self, topic: str, payload: dict[str, Any] | str) -> None:
        """Publish a message that is not a device command (a notification, an event)."""
        self.executor.publish(topic, payload)

    def now(self) -> datetime:
        return self.executor.now()


__all__ = ["PUBLISH_PREFIXES", "PublishNotAllowed", "ToolContext"]
