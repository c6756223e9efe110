"""Shelly Gen2+ over MQTT: found by ``<prefix>/online``, described by RPC (``Shelly.GetConfig``, ``Shelly.GetStatus``,
answered on our own ``<src>/rpc``), kept up to date from ``<prefix>/status/<component>`` and ``<prefix>/events/rpc``,
and commanded by RPC frames on ``<prefix>/rpc``."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from iotlm.device_drivers.base import CodecError, MqttDriver, parse_json
from iotlm.device_drivers.model import Device, Value
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.shelly import codec
from iotlm.device_drivers.transport import Transport


class ShellyDriver(MqttDriver):
    """``root``: a topic level the devices' prefixes live under ("" for the usual ``<shelly-id>/...``)."""

    name = codec.DRIVER
    kind = "a Shelly device"
    needs_command_topic = True

    def __init__(self, transport: Transport, registry: DeviceRegistry, root: str = "", *,
                 share_group: str | None = None) -> None:
        super().__init__(transport, registry, share_group=share_group)
        self.root = f"{root.strip('/')}/" if root.strip("/") else ""
        self.src = f"iotlm-{uuid.uuid4().hex[:8]}"
        self._ids = itertools.count(1)
        self._asked: dict[int, tuple[str, str]] = {}  # request id -> (prefix, method)
        self._answers: dict[str, dict[str, Any]] = {}  # prefix -> method -> result
        self._devices: dict[str, list[str]] = {}  # prefix -> device ids

    def start(self) -> None:
        self.transport.subscribe(f"{self.src}/rpc", self._on_answer)
        self.transport.subscribe(f"{self.root}+/online", self._on_online)

    # ------------------------------------------------------------ discovery

    def _on_online(self, topic: str, payload: bytes) -> None:
        prefix = topic[: -len("/online")]
        word = payload.decode("utf-8", "replace").strip().lower()
        if word not in ("true", "false"):
            if payload:
                self._problems.warning(topic, f"online is {word[:20]!r}, not true or false")
            return
        with self._lock:
            ids = list(self._devices.get(prefix, []))
            asked = prefix in self._answers
        for device_id in ids:
            self.registry.set_availability(device_id, "online" if word == "true" else "offline")
        if word == "true" and not asked:
            with self._lock:
                self._answers[prefix] = {}
            self.transport.subscribe(f"{prefix}/status/+", self._on_state)
            self.transport.subscribe(f"{prefix}/events/rpc", self._on_state)
            for method in ("Shelly.GetConfig", "Shelly.GetStatus"):
                self._call(prefix, method)

    def _call(self, prefix: str, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request_id = next(self._ids)
        with self._lock:
            self._asked[request_id] = (prefix, method)
        frame = codec.request(method, request_id, self.src, params)
        self.transport.publish(f"{prefix}/rpc", frame, qos=1)
        return frame

    def _on_answer(self, topic: str, payload: bytes) -> None:
        try:
            frame = parse_json(payload)
        except CodecError as exc:
            self._problems.warning(topic, str(exc))
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("id"), int):
            return
        with self._lock:
            asked = self._asked.pop(frame["id"], None)
        if asked is None:
            return
        prefix, method = asked
        if "error" in frame:
            self._problems.warning(f"{prefix}/rpc", f"{method} failed: {str(frame['error'])[:120]}")
            return
        if method not in ("Shelly.GetConfig", "Shelly.GetStatus"):
            return
        with self._lock:
            answers = self._answers.setdefault(prefix, {})
            answers[method] = frame.get("result")
            ready = len(answers) == 2
            config, status = answers.get("Shelly.GetConfig"), answers.get("Shelly.GetStatus")
        if ready:
            self._describe(prefix, config, status)

    def _describe(self, prefix: str, config: Any, status: Any) -> None:
        try:
            decoded = codec.decode_device(prefix[len(self.root):] if prefix.startswith(self.root) else prefix, config, status)
        except CodecError as exc:
            self._problems.warning(f"{prefix}/rpc", f"{exc}; skipped")
            return
        for problem in decoded.problems:
            self._problems.warning(f"{prefix}/rpc", problem)
        with self._lock:
            self._devices[prefix] = [d.id for d in decoded.devices]
        for device in decoded.devices:
            if device.binding is not None and self.root:  # the topics are under the root
                device.binding = device.binding.model_copy(update={
                    "command_topic": f"{prefix}/rpc", "state_topic": f"{prefix}/status/",
                    "availability_topic": f"{prefix}/online", "address": prefix})
            device.availability = "online"
            self.registry.upsert(device)

    # ------------------------------------------------------------ state

    def _on_state(self, topic: str, payload: bytes) -> None:
        with self._lock:
            prefix = next((p for p in self._devices if topic.startswith(p + "/")), None)
            ids = list(self._devices.get(prefix, [])) if prefix else []
        if prefix is None:
            return
        try:
            data = parse_json(payload)
        except CodecError as exc:
            self._problems.warning(topic, str(exc))
            return
        for device_id in ids:
            device = self.registry.peek(device_id)
            if device is None:
                continue
            values = codec.decode_message(device, topic[len(prefix) + 1:], data)
            if values:
                self.registry.report(device_id, values)

    # ------------------------------------------------------------ commands

    def encode(self, device: Device, values: dict[str, Value]) -> list[tuple[str, Any]]:
        """One RPC frame a method; each is remembered, so its answer (or error) is matched to the device."""
        assert device.binding is not None and device.binding.command_topic  # command() checked it
        frames = codec.encode_command(device, values, next(self._ids), self.src)
        with self._lock:
            for frame in frames:
                self._asked[frame["id"]] = (device.binding.address, frame["method"])
        return [(device.binding.command_topic, frame) for frame in frames]


__all__ = ["ShellyDriver"]
