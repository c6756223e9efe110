"""Example iotlm driver plugin: devices that describe themselves in plain JSON over MQTT."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from iotlm import Binding, CodecError, Device, DeviceRegistry, MqttDriver, Transport, Value, hookimpl

log = logging.getLogger(__name__)
NAME = "plainjson"


class PlainJSONDriver(MqttDriver):
    """``<base>/<id>/config`` describes a device, ``<base>/<id>/state`` reports, ``<base>/<id>/set`` commands.
    MqttDriver sends a command (checked to be this driver's device) from what ``encode`` returns."""

    name = NAME
    kind = "a plain-JSON device"

    def __init__(self, transport: Transport, registry: DeviceRegistry, base: str = NAME) -> None:
        super().__init__(transport, registry)
        self.base = base

    def start(self) -> None:
        self.transport.subscribe(f"{self.base}/+/config", self._on_config)
        self.transport.subscribe(f"{self.base}/+/state", self._on_state)

    def _on_config(self, topic: str, payload: bytes) -> None:
        device_id = topic.split("/")[-2]
        if not payload:
            self.registry.remove(device_id)
            return
        try:
            data = json.loads(payload)
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            device = Device.model_validate({**data, "id": device_id, "binding": None})
        except (ValueError, ValidationError) as exc:
            log.warning("%s: not a device description (%s); skipped", topic, exc)
            return
        device.binding = Binding(driver=NAME, address=device_id, state_topic=f"{self.base}/{device_id}/state",
                                 command_topic=f"{self.base}/{device_id}/set")
        self.registry.upsert(device)

    def _on_state(self, topic: str, payload: bytes) -> None:
        try:
            values = json.loads(payload)
        except ValueError:
            log.warning("%s: state is not JSON; skipped", topic)
            return
        if isinstance(values, dict):
            self.registry.report(topic.split("/")[-2], values)

    def encode(self, device: Device, values: dict[str, Value]) -> list[tuple[str, Any]]:
        unknown = sorted(set(values) - set(device.attributes))
        if unknown:
            raise CodecError(f"{device.id} has no {', '.join(unknown)}")
        return [(f"{self.base}/{device.id}/set", dict(values))]


@hookimpl
def register_drivers(register: Callable[[str, Callable[..., Any]], None]) -> None:
    register(NAME, lambda transport, registry, connection: PlainJSONDriver(transport, registry))
