"""Fuzzing the Tasmota, Shelly and ESPHome drivers' handlers (hypothesis), called directly as the transport would: real
payloads of the simulated flat's devices with parts replaced by hostile values, and bytes that are not even text.

Properties, as for Zigbee2MQTT and Home Assistant (test_fuzz.py): no exception escapes a handler, a malformed message
never makes a driver send a command (a query for the state is not one), and what is in the registry is still a
valid device whose values fit their attributes.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from iotlm.device_drivers.esphome.driver import ESPHomeDriver
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.shelly.driver import ShellyDriver
from iotlm.device_drivers.simulator import esphome_face, shelly_face, tasmota_face
from iotlm.device_drivers.tasmota.driver import TasmotaDriver
from tests.device_drivers.test_fuzz import FLAT, FUZZ, RecordingTransport, _encode, _registry_is_sound, mutate

QUERIES = ("Shelly.GetConfig", "Shelly.GetStatus")


def _maybe(value: Any, data: st.DataObject) -> bytes:
    """Half the time the real payload (so the hostile ones that follow reach a device the driver knows), else hostile."""
    return json.dumps(value).encode() if data.draw(st.booleans()) else _encode(mutate(value, data), data)


def _values_fit(registry: DeviceRegistry) -> None:
    _registry_is_sound(registry)
    for device in registry.all():
        for name, attr in device.attributes.items():
            if attr.value is not None:
                attr.check(attr.value, name=f"{device.id}.{name}")


@FUZZ
@given(data=st.data())
def test_tasmota_discovery_and_state(data: st.DataObject) -> None:
    transport, registry = RecordingTransport(), DeviceRegistry()
    driver = TasmotaDriver(transport, registry)  # type: ignore[arg-type]
    device = data.draw(st.sampled_from([d for d in FLAT.devices if tasmota_face.left_out(d) is None]))
    config, sensors = tasmota_face.discovery(device, "")
    driver._on_config(f"tasmota/discovery/{config['mac']}/config", _maybe(config, data))
    if sensors is not None:
        driver._on_sensors(f"tasmota/discovery/{config['mac']}/sensors", _maybe(sensors, data))
    for leaf, payload in (("stat", tasmota_face.result_payload(device)), ("tele", tasmota_face.sensor_payload(device) or {})):
        topic = data.draw(st.sampled_from([f"{leaf}/{device.id}/RESULT", f"{leaf}/{device.id}/SENSOR", f"{leaf}/{device.id}/POWER",
                                           f"tele/{device.id}/LWT", "stat/x/RESULT"]))
        driver._on_state(topic, _encode(mutate(payload, data), data))
    sent = [(t, p) for t, p in transport.published if not (t.endswith(("/State", "/ShutterPosition")) and not p)]
    assert sent == []
    _values_fit(registry)


@FUZZ
@given(data=st.data())
def test_shelly_rpc_answers_and_status(data: st.DataObject) -> None:
    transport, registry = RecordingTransport(), DeviceRegistry()
    driver = ShellyDriver(transport, registry)  # type: ignore[arg-type]
    device = data.draw(st.sampled_from([d for d in FLAT.devices if shelly_face.left_out(d) is None]))
    driver._on_online(f"{device.id}/online", data.draw(st.sampled_from([b"true", b"true", b"true", b"false", b"yes", b"\xff"])))
    for frame in list(transport.published):
        request = frame[1]
        result = shelly_face.config(device) if request["method"] == "Shelly.GetConfig" else shelly_face.statuses(device)
        answer = {"id": request["id"], "src": device.id, "dst": driver.src, "result": result}
        driver._on_answer(f"{driver.src}/rpc", _maybe(answer, data))
    for key, status in shelly_face.statuses(device).items():
        driver._on_state(f"{device.id}/status/{key}", _encode(mutate(status, data), data))
        notify = {"src": device.id, "method": "NotifyStatus", "params": {key: status}}
        driver._on_state(f"{device.id}/events/rpc", _encode(mutate(notify, data), data))
    assert [p["method"] for _, p in transport.published if p["method"] not in QUERIES] == []
    _values_fit(registry)


@FUZZ
@given(data=st.data())
def test_esphome_states(data: st.DataObject) -> None:
    transport, registry = RecordingTransport(), DeviceRegistry()
    driver = ESPHomeDriver(transport, registry)  # type: ignore[arg-type]
    device = data.draw(st.sampled_from([d for d in FLAT.devices if esphome_face.left_out(d) is None]))
    node = esphome_face.node_of(device)
    driver._on_status(f"{node}/status", data.draw(st.sampled_from([b"online", b"online", b"offline", b"", b"\xfe"])))
    for component in esphome_face.components(device):
        for leaf, text in esphome_face.states(device, component):
            payload: Any = json.loads(text) if text.startswith("{") else text
            hostile = mutate(payload, data)
            raw = _encode(hostile, data) if isinstance(hostile, dict | list) or data.draw(st.booleans()) else str(hostile).encode()
            driver._on_state(f"{node}/{component.kind}/{component.object_id}/{leaf}", raw)
    assert transport.published == []
    _values_fit(registry)
