"""The example flat re-homed in Shelly and in ESPHome, and mixed across all five dialects: what each dialect can be is
discovered as the same devices, commanded on the vendor's topics and payloads, and reported back; what it cannot be is
left out with why; the flat's own cases pass, except those about a device the dialect left out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iotlm.bench.harness import open_home
from iotlm.bench.suite import load_cases, run_suite
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.home import Home, parse_home
from iotlm.device_drivers.simulator import Simulator, shelly_face
from iotlm.device_drivers.transport import Transport
from tests.conftest import ROOT, connect, eventually

LEFT_OUT = {
    "shelly": {"living_room.tv", "living_room.thermostat", "kitchen.oven", "bedroom.fan", "bedroom.radiator",
               "hallway.motion", "hallway.front_door", "hallway.door_contact"},
    "esphome": {"living_room.tv", "living_room.thermostat", "kitchen.oven", "bedroom.fan", "bedroom.radiator"},
}
# the flat's cases each dialect fails, every one about a device it left out (the TV, the thermostats, the oven, the
# bedroom fan's speed, and for Shelly the lock and the motion sensor)
FAILS = {
    "shelly": {"vs02", "vs04", "vs06", "vm02", "rel01", "rel03", "risk01", "risk03", "risk04", "risk05", "q01", "q03",
               "neg01"},
    "esphome": {"vs02", "vs04", "vs06", "vm02", "rel01", "rel03", "risk04"},
    "tasmota": {"vs02", "vs04", "vs06", "vm02", "rel01", "rel03", "risk01", "risk02", "risk03", "risk04", "risk05", "q01",
                "q03", "neg01"},
    "mixed": set(),
}


def _sim(home: Home, sim_transport: Transport, prefix: str, dialect: str) -> Simulator:
    return Simulator(home, sim_transport, dialect=dialect, base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha",  # type: ignore[arg-type]
                     ha_root=f"{prefix}/devices", tasmota_discovery=f"{prefix}/tasmota/discovery", tasmota_root=prefix,
                     shelly_root=prefix, esphome_root=prefix).start()


def _discovered(sim: Simulator, conn: Connection, home: Home) -> None:
    """Every device the dialect kept is in the registry, with its room, name, kind and attributes, and online."""
    wanted = {w for d in home.devices for w in sim.wire_ids(d.id)}
    kept = [d for d in home.devices if d.id not in sim.left_out]

    def settled(r: Any) -> bool:
        # a node announces each entity on its own topic (an ESPHome cover's position after its state): wait for all
        return wanted <= set(r.ids()) and all(v is not None for w in wanted for v in r.get(w).state().values()) and all(
            {n for w in sim.wire_ids(d.id) for n in r.get(w).attributes} >= set(d.attributes) for d in kept)

    assert conn.registry.wait_for(settled, 20)
    for device in home.devices:
        if device.id in sim.left_out:
            continue
        found = [conn.registry.get(w) for w in sim.wire_ids(device.id)]
        assert all(f is not None and f.availability == "online" and f.room == device.room for f in found), device.id
        attributes = {name for f in found if f is not None for name in f.attributes}
        assert attributes == set(device.attributes), device.id
        main = found[0]
        assert main is not None
        if device.type not in ("sensor", "binary_sensor"):  # a node names each reading after what it reads
            assert main.name == device.name, device.id
            assert main.type == device.type or (device.type, main.type) == ("outlet", "switch"), device.id  # ESPHome has no outlet


def test_the_flat_in_shelly(home: Home, transport: Transport, sim_transport: Transport, prefix: str) -> None:
    sim = _sim(home, sim_transport, prefix, "shelly")
    conn = connect(transport, prefix)
    try:
        assert set(sim.left_out) == LEFT_OUT["shelly"]
        assert sim.left_out["bedroom.fan"] == "a Shelly switch has no speed"
        assert shelly_face.component(home.device("living_room.floor_lamp")) == "cct:0"  # white spectrum: a Shelly CCT
        assert shelly_face.component(home.device("garage.door")) == "cover:0"  # it opens and closes, uncalibrated
        _discovered(sim, conn, home)
        assert conn.registry.get("office.plug").binding.driver == "shelly"  # type: ignore[union-attr]
        assert conn.registry.value("office.plug", "power") == 35

        sent = conn.command("kitchen.light", {"state": "on", "brightness": 40})
        [(topic, frame)] = sent.items()
        assert topic == f"{prefix}/kitchen.light/rpc"
        assert (frame["method"], frame["params"]) == ("Light.Set", {"id": 0, "on": True, "brightness": 40})
        assert eventually(lambda: conn.registry.get("kitchen.light").state() == {"state": "on", "brightness": 40})  # type: ignore[union-attr]
        assert sim.state("kitchen.light") == {"state": "on", "brightness": 40}
        [frame] = conn.command("kitchen.coffee_machine", {"state": "on"}).values()
        assert (frame["method"], frame["params"]) == ("Switch.Set", {"id": 0, "on": True})
        [frame] = conn.command("bedroom.curtains", {"position": 30}).values()
        assert (frame["method"], frame["params"]) == ("Cover.GoToPosition", {"id": 0, "pos": 30})
        assert eventually(lambda: conn.registry.get("bedroom.curtains").state() == {"state": "open", "position": 30})  # type: ignore[union-attr]

        sim_transport.publish(f"{prefix}/kitchen.light/rpc", {"id": 9, "src": "someone", "method": "Light.Set",
                                                              "params": {"id": 0, "brightness": 400}})  # refused, as a Shelly would
        assert eventually(lambda: any(c.rejected for c in sim.commands))
        assert sim.state("kitchen.light") == {"state": "on", "brightness": 40}
        sim_transport.publish("iotlm/sim/bedroom.climate/report", json.dumps({"temperature": 18.25}))
        assert eventually(lambda: conn.registry.value("bedroom.climate", "temperature") == 18.25)
        sim_transport.publish(f"{prefix}/office.plug/online", "false", retain=True)
        assert eventually(lambda: conn.registry.get("office.plug").availability == "offline")  # type: ignore[union-attr]
        sim_transport.publish(f"{prefix}/office.plug/online", "true", retain=True)
        assert eventually(lambda: conn.registry.get("office.plug").availability == "online")  # type: ignore[union-attr]
    finally:
        sim.clear_discovery()


def test_the_flat_in_esphome(home: Home, transport: Transport, sim_transport: Transport, prefix: str) -> None:
    sim = _sim(home, sim_transport, prefix, "esphome")
    conn = connect(transport, prefix)
    try:
        assert set(sim.left_out) == LEFT_OUT["esphome"]
        assert sim.left_out["bedroom.fan"] == "iotlm reads no speed from an ESPHome fan"
        assert sim.wire_ids("kitchen.temperature") == ["kitchen.temperature", "kitchen.humidity"]
        assert sim.wire_ids("office.plug") == ["office.smart_plug", "office.smart_plug_power"]
        _discovered(sim, conn, home)
        assert conn.registry.value("living_room.floor_lamp", "brightness") == 50  # 127 of 254 is 50 % (128 of 255 on the wire)
        assert conn.registry.value("hallway.front_door_sensor", "contact") is True  # closed: the node says OFF
        garage = conn.registry.get("garage.garage_door")
        assert garage is not None and set(garage.attributes) == {"state"}  # it sent no position: it has none

        node = f"{prefix}/kitchen"
        assert conn.command("kitchen.light", {"state": "on", "brightness": 40}) == {
            f"{node}/light/light/command": '{"state":"ON","brightness":102}'}
        assert eventually(lambda: conn.registry.get("kitchen.light").state() == {"state": "on", "brightness": 40})  # type: ignore[union-attr]
        assert sim.state("kitchen.light") == {"state": "on", "brightness": 40}
        assert conn.command("hallway.front_door_lock", {"state": "unlocked"}) == {f"{prefix}/hallway/lock/front_door_lock/command": "UNLOCK"}
        assert eventually(lambda: conn.registry.value("hallway.front_door_lock", "state") == "unlocked")
        assert conn.command("living_room.blinds", {"position": 30}) == {f"{prefix}/living_room/cover/blinds/position/command": "30"}
        assert eventually(lambda: conn.registry.value("living_room.blinds", "position") == 30)

        sim_transport.publish(f"{node}/light/light/command", "{not json")  # the node ignores it
        assert eventually(lambda: any(c.rejected for c in sim.commands))
        assert sim.state("kitchen.light") == {"state": "on", "brightness": 40}
        sim_transport.publish("iotlm/sim/hallway.door_contact/report", json.dumps({"contact": False}))  # the door opens
        assert eventually(lambda: conn.registry.value("hallway.front_door_sensor", "contact") is False)
        sim_transport.publish(f"{node}/status", "offline", retain=True)
        assert eventually(lambda: all(conn.registry.get(i).availability == "offline"  # type: ignore[union-attr]
                                      for i in ("kitchen.light", "kitchen.temperature", "kitchen.humidity")))
        sim_transport.publish(f"{node}/status", "online", retain=True)
        assert eventually(lambda: conn.registry.get("kitchen.light").availability == "online")  # type: ignore[union-attr]
    finally:
        sim.clear_discovery()


def test_a_mixed_home_speaks_all_five(home: Home, transport: Transport, sim_transport: Transport, prefix: str) -> None:
    sim = _sim(home, sim_transport, prefix, "mixed")
    conn = connect(transport, prefix)
    try:
        assert sim.left_out == {}
        assert {d for dialects in sim.speaks.values() for d in dialects} == {"z2m", "ha", "tasmota", "shelly", "esphome"}
        _discovered(sim, conn, home)
        drivers = {conn.registry.get(sim.wire_ids(i)[0]).binding.driver for i in sim.speaks}  # type: ignore[union-attr]
        assert drivers == {"zigbee2mqtt", "homeassistant", "tasmota", "shelly", "esphome"}
    finally:
        sim.clear_discovery()


def test_a_home_file_gives_each_device_its_dialect(transport: Transport, sim_transport: Transport, prefix: str) -> None:
    def device(device_id: str, dialect: str, **attributes: Any) -> dict[str, Any]:
        return {"id": device_id, "name": device_id.split(".")[1].replace("_", " "), "room": device_id.split(".")[0],
                "type": "light", "dialect": dialect,
                "attributes": {"state": {"value": "off", "options": ["on", "off"]}, **attributes}}

    home = parse_home({"devices": [device("kitchen.light", "shelly"), device("hall.light", "esphome"),
                                   device("office.lamp", "tasmota"), device("den.lamp", "ha"), device("attic.light", "z2m"),
                                   device("porch.light", "shelly", color_temp={"value": 300, "min": 153, "max": 500},
                                          color={"value": [255, 255, 255]})]})
    sim = _sim(home, sim_transport, prefix, "z2m")
    conn = connect(transport, prefix)
    try:
        assert sim.left_out == {"porch.light": "a Shelly light has colour (rgb) or white spectrum (cct), not both"}  # its own dialect cannot be it
        assert conn.registry.wait_for(lambda r: len(r) == 5, 20)
        assert {d.id: d.binding.driver for d in conn.registry.all() if d.binding} == {
            "kitchen.light": "shelly", "hall.light": "esphome", "office.lamp": "tasmota", "den.lamp": "homeassistant",
            "attic.light": "zigbee2mqtt"}
    finally:
        sim.clear_discovery()


@pytest.mark.parametrize("dialect", sorted(FAILS))
def test_the_flats_cases_in_each_dialect(broker: EmbeddedBroker, home: Home, dialect: str) -> None:
    cases, errors = load_cases(ROOT / "tests" / "bench" / "flat_cases.jsonl")
    assert not errors and len(cases) == 36
    bench = open_home(home, broker.url, dialect=dialect)  # type: ignore[arg-type]
    try:
        results = run_suite(bench, cases)
    finally:
        bench.close()
    assert {r.id for r in results if not r.passed} == FAILS[dialect], [(r.id, r.differences) for r in results if not r.passed]
    assert not [r.untargeted for r in results if r.untargeted]  # nothing the words did not point at, in any dialect
    assert {r.tier for r in results} == {"fast"}  # the same path as in Zigbee2MQTT: the model was never needed



@pytest.mark.parametrize(("device_id", "leaf", "payload"), [
    ("living_room.blinds", "position/command", "inf"), ("living_room.blinds", "position/command", "half"),
    ("living_room.floor_lamp", "command", '{"brightness": 1e999}'), ("living_room.floor_lamp", "command", '{"brightness": null}'),
    ("living_room.floor_lamp", "command", '{"color_temp": "warm"}'), ("living_room.floor_lamp", "command", "[1]"),
])
def test_a_command_an_esphome_node_would_ignore_is_refused_as_such(home: Home, device_id: str, leaf: str, payload: str) -> None:
    from iotlm.device_drivers.simulator import esphome_face

    device = home.device(device_id)
    [component] = esphome_face.components(device)
    with pytest.raises(ValueError):
        esphome_face.decode_command(device, component, leaf, payload)
