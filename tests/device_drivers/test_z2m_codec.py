from __future__ import annotations

from typing import Any

import pytest

from iotlm.device_drivers.base import CodecError, parse_json
from iotlm.device_drivers.zigbee2mqtt import codec

LIGHT = {"type": "light", "features": [
    {"type": "binary", "name": "state", "property": "state", "access": 7, "value_on": "ON", "value_off": "OFF", "value_toggle": "TOGGLE"},
    {"type": "numeric", "name": "brightness", "property": "brightness", "access": 7, "value_min": 0, "value_max": 254},
    {"type": "numeric", "name": "color_temp", "property": "color_temp", "access": 7, "unit": "mired", "value_min": 200, "value_max": 454}]}
TRV = {"type": "climate", "features": [
    {"type": "numeric", "name": "current_heating_setpoint", "property": "current_heating_setpoint", "access": 3, "unit": "°C",
     "value_min": 5, "value_max": 35, "value_step": 0.5},
    {"type": "numeric", "name": "local_temperature", "property": "local_temperature", "access": 1, "unit": "°C"},
    {"type": "enum", "name": "system_mode", "property": "system_mode", "access": 3, "values": ["off", "heat", "auto"]}]}
LOCK = {"type": "lock", "features": [
    {"type": "binary", "name": "state", "property": "state", "access": 7, "value_on": "LOCK", "value_off": "UNLOCK"},
    {"type": "enum", "name": "lock_state", "property": "lock_state", "access": 1, "values": ["not_fully_locked", "locked", "unlocked"]}]}
MOTION = {"type": "binary", "name": "occupancy", "property": "occupancy", "access": 1, "value_on": True, "value_off": False}


def entry(name: str, *exposes: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    return {"ieee_address": "0x1", "friendly_name": name, "type": "EndDevice", "supported": True, "disabled": False,
            "description": description, "definition": {"model": "m", "vendor": "v", "exposes": list(exposes)}}


def one(e: dict[str, Any]) -> codec.Device:  # type: ignore[name-defined]
    decoded = codec.decode_devices([e])
    assert decoded.problems == []
    return decoded.devices[0]


@pytest.mark.parametrize(("exposes", "device_type", "attributes"), [
    # in the canonical model's names and units: 0-254 brightness is a percentage, a TRV's names are the thermostat's
    ([LIGHT], "light", {"state": (["on", "off"], True), "brightness": ((0, 100), True), "color_temp": ((2203, 5000), True)}),  # 454-200 mired
    ([TRV], "climate", {"target_temperature": ((5, 35), True), "current_temperature": ((None, None), False),
                        "mode": (["off", "heat", "auto"], True)}),
    ([LOCK], "lock", {"state": (["locked", "unlocked"], True), "lock_state": (["not_fully_locked", "locked", "unlocked"], False)}),
    ([MOTION], "binary_sensor", {"occupancy": ([True, False], False)}),
])
def test_exposes_become_attributes(exposes: list[dict[str, Any]], device_type: str, attributes: dict[str, Any]) -> None:
    device = one(entry("Kitchen/Thing", *exposes))
    assert device.type == device_type
    assert device.room == "Kitchen" and device.name == "Thing"
    assert set(device.attributes) == set(attributes)
    for name, (allowed, writable) in attributes.items():
        attr = device.attributes[name]
        assert attr.writable is writable
        if isinstance(allowed, list):
            assert attr.options == allowed
        else:
            assert (attr.min, attr.max) == allowed


def test_description_carries_room_aliases_and_risk() -> None:
    device = one(entry("0x00158d0001", LOCK, description="name=front door; room=hallway; aliases=door, front lock; risky=true"))
    assert (device.name, device.room, device.aliases, device.risky) == ("front door", "hallway", ["door", "front lock"], True)


@pytest.mark.parametrize(("exposes", "values", "payload"), [
    ([LIGHT], {"state": "on", "brightness": 50}, {"state": "ON", "brightness": 127}),
    ([LIGHT], {"brightness": 100}, {"brightness": 254}),
    ([LIGHT], {"brightness": 1}, {"brightness": 3}),
    ([LIGHT], {"state": "off"}, {"state": "OFF"}),
    ([LOCK], {"state": "unlocked"}, {"state": "UNLOCK"}),
    ([TRV], {"target_temperature": 20.5, "mode": "heat"}, {"current_heating_setpoint": 20.5, "system_mode": "heat"}),
])
def test_commands_are_what_the_device_expects(exposes: list[dict[str, Any]], values: dict[str, Any], payload: dict[str, Any]) -> None:
    assert codec.encode_command(one(entry("d", *exposes)), values) == payload


@pytest.mark.parametrize(("exposes", "payload", "state"), [
    ([LIGHT], {"state": "ON", "brightness": 215, "color_temp": 325, "linkquality": 80}, {"state": "on", "brightness": 85, "color_temp": 3080}),
    ([LIGHT], {"brightness": 254}, {"brightness": 100}),
    ([TRV], {"current_heating_setpoint": 21, "local_temperature": 19.5, "system_mode": "heat"},
     {"target_temperature": 21, "current_temperature": 19.5, "mode": "heat"}),
    ([LOCK], {"state": "LOCK", "lock_state": "locked"}, {"state": "locked", "lock_state": "locked"}),
    ([MOTION], {"occupancy": True, "battery": 90}, {"occupancy": True}),
    ([LIGHT], {"state": "SOMETHING"}, {}),
])
def test_state_payloads_decode_to_canonical_values(exposes: list[dict[str, Any]], payload: dict[str, Any], state: dict[str, Any]) -> None:
    assert codec.decode_state(one(entry("d", *exposes)), payload) == state


def test_unknown_value_in_command_is_refused_with_allowed_values() -> None:
    with pytest.raises(codec.CodecError, match="'dim' is not one of on, off"):
        codec.encode_command(one(entry("d", LIGHT)), {"state": "dim"})


# ---------------------------------------------------------------- bad input

def test_definition_null_is_skipped_with_a_reason() -> None:
    bad = {"ieee_address": "0x2", "friendly_name": "mystery", "type": "EndDevice", "definition": None}
    decoded = codec.decode_devices([bad, entry("good", LIGHT)])
    assert [d.id for d in decoded.devices] == ["good"]
    assert decoded.problems == ["device 'mystery': definition is null (unsupported by Zigbee2MQTT); skipped"]


def test_unknown_expose_type_is_skipped_and_the_rest_kept() -> None:
    decoded = codec.decode_devices([entry("d", {"type": "hologram", "property": "x", "access": 7}, MOTION)])
    assert list(decoded.devices[0].attributes) == ["occupancy"]
    assert decoded.problems == ["device 'd': unknown expose type 'hologram'; skipped that expose"]


def test_coordinator_and_disabled_devices_are_not_devices() -> None:
    coordinator = {"friendly_name": "Coordinator", "type": "Coordinator", "definition": None}
    disabled = {**entry("off", LIGHT), "disabled": True}
    assert codec.decode_devices([coordinator, disabled]).devices == []


@pytest.mark.parametrize(("payload", "problem"), [
    ({"not": "a list"}, "expected a JSON array of devices, got dict"),
    ([42], "entry 0: not an object with a friendly_name; skipped"),
])
def test_malformed_device_lists(payload: Any, problem: str) -> None:
    assert codec.decode_devices(payload).problems == [problem]


def test_malformed_json_raises_codec_error() -> None:
    with pytest.raises(CodecError, match="payload is not JSON"):
        parse_json(b"{broken")  # the one JSON reader of every dialect's codec
