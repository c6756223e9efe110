from __future__ import annotations

import json
from typing import Any

import pytest

from iotlm.device_drivers.homeassistant import codec

DEV = {"ids": ["dev1"], "name": "Kitchen light", "sa": "Kitchen"}


@pytest.mark.parametrize(("template", "payload", "value"), [
    ("{{ value_json.temperature }}", {"temperature": 21.5}, 21.5),
    ('{{ value_json["state"] }}', {"state": "ON"}, "ON"),
    ("{{value_json.a.b}}", {"a": {"b": 3}}, 3),
    ("{{ value_json.missing }}", {"x": 1}, None),
    ("{{ value_json.t | float }}", {"t": "3.5"}, 3.5),
    ("{{ value }}", "ON", "ON"),
])
def test_value_templates(template: str, payload: Any, value: Any) -> None:
    raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    assert codec.render_template(template, raw) == value


def test_unsupported_template_is_an_error_naming_the_forms() -> None:
    with pytest.raises(codec.CodecError, match="not of the supported forms"):
        codec.render_template("{% if value_json.x %}on{% endif %}", b"{}")


def test_abbreviations_and_base_topic_are_expanded() -> None:
    config = codec.expand({"~": "zigbee2mqtt/kitchen", "stat_t": "~", "cmd_t": "~/set", "uniq_id": "u1", "dev": DEV})
    assert config == {"state_topic": "zigbee2mqtt/kitchen", "command_topic": "zigbee2mqtt/kitchen/set", "unique_id": "u1",
                      "device": {"identifiers": ["dev1"], "name": "Kitchen light", "suggested_area": "Kitchen"}}


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("light", {"schema": "json", "cmd_t": "l/set", "stat_t": "l", "brightness": True, "brightness_scale": 254,
               "supported_color_modes": ["color_temp"]},
     {"state": ["on", "off"], "brightness": (0, 100), "color_temp": (2000, 6550)}),  # a percentage and Kelvin here
    ("switch", {"cmd_t": "s/set", "stat_t": "s"}, {"state": ["on", "off"]}),
    ("lock", {"cmd_t": "k/set", "stat_t": "k"}, {"state": ["locked", "unlocked"]}),
    ("cover", {"cmd_t": "c/set", "stat_t": "c", "pos_t": "c/pos", "set_pos_t": "c/pos/set"},
     {"state": ["open", "closed"], "position": (0, 100)}),
    ("fan", {"cmd_t": "f/set", "stat_t": "f", "pct_cmd_t": "f/pct/set"}, {"state": ["on", "off"], "speed": (1, 100)}),
    ("climate", {"temp_cmd_t": "c/t/set", "min_temp": 5, "max_temp": 30, "mode_cmd_t": "c/m/set", "modes": ["off", "heat"],
                 "curr_temp_t": "c/cur"},
     {"target_temperature": (5, 30), "mode": ["off", "heat"], "current_temperature": (None, None)}),
    ("sensor", {"stat_t": "z", "val_tpl": "{{ value_json.humidity }}", "unit_of_meas": "%"}, {"humidity": (None, None)}),
    ("binary_sensor", {"stat_t": "z", "val_tpl": "{{ value_json.occupancy }}", "pl_on": True, "pl_off": False},
     {"occupancy": [True, False]}),
    ("number", {"cmd_t": "n/set", "stat_t": "n", "min": 0, "max": 60, "name": "Interval"}, {"interval": (0, 60)}),
    ("select", {"cmd_t": "s/set", "stat_t": "s", "ops": ["low", "high"], "name": "Speed"}, {"speed": ["low", "high"]}),
]


@pytest.mark.parametrize(("component", "config", "attributes"), CASES, ids=[c[0] for c in CASES])
def test_components_become_attributes(component: str, config: dict[str, Any], attributes: dict[str, Any]) -> None:
    entity = codec.decode_config(f"homeassistant/{component}/node/obj/config", {**config, "dev": DEV})
    assert (entity.device_key, entity.room) == ("dev1", "Kitchen")
    assert set(entity.attributes) == set(attributes)
    for name, allowed in attributes.items():
        attr = entity.attributes[name]
        if isinstance(allowed, list):
            assert attr.options == allowed
        else:
            assert (attr.min, attr.max) == allowed


def test_json_light_command_merges_into_one_payload() -> None:
    entity = codec.decode_config("homeassistant/light/x/config", {"schema": "json", "cmd_t": "l/set", "stat_t": "l",
                                                                   "brightness": True, "brightness_scale": 254})
    assert codec.encode_commands(entity.bindings, {"state": "on", "brightness": 50}) == {"l/set": '{"state":"ON","brightness":127}'}


@pytest.mark.parametrize(("scale", "percent", "wire"), [(None, 40, 102), (None, 100, 255), (254, 50, 127), (100, 35, 35),
                                                        (1023, 20, 205)])
def test_a_lights_brightness_is_a_percentage_whatever_its_scale(scale: int | None, percent: int, wire: int) -> None:
    config: dict[str, Any] = {"cmd_t": "l/set", "stat_t": "l", "bri_cmd_t": "l/bri/set", "bri_stat_t": "l/bri"}
    if scale is not None:
        config["bri_scl"] = scale
    entity = codec.decode_config("homeassistant/light/x/config", config)
    assert codec.encode_commands(entity.bindings, {"brightness": percent}) == {"l/bri/set": str(wire)}
    assert codec.decode_value(entity.attributes["brightness"], entity.bindings["brightness"], str(wire).encode()) == (True, percent)


def test_lock_uses_its_payloads_and_states() -> None:
    entity = codec.decode_config("homeassistant/lock/x/config", {"cmd_t": "k/set", "stat_t": "k"})
    assert codec.encode_commands(entity.bindings, {"state": "unlocked"}) == {"k/set": "UNLOCK"}
    assert codec.decode_value(entity.attributes["state"], entity.bindings["state"], b"LOCKED") == (True, "locked")


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize(("topic", "config", "message"), [
    ("homeassistant/switch/x/config", {"stat_t": "s"}, "switch config has no command_topic"),
    ("homeassistant/vacuum/x/config", {"cmd_t": "v"}, "component 'vacuum' is not supported"),
    ("homeassistant/switch/config", {"cmd_t": "s"}, "topic is not"),
    ("homeassistant/switch/x/config", ["not", "an", "object"], "config is not a JSON object"),
    ("homeassistant/select/x/config", {"cmd_t": "s"}, "select config has no options"),
])
def test_bad_configs_are_refused_with_a_reason(topic: str, config: Any, message: str) -> None:
    with pytest.raises(codec.CodecError, match=message):
        codec.decode_config(topic, config)


# ---------------------------------------------------------------- command templates (found by review: parsed, then ignored)

@pytest.mark.parametrize(("component", "config", "values", "sent"), [
    ("switch", {"cmd_t": "s/set", "cmd_tpl": '{"state": "{{ value }}"}'}, {"state": "on"}, {"s/set": '{"state": "ON"}'}),
    ("switch", {"cmd_t": "s/set", "cmd_tpl": "{{ value | lower }}"}, {"state": "off"}, {"s/set": "off"}),
    ("lock", {"cmd_t": "k/set", "cmd_tpl": '{"action": "{{ value }}"}'}, {"state": "unlocked"}, {"k/set": '{"action": "UNLOCK"}'}),
    ("number", {"cmd_t": "n/set", "cmd_tpl": '{"level": {{ value | int }}}', "min": 0, "max": 100},
     {"value": 42.0}, {"n/set": '{"level": 42}'}),
    ("number", {"cmd_t": "n/set", "cmd_tpl": "{{ value | round(1) }}", "min": 0, "max": 100}, {"value": 21.25},
     {"n/set": "21.2"}),
    ("select", {"cmd_t": "m/set", "cmd_tpl": "{{ value | tojson }}", "options": ["eco", "boost"]}, {"option": "boost"},
     {"m/set": '"boost"'}),
    ("fan", {"cmd_t": "f/set", "pct_cmd_t": "f/pct", "pct_cmd_tpl": '{"speed": {{ value }}}'}, {"speed": 40},
     {"f/pct": '{"speed": 40}'}),
    ("cover", {"cmd_t": "c/set", "set_pos_t": "c/pos", "set_pos_tpl": '{"position": {{ position }}}'}, {"position": 30},
     {"c/pos": '{"position": 30}'}),
    ("climate", {"temp_cmd_t": "c/t", "temp_cmd_tpl": '{"setpoint": {{ value }}}', "mode_cmd_t": "c/m",
                 "mode_cmd_tpl": '{"mode": "{{ value }}"}', "modes": ["off", "heat"]},
     {"target_temperature": 21, "mode": "heat"}, {"c/t": '{"setpoint": 21}', "c/m": '{"mode": "heat"}'}),
])
def test_command_templates_shape_the_payload(component: str, config: dict[str, Any], values: dict[str, Any],
                                              sent: dict[str, str]) -> None:
    entity = codec.decode_config(f"homeassistant/{component}/x/config", {**config, "uniq_id": "x", "dev": DEV})
    assert entity.notes == []
    assert all(entity.attributes[name].writable for name in values)
    assert codec.encode_commands(entity.bindings, values) == sent


@pytest.mark.parametrize(("template", "why"), [
    ("{% if value == 'ON' %}1{% else %}0{% endif %}", "needs more of Jinja than iotlm renders"),
    ("{{ (value * 2.55) | round }}", "needs more of Jinja than iotlm renders"),
    ("{{ value | b64encode }}", "uses the filter 'b64encode', which iotlm does not render"),
    ("ON", "does not use the value"),
])
def test_a_command_template_iotlm_cannot_render_leaves_the_attribute_read_only_and_says_why(template: str, why: str) -> None:
    entity = codec.decode_config("homeassistant/number/x/config",
                                 {"cmd_t": "n/set", "stat_t": "n", "cmd_tpl": template, "uniq_id": "x", "dev": DEV})
    assert entity.attributes["value"].writable is False  # readable still; never written with a raw value
    [note] = entity.notes
    assert note.startswith("value is read-only here: its command template") and why in note
    with pytest.raises(codec.CodecError, match="no command topic for attribute 'value'"):
        codec.encode_commands(entity.bindings, {"value": 5})
