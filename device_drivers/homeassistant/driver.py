"""Home Assistant MQTT discovery: entities grouped into devices, state via value templates."""

from __future__ import annotations

import json
import logging
from typing import Any

from iotlm.device_drivers.base import CodecError, MqttDriver
from iotlm.device_drivers.homeassistant import codec
from iotlm.device_drivers.model import Binding, Device, Value
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.transport import Transport

log = logging.getLogger(__name__)
_TYPE_ORDER = ("lock", "climate", "cover", "fan", "light", "switch")


class HomeAssistantDriver(MqttDriver):
    name = codec.DRIVER
    kind = "a Home Assistant discovery device"

    def __init__(self, transport: Transport, registry: DeviceRegistry, prefix: str = "homeassistant", *,
                 share_group: str | None = None) -> None:
        super().__init__(transport, registry, share_group=share_group)
        self.prefix = prefix.rstrip("/")
        self._entities: dict[str, dict[str, codec.Entity]] = {}  # device key -> config topic -> entity
        self._routes: dict[str, list[tuple[str, str]]] = {}  # state topic -> [(device id, attribute)]
        self._availability: dict[str, str] = {}  # availability topic -> device id

    def start(self) -> None:
        self.transport.subscribe(f"{self.prefix}/+/+/config", self._on_config)
        self.transport.subscribe(f"{self.prefix}/+/+/+/config", self._on_config)
        self.transport.subscribe(f"{self.prefix}/status", self._on_status)

    def _on_status(self, topic: str, payload: bytes) -> None:
        if payload.strip().lower() == b"online":
            log.debug("Home Assistant status online; retained configs will be (re)published by devices")

    def _on_config(self, topic: str, payload: bytes) -> None:
        if not payload:
            self._remove_entity(topic)
            return
        try:
            config = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._problems.warning(topic, f"config is not JSON text ({exc}); skipped")
            return
        try:
            relative = "ha/" + topic[len(self.prefix) + 1:]  # the prefix may have several levels
            entity = codec.decode_config(relative, config)
        except (CodecError, ValueError) as exc:  # ValueError: pydantic's, for values of the wrong type
            self._problems.warning(topic, f"{exc}; skipped")
            return
        except (TypeError, AttributeError, KeyError) as exc:  # a shape no real device sends: this config only
            self._problems.warning(topic, f"malformed config ({type(exc).__name__}: {exc}); skipped")
            return
        for note in entity.notes:
            self._problems.warning(topic, note)
        with self._lock:
            for entities in self._entities.values():
                entities.pop(topic, None)
            self._entities.setdefault(entity.device_key, {})[topic] = entity
        self._rebuild(entity.device_key)

    def _remove_entity(self, topic: str) -> None:
        with self._lock:
            keys = [k for k, ents in self._entities.items() if topic in ents]
            for key in keys:
                self._entities[key].pop(topic)
        for key in keys:
            self._rebuild(key)

    def _rebuild(self, device_key: str) -> None:
        with self._lock:
            entities = list(self._entities.get(device_key, {}).values())
        if not entities:
            self.registry.remove(device_key)
            return
        attributes: dict[str, Any] = {}
        bindings: dict[str, Any] = {}
        components: set[str] = set()
        availability = None
        for entity in entities:
            components.add(entity.component)
            availability = availability or entity.availability_topic
            for name, attr in entity.attributes.items():
                key = name if name not in attributes else f"{name}_{entity.component}"
                attributes[key] = attr
                bindings[key] = entity.bindings[name]
        device_type = next((t for t in _TYPE_ORDER if t in components), None)
        if device_type is None:
            writable = any(a.writable for a in attributes.values())
            device_type = "other" if writable else ("binary_sensor" if components == {"binary_sensor"} else "sensor")
        first = entities[0]
        try:
            device = Device(
                id=device_key, name=first.device_name, room=first.room, type=device_type, attributes=attributes,
                binding=Binding(driver=self.name, address=device_key, availability_topic=availability, properties=bindings,
                                identity=next((e.identity for e in entities if e.identity), None)),
            )
        except ValueError as exc:  # pydantic's: an identifier or name no device can have
            self._problems.warning(device_key, f"not a usable device ({exc}); skipped")
            return
        self.registry.upsert(device)
        new_topics: list[str] = []
        with self._lock:
            for routes in self._routes.values():
                routes[:] = [(d, a) for d, a in routes if d != device_key]
            for name, binding in bindings.items():
                if binding.state_topic:
                    if binding.state_topic not in self._routes:
                        new_topics.append(binding.state_topic)
                    self._routes.setdefault(binding.state_topic, []).append((device_key, name))
            if availability and availability not in self._availability:
                self._availability[availability] = device_key
                new_topics.append(availability)
        for state_topic in dict.fromkeys(new_topics):
            # shared mode: readings go to one worker of the group; what can be commanded reports to all of them
            readings = all(not attributes[n].writable for n, b in bindings.items() if b.state_topic == state_topic)
            self.transport.subscribe(self.shared(state_topic) if readings and state_topic != availability else state_topic,
                                     self._on_state)

    def _on_state(self, topic: str, payload: bytes) -> None:
        with self._lock:
            routes = list(self._routes.get(topic, []))
            avail_device = self._availability.get(topic)
        if avail_device is not None:
            text = payload.decode("utf-8", "replace").strip().lower()
            if text in ("online", "offline"):
                self.registry.set_availability(avail_device, text)
        by_device: dict[str, dict[str, Value]] = {}
        for device_id, attr_name in routes:
            device = self.registry.peek(device_id)
            if device is None or device.binding is None or attr_name not in device.attributes \
                    or attr_name not in device.binding.properties:
                continue  # the registry keeps another description of it (held back: see DeviceRegistry.held_changes)
            try:
                found, value = codec.decode_value(device.attributes[attr_name], device.binding.properties[attr_name], payload)
            except (CodecError, ValueError, TypeError) as exc:
                self._problems.warning(topic, f"state not understood ({exc}); ignored")
                continue
            if found:
                by_device.setdefault(device_id, {})[attr_name] = value
        for device_id, values in by_device.items():
            self.registry.report(device_id, values)
            if avail_device is None and (dev := self.registry.peek(device_id)) and dev.availability == "unknown":
                self.registry.set_availability(device_id, "online")

    def encode(self, device: Device, values: dict[str, Value]) -> list[tuple[str, Any]]:
        assert device.binding is not None  # command() checked it
        try:
            return list(codec.encode_commands(device.binding.properties, values).items())
        except CodecError as exc:
            raise CodecError(f"{device.id}: {exc}") from exc


__all__ = ["HomeAssistantDriver"]
