"""Tasmota: the codec from tables of the payloads Tasmota's documentation shows, and the driver against a real
Mosquitto with a device that answers on its topics as Tasmota does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iotlm.device_drivers.base import CodecError
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.model import Device
from iotlm.device_drivers.tasmota import codec
from iotlm.device_drivers.transport import Transport
from tests.conftest import eventually


def config(topic: str = "tasmota_8E2A1F", *, rl: list[int] | None = None, fn: list[Any] | None = None, lt_st: int = 0,
           ft: str = "%prefix%/%topic%/", so30: int = 0) -> dict[str, Any]:
    """A discovery config as Tasmota 13 publishes it on tasmota/discovery/<MAC>/config (SetOption19 0)."""
    return {"ip": "192.168.1.50", "dn": "Tasmota", "fn": fn or ["Tasmota", None, None, None, None, None, None, None],
            "hn": "tasmota-8E2A1F-2591", "mac": "A4CF128E2A1F", "md": "Sonoff Basic", "ty": 0, "if": 0,
            "ofln": "Offline", "onln": "Online", "state": ["OFF", "ON", "TOGGLE", "HOLD"], "sw": "13.2.0", "t": topic,
            "ft": ft, "tp": ["cmnd", "stat", "tele"], "rl": rl or [1, 0, 0, 0, 0, 0, 0, 0],
            "swc": [-1] * 8, "swn": [None] * 8, "btn": [0] * 8,
            "so": {"4": 0, "11": 0, "13": 0, "17": 0, "20": 0, "30": so30, "68": 0, "73": 0, "82": 0, "114": 0, "117": 0},
            "lk": 0, "lt_st": lt_st, "bat": 0, "dslp": 0, "sho": [], "sht": [], "ver": 1}


AM2301 = {"sn": {"Time": "2026-12-02T10:00:00", "AM2301": {"Temperature": 22.5, "Humidity": 45.0, "DewPoint": 10.1},
                 "TempUnit": "C"}, "ver": 1}
ENERGY = {"sn": {"Time": "2026-12-02T10:00:00", "ENERGY": {"TotalStartTime": "2026-01-01T00:00:00", "Total": 12.3,
                                                            "Power": 57, "Voltage": 230, "Current": 0.25}}, "ver": 1}


def test_a_relay_is_a_switch_with_its_room_from_the_friendly_name() -> None:
    [device] = codec.decode_config(config(fn=["Kitchen / Coffee machine", None])).devices
    assert (device.id, device.name, device.room, device.type) == ("tasmota_8E2A1F", "coffee machine", "kitchen", "switch")
    assert device.binding is not None and device.binding.command_topic == "cmnd/tasmota_8E2A1F/"
    assert device.binding.availability_topic == "tele/tasmota_8E2A1F/LWT"
    assert device.binding.properties["state"].key == "POWER"
    assert device.binding.identity == "mac:a4cf128e2a1f"


@pytest.mark.parametrize(("lt_st", "attributes"), [
    (1, ["state", "brightness"]), (2, ["state", "brightness", "color_temp"]), (3, ["state", "brightness", "color"]),
    (5, ["state", "brightness", "color_temp", "color"]),
])
def test_a_light_has_what_its_type_allows(lt_st: int, attributes: list[str]) -> None:
    [light] = codec.decode_config(config(rl=[2, 0], fn=["Office: Desk lamp"], lt_st=lt_st)).devices
    assert (light.type, light.room, light.name, list(light.attributes)) == ("light", "office", "desk lamp", attributes)


def test_setoption30_makes_a_relay_a_light_and_a_plug_reports_its_power() -> None:
    [light] = codec.decode_config(config(so30=1, fn=["Hallway / Light"])).devices
    assert (light.type, list(light.attributes)) == ("light", ["state"])
    [plug] = codec.decode_config(config(fn=["Office / Smart plug"]), ENERGY).devices
    assert plug.type == "outlet" and plug.attributes["power"].value == 57 and plug.attributes["power"].unit == "W"
    assert not plug.attributes["power"].writable and plug.binding.properties["power"].key == "ENERGY.Power"  # type: ignore[union-attr]


def test_two_relays_are_two_devices_and_a_shutter_pair_is_one_cover() -> None:
    two = codec.decode_config(config(rl=[1, 1], fn=["Garden / Pump", "Garden / Fountain"])).devices
    assert [(d.id, d.name, d.binding.properties["state"].key) for d in two] == [  # type: ignore[union-attr]
        ("tasmota_8E2A1F", "pump", "POWER1"), ("tasmota_8E2A1F_2", "fountain", "POWER2")]
    [cover] = codec.decode_config(config(rl=[3, 3], fn=["Bedroom / Blinds", None], ft="tasmota/%topic%/%prefix%/")).devices
    assert (cover.type, list(cover.attributes), cover.binding.command_topic) == (  # type: ignore[union-attr]
        "cover", ["state", "position"], "tasmota/tasmota_8E2A1F/cmnd/")


def test_a_device_with_only_sensors_is_a_sensor() -> None:
    [sensor] = codec.decode_config(config(rl=[0] * 8, fn=["Bedroom / Climate"]), AM2301).devices
    assert (sensor.id, sensor.type, sensor.room, sensor.read_only) == ("tasmota_8E2A1F", "sensor", "bedroom", True)
    assert {k: (a.value, a.unit) for k, a in sensor.attributes.items()} == {"temperature": (22.5, "°C"), "humidity": (45.0, "%")}


@pytest.mark.parametrize(("leaf", "payload", "values"), [
    ("RESULT", {"POWER": "ON", "Dimmer": 40, "Color": "FF8000", "CT": 300}, {"state": "on", "brightness": 40,
                                                                             "color": [255, 128, 0], "color_temp": 3330}),  # CT 300 mired
    ("STATE", {"Time": "2026-12-02T10:00:00", "Uptime": "0T01:00:00", "POWER": "OFF", "Dimmer": 100,
               "Wifi": {"AP": 1, "RSSI": 80}}, {"state": "off", "brightness": 100}),
    ("POWER", "ON", {"state": "on"}),
    ("RESULT", {"Color": "255,0,10,0,0"}, {"color": [255, 0, 10]}),
    ("RESULT", {"Dimmer": 400}, {}),  # out of range: not believed
    ("RESULT", {"Heap": 25}, {}),
])
def test_state_messages(leaf: str, payload: Any, values: dict[str, Any]) -> None:
    [light] = codec.decode_config(config(rl=[2], lt_st=5)).devices
    raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    assert codec.decode_state(light, leaf, raw) == values


def test_shutter_and_sensor_messages() -> None:
    [cover] = codec.decode_config(config(rl=[3, 3])).devices
    assert codec.decode_state(cover, "RESULT", b'{"Shutter1":{"Position":0,"Direction":0,"Target":0,"Tilt":0}}') == {
        "state": "closed", "position": 0}
    [sensor] = codec.decode_config(config(rl=[0]), AM2301).devices
    assert codec.decode_state(sensor, "SENSOR", json.dumps({"Time": "x", "AM2301": {"Temperature": 23.1}}).encode()) == {
        "temperature": 23.1}


@pytest.mark.parametrize(("rl", "lt_st", "values", "commands"), [
    ([1], 0, {"state": "on"}, [("POWER", "ON")]),
    ([1, 1], 0, {"state": "off"}, [("POWER1", "OFF")]),
    ([2], 5, {"brightness": 40, "state": "on"}, [("POWER", "ON"), ("Dimmer", "40")]),
    ([2], 5, {"color": [255, 128, 0], "color_temp": 3330}, [("Color", "255,128,0"), ("CT", "300")]),  # K -> mired
    ([3, 3], 0, {"position": 30}, [("ShutterPosition1", "30")]),
    ([3, 3], 0, {"state": "closed"}, [("ShutterClose1", "")]),
])
def test_commands_are_the_documented_ones(rl: list[int], lt_st: int, values: dict[str, Any], commands: list[tuple[str, str]]) -> None:
    device = codec.decode_config(config(rl=rl, lt_st=lt_st)).devices[0]
    assert codec.encode_command(device, values) == commands


def test_commands_a_device_cannot_take_are_refused() -> None:
    [light] = codec.decode_config(config(rl=[2], lt_st=1)).devices
    for values in ({"brightness": 400}, {"color": [1, 2, 3]}, {"state": "purple"}):
        with pytest.raises(CodecError):
            codec.encode_command(light, values)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [[], {"t": "a/b"}, {"t": ""}, {"t": "x", "rl": "1"}, {"t": "x", "tp": ["cmnd"]},
                                 {"t": "x", "ft": 3},
                                 {"t": "\x1f"}])  # found by hypothesis: a control character, no device id (was ValidationError)
def test_a_config_that_is_not_tasmotas_is_refused(bad: Any) -> None:
    with pytest.raises(CodecError):
        codec.decode_config(bad)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
                           max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_payloads_raise_only_codec_errors(data: st.DataObject) -> None:
    base = config(rl=[2, 3, 3, 1], lt_st=5)
    for key in data.draw(st.lists(st.sampled_from(sorted(base)), max_size=4)):
        base[key] = data.draw(json_values)
    try:
        devices = codec.decode_config(base, data.draw(json_values)).devices
    except CodecError:
        devices = codec.decode_config(config(rl=[2, 3, 3, 1], lt_st=5)).devices
    for device in devices:
        for leaf in ("RESULT", "STATE", "SENSOR", "POWER", "POWER2", "LWT"):
            raw = data.draw(st.one_of(st.binary(max_size=40), json_values.map(lambda v: json.dumps(v).encode())))
            try:
                values = codec.decode_state(device, leaf, raw)
            except CodecError:
                continue
            for name, value in values.items():  # whatever is believed fits the attribute
                device.attributes[name].check(value)


# ---------------------------------------------------------------- against a real broker


class FakeTasmota:
    """A Tasmota device on the broker: retained discovery, and answers on cmnd/<topic>/... as the firmware does."""

    def __init__(self, transport: Transport, prefix: str, cfg: dict[str, Any], sensors: dict[str, Any] | None = None) -> None:
        self.t, self.cfg, self.prefix = transport, cfg, prefix
        self.received: list[tuple[str, str]] = []
        self.power, self.dimmer = "OFF", 50
        self.cmnd, self.stat, self.tele = (codec.full_topic(cfg, i) for i in range(3))
        transport.subscribe(f"{self.cmnd}#", self._on_command, wait=5)
        transport.publish(f"{self.tele}LWT", "Online", retain=True)
        transport.publish(f"{prefix}/tasmota/discovery/{cfg['mac']}/config", cfg, retain=True)
        if sensors is not None:
            transport.publish(f"{prefix}/tasmota/discovery/{cfg['mac']}/sensors", sensors, retain=True)

    def _on_command(self, topic: str, payload: bytes) -> None:
        command, text = topic[len(self.cmnd):], payload.decode()
        self.received.append((topic, text))
        if command == "POWER" and text in ("ON", "OFF"):
            self.power = text
        elif command == "Dimmer" and text.isdigit():
            self.dimmer = int(text)
            self.power = "ON" if self.dimmer else "OFF"
        elif command != "State":
            return
        self.t.publish(f"{self.stat}RESULT", {"POWER": self.power, "Dimmer": self.dimmer})

    def clear(self) -> None:
        self.t.publish(f"{self.prefix}/tasmota/discovery/{self.cfg['mac']}/config", b"", retain=True)
        self.t.publish(f"{self.prefix}/tasmota/discovery/{self.cfg['mac']}/sensors", b"", retain=True)
        self.t.publish(f"{self.tele}LWT", b"", retain=True)


def test_discovery_commands_state_and_availability_on_a_real_broker(transport: Transport, sim_transport: Transport,
                                                                     prefix: str) -> None:
    cfg = config(f"{prefix}_lamp", rl=[2], lt_st=1, fn=["Office / Desk lamp"], ft=f"%prefix%/{prefix}/%topic%/")
    device = FakeTasmota(sim_transport, prefix, cfg)
    conn = Connection(transport, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha", tasmota_discovery=f"{prefix}/tasmota/discovery")
    try:
        conn.start()
        lamp_id = f"{prefix}_lamp"
        assert conn.registry.wait_for(lambda r: (d := r.get(lamp_id)) is not None and d.attributes["state"].value == "off", 5)
        lamp: Device = conn.registry.get(lamp_id)  # type: ignore[assignment]
        assert (lamp.name, lamp.room, lamp.type, lamp.availability) == ("desk lamp", "office", "light", "online")
        assert device.received == [(f"cmnd/{prefix}/{lamp_id}/State", "")]  # it asked for the state once discovered
        sent = conn.command(lamp_id, {"state": "on", "brightness": 30})
        assert sent == {f"cmnd/{prefix}/{lamp_id}/POWER": "ON", f"cmnd/{prefix}/{lamp_id}/Dimmer": "30"}
        assert eventually(lambda: conn.registry.value(lamp_id, "brightness") == 30 and conn.registry.value(lamp_id, "state") == "on")
        assert device.received[1:] == [(f"cmnd/{prefix}/{lamp_id}/POWER", "ON"), (f"cmnd/{prefix}/{lamp_id}/Dimmer", "30")]
        sim_transport.publish(f"tele/{prefix}/{lamp_id}/LWT", "Offline", retain=True)
        assert eventually(lambda: conn.registry.get(lamp_id).availability == "offline")  # type: ignore[union-attr]
        sim_transport.publish(f"tele/{prefix}/{lamp_id}/LWT", "Online", retain=True)
        assert eventually(lambda: conn.registry.get(lamp_id).availability == "online")  # type: ignore[union-attr]
        sim_transport.publish(f"stat/{prefix}/{lamp_id}/RESULT", b"{not json")  # hostile: nothing changes
        sim_transport.publish(f"stat/{prefix}/{lamp_id}/RESULT", {"Dimmer": "lots"})
        sim_transport.publish(f"stat/{prefix}/{lamp_id}/POWER", "OFF")
        assert eventually(lambda: conn.registry.value(lamp_id, "state") == "off")
        assert conn.registry.value(lamp_id, "brightness") == 30
        device.clear()  # the device withdraws its discovery: it leaves the registry
        assert eventually(lambda: conn.registry.get(lamp_id) is None)
    finally:
        device.clear()


def test_a_sensor_device_reports_its_readings(transport: Transport, sim_transport: Transport, prefix: str) -> None:
    cfg = config(f"{prefix}_climate", rl=[0] * 8, fn=["Bedroom / Climate"])
    device = FakeTasmota(sim_transport, prefix, cfg, AM2301)
    conn = Connection(transport, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha", tasmota_discovery=f"{prefix}/tasmota/discovery")
    try:
        conn.start()
        sensor_id = f"{prefix}_climate"
        assert conn.registry.wait_for(lambda r: r.get(sensor_id) is not None, 5)
        assert conn.registry.value(sensor_id, "temperature") == 22.5
        report = {"Time": "2026-12-02T10:05:00", "AM2301": {"Temperature": 23.4, "Humidity": 47.0}}

        def reported() -> bool:  # sent again each TelePeriod, as the device does: the first may beat the subscription
            sim_transport.publish(f"tele/{sensor_id}/SENSOR", report)
            return conn.registry.value(sensor_id, "temperature") == 23.4

        assert eventually(reported)
        assert conn.registry.value(sensor_id, "humidity") == 47.0
    finally:
        device.clear()


def test_iotlm_devices_says_which_dialect_each_device_speaks(capsys: pytest.CaptureFixture[str]) -> None:
    from iotlm.cli.shared import print_devices

    [lamp] = codec.decode_config(config("desk_lamp", rl=[2], lt_st=1, fn=["Office / Desk lamp"])).devices
    print_devices([lamp], as_json=False)
    assert "  desk_lamp  (light, desk lamp, tasmota)\n" in capsys.readouterr().out
