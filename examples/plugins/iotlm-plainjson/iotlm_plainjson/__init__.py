"""Example iotlm driver plugin: devices that describe themselves in plain JSON over MQTT."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from iotlm import Binding, CommandError, Device, DeviceRegistry, Transport, Value, hookimpl

log = logging.getLogger(__name__)
NAME = "plainjson"


class PlainJSONDriver:
    """``<base>/<id>/config`` describes a device, ``<base>/<id>/state`` reports, ``<base>/<id>/set`` commands."""

    name = NAME

    def __init__(self, transport: Transport, registry: DeviceRegistry, base: str = NAME) -> None:
        self.transport = transport
        self.registry = registry
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

    def command(self, device: Device, values: dict[str, Value]) -> dict[str, Any]:
        unknown = sorted(set(values) - set(device.attributes))
        if unknown:
            raise CommandError(f"{device.id} has no {', '.join(unknown)}")
        topic = f"{self.base}/{device.id}/set"
        self.transport.publish(topic, dict(values), qos=1)
        return {topic: dict(values)}


@hookimpl
def register_drivers(register: Callable[[str, Callable[..., Any]], None]) -> None:
    register(NAME, lambda transport, registry, connection: PlainJSONDriver(transport, registry))
