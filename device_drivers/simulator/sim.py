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
from typing import Any, Literal, get_args

from iotlm.device_drivers.home import Home
from iotlm.device_drivers.model import Device, InvalidValue, Value
from iotlm.device_drivers.simulator import esphome_face, ha_config, shelly_face, tasmota_face, z2m_exposes
from iotlm.device_drivers.transport import Transport
from iotlm.device_drivers.zigbee2mqtt import codec as z2m_codec

log = logging.getLogger(__name__)

Dialect = Literal["z2m", "ha", "both", "tasmota", "shelly", "esphome", "mixed"]
DIALECTS: tuple[str, ...] = get_args(Dialect)
MIXED = ("tasmota", "shelly", "esphome", "z2m", "ha")
"""``mixed``: device by device, the next of these that can present it, so one home speaks all five."""
FACES: dict[str, Callable[[Device], str | None]] = {
    "tasmota": tasmota_face.left_out, "shelly": shelly_face.left_out, "esphome": esphome_face.left_out}
"""Dialects that cannot present every device: why they cannot present one (None when they can)."""
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


def _level(root: str) -> str:
    return f"{root.strip('/')}/" if root.strip("/") else ""


class Simulator:
    def __init__(self, home: Home, transport: Transport, *, dialect: Dialect = "z2m",
                 base: str = "zigbee2mqtt", ha_prefix: str = "homeassistant", ha_root: str = f"{CONTROL}/ha",
                 tasmota_discovery: str = "tasmota/discovery", tasmota_root: str = "", shelly_root: str = "",
                 esphome_root: str = "") -> None:
        """``dialect``: what every device speaks, unless the home file gives a device its own ``"dialect"``.
        ``tasmota_root``, ``shelly_root``, ``esphome_root``: a level put before those devices' topics
        (``cmnd/<root>/<topic>/...``, ``<root>/<prefix>/rpc``, ``<root>/<node>/...``), so tests keep to topics of their own."""
        if dialect not in DIALECTS:
            raise ValueError(f"dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
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
        self.left_out: dict[str, str] = {}
        """Devices this dialect cannot present, and why (``iotlm simulate`` says so)."""
        self.speaks = self._choose(home, dialect)
        """Device id -> the dialects it is presented in."""
        # wire bindings of each device, decoded from what we publish, so sim and driver agree
        entries = {d.id: z2m_exposes.bridge_entry(d) for d in home.devices}
        self._z2m = {i: z2m_codec.decode_device(entry, self.base, []) for i, entry in entries.items()}
        self._entries = {i: entries[i] for i in self._in("z2m")}
        self._ha = {i: ha_config.entity_configs(home.device(i), self.ha_prefix, self.sim_root) for i in self._in("ha")}
        self.tasmota_discovery = tasmota_discovery.rstrip("/")
        self.tasmota_root = _level(tasmota_root)
        self._tasmota = {i: tasmota_face.discovery(home.device(i), self.tasmota_root) for i in self._in("tasmota")}
        self.shelly_root = _level(shelly_root)
        self._shelly = {f"{self.shelly_root}{i}": i for i in self._in("shelly")}
        self.esphome_root = _level(esphome_root)
        self._esphome: dict[str, tuple[str, esphome_face.Component]] = {}  # component topic base -> (device, component)
        for device_id in self._in("esphome"):
            device = home.device(device_id)
            bases = {f"{self.esphome_root}{esphome_face.node_of(device)}/{c.kind}/{c.object_id}": c
                     for c in esphome_face.components(device)}
            taken = [b for b in bases if b in self._esphome]
            if taken:
                node, name = esphome_face.node_of(device), taken[0].split("/")[-1]
                self.left_out[device_id] = f"another device of the {node} node has a component named {name}"
                del self.speaks[device_id]
                continue
            self._esphome.update({b: (device_id, c) for b, c in bases.items()})
        self._ha_commands: dict[str, tuple[str, str]] = {}
        for device_id, configs in self._ha.items():
            for _topic, _config, attr_map in configs:
                for command_topic, attr in attr_map.items():
                    self._ha_commands[command_topic] = (device_id, attr)

    def _choose(self, home: Home, dialect: str) -> dict[str, tuple[str, ...]]:
        speaks: dict[str, tuple[str, ...]] = {}
        for index, device in enumerate(home.devices):
            own = home.dialects.get(device.id)
            if own is not None:
                wanted: tuple[str, ...] = (own,)
            elif dialect == "both":
                wanted = ("z2m", "ha")
            elif dialect == "mixed":
                order = MIXED[index % len(MIXED):] + MIXED[: index % len(MIXED)]
                wanted = (next(d for d in order if d not in FACES or FACES[d](device) is None),)
            else:
                wanted = (dialect,)
            reason = next((r for d in wanted if d in FACES and (r := FACES[d](device))), None)
            if reason is None:
                speaks[device.id] = wanted
            else:
                self.left_out[device.id] = reason
        return speaks

    def _in(self, dialect: str) -> list[str]:
        return [i for i, dialects in self.speaks.items() if dialect in dialects]

    def wire_ids(self, device_id: str) -> list[str]:
        """The ids a registry gives this device (an ESPHome node's components are a device each)."""
        if "esphome" in self.speaks.get(device_id, ()):
            return list(dict.fromkeys(f"{b.split('/')[-3]}.{c.object_id}" for b, (i, c) in self._esphome.items() if i == device_id))
        return [device_id] if device_id in self.speaks else []

    # ------------------------------------------------------------ lifecycle

    def wire_device(self, device_id: str) -> Device | None:
        """The device as Zigbee2MQTT describes it on the wire (its bindings), to decode what it was sent."""
        return self._z2m.get(device_id)

    @property
    def _bridge(self) -> bool:
        return bool(self._entries) or self.dialect in ("z2m", "both")

    def start(self) -> Simulator:
        t = self.transport
        # wait for each SUBACK: a command sent right after start() must reach the device
        t.subscribe(f"{CONTROL}/reset", self._on_reset, wait=5)
        t.subscribe(f"{CONTROL}/+/report", self._on_report, wait=5)
        if self._bridge:
            t.subscribe(f"{self.base}/#", self._on_z2m, wait=5)
        if self._ha:
            t.subscribe(f"{self.sim_root}/#", self._on_ha, wait=5)
        if self._tasmota:
            t.subscribe(f"cmnd/{self.tasmota_root}#", self._on_tasmota, wait=5)
        for prefix in self._shelly:
            t.subscribe(f"{prefix}/rpc", self._on_shelly, wait=5)
        for node in dict.fromkeys(base.rsplit("/", 2)[0] for base in self._esphome):
            t.subscribe(f"{node}/+/+/command", self._on_esphome, wait=5)
            t.subscribe(f"{node}/cover/+/position/command", self._on_esphome, wait=5)
        self.publish_discovery()
        self.publish_all_state()
        return self

    def publish_discovery(self) -> None:
        t = self.transport
        if self._bridge:
            t.publish(f"{self.base}/bridge/state", {"state": "online"}, retain=True)
            t.publish(f"{self.base}/bridge/info", {"version": "2.1.0-iotlm-sim", "config": {}}, retain=True)
            devices = [z2m_exposes.coordinator_entry(), *self._entries.values()]
            t.publish(f"{self.base}/bridge/devices", devices, retain=True)
            for device_id in self._entries:
                t.publish(f"{self.base}/{device_id}/availability", {"state": "online"}, retain=True)
        for configs in self._ha.values():
            for topic, config, _ in configs:
                t.publish(topic, config, retain=True)
        for device_id, (config, sensors) in self._tasmota.items():
            t.publish(f"tele/{self.tasmota_root}{device_id}/LWT", "Online", retain=True)
            t.publish(f"{self.tasmota_discovery}/{config['mac']}/config", config, retain=True)
            if sensors is not None:
                t.publish(f"{self.tasmota_discovery}/{config['mac']}/sensors", sensors, retain=True)
        for node in self._nodes():
            t.publish(f"{node}/status", "online", retain=True)
        for prefix in self._shelly:  # last: a Shelly is asked what it is as soon as it is online
            t.publish(f"{prefix}/online", "true", retain=True)

    def _nodes(self) -> list[str]:
        return list(dict.fromkeys(base.rsplit("/", 2)[0] for base in self._esphome))

    def clear_discovery(self) -> None:
        """Remove the retained discovery messages (as a bridge does when it goes away)."""
        t = self.transport
        if self._bridge:
            t.publish(f"{self.base}/bridge/devices", b"", retain=True)
            for device_id in self._entries:
                t.publish(f"{self.base}/{device_id}/availability", b"", retain=True)
        for configs in self._ha.values():
            for topic, _, _ in configs:
                t.publish(topic, b"", retain=True)
        for device_id, (config, _) in self._tasmota.items():
            t.publish(f"tele/{self.tasmota_root}{device_id}/LWT", b"", retain=True)
            t.publish(f"{self.tasmota_discovery}/{config['mac']}/config", b"", retain=True)
            t.publish(f"{self.tasmota_discovery}/{config['mac']}/sensors", b"", retain=True)
        for prefix in self._shelly:
            t.publish(f"{prefix}/online", b"", retain=True)
        for node in self._nodes():
            t.publish(f"{node}/status", b"", retain=True)
        for base, (_, component) in self._esphome.items():  # a node's states are retained: gone with it
            t.publish(f"{base}/state", b"", retain=True)
            if component.kind == "cover":
                t.publish(f"{base}/position/state", b"", retain=True)

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
            device = device.model_copy(deep=True)
        dialects = self.speaks.get(device_id, ())
        if "z2m" in dialects:
            payload = z2m_codec.encode_command(self._z2m[device_id], state)
            self.transport.publish(f"{self.base}/{device_id}", payload, qos=0)
        if "ha" in dialects:
            self.transport.publish(ha_config.state_topic(self.sim_root, device_id), ha_config.state_payload(device), retain=True, qos=0)
        if "tasmota" in dialects:
            result = tasmota_face.result_payload(device)
            if result:
                self.transport.publish(f"stat/{self.tasmota_root}{device_id}/RESULT", result, qos=0)
            sensors = tasmota_face.sensor_payload(device)
            if sensors:
                self.transport.publish(f"tele/{self.tasmota_root}{device_id}/SENSOR", sensors, qos=0)
        if "shelly" in dialects:
            prefix = f"{self.shelly_root}{device_id}"
            for key, status in shelly_face.statuses(device).items():
                self.transport.publish(f"{prefix}/status/{key}", status, qos=0)
        if "esphome" in dialects:
            for base, (owner, component) in self._esphome.items():
                if owner == device_id:
                    for leaf, text in esphome_face.states(device, component):
                        self.transport.publish(f"{base}/{leaf}", text, retain=True, qos=0)

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
                except InvalidValue as exc:
                    rec.rejected[name] = str(exc)
                    continue
                rec.applied[name] = attr.value
        return rec

    # ------------------------------------------------------------ handlers

    def _on_z2m(self, topic: str, payload: bytes) -> None:
        rest = topic[len(self.base) + 1:]
        if rest.endswith("/set") and rest[:-4] in self._entries:
            self._z2m_set(topic, rest[:-4], payload)
        elif rest.endswith("/get") and rest[:-4] in self._entries:
            self.publish_state(rest[:-4])

    def _z2m_set(self, topic: str, device_id: str, payload: bytes) -> None:
        text = payload.decode("utf-8", "replace")
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError:
            self._refused(topic, text, device_id, "*", "payload is not a JSON object")
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
                values[name] = prop.from_wire(raw)
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
            self._refused(topic, text, device_id, attr, str(exc))
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
            self._refused(topic, text, device_id, command, str(exc))
            self.transport.publish(f"stat/{self.tasmota_root}{device_id}/RESULT", {"Command": "Unknown"}, qos=0)
            return
        if not values:  # a query: the device answers with its state
            self.publish_state(device_id)
            return
        self._finish(topic, text, device_id, values, {})

    def _on_shelly(self, topic: str, payload: bytes) -> None:
        prefix = topic[: -len("/rpc")]
        device_id = self._shelly.get(prefix)
        if device_id is None:
            return
        text = payload.decode("utf-8", "replace")
        try:
            frame = json.loads(text)
        except ValueError:
            return  # a Shelly ignores what is not a frame
        if not isinstance(frame, dict) or not isinstance(frame.get("src"), str) or "id" not in frame:
            return
        reply: dict[str, Any] = {"id": frame["id"], "src": device_id, "dst": frame["src"]}
        method = frame.get("method")
        with self._lock:
            device = self._devices[device_id].model_copy(deep=True)
        if method == "Shelly.GetConfig":
            reply["result"] = shelly_face.config(device)
        elif method == "Shelly.GetStatus":
            reply["result"] = shelly_face.statuses(device)
        else:
            try:
                values = shelly_face.decode_call(device, str(method), frame.get("params"))
            except ValueError as exc:
                self._refused(topic, text, device_id, str(method), str(exc))
                reply["error"] = {"code": 404 if str(exc).startswith("No handler") else -103, "message": str(exc)}
                self.transport.publish(f"{frame['src']}/rpc", reply, qos=0)
                return
            reply["result"] = {"was_on": device.state().get("state") == "on"} if method != "Cover.GoToPosition" else None
            self._finish(topic, text, device_id, values, {})
        self.transport.publish(f"{frame['src']}/rpc", reply, qos=0)

    def _on_esphome(self, topic: str, payload: bytes) -> None:
        position = topic.endswith("/position/command")
        base = topic[: -len("/position/command")] if position else topic[: -len("/command")]
        target = self._esphome.get(base)
        if target is None:
            return
        device_id, component = target
        text = payload.decode("utf-8", "replace")
        with self._lock:
            device = self._devices[device_id].model_copy(deep=True)
        try:
            values = esphome_face.decode_command(device, component, "position/command" if position else "command", text)
        except ValueError as exc:  # the node logs it and does nothing
            self._refused(topic, text, device_id, component.object_id, str(exc))
            return
        self._finish(topic, text, device_id, values, {})

    def _finish(self, topic: str, text: str, device_id: str, values: dict[str, Any], rejected: dict[str, str]) -> None:
        rec = self.apply(device_id, values)
        rec.topic, rec.payload = topic, text
        rec.rejected.update(rejected)
        self._record(rec)
        for key, reason in rec.rejected.items():
            log.info("simulated %s rejected %s: %s", device_id, key, reason)
            if "z2m" in self.speaks.get(device_id, ()):
                self.transport.publish(f"{self.base}/bridge/logging",
                                       {"level": "error", "message": f"Publish 'set' '{key}' to '{device_id}' failed: {reason}"}, qos=0)
        self.publish_state(device_id)

    def _refused(self, topic: str, text: str, device_id: str, key: str, reason: str) -> None:
        """A command the device refused as a whole: recorded, and nothing applied."""
        self._record(Received(time.time(), topic, text, device_id, rejected={key: reason}))

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


__all__ = ["CONTROL", "DIALECTS", "FACES", "MIXED", "Dialect", "Received", "Simulator"]
