"""The embedded broker, availability, early state, and every HomeBench home."""

from __future__ import annotations

import json

import pytest

from iotlm.device_drivers import broker as broker_module
from iotlm.device_drivers.broker import BrokerUnavailable, EmbeddedBroker
from iotlm.device_drivers.home import Home, HomeFileError, homebench_home, load_homebench, parse_home
from iotlm.device_drivers.transport import BrokerURLError, Transport, parse_broker_url
from tests.conftest import connect, homebench_homes, start_sim


def test_without_mosquitto_the_embedded_broker_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broker_module, "find_mosquitto", lambda: None)
    with pytest.raises(BrokerUnavailable, match=r"Mosquitto is not installed.*scripts/install.sh.*--broker mqtt://host:port"):
        EmbeddedBroker().start()


def test_the_embedded_broker_delivers_only_retained_messages_that_match(home: Home, prefix: str,
                                                                       sim_transport: Transport, broker: EmbeddedBroker) -> None:
    """The amqtt fallback gave a fresh subscriber to nonexistent/topic/# 110 retained messages of a running home."""
    start_sim(home, sim_transport, prefix, "both")
    sim_transport.drain()
    got: list[str] = []
    t = Transport(broker.url).start()
    try:
        assert t.subscribe(f"{prefix}/nonexistent/topic/#", lambda topic, payload: got.append(topic), wait=5)
        assert t.subscribe(f"{prefix}/z2m/bridge/devices", lambda topic, payload: got.append(topic), wait=5)
        t.drain()
    finally:
        t.stop()
    assert got == [f"{prefix}/z2m/bridge/devices"]


@pytest.mark.parametrize(("payload", "availability"), [(b'{"state":"offline"}', "offline"), (b"offline", "offline"),
                                                        (b'{"state":"online"}', "online")])
def test_availability_in_both_payload_forms(payload: bytes, availability: str, home: Home, transport: Transport,
                                            sim_transport: Transport, prefix: str) -> None:
    start_sim(home, sim_transport, prefix, "z2m")
    conn = connect(transport, prefix)
    assert conn.registry.wait_for_devices(["kitchen.light"], timeout=10)
    sim_transport.publish(f"{prefix}/z2m/kitchen.light/availability", b'{"state":"online"}', wait=2)
    sim_transport.publish(f"{prefix}/z2m/kitchen.light/availability", payload, wait=2)
    transport.drain()
    assert conn.registry.wait_for(lambda r: r.get("kitchen.light").availability == availability, timeout=5)  # type: ignore[union-attr]


def test_state_published_before_the_device_list_is_kept(transport: Transport, sim_transport: Transport, prefix: str) -> None:
    conn = connect(transport, prefix)
    base = f"{prefix}/z2m"
    sim_transport.publish(f"{base}/porch/light", {"state": "ON"}, wait=2)
    transport.drain()
    device = {"friendly_name": "porch/light", "type": "Router", "definition": {"exposes": [
        {"type": "light", "features": [{"type": "binary", "property": "state", "access": 3, "value_on": "ON", "value_off": "OFF"}]}]}}
    sim_transport.publish(f"{base}/bridge/devices", [device], retain=True, wait=2)
    assert conn.registry.wait_for(lambda r: getattr(r.get("porch/light"), "state", dict)() == {"state": "on"}, timeout=5)
    found = conn.registry.get("porch/light")
    assert found is not None and (found.room, found.name) == ("porch", "light")
    sim_transport.publish(f"{base}/bridge/devices", b"", retain=True, wait=2)


def test_every_homebench_home_loads_with_normalised_quirks() -> None:
    path = homebench_homes()
    with path.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    homes = [homebench_home(r) for r in records]
    assert len(homes) == len(records) >= 8
    for h in homes:
        for device in h.devices:
            assert all(name == name.strip() for name in device.attributes), device.id  # " degree" -> "degree"
            assert device.room != "ding room"
    curtains = [d for h in homes for d in h.devices if d.id.endswith(".curtain")]
    assert curtains and all("degree" in d.attributes for d in curtains)
    vacuums = [d for h in homes for d in h.devices if d.type == "vacuum"]
    assert vacuums and all({"cleaning", "charging", "paused"} <= set(d.attributes["state"].options or []) for d in vacuums)


def test_unknown_homebench_home_is_a_clear_error() -> None:
    path = homebench_homes()
    last = 99 if path.name == "home_status_method.jsonl" else 7
    with pytest.raises(HomeFileError, match=f"no home with home_id 1000; the homes in this file are numbered 0-{last}$"):
        load_homebench(path, 1000)


@pytest.mark.parametrize(("data", "message"), [
    ([], "expected an object with 'name' and 'devices'"),
    ({"devices": [{"id": "a", "name": "a"}, {"id": "a", "name": "b"}]}, "device id 'a' is used twice"),
    ({"devices": [{"id": "a", "name": "a", "colour": "red"}]}, "devices.0.colour: Extra inputs are not permitted"),
    # found by the fuzzer: a 0-254 brightness whose max is not a number was a TypeError in the unit conversion
    ({"devices": [{"id": "a", "name": "a", "type": "light", "attributes": {"brightness": {"value": 1, "max": [1, 2]}}}]},
     r"devices.0.attributes.brightness.max: Input should be a valid number"),
])
def test_bad_home_files(data: object, message: str) -> None:
    with pytest.raises(HomeFileError, match=message):
        parse_home(data)


@pytest.mark.parametrize(("url", "host", "port", "tls", "user"), [
    ("mqtt://127.0.0.1:1884", "127.0.0.1", 1884, False, None),
    ("mqtts://me:pw@broker.lan", "broker.lan", 8883, True, "me"),
    ("broker.lan", "broker.lan", 1883, False, None),
])
def test_broker_urls(url: str, host: str, port: int, tls: bool, user: str | None) -> None:
    address = parse_broker_url(url)
    assert (address.host, address.port, address.tls, address.username) == (host, port, tls, user)


@pytest.mark.parametrize(("url", "message"), [("http://x", "scheme must be mqtt://"), ("mqtt://:1883", "no host"),
                                              ("mqtt://h:99999", "port must be a number")])
def test_bad_broker_urls(url: str, message: str) -> None:
    with pytest.raises(BrokerURLError, match=message):
        parse_broker_url(url)


def test_subscribe_with_wait_is_active_before_it_returns(transport: Transport, sim_transport: Transport, prefix: str) -> None:
    """A message another client publishes right after ``subscribe(wait=...)`` is delivered."""
    got: list[str] = []
    for i in range(50):
        topic = f"{prefix}/race/{i}"
        assert transport.subscribe(topic, lambda t, p: got.append(t), wait=5)
        sim_transport.publish(topic, b"x", qos=1, wait=2)
    transport.drain()
    import time

    deadline = time.monotonic() + 5
    while len(got) < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(got) == sorted(f"{prefix}/race/{i}" for i in range(50))
