"""Tasmota over MQTT: discovery from ``tasmota/discovery/<MAC>/config`` and ``/sensors``, state from the device's
``stat`` and ``tele`` topics, availability from its LWT, commands on its ``cmnd`` topic (with any FullTopic)."""

from __future__ import annotations

import logging
from typing import Any

from iotlm.device_drivers.base import CodecError, MqttDriver, parse_json
from iotlm.device_drivers.model import Device, Value
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.tasmota import codec
from iotlm.device_drivers.transport import Transport

log = logging.getLogger(__name__)


class TasmotaDriver(MqttDriver):
    """Keeps the registry in step with the Tasmota devices that announce themselves under ``discovery``."""

    name = codec.DRIVER
    kind = "a Tasmota device"
    needs_command_topic = True

    def __init__(self, transport: Transport, registry: DeviceRegistry, discovery: str = codec.DISCOVERY, *,
                 share_group: str | None = None) -> None:
        super().__init__(transport, registry, share_group=share_group)
        self.discovery = discovery.rstrip("/")
        self._configs: dict[str, dict[str, Any]] = {}  # MAC -> config
        self._sensors: dict[str, Any] = {}  # MAC -> sensors message
        self._devices: dict[str, list[str]] = {}  # MAC -> device ids
        self._routes: dict[str, list[str]] = {}  # a stat/tele prefix ("stat/kitchen/") -> device ids
        self._watched: set[str] = set()

    def start(self) -> None:
        self.transport.subscribe(f"{self.discovery}/+/config", self._on_config)
        self.transport.subscribe(f"{self.discovery}/+/sensors", self._on_sensors)

    # ------------------------------------------------------------ discovery

    def _on_config(self, topic: str, payload: bytes) -> None:
        mac = topic[len(self.discovery) + 1:].split("/")[0]
        if not payload:
            self._forget(mac)
            return
        try:
            config = parse_json(payload)
            codec.decode_config(config)  # checked before it is kept
        except CodecError as exc:
            self._problems.warning(topic, f"{exc}; skipped")
            return
        with self._lock:
            self._configs[mac] = config
        self._refresh(mac)

    def _on_sensors(self, topic: str, payload: bytes) -> None:
        mac = topic[len(self.discovery) + 1:].split("/")[0]
        try:
            sensors = parse_json(payload) if payload else None
        except CodecError as exc:
            self._problems.warning(topic, f"{exc}; skipped")
            return
        with self._lock:
            self._sensors[mac] = sensors
            known = mac in self._configs
        if known:
            self._refresh(mac)

    def _refresh(self, mac: str) -> None:
        with self._lock:
            config, sensors = self._configs.get(mac), self._sensors.get(mac)
        if config is None:
            return
        try:
            decoded = codec.decode_config(config, sensors)
        except CodecError as exc:
            self._problems.warning(f"{self.discovery}/{mac}", f"{exc}; skipped")
            return
        for problem in decoded.problems:
            self._problems.warning(f"{self.discovery}/{mac}", problem)
        ids = [d.id for d in decoded.devices]
        with self._lock:
            gone = set(self._devices.get(mac, [])) - set(ids)
            self._devices[mac] = ids
            stat, tele = codec.full_topic(config, 1), codec.full_topic(config, 2)
            for prefix in (stat, tele):
                self._routes[prefix] = ids
            fresh = [p for p in (stat, tele) if p not in self._watched]
            self._watched.update(fresh)
        for prefix in fresh:  # before the devices appear: what they report from then on is heard
            self.transport.subscribe(f"{prefix}#", self._on_state)
        for device_id in gone:
            self.registry.remove(device_id)
        for device in decoded.devices:
            self.registry.upsert(device)
        # the devices' state now: STATE answers with power, dimmer and colour, and readings come with the sensors
        self.transport.publish(f"{codec.full_topic(config, 0)}State", "", qos=0)
        if any(d.type == "cover" for d in decoded.devices):
            self.transport.publish(f"{codec.full_topic(config, 0)}ShutterPosition", "", qos=0)

    def _forget(self, mac: str) -> None:
        with self._lock:
            self._configs.pop(mac, None)
            ids = self._devices.pop(mac, [])
        for device_id in ids:
            log.info("Tasmota device %s withdrew its discovery; removed", device_id)
            self.registry.remove(device_id)

    # ------------------------------------------------------------ state

    def _on_state(self, topic: str, payload: bytes) -> None:
        prefix, _, leaf = topic.rpartition("/")
        with self._lock:
            ids = list(self._routes.get(prefix + "/", []))
        if not ids:
            return
        if leaf == "LWT":
            text = payload.decode("utf-8", "replace").strip().lower()
            if text in ("online", "offline"):
                for device_id in ids:
                    self.registry.set_availability(device_id, text)
            elif payload:
                self._problems.warning(topic, f"availability {text[:40]!r} is neither Online nor Offline")
            return
        for device_id in ids:
            device = self.registry.peek(device_id)
            if device is None:
                continue
            try:
                values = codec.decode_state(device, leaf, payload)
            except CodecError as exc:
                self._problems.warning(topic, str(exc))
                return
            if values:
                self.registry.report(device_id, values)
                if device.availability == "unknown":
                    self.registry.set_availability(device_id, "online")

    # ------------------------------------------------------------ commands

    def encode(self, device: Device, values: dict[str, Value]) -> list[tuple[str, Any]]:
        assert device.binding is not None and device.binding.command_topic  # command() checked it
        return [(f"{device.binding.command_topic}{command}", payload) for command, payload in codec.encode_command(device, values)]


__all__ = ["TasmotaDriver"]
