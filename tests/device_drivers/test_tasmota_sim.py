"""The example flat re-homed in Tasmota: what Tasmota can be is discovered as the same devices, commanded on the
documented topics, and reported back; what it cannot be is left out with why. The flat's 36 cases in Tasmota are run
in test_dialect_sims.py, which asserts exactly which fail (only those about a device Tasmota cannot be)."""

from __future__ import annotations

import json

from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.simulator import Simulator
from iotlm.device_drivers.transport import Transport
from tests.conftest import eventually

LEFT_OUT = {
    "living_room.tv": "Tasmota cannot be a media player: its relays are only on or off",
    "living_room.thermostat": "Tasmota cannot be a thermostat: its relays are only on or off",
    "kitchen.oven": "Tasmota cannot be an appliance with settings: its relays are only on or off",
    "bedroom.fan": "a Tasmota relay has no speed",
    "bedroom.radiator": "Tasmota cannot be a thermostat: its relays are only on or off",
    "hallway.motion": "a Tasmota switch input does not say what it senses (motion, a door)",
    "hallway.front_door": "Tasmota cannot be a lock: its relays are only on or off",
    "hallway.door_contact": "a Tasmota switch input does not say what it senses (motion, a door)",
    "garage.door": "a Tasmota shutter always reports a position; this cover has none",
}


def test_the_flat_in_tasmota(home: Home, transport: Transport, sim_transport: Transport, prefix: str) -> None:
    sim = Simulator(home, sim_transport, dialect="tasmota", tasmota_discovery=f"{prefix}/tasmota/discovery",
                    tasmota_root=prefix).start()
    conn = Connection(transport, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha",
                      tasmota_discovery=f"{prefix}/tasmota/discovery").start()
    try:
        assert sim.left_out == LEFT_OUT
        kept = [d for d in home.devices if d.id not in LEFT_OUT]
        assert len(kept) == 14
        assert conn.registry.wait_for(lambda r: {d.id for d in kept} <= set(r.ids()) and all(
            v is not None for d in kept for v in r.get(d.id).state().values()), 10)  # type: ignore[union-attr]
        for device in kept:  # the same device, as Tasmota describes it
            found = conn.registry.get(device.id)
            assert found is not None and found.binding is not None and found.binding.driver == "tasmota"
            assert (found.name, found.room, found.type, set(found.attributes)) == (
                device.name, device.room, device.type, set(device.attributes)), device.id
            assert found.availability == "online"
        assert conn.registry.value("bedroom.climate", "temperature") == home.device("bedroom.climate").attributes["temperature"].value
        assert conn.registry.value("living_room.floor_lamp", "brightness") == 50  # Tasmota's Dimmer: 127 of 254 is 50 %

        sent = conn.command("kitchen.light", {"brightness": 40, "state": "on"})
        assert sent == {f"cmnd/{prefix}/kitchen.light/POWER": "ON", f"cmnd/{prefix}/kitchen.light/Dimmer": "40"}
        assert eventually(lambda: conn.registry.value("kitchen.light", "brightness") == 40)
        assert sim.state("kitchen.light") == {"state": "on", "brightness": 40}
        assert conn.command("living_room.blinds", {"position": 30}) == {f"cmnd/{prefix}/living_room.blinds/ShutterPosition1": "30"}
        assert eventually(lambda: conn.registry.value("living_room.blinds", "position") == 30)
        sim_transport.publish(f"cmnd/{prefix}/kitchen.light/Rainbow", "1")  # a command Tasmota does not know
        assert eventually(lambda: any(c.rejected for c in sim.commands))
        assert sim.state("kitchen.light") == {"state": "on", "brightness": 40}

        sim_transport.publish("iotlm/sim/office.plug/report", json.dumps({"power": 120}))  # the plug measures more
        assert eventually(lambda: conn.registry.value("office.plug", "power") == 120)
        sim_transport.publish(f"tele/{prefix}/office.plug/LWT", "Offline", retain=True)
        assert eventually(lambda: conn.registry.get("office.plug").availability == "offline")  # type: ignore[union-attr]
        sim_transport.publish(f"tele/{prefix}/office.plug/LWT", "Online", retain=True)
        assert eventually(lambda: conn.registry.get("office.plug").availability == "online")  # type: ignore[union-attr]
    finally:
        sim.clear_discovery()
