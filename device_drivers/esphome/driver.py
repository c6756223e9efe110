"""ESPHome's own MQTT: each component is found by its first state (``<prefix>/<component>/<object_id>/state``),
followed from then on, commanded on its ``/command`` topic, and online or not by ``<prefix>/status``. A component that
the same node also announces through Home Assistant discovery is left to that driver: it never appears twice."""

from __future__ import annotations

import logging
from typing import Any

from iotlm.device_drivers.base import CodecError, MqttDriver
from iotlm.device_drivers.esphome import codec
from iotlm.device_drivers.model import Device, Value
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.transport import Transport

log = logging.getLogger(__name__)


class ESPHomeDriver(MqttDriver):
    name = codec.DRIVER
    kind = "an ESPHome device"

    def __init__(self, transport: Transport, registry: DeviceRegistry, root: str = "", *,
                 share_group: str | None = None) -> None:
        super().__init__(transport, registry, share_group=share_group)
        self.root = f"{root.strip('/')}/" if root.strip("/") else ""
        self._mine: dict[str, str] = {}  # state topic base -> device id
        self._elsewhere: set[str] = set()  # state topics another driver (Home Assistant discovery) already reads
        self._status: dict[str, str] = {}  # prefix -> online/offline
        self._checked = -1

    def start(self) -> None:
        self.transport.subscribe(f"{self.root}+/status", self._on_status)
        self.transport.subscribe(f"{self.root}+/+/+/state", self._on_state)
        self.transport.subscribe(f"{self.root}+/cover/+/position/state", self._on_state)

    def _on_status(self, topic: str, payload: bytes) -> None:
        prefix = topic[len(self.root): -len("/status")]
        word = payload.decode("utf-8", "replace").strip().lower()
        if word not in ("online", "offline"):
            return  # other things publish on <x>/status too
        with self._lock:
            self._status[prefix] = word
            ids = [i for base, i in self._mine.items() if base.startswith(f"{self.root}{prefix}/")]
        for device_id in ids:
            self.registry.set_availability(device_id, word)

    def _taken_elsewhere(self, state_topic: str) -> bool:
        """Whether another driver already reads this state topic (the node's Home Assistant discovery)."""
        version = self.registry.structure_version
        if version != self._checked:
            self._checked = version
            taken: set[str] = set()
            for device in self.registry.all():
                if device.binding is None or device.binding.driver == self.name:
                    continue
                taken.update(t for t in [device.binding.state_topic, *(p.state_topic for p in device.binding.properties.values())] if t)
            self._elsewhere = taken
        return state_topic in self._elsewhere

    def _on_state(self, topic: str, payload: bytes) -> None:
        parsed = codec.parse_topic(topic, self.root)
        if parsed is None:
            return
        prefix, component, object_id, leaf = parsed
        base = f"{self.root}{prefix}/{component}/{object_id}"
        if self._taken_elsewhere(f"{base}/state"):
            with self._lock:
                ours = self._mine.pop(base, None)
            if ours is not None:
                log.info("%s is also announced through Home Assistant discovery; that one is kept", ours)
                self.registry.remove(ours)
            return
        with self._lock:
            device_id = self._mine.get(base)
        if device_id is None:
            if leaf != "state":
                return  # a cover is found by its state, then its position follows
            try:
                device = codec.decode_component(prefix, component, object_id, payload, self.root)
            except CodecError as exc:
                self._problems.warning(topic, f"{exc}; not a component iotlm can use")
                return
            with self._lock:
                self._mine[base] = device.id
                status = self._status.get(prefix)
            device.availability = "offline" if status == "offline" else "online"
            self.registry.upsert(device)
            device_id = device.id
        current = self.registry.peek(device_id)
        if current is None:
            return
        if leaf == "position/state" and "position" not in current.attributes:  # the cover has a position after all
            self.registry.upsert(codec.with_position(current.model_copy(deep=True)))
            current = self.registry.peek(device_id)
            if current is None:
                return
        try:
            values = codec.decode_state(current, leaf, payload)
        except CodecError as exc:
            self._problems.warning(topic, str(exc))
            return
        if values:
            self.registry.report(device_id, values)

    def encode(self, device: Device, values: dict[str, Value]) -> list[tuple[str, Any]]:
        return list(codec.encode_command(device, values))


__all__ = ["ESPHomeDriver"]
