"""Device tools come from capabilities, for every device, with nothing written per device."""

from __future__ import annotations

import pytest

from iotlm.device_drivers.home import load_home
from iotlm.device_drivers.model import Device
from iotlm.tools.device_tools import device_operations
from iotlm.tools.registry import ToolInputError
from tests.conftest import EXAMPLE_HOME

HOME = {d.id: d for d in load_home(EXAMPLE_HOME).devices}


@pytest.mark.parametrize(("device_id", "operations"), [
    ("kitchen.light", ["get_state", "turn_on", "turn_off", "set_brightness"]),
    ("living_room.floor_lamp", ["get_state", "turn_on", "turn_off", "set_brightness", "set_color_temp"]),
    ("hallway.front_door", ["get_state", "lock", "unlock"]),
    ("bedroom.curtains", ["get_state", "open", "close", "set_position"]),
    ("living_room.thermostat", ["get_state", "set_mode", "set_target_temperature"]),
    ("bedroom.fan", ["get_state", "turn_on", "turn_off", "set_speed"]),
    ("kitchen.temperature", ["get_state"]),
    ("hallway.motion", ["get_state"]),
])
def test_operations_follow_the_attributes(device_id: str, operations: list[str]) -> None:
    assert [op.operation for op in device_operations(HOME[device_id])] == operations


def test_every_device_gets_a_query_and_writable_attributes_get_setters() -> None:
    for device in HOME.values():
        ops = {op.operation: op for op in device_operations(device)}
        assert "get_state" in ops
        for name, attr in device.attributes.items():
            if attr.writable and name != "state":
                assert f"set_{name}" in ops, f"{device.id}.{name}"


def test_schema_carries_range_and_options() -> None:
    ops = {op.operation: op for op in device_operations(HOME["bedroom.fan"])}
    assert ops["set_speed"].schema()["parameters"]["properties"]["value"] == {"enum": ["low", "medium", "high"]}
    light = {op.operation: op for op in device_operations(HOME["kitchen.light"])}
    assert light["set_brightness"].schema()["parameters"]["properties"]["value"] == {
        "type": "number", "minimum": 0, "maximum": 100, "unit": "%"}
    assert light["turn_on"].schema()["parameters"]["properties"] == {}


@pytest.mark.parametrize(("operation", "args", "message"), [
    ("set_brightness", {"value": 140}, "argument 'value' got 140; allowed: a number in 0..100 %"),
    ("set_brightness", {"value": "dim"}, "argument 'value' got 'dim'; allowed: a number in 0..100 %"),
    ("set_brightness", {}, "argument 'value' got None; it is required"),
    ("turn_on", {"value": 3}, "argument 'value' got 3; kitchen.light.turn_on takes no arguments"),
])
def test_bad_input_to_device_tools(operation: str, args: dict[str, object], message: str) -> None:
    op = next(o for o in device_operations(HOME["kitchen.light"]) if o.operation == operation)
    with pytest.raises(ToolInputError, match=message):
        op.step(HOME["kitchen.light"], args)


def test_options_are_canonicalised_in_the_step() -> None:
    op = next(o for o in device_operations(HOME["bedroom.fan"]) if o.operation == "set_speed")
    assert op.step(HOME["bedroom.fan"], {"value": "HIGH"}).value == "high"


def test_what_a_value_implies_for_the_state() -> None:
    from iotlm.tools.device_tools import implied_values

    light = Device.model_validate({"id": "l", "name": "l", "attributes": {
        "state": {"value": "off", "options": ["on", "off"]}, "brightness": {"value": 0, "min": 0, "max": 254}}})
    assert implied_values(light, "brightness", 120) == {"state": "on"}
    assert implied_values(light, "brightness", 0) == {}  # dimming to 0 does not turn it on
    assert implied_values(light, "state", "on") == {}
    light.attributes["state"].value = "on"
    assert implied_values(light, "brightness", 120) == {}  # already on
    cover = Device.model_validate({"id": "c", "name": "c", "attributes": {
        "state": {"value": "closed", "options": ["open", "closed"]}, "position": {"value": 0, "min": 0, "max": 100}}})
    assert implied_values(cover, "position", 40) == {"state": "open"}
    assert implied_values(cover, "position", 0) == {}
    cover.attributes["state"].value = "open"
    assert implied_values(cover, "position", 0) == {"state": "closed"}
    blinds = Device.model_validate({"id": "b", "name": "b", "attributes": {"position": {"value": 0, "min": 0, "max": 100}}})
    assert implied_values(blinds, "position", 40) == {}  # no state to follow
