"""The canonical device model: home files in Home Assistant's or Zigbee2MQTT's words become it on load, each driver
translates its dialect into it and back exactly, no module above the drivers names a dialect's attribute, and the
Shelly and Tasmota faces keep the covers and lights those devices really have."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from iotlm.device_drivers.capabilities import (
    CAPABILITIES,
    CLASSES,
    DIALECT_NAMES,
    DIALECT_ONLY_NAMES,
    canonical_attributes,
    describes_room,
    table,
)
from iotlm.device_drivers.home import parse_home
from iotlm.device_drivers.homeassistant import codec as ha
from iotlm.device_drivers.shelly import codec as shelly
from iotlm.device_drivers.simulator import Simulator, shelly_face, tasmota_face
from iotlm.device_drivers.transport import Transport
from iotlm.device_drivers.zigbee2mqtt import codec as z2m
from tests.conftest import ROOT, connect, eventually

ABOVE_THE_DRIVERS = ("agent", "tools", "memory", "policies", "automations", "iotlm")


def test_no_module_above_the_drivers_names_a_dialects_attribute() -> None:
    """Understanding, the effect model, conditions, automations, the web app and the tools' schemas speak only the
    canonical model: no string in their code is a name that only a dialect uses, and no template or data file says
    one (the environment simulation, which sits with the simulator, is held to the same)."""
    assert {"current_heating_setpoint", "local_temperature", "system_mode", "hvac_mode", "volume_level",
            "is_volume_muted", "current_position", "Dimmer"} <= DIALECT_ONLY_NAMES  # the scan looks for these
    files = [p for top in ABOVE_THE_DRIVERS for p in (ROOT / top).rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".min.js")]  # not vendored htmx
    files.append(ROOT / "device_drivers" / "simulator" / "environment.py")
    found = []
    for path in files:
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in DIALECT_ONLY_NAMES:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
        elif path.suffix in (".html", ".js", ".css", ".yaml", ".yml", ".json", ".jsonl", ".toml"):
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [f"{path.relative_to(ROOT)}: {name}" for name in DIALECT_ONLY_NAMES if re.search(rf"\b{name}\b", text)]
    assert len(files) > 50 and not found, found


def test_every_class_speaks_only_capabilities_and_every_dialect_name_lands_on_one() -> None:
    assert all(c in CAPABILITIES for cls in CLASSES.values() for c in cls.capabilities)
    assert all(spec.canonical in CAPABILITIES for names in DIALECT_NAMES.values() for spec in names.values())
    rows = table().splitlines()
    assert rows[0] == "| class | capabilities | operations | implies |"
    assert any(r.startswith("| valve | `state`, `position` %") for r in rows)
    assert "| `volume` | homeassistant: `volume_level` (0-1) |" in rows


def test_a_home_file_in_home_assistants_words_is_canonical_on_load() -> None:
    renamed: dict[str, Any] = {}
    speaker = canonical_attributes({"state": {"value": "playing", "options": ["playing", "paused"]},
                                    "volume_level": {"value": 0.35, "min": 0, "max": 1},
                                    "is_volume_muted": {"value": False}}, "media_player", renamed)
    assert speaker == {"state": {"value": "playing", "options": ["playing", "paused"]},
                       "volume": {"value": 35, "min": 0, "max": 100, "unit": "%"}, "muted": {"value": False}}
    assert renamed["volume_level"].canonical == "volume" and renamed["volume_level"].value(0.5) == 50
    light = canonical_attributes({"brightness": {"value": 128, "min": 0, "max": 255}}, "light")
    assert light == {"brightness": {"value": 50, "min": 0, "max": 100, "unit": "%"}}
    assert canonical_attributes({"brightness": {"value": 40, "min": 0, "max": 100}}, "light")["brightness"]["value"] == 40
    valve = canonical_attributes({"current_position": {"value": 0, "min": 0, "max": 100}}, "valve")
    assert valve == {"position": {"value": 0, "min": 0, "max": 100, "unit": "%"}}
    thermostat = canonical_attributes({"temperature": {"value": 21, "min": 7, "max": 30}, "hvac_mode": {"value": "heat",
                                      "options": ["heat", "off"]}, "current_temperature": {"value": 19.5, "writable": False}},
                                      "climate")
    assert set(thermostat) == {"target_temperature", "mode", "current_temperature"}
    sensor = canonical_attributes({"temperature": {"value": 21, "writable": False}}, "sensor")
    assert set(sensor) == {"temperature"}  # a sensor's temperature is a reading, not a setpoint

    home = parse_home({"devices": [{"id": "den.speaker", "name": "speaker", "room": "den", "type": "media_player",
                                    "attributes": {"volume_level": {"value": 0.2, "min": 0, "max": 1}}}]})
    assert home.device("den.speaker").attributes["volume"].value == 20  # type: ignore[union-attr]


def test_readings_say_what_they_measure() -> None:
    assert describes_room("sensor") and describes_room("climate")
    assert not describes_room("appliance")  # a fridge's inside, an oven's, a water heater's tank


# ---------------------------------------------------------------- each driver: the dialect's payload and back, exactly

TRV = {"type": "climate", "features": [
    {"type": "numeric", "name": "occupied_heating_setpoint", "property": "occupied_heating_setpoint", "access": 7,
     "unit": "°C", "value_min": 5, "value_max": 30},
    {"type": "numeric", "name": "local_temperature", "property": "local_temperature", "access": 5, "unit": "°C"},
    {"type": "enum", "name": "system_mode", "property": "system_mode", "access": 7, "values": ["off", "heat", "cool"]},
    {"type": "enum", "name": "fan_mode", "property": "fan_mode", "access": 7, "values": ["low", "high", "auto"]}]}
FAN = {"type": "fan", "features": [
    {"type": "binary", "name": "state", "property": "fan_state", "access": 7, "value_on": "ON", "value_off": "OFF"},
    {"type": "enum", "name": "mode", "property": "fan_mode", "access": 7, "values": ["low", "medium", "high"]}]}
LUX = [{"type": "numeric", "name": "illuminance", "property": "illuminance", "access": 1},
       {"type": "numeric", "name": "illuminance_lux", "property": "illuminance_lux", "access": 1, "unit": "lx"}]


def _z2m(*exposes: dict[str, Any]) -> Any:
    entry = {"friendly_name": "Den/Thing", "ieee_address": "0x1", "type": "EndDevice",
             "definition": {"model": "m", "vendor": "v", "exposes": list(exposes)}}
    [device] = z2m.decode_devices([entry]).devices
    return device


def test_zigbee2mqtt_thermostats_fans_and_lux_in_canonical_words_and_back() -> None:
    trv = _z2m(TRV)
    assert set(trv.attributes) == {"target_temperature", "current_temperature", "mode", "fan_speed"}
    assert z2m.decode_state(trv, {"occupied_heating_setpoint": 20.5, "local_temperature": 18.9, "system_mode": "heat",
                                  "fan_mode": "auto"}) == {
        "target_temperature": 20.5, "current_temperature": 18.9, "mode": "heat", "fan_speed": "auto"}
    assert z2m.encode_command(trv, {"target_temperature": 22, "mode": "cool", "fan_speed": "low"}) == {
        "occupied_heating_setpoint": 22, "system_mode": "cool", "fan_mode": "low"}
    fan = _z2m(FAN)
    assert fan.type == "fan" and set(fan.attributes) == {"state", "speed"}
    assert z2m.decode_state(fan, {"fan_state": "ON", "fan_mode": "high"}) == {"state": "on", "speed": "high"}
    assert z2m.encode_command(fan, {"state": "off", "speed": "low"}) == {"fan_state": "OFF", "fan_mode": "low"}
    sensor = _z2m(*LUX)
    assert set(sensor.attributes) == {"illuminance"}  # the lux one, not the raw one
    assert z2m.decode_state(sensor, {"illuminance": 30102, "illuminance_lux": 1024}) == {"illuminance": 1024}


def test_home_assistant_sensors_by_device_class_in_canonical_words() -> None:
    for device_class, capability in (("carbon_dioxide", "co2"), ("sound_pressure", "noise"),
                                     ("volatile_organic_compounds", "voc"), ("temperature", "temperature")):
        entity = ha.decode_config(f"homeassistant/sensor/n/{device_class}/config", {
            "stat_t": "s", "dev_cla": device_class, "dev": {"ids": ["d"], "name": "Air monitor"}})
        assert list(entity.attributes) == [capability]
        assert ha.decode_value(entity.attributes[capability], entity.bindings[capability], b"812") == (True, 812)


CT_LIGHT = {"type": "light", "features": [
    {"type": "binary", "name": "state", "property": "state", "access": 7, "value_on": "ON", "value_off": "OFF"},
    {"type": "numeric", "name": "color_temp", "property": "color_temp", "access": 7, "unit": "mired",
     "value_min": 153, "value_max": 500}]}


def test_colour_temperature_is_kelvin_above_the_drivers_whatever_the_wire_says() -> None:
    """Zigbee2MQTT, Home Assistant's JSON light (mired, or Kelvin with ``color_temp_kelvin``) and a home file written
    in mired all become Kelvin, and go back to the wire's own unit exactly."""
    bulb = _z2m(CT_LIGHT)
    temp = bulb.attributes["color_temp"]
    assert (temp.min, temp.max, temp.unit) == (2000, 6550, "K")
    assert z2m.decode_state(bulb, {"color_temp": 370}) == {"color_temp": 2700}  # the roundest Kelvin that is 370 mired
    assert z2m.encode_command(bulb, {"color_temp": 2700}) == {"color_temp": 370}
    mired = ha.decode_config("homeassistant/light/n/bulb/config", {
        "schema": "json", "stat_t": "s", "cmd_t": "c", "supported_color_modes": ["color_temp"],
        "min_mireds": 154, "max_mireds": 370, "dev": {"ids": ["d"], "name": "Bulb"}})
    assert (mired.attributes["color_temp"].min, mired.attributes["color_temp"].max) == (2700, 6500)
    assert ha.decode_value(mired.attributes["color_temp"], mired.bindings["color_temp"], b'{"color_temp": 250}') == (True, 4000)
    assert ha.encode_commands(mired.bindings, {"color_temp": 4000}) == {"c": '{"color_temp":250}'}
    kelvin = ha.decode_config("homeassistant/light/n/bulb/config", {
        "schema": "json", "stat_t": "s", "cmd_t": "c", "supported_color_modes": ["color_temp"],
        "color_temp_kelvin": True, "min_kelvin": 2200, "max_kelvin": 6000, "dev": {"ids": ["d"], "name": "Bulb"}})
    assert (kelvin.attributes["color_temp"].min, kelvin.attributes["color_temp"].max) == (2200, 6000)
    assert ha.encode_commands(kelvin.bindings, {"color_temp": 4000}) == {"c": '{"color_temp":4000}'}
    home = parse_home({"devices": [_device("den.bulb", "light", color_temp={"value": 370, "min": 153, "max": 500,
                                                                             "unit": "mired"})]})
    assert home.device("den.bulb").attributes["color_temp"].model_dump(include={"value", "min", "max", "unit"}) == {
        "value": 2700, "min": 2000, "max": 6550, "unit": "K"}
    assert home.canonical("den.bulb", "color_temp", {">": 250}) == ("color_temp", {"<": 4000})  # bluer is fewer mired


SHELLY_RGB = ({"sys": {"device": {"name": "Den / Strip"}}, "rgb:0": {"id": 0, "name": "Den / Strip"}},
              {"rgb:0": {"id": 0, "output": True, "brightness": 60, "rgb": [255, 128, 0]}})
SHELLY_CCT = ({"sys": {"device": {"name": "Den / Bulb"}}, "cct:0": {"id": 0, "name": "Den / Bulb", "ct_range": [2700, 6500]}},
              {"cct:0": {"id": 0, "output": False, "brightness": 30, "ct": 4000}})
SHELLY_COVER = ({"cover:0": {"id": 0, "name": "Den / Blind"}},
                {"cover:0": {"id": 0, "state": "closed", "pos_control": False, "source": "init"}})


def test_shelly_colour_white_spectrum_and_uncalibrated_covers_and_back() -> None:
    [strip] = shelly.decode_device("shellyrgbw", *SHELLY_RGB).devices
    assert (strip.type, strip.state()) == ("light", {"state": "on", "brightness": 60, "color": [255, 128, 0]})
    assert shelly.encode_command(strip, {"color": [0, 0, 255], "brightness": 80}, 3, "iotlm") == [
        {"id": 3, "src": "iotlm", "method": "RGB.Set", "params": {"id": 0, "brightness": 80, "on": True, "rgb": [0, 0, 255]}}]
    [bulb] = shelly.decode_device("shellyduo", *SHELLY_CCT).devices
    assert bulb.state() == {"state": "off", "brightness": 30, "color_temp": 4000}  # Shelly speaks Kelvin, as we do
    assert (bulb.attributes["color_temp"].min, bulb.attributes["color_temp"].max) == (2700, 6500)
    assert shelly.encode_command(bulb, {"color_temp": 2700}, 4, "iotlm") == [
        {"id": 4, "src": "iotlm", "method": "CCT.Set", "params": {"id": 0, "ct": 2700}}]
    [blind] = shelly.decode_device("shelly2pm", *SHELLY_COVER).devices
    assert set(blind.attributes) == {"state"} and blind.state() == {"state": "closed"}  # it has no position to give
    assert shelly.encode_command(blind, {"state": "open"}, 5, "iotlm") == [
        {"id": 5, "src": "iotlm", "method": "Cover.Open", "params": {"id": 0}}]


# ---------------------------------------------------------------- the faces keep what those devices really are

def _device(device_id: str, device_type: str, **attributes: dict[str, Any]) -> dict[str, Any]:
    return {"id": device_id, "name": device_id.split(".")[1].replace("_", " "), "room": "den", "type": device_type,
            "attributes": attributes}


FACE_HOME = {"devices": [
    _device("den.blind", "cover", position={"value": 0, "min": 0, "max": 100}),
    _device("den.awning", "cover", state={"value": "closed", "options": ["open", "closed"]}),
    _device("den.strip", "light", state={"value": "off", "options": ["on", "off"]}, brightness={"value": 50, "min": 0, "max": 100},
            color={"value": [255, 255, 255]}),
    _device("den.bulb", "light", state={"value": "off", "options": ["on", "off"]}, brightness={"value": 50, "min": 0, "max": 100},
            color_temp={"value": 3300, "min": 2700, "max": 6500, "unit": "K"}),
]}


def test_the_shelly_and_tasmota_faces_keep_position_only_covers_and_say_why_they_leave_one_out() -> None:
    home = parse_home(FACE_HOME)
    assert {d.id: shelly_face.left_out(d) for d in home.devices} == {
        "den.blind": None, "den.awning": None, "den.strip": None, "den.bulb": None}
    reasons = {d.id: tasmota_face.left_out(d) for d in home.devices}
    assert reasons["den.blind"] is None
    assert reasons["den.awning"] == "a Tasmota shutter always reports a position; this cover has none"
    both = parse_home({"devices": [_device("den.lamp", "light", state={"value": "off", "options": ["on", "off"]},
                                           color={"value": [1, 2, 3]}, color_temp={"value": 3300, "min": 2700, "max": 6500, "unit": "K"})]})
    assert shelly_face.left_out(both.devices[0]) == "a Shelly light has colour (rgb) or white spectrum (cct), not both"
    tilted = parse_home({"devices": [_device("den.blind", "cover", position={"value": 0, "min": 0, "max": 100},
                                             tilt={"value": 0, "min": 0, "max": 100})]})
    assert all(reason and reason.endswith("tilt") for reason in (shelly_face.left_out(tilted.devices[0]),
                                                                  tasmota_face.left_out(tilted.devices[0])))


def test_shelly_covers_and_colour_lights_through_a_real_broker(transport: Transport, sim_transport: Transport,
                                                               prefix: str) -> None:
    home = parse_home(FACE_HOME)
    sim = Simulator(home, sim_transport, dialect="shelly", base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha",
                    ha_root=f"{prefix}/devices", shelly_root=prefix).start()
    conn = connect(transport, prefix)
    try:
        assert sim.left_out == {}
        assert conn.registry.wait_for(lambda r: {"den.blind", "den.awning", "den.strip", "den.bulb"} <= set(r.ids()), 20)
        awning = conn.registry.get("den.awning")
        assert awning is not None and set(awning.attributes) == {"state"}
        [frame] = conn.command("den.blind", {"position": 40}).values()
        assert (frame["method"], frame["params"]) == ("Cover.GoToPosition", {"id": 0, "pos": 40})
        assert eventually(lambda: conn.registry.value("den.blind", "position") == 40)
        [frame] = conn.command("den.awning", {"state": "open"}).values()
        assert (frame["method"], frame["params"]) == ("Cover.Open", {"id": 0})
        assert eventually(lambda: conn.registry.value("den.awning", "state") == "open")
        [frame] = conn.command("den.strip", {"state": "on", "color": [255, 0, 0]}).values()
        assert (frame["method"], frame["params"]) == ("RGB.Set", {"id": 0, "on": True, "rgb": [255, 0, 0]})
        assert eventually(lambda: conn.registry.value("den.strip", "color") == [255, 0, 0])
        [frame] = conn.command("den.bulb", {"color_temp": 5000}).values()
        assert (frame["method"], frame["params"]) == ("CCT.Set", {"id": 0, "ct": 5000})
        assert eventually(lambda: conn.registry.value("den.bulb", "color_temp") == 5000)
        assert sim.state("den.bulb")["color_temp"] == 5000
    finally:
        sim.clear_discovery()


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "bench").rglob("*.json")), ids=lambda p: p.name)
def test_every_bench_home_loads_in_canonical_words(path: Path) -> None:
    """No bench home keeps a dialect's name once loaded."""
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "devices" not in data:
        pytest.skip("not a home file")
    home = parse_home(data, source=str(path))
    assert not [f"{d.id}.{a}" for d in home.devices for a in d.attributes if a in DIALECT_ONLY_NAMES]


def test_the_readmes_device_model_table_is_the_codes() -> None:
    assert table() in (ROOT / "README.md").read_text(encoding="utf-8")
