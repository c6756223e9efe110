"""ESPHome's own MQTT: components found by their state topics (as ESPHome's documentation lays them out), commands on
their command topics, availability from the node's status, and a node that also announces itself through Home
Assistant discovery appearing once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iotlm.device_drivers.base import CodecError
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.esphome import codec
from iotlm.device_drivers.transport import Transport
from tests.conftest import eventually

LIGHT_STATE = {"state": "ON", "color_mode": "rgb", "brightness": 128, "color": {"r": 255, "g": 128, "b": 0}, "color_temp": 300}


@pytest.mark.parametrize(("component", "object_id", "payload", "kind", "attributes", "state"), [
    ("switch", "coffee_machine", b"OFF", "switch", ["state"], {"state": "off"}),
    ("switch", "ceiling_light", b"ON", "light", ["state"], {"state": "on"}),
    ("fan", "extractor_fan", b"ON", "fan", ["state"], {"state": "on"}),
    ("light", "desk_lamp", json.dumps(LIGHT_STATE).encode(), "light", ["state", "brightness", "color_temp", "color"],
     {"state": "on", "brightness": 50, "color_temp": 3330, "color": [255, 128, 0]}),  # 300 mired
    ("sensor", "temperature", b"21.5", "sensor", ["temperature"], {"temperature": 21.5}),
    ("sensor", "living_humidity", b"48", "sensor", ["humidity"], {"humidity": 48.0}),
    ("binary_sensor", "hall_motion", b"ON", "binary_sensor", ["occupancy"], {"occupancy": True}),
    ("binary_sensor", "front_door", b"OFF", "binary_sensor", ["contact"], {"contact": True}),  # OFF: closed, in contact
    ("binary_sensor", "back_door", b"ON", "binary_sensor", ["contact"], {"contact": False}),
    ("cover", "garage_door", b"open", "cover", ["state"], {"state": "open"}),  # a position only once one is sent
    ("lock", "front_door", b"LOCKED", "lock", ["state"], {"state": "locked"}),
])
def test_components_from_their_first_state(component: str, object_id: str, payload: bytes, kind: str,
                                           attributes: list[str], state: dict[str, Any]) -> None:
    device = codec.decode_component("living-room-node", component, object_id, payload)
    assert (device.id, device.room, device.name, device.type) == (
        f"living-room-node.{object_id}", "living room", object_id.replace("_", " "), kind)
    assert list(device.attributes) == attributes
    assert codec.decode_state(device, "state", payload) == state


def test_a_cover_position_and_the_topics() -> None:
    cover = codec.decode_component("bedroom", "cover", "blinds", b"closed")
    assert codec.decode_state(cover, "position/state", b"40") == {}  # not a cover with a position yet
    cover = codec.with_position(cover)
    assert list(cover.attributes) == ["state", "position"]
    assert codec.decode_state(cover, "position/state", b"40") == {"position": 40}
    assert codec.encode_command(cover, {"position": 30}) == [("bedroom/cover/blinds/position/command", "30")]
    lock = codec.decode_component("hallway", "lock", "front_door", b"UNLOCKED")
    assert codec.decode_state(lock, "state", b"JAMMED") == {}  # nothing to believe while it is jammed
    assert codec.encode_command(lock, {"state": "locked"}) == [("hallway/lock/front_door/command", "LOCK")]
    assert codec.parse_topic("bedroom/cover/blinds/position/state") == ("bedroom", "cover", "blinds", "position/state")
    assert codec.parse_topic("bedroom/switch/relay/state") == ("bedroom", "switch", "relay", "state")
    for topic in ("bedroom/switch/relay/command", "bedroom/dishwasher/relay/state", "zigbee2mqtt/bridge/state", "a/b/c/d/state"):
        assert codec.parse_topic(topic) is None


@pytest.mark.parametrize(("component", "first", "values", "commands"), [
    ("switch", b"OFF", {"state": "on"}, [("kitchen/switch/kettle/command", "ON")]),
    ("light", json.dumps(LIGHT_STATE).encode(), {"brightness": 40, "state": "on"},
     [("kitchen/light/kettle/command", '{"state":"ON","brightness":102}')]),
    ("light", json.dumps(LIGHT_STATE).encode(), {"color": [0, 0, 255]}, [("kitchen/light/kettle/command", '{"color":{"r":0,"g":0,"b":255}}')]),
    ("cover", b"open", {"state": "open"}, [("kitchen/cover/kettle/command", "OPEN")]),
    ("cover", b"open", {"state": "closed"}, [("kitchen/cover/kettle/command", "CLOSE")]),
])
def test_commands_are_esphomes(component: str, first: bytes, values: dict[str, Any], commands: list[tuple[str, str]]) -> None:
    device = codec.decode_component("kitchen", component, "kettle", first)
    assert codec.encode_command(device, values) == commands


def test_what_a_component_cannot_take_or_say_is_refused() -> None:
    sensor = codec.decode_component("kitchen", "sensor", "temperature", b"20")
    with pytest.raises(CodecError):
        codec.encode_command(sensor, {"temperature": 25})
    with pytest.raises(CodecError):
        codec.decode_component("kitchen", "light", "lamp", b"ON")  # a light speaks JSON
    with pytest.raises(CodecError):
        codec.decode_component("kitchen", "sensor", "temperature", b"warm")


json_text = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
                         lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
                         max_leaves=20).map(lambda v: json.dumps(v).encode())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(component=st.sampled_from(codec.COMPONENTS), first=st.one_of(st.binary(max_size=30), json_text),
       later=st.one_of(st.binary(max_size=30), json_text, st.sampled_from([b"ON", b"OFF", b"12", b"open", b"nan"])))
def test_hostile_payloads_raise_only_codec_errors(component: str, first: bytes, later: bytes) -> None:
    try:
        device = codec.decode_component("node", component, "thing", first)
    except CodecError:
        return
    for shape in [device, codec.with_position(device)] if device.type == "cover" else [device]:
        for leaf in ("state", "position/state"):
            try:
                values = codec.decode_state(shape, leaf, later)
            except CodecError:
                continue
            for name, value in values.items():
                shape.attributes[name].check(value)


def test_found_commanded_and_followed_on_a_real_broker(transport: Transport, sim_transport: Transport, prefix: str) -> None:
    node = f"{prefix}/kitchen"
    received: list[tuple[str, str]] = []

    def on_command(topic: str, payload: bytes) -> None:  # the node: applies the command and reports its state
        received.append((topic, payload.decode()))
        sim_transport.publish(topic[: -len("command")] + "state", payload.decode(), retain=True)

    sim_transport.subscribe(f"{node}/switch/kettle/command", on_command, wait=5)
    sim_transport.publish(f"{node}/status", "online", retain=True)
    sim_transport.publish(f"{node}/switch/kettle/state", "OFF", retain=True)
    sim_transport.publish(f"{node}/sensor/temperature/state", "21.5", retain=True)
    conn = Connection(transport, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha", tasmota_discovery=f"{prefix}/tasmota/discovery",
                      shelly_root=prefix, esphome_root=prefix)
    try:
        conn.start()
        assert conn.registry.wait_for(lambda r: r.get("kitchen.kettle") is not None and r.get("kitchen.temperature") is not None, 5)
        kettle = conn.registry.get("kitchen.kettle")
        assert kettle is not None and (kettle.room, kettle.name, kettle.type, kettle.state(), kettle.availability) == (
            "kitchen", "kettle", "switch", {"state": "off"}, "online")
        assert conn.registry.value("kitchen.temperature", "temperature") == 21.5
        assert conn.command("kitchen.kettle", {"state": "on"}) == {f"{node}/switch/kettle/command": "ON"}
        assert eventually(lambda: conn.registry.value("kitchen.kettle", "state") == "on")
        assert received == [(f"{node}/switch/kettle/command", "ON")]
        sim_transport.publish(f"{node}/sensor/temperature/state", "hot")  # hostile: nothing changes
        sim_transport.publish(f"{node}/sensor/temperature/state", "22.0")
        assert eventually(lambda: conn.registry.value("kitchen.temperature", "temperature") == 22.0)
        sim_transport.publish(f"{node}/status", "offline", retain=True)
        assert eventually(lambda: conn.registry.get("kitchen.kettle").availability == "offline")  # type: ignore[union-attr]
    finally:
        for topic in ("status", "switch/kettle/state", "sensor/temperature/state"):
            sim_transport.publish(f"{node}/{topic}", b"", retain=True)


def test_a_node_that_also_announces_itself_to_home_assistant_appears_once(transport: Transport, sim_transport: Transport,
                                                                           prefix: str) -> None:
    node = f"{prefix}/hall"
    config = {"name": "Hall light", "unique_id": "hall-light", "state_topic": f"{node}/switch/light/state",
              "command_topic": f"{node}/switch/light/command", "availability_topic": f"{node}/status",
              "device": {"identifiers": ["a4cf12aa55bb"], "name": "hall", "suggested_area": "Hall", "sw_version": "esphome v2024.6.0"}}
    sim_transport.publish(f"{prefix}/ha/switch/hall/light/config", config, retain=True)
    sim_transport.publish(f"{node}/status", "online", retain=True)
    conn = Connection(transport, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha", tasmota_discovery=f"{prefix}/tasmota/discovery",
                      shelly_root=prefix, esphome_root=prefix)
    try:
        conn.start()
        assert conn.registry.wait_for(lambda r: len(r) == 1, 5)
        sim_transport.publish(f"{node}/switch/light/state", "ON", retain=True)
        assert eventually(lambda: [d.state() for d in conn.registry.all()] == [{"state": "on"}])
        [only] = conn.registry.all()
        assert only.binding is not None and only.binding.driver == "homeassistant" and "hall.light" not in conn.registry
    finally:
        sim_transport.publish(f"{prefix}/ha/switch/hall/light/config", b"", retain=True)
        for topic in ("status", "switch/light/state"):
            sim_transport.publish(f"{node}/{topic}", b"", retain=True)
