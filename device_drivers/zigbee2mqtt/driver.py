"""Zigbee2MQTT over MQTT: discovery from ``bridge/devices``, state, availability, commands."""

from __future__ import annotations

import logging
import threading
from typing import Any

from iotlm.device_drivers.base import CodecError, MqttDriver, parse_json
from iotlm.device_drivers.model import Device, Value
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.transport import Transport
from iotlm.device_drivers.zigbee2mqtt import codec

log = logging.getLogger(__name__)


MAX_PENDING = 100_000
"""Reports kept, in all, until the device list arrives."""


class Zigbee2MQTTDriver(MqttDriver):
    """Keeps the registry in step with one Zigbee2MQTT bridge (``base`` topic)."""

    name = codec.DRIVER
    kind = "a Zigbee2MQTT device"

    def __init__(self, transport: Transport, registry: DeviceRegistry, base: str = "zigbee2mqtt", *,
                 share_group: str | None = None) -> None:
        super().__init__(transport, registry, share_group=share_group)
        self.base = base.rstrip("/")
        self._names: set[str] = set()
        self._pending: dict[str, list[Any]] = {}
        """Reports that came before the device list (a service back from a crash gets the ones kept for it first),
        replayed in order once the list arrives."""
        self._pending_count = 0
        self.discovered = threading.Event()

    def start(self) -> None:
        # the reports first: the device list makes us ask each device for its state (/get), and the answer is not
        # retained, so it must find this subscription already there. Subscribed the other way round, a busy machine
        # could send a /get between the two and lose its answer (the device then had no state until it next reported)
        if not self.share_group:
            self.transport.subscribe(f"{self.base}/#", self._on_message)
        self.transport.subscribe(f"{self.base}/bridge/devices", self._on_devices)
        # shared: one subscription per device, made as the device list arrives (_watch)

    # ------------------------------------------------------------ incoming

    def _on_devices(self, topic: str, payload: bytes) -> None:
        if not payload:
            return  # a retained message being cleared, not a device list: the devices' availability says if they left
        try:
            data = parse_json(payload)
        except CodecError as exc:
            self._problems.warning(topic, str(exc))
            return
        decoded = codec.decode_devices(data, self.base)
        for problem in decoded.problems:
            self._problems.warning(topic, problem)
        new_names = {d.id for d in decoded.devices}
        with self._lock:
            gone = self._names - new_names
            fresh = new_names - self._names
            self._names = new_names
        for name in gone:
            log.info("%s no longer lists %s; removed", topic, name)
            self.registry.remove(name)
        if self.share_group:
            self._watch(decoded.devices, fresh)
        for device in decoded.devices:
            self.registry.upsert(device)
        for device in decoded.devices:  # every device known first: a replayed report may fire a rule on another
            kept = self._pending.pop(device.id, [])
            self._pending_count -= len(kept)
            for pending in kept:
                self._apply_state(f"{self.base}/{device.id}", device, pending)
        for device in decoded.devices:
            request = codec.get_request(device)
            if device.id in fresh and request:
                self.transport.publish(f"{self.base}/{device.id}/get", request, qos=0)
        self.discovered.set()

    def _watch(self, devices: list[Device], fresh: set[str]) -> None:
        """Shared mode: a sensor's reports go to one worker of the group; a device that can be commanded reports
        to every worker, so each can verify its own commands and read its state for conditions."""
        for device in devices:
            if device.id not in fresh:
                continue
            writable = any(a.writable for a in device.attributes.values())
            reports = f"{self.base}/{device.id}"
            self.transport.subscribe(reports if writable else self.shared(reports), self._on_message)
            self.transport.subscribe(f"{self.base}/{device.id}/availability", self._on_message)

    def _on_message(self, topic: str, payload: bytes) -> None:
        rest = topic[len(self.base) + 1:]
        if rest.startswith("bridge/"):
            return
        with self._lock:
            names = self._names
        if rest.endswith("/availability") and rest[: -len("/availability")] in names:
            self._on_availability(topic, rest[: -len("/availability")], payload)
            return
        if rest.endswith(("/set", "/get")) and rest[:-4] in names:
            return  # commands, ours or another client's
        if rest not in names:
            if "/" not in rest or rest.rsplit("/", 1)[-1] not in ("set", "get", "availability"):
                # state can come before the device list: keep it, in order, until the list comes (bounded)
                try:
                    self._pending.setdefault(rest, []).append(parse_json(payload))
                    self._pending_count += 1
                except CodecError:
                    pass
                if self._pending_count > MAX_PENDING:
                    log.warning("%d reports came before any device list; they are forgotten", self._pending_count)
                    self._pending.clear()
                    self._pending_count = 0
            return
        device = self.registry.peek(rest)  # read-only: decode the report against it
        if device is None:
            return
        try:
            data = parse_json(payload)
        except CodecError as exc:
            self._problems.warning(topic, str(exc))
            return
        self._apply_state(topic, device, data)

    def _apply_state(self, topic: str, device: Device, data: Any) -> None:
        try:
            values = codec.decode_state(device, data)
        except CodecError as exc:
            self._problems.warning(topic, str(exc))
            return
        self.registry.report(device.id, values)
        if device.availability == "unknown":
            self.registry.set_availability(device.id, "online")

    def _on_availability(self, topic: str, name: str, payload: bytes) -> None:
        if not payload:
            return  # a retained message being cleared
        text = payload.decode("utf-8", "replace").strip()
        state = text
        if text.startswith("{"):
            try:
                state = str(parse_json(payload).get("state", ""))
            except (CodecError, AttributeError):
                self._problems.warning(topic, f"availability payload {text[:60]!r} is not understood")
                return
        state = state.lower()
        if state in ("online", "offline"):
            self.registry.set_availability(name, state)
        else:
            self._problems.warning(topic, f"availability {state!r} is neither online nor offline")

    # ------------------------------------------------------------ outgoing

    def encode(self, device: Device, values: dict[str, Value]) -> list[tuple[str, Any]]:
        assert device.binding is not None  # command() checked it
        return [(device.binding.command_topic or f"{self.base}/{device.id}/set", codec.encode_command(device, values))]

    def refresh(self, device: Device) -> None:
        """Ask the device to publish its state (Zigbee2MQTT does not retain it)."""
        request = codec.get_request(device)
        if request:
            self.transport.publish(f"{self.base}/{device.id}/get", request, qos=0)


__all__ = ["MAX_PENDING", "Zigbee2MQTTDriver"]
