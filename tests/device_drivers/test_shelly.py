"""Shelly Gen2+: the codec from tables of the payloads Shelly's API documentation shows, and the driver against a
real Mosquitto with a device that answers RPC over MQTT as a Shelly does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iotlm.device_drivers.base import CodecError
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.shelly import codec
from iotlm.device_drivers.transport import Transport
from tests.conftest import eventually

PLUS_1PM_CONFIG = {"sys": {"device": {"name": "Kitchen", "mac": "A8032AB12345", "fw_id": "20231107-164738/1.0.8"}},
                   "input:0": {"id": 0, "name": None, "type": "switch"},
                   "switch:0": {"id": 0, "name": "Kitchen / Coffee machine", "in_mode": "follow", "initial_state": "off",
                                "auto_on": False, "auto_off": False}}
PLUS_1PM_STATUS = {"sys": {"mac": "A8032AB12345"}, "input:0": {"id": 0, "state": False},
                   "switch:0": {"id": 0, "source": "init", "output": False, "apower": 0.0, "voltage": 231.2,
                                "current": 0.0, "aenergy": {"total": 1.2, "by_minute": [0, 0, 0], "minute_ts": 1700000000},
                                "temperature": {"tC": 41.2, "tF": 106.1}}}
DIMMER_CONFIG = {"sys": {"device": {"name": "Office"}}, "light:0": {"id": 0, "name": "Office: Desk lamp"}}
DIMMER_STATUS = {"light:0": {"id": 0, "source": "init", "output": True, "brightness": 60.0}}
COVER_CONFIG = {"sys": {"device": {"name": "Bedroom / Blinds"}}, "cover:0": {"id": 0, "name": None}}
COVER_STATUS = {"cover:0": {"id": 0, "source": "limit_switch", "state": "stopped", "apower": 0.0, "current_pos": 40,
                            "target_pos": None}}
HT_CONFIG = {"sys": {"device": {"name": "Bedroom / Climate"}}, "temperature:0": {"id": 0, "name": None},
             "humidity:0": {"id": 0, "name": None}}
HT_STATUS = {"temperature:0": {"id": 0, "tC": 19.4, "tF": 66.9}, "humidity:0": {"id": 0, "rh": 52.1}}


def test_a_switch_a_dimmer_a_cover_and_an_h_and_t() -> None:
    [switch] = codec.decode_device("shellyplus1pm-a8032ab12345", PLUS_1PM_CONFIG, PLUS_1PM_STATUS).devices
    assert (switch.id, switch.name, switch.room, switch.type, switch.state()) == (
        "shellyplus1pm-a8032ab12345", "coffee machine", "kitchen", "switch", {"state": "off", "power": 0.0})  # a PM
    assert codec.decode_message(switch, "status/switch:0", {"id": 0, "output": True, "apower": 1450.5}) == {
        "state": "on", "power": 1450.5}
    assert switch.binding is not None and switch.binding.command_topic == "shellyplus1pm-a8032ab12345/rpc"
    assert switch.binding.identity == "mac:a8032ab12345"  # the same device, should Home Assistant announce it too
    [lamp] = codec.decode_device("shellyplusdimmer-1", DIMMER_CONFIG, DIMMER_STATUS).devices
    assert (lamp.type, lamp.room, lamp.name, lamp.state()) == ("light", "office", "desk lamp", {"state": "on", "brightness": 60.0})
    [cover] = codec.decode_device("shellyplus2pm-1", COVER_CONFIG, COVER_STATUS).devices
    assert (cover.type, cover.room, cover.name, cover.state()) == ("cover", "bedroom", "blinds", {"state": "open", "position": 40})
    [sensor] = codec.decode_device("shellyhtg3-1", HT_CONFIG, HT_STATUS).devices
    assert (sensor.type, sensor.read_only, sensor.state()) == ("sensor", True, {"temperature": 19.4, "humidity": 52.1})


def test_status_topics_and_notifications() -> None:
    [lamp] = codec.decode_device("dim", DIMMER_CONFIG, DIMMER_STATUS).devices
    assert codec.decode_message(lamp, "status/light:0", {"id": 0, "output": False, "brightness": 60.0}) == {
        "state": "off", "brightness": 60.0}
    notify = {"src": "dim", "dst": "dim/events", "method": "NotifyStatus",
              "params": {"ts": 1700000000.0, "light:0": {"id": 0, "brightness": 25.0, "source": "MQTT"}}}
    assert codec.decode_message(lamp, "events/rpc", notify) == {"brightness": 25.0}
    assert codec.decode_message(lamp, "events/rpc", {"method": "NotifyEvent", "params": {"events": []}}) == {}
    assert codec.decode_message(lamp, "status/light:0", {"output": "yes", "brightness": 400}) == {}


@pytest.mark.parametrize(("config", "status", "values", "frame"), [
    (PLUS_1PM_CONFIG, PLUS_1PM_STATUS, {"state": "on"}, {"method": "Switch.Set", "params": {"id": 0, "on": True}}),
    (DIMMER_CONFIG, DIMMER_STATUS, {"brightness": 30, "state": "on"},
     {"method": "Light.Set", "params": {"id": 0, "on": True, "brightness": 30}}),
    (COVER_CONFIG, COVER_STATUS, {"position": 70}, {"method": "Cover.GoToPosition", "params": {"id": 0, "pos": 70}}),
    (COVER_CONFIG, COVER_STATUS, {"state": "closed"}, {"method": "Cover.Close", "params": {"id": 0}}),
])
def test_commands_are_the_documented_rpc_calls(config: Any, status: Any, values: dict[str, Any], frame: dict[str, Any]) -> None:
    device = codec.decode_device("dev", config, status).devices[0]
    assert codec.encode_command(device, values, 7, "iotlm-x") == [{"id": 7, "src": "iotlm-x", **frame}]


def test_what_a_device_cannot_take_is_refused() -> None:
    [lamp] = codec.decode_device("dim", DIMMER_CONFIG, DIMMER_STATUS).devices
    for values in ({"brightness": 400}, {"state": "purple"}, {"color": [1, 2, 3]}):
        with pytest.raises(CodecError):
            codec.encode_command(lamp, values, 1, "iotlm")  # type: ignore[arg-type]
    with pytest.raises(CodecError):
        codec.decode_device("a/+/b", DIMMER_CONFIG, DIMMER_STATUS)
    with pytest.raises(CodecError):
        codec.decode_device("dim", ["not", "an", "object"], DIMMER_STATUS)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
                           max_leaves=20)
components = st.dictionaries(st.sampled_from(["switch:0", "light:0", "cover:0", "temperature:0", "humidity:0", "sys"]),
                             st.dictionaries(st.sampled_from(["id", "name", "output", "brightness", "state", "current_pos",
                                                              "tC", "rh", "device"]), json_values, max_size=5), max_size=4)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=st.one_of(components, json_values), status=st.one_of(components, json_values), message=json_values)
def test_hostile_payloads_raise_only_codec_errors(config: Any, status: Any, message: Any) -> None:
    try:
        devices = codec.decode_device("dev", config, status).devices
    except CodecError:
        return
    for device in devices:
        for rest in ("status/switch:0", "status/light:0", "status/cover:0", "events/rpc"):
            for name, value in codec.decode_message(device, rest, message).items():
                device.attributes[name].check(value)


class FakeShelly:
    """A Shelly Plus Dimmer on the broker: online, RPC on <prefix>/rpc answered on <src>/rpc, status on change."""

    def __init__(self, transport: Transport, prefix: str) -> None:
        self.t, self.prefix = transport, prefix
        self.light = {"id": 0, "source": "init", "output": False, "brightness": 50.0}
        self.received: list[dict[str, Any]] = []
        transport.subscribe(f"{prefix}/rpc", self._on_rpc, wait=5)
        transport.publish(f"{prefix}/online", "true", retain=True)

    def _on_rpc(self, topic: str, payload: bytes) -> None:
        frame = json.loads(payload)
        self.received.append(frame)
        result: Any = None
        if frame["method"] == "Shelly.GetConfig":
            result = DIMMER_CONFIG
        elif frame["method"] == "Shelly.GetStatus":
            result = {"light:0": self.light}
        elif frame["method"] == "Light.Set":
            params = frame["params"]
            self.light = {**self.light, "output": params.get("on", self.light["output"]),
                          "brightness": float(params.get("brightness", self.light["brightness"])), "source": "MQTT"}
            result = {}
            self.t.publish(f"{self.prefix}/status/light:0", self.light)
        self.t.publish(f"{frame['src']}/rpc", {"id": frame["id"], "src": self.prefix, "dst": frame["src"], "result": result})

    def clear(self) -> None:
        self.t.publish(f"{self.prefix}/online", b"", retain=True)


def test_found_described_commanded_and_followed_on_a_real_broker(transport: Transport, sim_transport: Transport,
                                                                 prefix: str) -> None:
    device = FakeShelly(sim_transport, f"{prefix}/shellyplusdimmer-1")
    conn = Connection(transport, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha",
                      tasmota_discovery=f"{prefix}/tasmota/discovery", shelly_root=prefix)
    try:
        conn.start()
        assert conn.registry.wait_for(lambda r: r.get("shellyplusdimmer-1") is not None, 5)
        lamp = conn.registry.get("shellyplusdimmer-1")
        assert lamp is not None and (lamp.name, lamp.room, lamp.type, lamp.state()) == (
            "desk lamp", "office", "light", {"state": "off", "brightness": 50.0})
        assert [f["method"] for f in device.received] == ["Shelly.GetConfig", "Shelly.GetStatus"]
        sent = conn.command("shellyplusdimmer-1", {"state": "on", "brightness": 30})
        [frame] = sent[f"{prefix}/shellyplusdimmer-1/rpc"] if isinstance(sent[f"{prefix}/shellyplusdimmer-1/rpc"], list) else [
            sent[f"{prefix}/shellyplusdimmer-1/rpc"]]
        assert {k: frame[k] for k in ("method", "params")} == {"method": "Light.Set", "params": {"id": 0, "on": True, "brightness": 30}}
        assert eventually(lambda: conn.registry.value("shellyplusdimmer-1", "brightness") == 30.0)
        assert conn.registry.value("shellyplusdimmer-1", "state") == "on"
        sim_transport.publish(f"{prefix}/shellyplusdimmer-1/status/light:0", b"{broken")  # hostile: nothing changes
        sim_transport.publish(f"{prefix}/shellyplusdimmer-1/events/rpc", {"method": "NotifyStatus", "params": {
            "light:0": {"id": 0, "output": False}}})
        assert eventually(lambda: conn.registry.value("shellyplusdimmer-1", "state") == "off")
        assert conn.registry.value("shellyplusdimmer-1", "brightness") == 30.0
        sim_transport.publish(f"{prefix}/shellyplusdimmer-1/online", "false", retain=True)
        assert eventually(lambda: conn.registry.get("shellyplusdimmer-1").availability == "offline")  # type: ignore[union-attr]
        sim_transport.publish(f"{prefix}/shellyplusdimmer-1/online", "true", retain=True)
        assert eventually(lambda: conn.registry.get("shellyplusdimmer-1").availability == "online")  # type: ignore[union-attr]
    finally:
        device.clear()
