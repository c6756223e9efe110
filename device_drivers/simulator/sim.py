"""A simulated home on a real broker: devices that answer like Zigbee2MQTT / HA devices do.

State is kept in canonical values (as in the home file). Commands are checked like a device
would check them: unknown or read-only properties and out-of-range values are rejected, not
applied; every command received is recorded in :attr:`Simulator.commands`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from iotlm.device_drivers.home import Home
from iotlm.device_drivers.model import AttributeError_, Device, Value
from iotlm.device_drivers.simulator import ha_config, tasmota_face, z2m_exposes
from iotlm.device_drivers.transport import Transport
from iotlm.device_drivers.zigbee2mqtt import codec as z2m_codec

log = logging.getLogger(__name__)

Dialect = Literal["z2m", "ha", "both", "tasmota"]
CONTROL = "iotlm/sim"


@dataclass
class Received:
    """One command the simulator received, and what it made of it."""

    time: float
    topic: str
    payload: str
    device_id: str | None
    applied: dict[str, Value] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)
    at: datetime | None = None
    """When it arrived on the simulator's clock (:attr:`Simulator.clock`), if it has one."""


class Simulator:
    def __init__(self, home: Home, transport: Transport, *, dialect: Dialect = "z2m",
                 base: str = "zigbee2mqtt", ha_prefix: str = "homeassistant", ha_root: str = f"{CONTROL}/ha",
                 tasmota_discovery: str = "tasmota/discovery", tasmota_root: str = "") -> None:
        """``tasmota_root``: a level put before each Tasmota device's topic (``cmnd/<root>/<topic>/...``), so tests keep
        to topics of their own."""
        if dialect not in ("z2m", "ha", "both", "tasmota"):
            raise ValueError(f"dialect {dialect!r}: use z2m, ha, both or tasmota")
        self.home = home
        self.transport = transport
        self.dialect = dialect
        self.base = base.rstrip("/")
        self.ha_prefix = ha_prefix.rstrip("/")
        self.sim_root = ha_root.rstrip("/")
        self.commands: list[Received] = []
        self._lock = threading.RLock()
        self.on_reset: list[Callable[[], None]] = []
        self.clock: Callable[[], datetime] | None = None
        """A shared (simulated) clock: each command received is stamped with its time too."""
        self._initial = {d.id: d.model_copy(deep=True) for d in home.devices}
        self._devices = {d.id: d.model_copy(deep=True) for d in home.devices}
        # wire bindings of each device, decoded from what we publish, so sim and driver agree
        entries = {d.id: z2m_exposes.bridge_entry(d) for d in home.devices}
        self._z2m = {d.id: z2m_codec.decode_device(entries[d.id], self.base, []) for d in home.devices}
        self._entries = entries
        self._ha = {d.id: ha_config.entity_configs(d, self.ha_prefix, self.sim_root) for d in home.devices}
        self.tasmota_discovery = tasmota_discovery.rstrip("/")
        self.tasmota_root = f"{tasmota_root.strip('/')}/" if tasmota_root.strip("/") else ""
        self.left_out: dict[str, str] = {}
        """Devices this dialect cannot present, and why (``iotlm simulate`` says so)."""
        self._tasmota: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
        if dialect == "tasmota":
            for d in home.devices:
                reason = tasmota_face.left_out(d)
                if reason is None:
                    self._tasmota[d.id] = tasmota_face.discovery(d, self.tasmota_root)
                else:
                    self.left_out[d.id] = reason
        self._ha_commands: dict[str, tuple[str, str]] = {}
        for device_id, configs in self._ha.items():
            for _topic, _config, attr_map in configs:
                for command_topic, attr in attr_map.items():
                    self._ha_commands[command_topic] = (device_id, attr)

    # ------------------------------------------------------------ lifecycle

    def wire_device(self, device_id: str) -> Device | None:
        """The device as Zigbee2MQTT describes it on the wire (its bindings), to decode what it was sent."""
        return self._z2m.get(device_id)

    def start(self) -> Simulator:
        t = self.transport
        # wait for each SUBACK: a command sent right after start() must reach the device
        t.subscribe(f"{CONTROL}/reset", self._on_reset, wait=5)
        t.subscribe(f"{CONTROL}/+/report", self._on_report, wait=5)
        if self.dialect in ("z2m", "both"):
            t.subscribe(f"{self.base}/#", self._on_z2m, wait=5)
        if self.dialect in ("ha", "both"):
            t.subscribe(f"{self.sim_root}/#", self._on_ha, wait=5)
        if self.dialect == "tasmota":
            t.subscribe(f"cmnd/{self.tasmota_root}#", self._on_tasmota, wait=5)
        self.publish_discovery()
        self.publish_all_state()
        return self

    def publish_discovery(self) -> None:
        t = self.transport
        if self.dialect in ("z2m", "both"):
            t.publish(f"{self.base}/bridge/state", {"state": "online"}, retain=True)
            t.publish(f"{self.base}/bridge/info", {"version": "2.1.0-iotlm-sim", "config": {}}, retain=True)
            devices = [z2m_exposes.coordinator_entry(), *self._entries.values()]
            t.publish(f"{self.base}/bridge/devices", devices, retain=True)
            for device_id in self._devices:
                t.publish(f"{self.base}/{device_id}/availability", {"state": "online"}, retain=True)
        if self.dialect in ("ha", "both"):
            for configs in self._ha.values():
                for topic, config, _ in configs:
                    t.publish(topic, config, retain=True)
        for device_id, (config, sensors) in self._tasmota.items():
            t.publish(f"tele/{self.tasmota_root}{device_id}/LWT", "Online", retain=True)
            t.publish(f"{self.tasmota_discovery}/{config['mac']}/config", config, retain=True)
            if sensors is not None:
                t.publish(f"{self.tasmota_discovery}/{config['mac']}/sensors", sensors, retain=True)

    def clear_discovery(self) -> None:
        """Remove the retained discovery messages (as a bridge does when it goes away)."""
        t = self.transport
        if self.dialect in ("z2m", "both"):
            t.publish(f"{self.base}/bridge/devices", b"", retain=True)
            for device_id in self._devices:
                t.publish(f"{self.base}/{device_id}/availability", b"", retain=True)
        if self.dialect in ("ha", "both"):
            for configs in self._ha.values():
                for topic, _, _ in configs:
                    t.publish(topic, b"", retain=True)
        for device_id, (config, _) in self._tasmota.items():
            t.publish(f"tele/{self.tasmota_root}{device_id}/LWT", b"", retain=True)
            t.publish(f"{self.tasmota_discovery}/{config['mac']}/config", b"", retain=True)
            t.publish(f"{self.tasmota_discovery}/{config['mac']}/sensors", b"", retain=True)

    # ------------------------------------------------------------ state

    def state(self, device_id: str) -> dict[str, Value]:
        with self._lock:
            return self._devices[device_id].state()

    def states(self) -> dict[str, dict[str, Value]]:
        with self._lock:
            return {i: d.state() for i, d in self._devices.items()}

    def publish_all_state(self) -> None:
        for device_id in self._devices:
            self.publish_state(device_id)

    def publish_state(self, device_id: str) -> None:
        with self._lock:
            device = self._devices[device_id]
            state = {k: v for k, v in device.state().items() if v is not None}
        if self.dialect in ("z2m", "both"):
            payload = z2m_codec.encode_command(self._z2m[device_id], state)
            self.transport.publish(f"{self.base}/{device_id}", payload, qos=0)
        if self.dialect in ("ha", "both"):
            self.transport.publish(ha_config.state_topic(self.sim_root, device_id), ha_config.state_payload(device), retain=True, qos=0)
        if device_id in self._tasmota:
            result = tasmota_face.result_payload(device)
            if result:
                self.transport.publish(f"stat/{self.tasmota_root}{device_id}/RESULT", result, qos=0)
            sensors = tasmota_face.sensor_payload(device)
            if sensors:
                self.transport.publish(f"tele/{self.tasmota_root}{device_id}/SENSOR", sensors, qos=0)

    # ------------------------------------------------------------ applying values

    def apply(self, device_id: str, values: dict[str, Any], *, from_device: bool = False) -> Received:
        """Apply canonical values as a command (or as the device's own report)."""
        rec = Received(time.time(), "", "", device_id)
        with self._lock:
            device = self._devices[device_id]
            for name, value in values.items():
                attr = device.attributes.get(name)
                if attr is None:
                    rec.rejected[name] = f"{device_id} has no attribute {name!r}; it has {', '.join(device.attributes)}"
                    continue
                if not attr.writable and not from_device:
                    rec.rejected[name] = f"{device_id}.{name} is read-only"
                    continue
                try:
                    attr.value = attr.check(value, name=f"{device_id}.{name}")
                except AttributeError_ as exc:
                    rec.rejected[name] = str(exc)
                    continue
                rec.applied[name] = attr.value
        return rec

    # ------------------------------------------------------------ handlers

    def _on_z2m(self, topic: str, payload: bytes) -> None:
        rest = topic[len(self.base) + 1:]
        if rest.endswith("/set") and rest[:-4] in self._devices:
            self._z2m_set(topic, rest[:-4], payload)
        elif rest.endswith("/get") and rest[:-4] in self._devices:
            self.publish_state(rest[:-4])

    def _z2m_set(self, topic: str, device_id: str, payload: bytes) -> None:
        text = payload.decode("utf-8", "replace")
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError:
            self._record(Received(time.time(), topic, text, device_id, rejected={"*": "payload is not a JSON object"}))
            return
        wire_device = self._z2m[device_id]
        assert wire_device.binding is not None
        by_key = {p.key: name for name, p in wire_device.binding.properties.items()}
        values: dict[str, Any] = {}
        rejected: dict[str, str] = {}
        for key, raw in data.items():
            name = by_key.get(key)
            if name is None:
                rejected[key] = f"No converter available for '{key}' ({raw!r})"
                continue
            prop = wire_device.binding.properties[name]
            if prop.values:
                if isinstance(raw, str) and raw.upper() == "TOGGLE" and len(prop.values) == 2:
                    current = str(self.state(device_id).get(name))
                    raw = next(w for c, w in prop.values.items() if c != current)
                option = z2m_codec.from_wire(prop, wire_device.attributes[name], raw)
                if option is z2m_codec.NO_MATCH:
                    rejected[key] = f"'{raw}' is not an allowed value for '{key}' ({', '.join(map(str, prop.values.values()))})"
                    continue
                values[name] = option
            elif isinstance(raw, dict) and set(raw) >= {"r", "g", "b"}:
                values[name] = [raw["r"], raw["g"], raw["b"]]
            else:
                values[name] = raw
        self._finish(topic, text, device_id, values, rejected)

    def _on_ha(self, topic: str, payload: bytes) -> None:
        target = self._ha_commands.get(topic)
        if target is None:
            return
        device_id, attr = target
        text = payload.decode("utf-8", "replace")
        with self._lock:
            device = self._devices[device_id]
        try:
            values = ha_config.decode_command(device, attr, text)
        except ValueError as exc:
            self._record(Received(time.time(), topic, text, device_id, rejected={attr: str(exc)}))
            return
        self._finish(topic, text, device_id, values, {})

    def _on_tasmota(self, topic: str, payload: bytes) -> None:
        device_id, _, command = topic[len(f"cmnd/{self.tasmota_root}"):].rpartition("/")
        if device_id not in self._tasmota:
            return
        text = payload.decode("utf-8", "replace")
        with self._lock:
            device = self._devices[device_id]
        try:
            values = tasmota_face.decode_command(device, command, text)
        except ValueError as exc:
            self._record(Received(time.time(), topic, text, device_id, rejected={command: str(exc)}))
            self.transport.publish(f"stat/{self.tasmota_root}{device_id}/RESULT", {"Command": "Unknown"}, qos=0)
            return
        if not values:  # a query: the device answers with its state
            self.publish_state(device_id)
            return
        self._finish(topic, text, device_id, values, {})

    def _finish(self, topic: str, text: str, device_id: str, values: dict[str, Any], rejected: dict[str, str]) -> None:
        rec = self.apply(device_id, values)
        rec.topic, rec.payload = topic, text
        rec.rejected.update(rejected)
        self._record(rec)
        for key, reason in rec.rejected.items():
            log.info("simulated %s rejected %s: %s", device_id, key, reason)
            if self.dialect in ("z2m", "both"):
                self.transport.publish(f"{self.base}/bridge/logging",
                                       {"level": "error", "message": f"Publish 'set' '{key}' to '{device_id}' failed: {reason}"}, qos=0)
        self.publish_state(device_id)

    def _record(self, rec: Received) -> None:
        if self.clock is not None:
            rec.at = self.clock()
        with self._lock:
            self.commands.append(rec)

    def _on_report(self, topic: str, payload: bytes) -> None:
        device_id = topic[len(CONTROL) + 1: -len("/report")]
        if device_id not in self._devices:
            log.warning("%s: no simulated device %r", topic, device_id)
            return
        try:
            data = json.loads(payload.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError:
            log.warning("%s: expected a JSON object of attribute values", topic)
            return
        rec = self.apply(device_id, data, from_device=True)
        for key, reason in rec.rejected.items():
            log.warning("%s: %s not reported: %s", topic, key, reason)
        self.publish_state(device_id)

    def _on_reset(self, topic: str, payload: bytes) -> None:
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._devices = {i: d.model_copy(deep=True) for i, d in self._initial.items()}
            self.commands.clear()
        for listener in list(self.on_reset):  # the environment goes back to the home file's readings too
            listener()
        self.publish_all_state()

    def devices(self) -> list[Device]:
        """A copy of every device as it is now."""
        with self._lock:
            return [d.model_copy(deep=True) for d in self._devices.values()]

    def device(self, device_id: str) -> Device:
        with self._lock:
            return self._devices[device_id].model_copy(deep=True)
