"""One registry for every dialect: a physical device announced through two dialects at once (the same MAC or Zigbee
address) appears once, as the dialect that describes it best announces it, and the other comes back if that one goes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iotlm.device_drivers.base import identity
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.model import Attribute, Binding, Device
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.transport import Transport
from tests.conftest import eventually, run_cli
from tests.device_drivers.test_tasmota import config


@pytest.mark.parametrize(("raw", "found"), [
    ("A4:CF:12:8E:2A:1F", "mac:a4cf128e2a1f"), ("A4CF128E2A1F", "mac:a4cf128e2a1f"), ("a4-cf-12-8e-2a-1f", "mac:a4cf128e2a1f"),
    ("0x00158D0001A2B3C4", "ieee:0x00158d0001a2b3c4"), ("zigbee2mqtt_0x00158d0001a2b3c4", "ieee:0x00158d0001a2b3c4"),
    ("kitchen_light", None), ("A4CF128E2A", None), ("0x1234", None), (None, None), (42, None),
])
def test_identities_are_the_same_whichever_dialect_spells_them(raw: Any, found: str | None) -> None:
    assert identity(raw) == found


def _device(device_id: str, driver: str, ident: str | None = "mac:a4cf128e2a1f", state: str | None = None) -> Device:
    return Device(id=device_id, name="plug", room="kitchen", type="outlet",
                  attributes={"state": Attribute(value=state, options=["on", "off"])},
                  binding=Binding(driver=driver, address=device_id, identity=ident))


@pytest.mark.parametrize("order", ["own dialect first", "home assistant first"])
def test_a_device_in_two_dialects_is_kept_once_as_its_own_dialect_says_it(order: str) -> None:
    registry = DeviceRegistry()
    own, ha = _device("tasmota_8E2A1F", "tasmota"), _device("A4CF128E2A1F", "homeassistant")
    kept = [registry.upsert(d) for d in ([own, ha] if order == "own dialect first" else [ha, own])]
    assert registry.ids() == ["tasmota_8E2A1F"]
    assert kept == ([True, False] if order == "own dialect first" else [True, True])
    assert registry.also_seen("tasmota_8E2A1F") == ["homeassistant"]
    registry.report("A4CF128E2A1F", {"state": "on"})  # what the held one hears is kept, not shown
    assert registry.get("A4CF128E2A1F") is None
    registry.remove("tasmota_8E2A1F")  # its own discovery withdrawn (SetOption19 1): Home Assistant's comes back
    back = registry.get("A4CF128E2A1F")
    assert back is not None and back.state() == {"state": "on"}


def test_devices_without_an_identity_or_in_one_dialect_are_never_merged() -> None:
    registry = DeviceRegistry()
    for device in (_device("a", "tasmota", None), _device("b", "homeassistant", None), _device("c", "tasmota"),
                   _device("c_2", "tasmota"), _device("d", "shelly", "mac:000000000001")):
        assert registry.upsert(device)
    assert sorted(registry.ids()) == ["a", "b", "c", "c_2", "d"]  # two relays of one Tasmota are two devices


def test_tasmota_with_home_assistant_discovery_too_appears_once_on_a_real_broker(broker: EmbeddedBroker, transport: Transport,
                                                                                  sim_transport: Transport, prefix: str,
                                                                                  tmp_path: Path) -> None:
    topic = f"{prefix}_plug"
    cfg = config(topic, fn=["Kitchen / Kettle plug"], ft=f"%prefix%/{prefix}/%topic%/")
    # the same device, as Home Assistant discovery announces it (with its MAC among the device's connections)
    ha = {"name": "Kettle plug", "uniq_id": "A4CF128E2A1F_RL_1", "cmd_t": f"cmnd/{prefix}/{topic}/POWER",
          "stat_t": f"stat/{prefix}/{topic}/POWER", "pl_on": "ON", "pl_off": "OFF", "avty_t": f"tele/{prefix}/{topic}/LWT",
          "pl_avail": "Online", "pl_not_avail": "Offline",
          "dev": {"ids": ["8E2A1F"], "name": "Kettle plug", "mf": "Tasmota", "sa": "Kitchen", "cns": [["mac", "A4:CF:12:8E:2A:1F"]]}}
    ha_topic, own_topic = f"{prefix}/ha/switch/A4CF128E2A1F_RL_1/config", f"{prefix}/tasmota/discovery/A4CF128E2A1F/config"
    sim_transport.publish(ha_topic, ha, retain=True)
    sim_transport.publish(f"tele/{prefix}/{topic}/LWT", "Online", retain=True)
    conn = Connection(transport, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha", tasmota_discovery=f"{prefix}/tasmota/discovery",
                      shelly_root=prefix, esphome_root=prefix)
    try:
        conn.start()
        assert conn.registry.wait_for(lambda r: len(r) == 1, 5)
        assert [d.binding.driver for d in conn.registry.all()] == ["homeassistant"]  # type: ignore[union-attr]
        sim_transport.publish(own_topic, cfg, retain=True)  # its own discovery arrives: it takes over, once
        assert eventually(lambda: conn.registry.ids() == [topic])
        assert conn.registry.also_seen(topic) == ["homeassistant"]
        (tmp_path / "config.toml").write_text(
            f'z2m_base = "{prefix}/z2m"\nha_prefix = "{prefix}/ha"\ntasmota_discovery = "{prefix}/tasmota/discovery"\n'
            f'shelly_root = "{prefix}"\nesphome_root = "{prefix}"\n')
        listed = run_cli("devices", "--broker", broker.url, "--home-dir", str(tmp_path))
        assert f"  {topic}  (outlet, kettle plug, tasmota, also announced by homeassistant)\n" in listed.stdout, listed.stderr
        listed = run_cli("devices", "--json", "--broker", broker.url, "--home-dir", str(tmp_path))
        assert [(d["id"], d["driver"], d["also_announced_by"]) for d in json.loads(listed.stdout)] == [
            (topic, "tasmota", ["homeassistant"])]
        sim_transport.publish(f"stat/{prefix}/{topic}/POWER", "ON")
        assert eventually(lambda: conn.registry.value(topic, "state") == "on")
        assert conn.command(topic, {"state": "off"}) == {f"cmnd/{prefix}/{topic}/POWER": "OFF"}  # said once, not twice
        sim_transport.publish(own_topic, b"", retain=True)  # SetOption19 1: Tasmota withdraws its own discovery
        assert eventually(lambda: [d.binding.driver for d in conn.registry.all()] == ["homeassistant"])  # type: ignore[union-attr]
    finally:
        for t in (ha_topic, own_topic, f"tele/{prefix}/{topic}/LWT"):
            sim_transport.publish(t, b"", retain=True)
