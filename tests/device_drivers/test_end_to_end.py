"""Discovery, commands and recovery through a real Mosquitto, with the simulator as the home."""

from __future__ import annotations

import json
import logging

import pytest

from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import Home, load_homebench
from iotlm.device_drivers.transport import Transport
from tests.conftest import connect, eventually, homebench_homes, settle, start_sim


@pytest.mark.parametrize("dialect", ["z2m", "ha"])
def test_every_device_of_the_example_home_is_discovered(dialect: str, home: Home, transport: Transport,
                                                        sim_transport: Transport, prefix: str) -> None:
    start_sim(home, sim_transport, prefix, dialect)
    conn = connect(transport, prefix)
    wanted = {d.id for d in home.devices}
    assert conn.registry.wait_for(
        lambda r: wanted <= set(r.ids()) and all(r.get(i).state() == home.device(i).state() for i in wanted),  # type: ignore[union-attr]
        timeout=10,
    ), sorted(wanted - set(conn.registry.ids()))
    assert set(conn.registry.ids()) == wanted
    for device in home.devices:
        found = conn.registry.get(device.id)
        assert found is not None
        assert found.room == device.room
        assert set(found.attributes) == set(device.attributes)
        for name, attr in device.attributes.items():
            assert found.attributes[name].writable == attr.writable, f"{device.id}.{name}"
            if attr.writable or dialect == "z2m":  # HA sensors declare no range, in HA itself too
                assert (found.attributes[name].min, found.attributes[name].max) == (attr.min, attr.max), f"{device.id}.{name}"
            assert found.attributes[name].options == attr.options, f"{device.id}.{name}"


def _record_commands(transport: Transport, topic_filter: str) -> list[tuple[str, bytes]]:
    seen: list[tuple[str, bytes]] = []
    transport.subscribe(topic_filter, lambda t, p: seen.append((t, p)))
    return seen


@pytest.mark.parametrize(("device_id", "values", "topic", "payload", "reported"), [
    ("kitchen.light", {"state": "on", "brightness": 40}, "kitchen.light/set", {"state": "ON", "brightness": 102},
     {"state": "on", "brightness": 40}),  # 40 % of Zigbee's 254
    ("hallway.front_door", {"state": "unlocked"}, "hallway.front_door/set", {"state": "UNLOCK"}, {"state": "unlocked"}),
    ("bedroom.curtains", {"state": "open"}, "bedroom.curtains/set", {"state": "OPEN"}, {"state": "open"}),
    ("living_room.thermostat", {"target_temperature": 22.5}, "living_room.thermostat/set", {"current_heating_setpoint": 22.5},
     {"target_temperature": 22.5}),
])
def test_z2m_command_reaches_the_device_and_registry_shows_reported_state(
        device_id: str, values: dict[str, object], topic: str, payload: dict[str, object], reported: dict[str, object],
        home: Home, transport: Transport, sim_transport: Transport, prefix: str) -> None:
    sim = start_sim(home, sim_transport, prefix, "z2m")
    conn = connect(transport, prefix)
    assert conn.registry.wait_for_devices([device_id], timeout=10)
    published = conn.command(device_id, values)
    assert published == {f"{prefix}/z2m/{topic}": payload}
    assert conn.registry.wait_for(lambda r: all(r.get(device_id).attributes[k].value == v for k, v in reported.items()),  # type: ignore[union-attr]
                                  timeout=5)
    received = [c for c in sim.commands if c.device_id == device_id]
    assert len(received) == 1
    assert (received[0].topic, json.loads(received[0].payload)) == (f"{prefix}/z2m/{topic}", payload)
    assert received[0].rejected == {}


def test_ha_command_reaches_the_device_as_its_dialect(home: Home, transport: Transport, sim_transport: Transport, prefix: str) -> None:
    sim = start_sim(home, sim_transport, prefix, "ha")
    conn = connect(transport, prefix)
    # HA entities arrive one config at a time: wait until both devices are whole
    assert conn.registry.wait_for(lambda r: "speed" in getattr(r.get("bedroom.fan"), "attributes", {})
                                  and "brightness" in getattr(r.get("kitchen.light"), "attributes", {}), timeout=10)
    assert conn.command("kitchen.light", {"state": "on", "brightness": 35}) == {
        f"{prefix}/devices/kitchen.light/light/set": '{"state":"ON","brightness":89}'}  # 35 % of Home Assistant's 255
    assert conn.command("bedroom.fan", {"speed": "high"}) == {f"{prefix}/devices/bedroom.fan/speed/set": "high"}
    assert conn.registry.wait_for(lambda r: r.get("kitchen.light").state() == {"state": "on", "brightness": 35}  # type: ignore[union-attr]
                                  and r.get("bedroom.fan").attributes["speed"].value == "high", timeout=5)  # type: ignore[union-attr]
    assert sim.state("kitchen.light") == {"state": "on", "brightness": 35}


def test_simulator_rejects_what_a_device_would(home: Home, transport: Transport, sim_transport: Transport, prefix: str) -> None:
    sim = start_sim(home, sim_transport, prefix, "z2m")
    logs = _record_commands(transport, f"{prefix}/z2m/bridge/logging")
    transport.publish(f"{prefix}/z2m/kitchen.light/set", {"brightness": 300, "state": "ON"}, wait=2)  # Zigbee's top is 254
    transport.publish(f"{prefix}/z2m/kitchen.temperature/set", {"temperature": 30}, wait=2)
    transport.publish(f"{prefix}/z2m/kitchen.light/set", {"warp": 9}, wait=2)
    transport.publish(f"{prefix}/z2m/kitchen.light/set", {"state": "DIM"}, wait=2)
    assert eventually(lambda: len(sim.commands) == 4)
    light, sensor, warp, dim = sim.commands
    assert dim.rejected == {"state": "'DIM' is not an allowed value for 'state' (ON, OFF)"}
    assert light.applied == {"state": "on"} and "out of range 0..100 %" in light.rejected["brightness"]
    assert sensor.applied == {} and sensor.rejected == {"temperature": "kitchen.temperature.temperature is read-only"}
    assert warp.rejected == {"warp": "No converter available for 'warp' (9)"}
    assert sim.state("kitchen.light") == {"state": "on", "brightness": 70}
    assert sim.state("kitchen.temperature") == {"temperature": 21.5, "humidity": 45}
    assert eventually(lambda: len(logs) == 4)


def test_report_and_reset_control_topics(home: Home, transport: Transport, sim_transport: Transport, prefix: str) -> None:
    sim = start_sim(home, sim_transport, prefix, "z2m")
    conn = connect(transport, prefix)
    assert conn.registry.wait_for_devices(["hallway.motion"], timeout=10)
    transport.publish("iotlm/sim/hallway.motion/report", {"occupancy": True}, wait=2)
    assert conn.registry.wait_for(lambda r: r.get("hallway.motion").attributes["occupancy"].value is True, timeout=5)  # type: ignore[union-attr]
    conn.command("kitchen.light", {"state": "on"})
    assert conn.registry.wait_for(lambda r: r.get("kitchen.light").attributes["state"].value == "on", timeout=5)  # type: ignore[union-attr]
    transport.publish("iotlm/sim/reset", b"", wait=2)
    assert conn.registry.wait_for(lambda r: r.get("kitchen.light").attributes["state"].value == "off"  # type: ignore[union-attr]
                                  and r.get("hallway.motion").attributes["occupancy"].value is False, timeout=5)  # type: ignore[union-attr]
    assert sim.commands == []


def test_broker_restart_recovers_subscriptions_without_a_manual_step(home: Home, prefix: str) -> None:
    with EmbeddedBroker() as first:
        port = first.port
        sim_t = Transport(first.url).start()
        t = Transport(first.url).start()
        try:
            start_sim(home, sim_t, prefix, "z2m")
            conn = connect(t, prefix)
            assert conn.registry.wait_for_devices(["kitchen.light"], timeout=10)
            first.stop()
            assert eventually(lambda: not t.connected, timeout=10)
            with EmbeddedBroker(port=port):
                assert t.wait_connected(20) and sim_t.wait_connected(20)
                assert eventually(lambda: t.connections == 2)
                # the restored subscriptions are acknowledged before this one (one client's packets are in order)
                assert t.subscribe(f"{prefix}/_fence", lambda tp, p: None, wait=5)
                # the new broker has no retained messages: the sim republishes, the driver hears it
                sim_t.publish(f"{prefix}/z2m/kitchen.light", {"state": "ON", "brightness": 127}, wait=2)
                assert conn.registry.wait_for(lambda r: r.get("kitchen.light").state() == {"state": "on", "brightness": 50},  # type: ignore[union-attr]
                                              timeout=5)
        finally:
            t.stop()
            sim_t.stop()


# ---------------------------------------------------------------- bad input on the wire

def test_bad_payloads_are_logged_once_and_skipped(home: Home, transport: Transport, sim_transport: Transport, prefix: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    start_sim(home, sim_transport, prefix, "z2m")
    conn = connect(transport, prefix)
    settle(conn, home)  # the answers to the state requests are in: none can overtake the reports below
    base = f"{prefix}/z2m"
    for _ in range(3):
        sim_transport.publish(f"{base}/kitchen.light", b"{not json", wait=2)
    sim_transport.publish(f"{prefix}/ha/switch/nocmd/config", {"name": "x", "stat_t": "x"}, wait=2)
    sim_transport.publish(f"{base}/kitchen.light", {"state": "ON"}, wait=2)
    assert conn.registry.wait_for(lambda r: r.get("kitchen.light").attributes["state"].value == "on", timeout=5)  # type: ignore[union-attr]
    transport.drain()
    messages = [r.getMessage() for r in caplog.records]
    assert sum(f"{base}/kitchen.light: payload is not JSON" in m for m in messages) == 1
    assert sum(f"{prefix}/ha/switch/nocmd/config: switch config has no command_topic" in m for m in messages) == 1
    assert len(conn.registry) == len(home.devices)


def test_bridge_devices_with_unsupported_entries_keeps_the_rest(transport: Transport, sim_transport: Transport, prefix: str,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    conn = connect(transport, prefix)
    devices = [
        {"friendly_name": "mystery", "type": "EndDevice", "definition": None},
        {"friendly_name": "odd", "type": "EndDevice", "definition": {"exposes": [{"type": "teleporter", "property": "x"},
                                                                                 {"type": "binary", "property": "contact", "access": 1}]}},
    ]
    sim_transport.publish(f"{prefix}/z2m/bridge/devices", devices, retain=True, wait=2)
    assert conn.registry.wait_for_devices(["odd"], timeout=5)
    transport.drain()
    assert conn.registry.ids() == ["odd"]
    messages = " | ".join(r.getMessage() for r in caplog.records)
    assert "device 'mystery': definition is null" in messages
    assert "device 'odd': unknown expose type 'teleporter'" in messages
    sim_transport.publish(f"{prefix}/z2m/bridge/devices", b"", retain=True, wait=2)


def test_a_homebench_home_loads_and_every_device_is_discovered(transport: Transport, sim_transport: Transport, prefix: str) -> None:
    home = load_homebench(homebench_homes(), 0)
    assert len(home.devices) > 20
    start_sim(home, sim_transport, prefix, "z2m")
    conn = connect(transport, prefix)
    assert conn.registry.wait_for_devices([d.id for d in home.devices], timeout=10)
    assert conn.registry.get("ding_room.light").room == "dining room"  # type: ignore[union-attr]
    assert set(conn.registry.ids()) == {d.id for d in home.devices}


def test_reports_before_the_device_list_are_replayed_in_order(transport: Transport, prefix: str) -> None:
    """A service back from a crash gets the reports its broker session kept before any retained device list: all of
    them count, in order, not only the last (found by `iotlm bench crash`: 112 of 150 events were lost)."""
    from iotlm.device_drivers.connection import Connection
    from iotlm.device_drivers.home import parse_home
    from iotlm.device_drivers.simulator.z2m_exposes import bridge_entry

    home = parse_home({"devices": [{"id": "hall.counter", "name": "counter", "type": "sensor",
                                    "attributes": {"value": {"value": 0, "min": 0, "max": 100, "writable": False}}}]})
    conn = Connection(transport, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha")
    seen: list[object] = []
    conn.registry.add_report_listener(lambda device_id, values: seen.append(values.get("value")))
    z2m = conn.drivers["zigbee2mqtt"]
    for i in (1, 2, 3):
        z2m._on_message(f"{prefix}/z2m/hall.counter", json.dumps({"value": i}).encode())  # type: ignore[attr-defined]
    assert seen == []  # no device yet
    z2m._on_devices(f"{prefix}/z2m/bridge/devices", json.dumps([bridge_entry(home.devices[0])]).encode())  # type: ignore[attr-defined]
    assert seen == [1, 2, 3] and conn.registry.value("hall.counter", "value") == 3
