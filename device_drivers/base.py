"""What every driver offers the rest of iotlm."""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from iotlm.device_drivers._logonce import OnceLogger
from iotlm.device_drivers.model import Device, Value
from iotlm.errors import DeviceError

if TYPE_CHECKING:
    from iotlm.device_drivers.registry import DeviceRegistry
    from iotlm.device_drivers.transport import Transport


class CommandError(DeviceError, ValueError):
    """A command the device cannot take (unknown attribute, value it would reject)."""


class CodecError(DeviceError, ValueError):
    """A payload that does not follow its dialect: a discovery config, state or command this driver cannot use."""


def parse_json(payload: bytes) -> Any:
    """A JSON payload of any dialect; a payload that is not JSON text raises :class:`CodecError`."""
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CodecError(f"payload is not JSON ({exc}); starts with {payload[:60]!r}") from exc


_MAC = re.compile(r"^[0-9a-f]{12}$")
_IEEE = re.compile(r"^0x[0-9a-f]{16}$")


def identity(value: Any) -> str | None:
    """The physical device a dialect's identifier names, the same in every dialect: ``mac:a8032ab12345`` for a MAC
    address (``A8:03:2A:B1:23:45``, ``A8032AB12345``), ``ieee:0x00158d0001a2b3c4`` for a Zigbee IEEE address (also as
    Zigbee2MQTT's Home Assistant identifier ``zigbee2mqtt_0x...``); None for anything else."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().removeprefix("zigbee2mqtt_")
    bare = re.sub(r"[:.-]", "", text)
    if _MAC.match(bare):
        return f"mac:{bare}"
    return f"ieee:{text}" if _IEEE.match(text) else None


@runtime_checkable
class Driver(Protocol):
    name: str

    def start(self) -> None:
        """Subscribe to discovery and state; returns at once (discovery is asynchronous)."""

    def command(self, device: Device, values: dict[str, Value]) -> dict[str, Any]:
        """Send canonical ``values`` to ``device``; return what was published (topic -> payload)."""
        ...


class MqttDriver:
    """What every MQTT driver shares, written once: its transport and registry, the worker group of ``iotlm run``'s
    shared subscriptions, one lock, problems said once per topic, and sending a command (the device must be this
    driver's; what the codec cannot encode is the caller's :class:`CommandError`). A driver keeps its codec and its
    topics: it subscribes in ``start`` and turns a command into messages in ``encode``."""

    name: str
    kind: ClassVar[str]
    """What a device of this driver is, for errors: "a Zigbee2MQTT device"."""
    needs_command_topic: ClassVar[bool] = False

    def __init__(self, transport: Transport, registry: DeviceRegistry, *, share_group: str | None = None) -> None:
        self.transport = transport
        self.registry = registry
        self.share_group = share_group
        """With a group, readings are a shared subscription: each report reaches one of the group's workers."""
        self._lock = threading.Lock()
        self._problems = OnceLogger(logging.getLogger(type(self).__module__))

    def shared(self, topic: str) -> str:
        """``topic`` as the group's shared subscription (``$share/<group>/<topic>``); as it is without a group."""
        return f"$share/{self.share_group}/{topic}" if self.share_group else topic

    def start(self) -> None:
        raise NotImplementedError

    def encode(self, device: Device, values: dict[str, Value]) -> list[tuple[str, Any]]:
        """The messages (topic, payload) that set ``values`` on ``device``; :class:`CodecError` when it cannot."""
        raise NotImplementedError

    def command(self, device: Device, values: dict[str, Value]) -> dict[str, Any]:
        """Send ``values``; what was published, topic -> payload (a topic sent several messages: their list)."""
        binding = device.binding
        if binding is None or binding.driver != self.name or (self.needs_command_topic and not binding.command_topic):
            raise CommandError(f"{device.id} is not {self.kind}")
        try:
            messages = self.encode(device, values)
        except CodecError as exc:
            raise CommandError(str(exc)) from exc
        sent: dict[str, list[Any]] = {}
        for topic, payload in messages:
            self.transport.publish(topic, payload, qos=1)
            sent.setdefault(topic, []).append(payload)
        return {topic: payloads[0] if len(payloads) == 1 else payloads for topic, payloads in sent.items()}


__all__ = ["CodecError", "CommandError", "Driver", "MqttDriver", "identity", "parse_json"]
