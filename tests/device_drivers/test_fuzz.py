"""Fuzzing (hypothesis): hostile and malformed payloads in every dialect, home files and rule files.

Properties: no exception escapes a handler (the handlers are called directly, not through the transport's
catch-all), a malformed message never makes a driver publish a command, and what a handler adds to the registry is
still a valid device. Examples per target: FUZZ.max_examples (run `pytest --hypothesis-show-statistics` for counts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iotlm.automations.store import load_yaml
from iotlm.device_drivers.home import HomeFileError, load_home, parse_home
from iotlm.device_drivers.homeassistant.driver import HomeAssistantDriver
from iotlm.device_drivers.model import Device
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.simulator.ha_config import entity_configs
from iotlm.device_drivers.simulator.z2m_exposes import bridge_entry
from iotlm.device_drivers.zigbee2mqtt.driver import Zigbee2MQTTDriver
from tests.conftest import EXAMPLE_HOME

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FLAT = load_home(EXAMPLE_HOME)

KEYS = ["friendly_name", "ieee_address", "type", "supported", "disabled", "definition", "exposes", "features", "name",
        "property", "access", "value_min", "value_max", "value_step", "values", "value_on", "value_off", "unit",
        "description", "model", "vendor", "state", "brightness", "color_temp", "occupancy", "temperature",
        "~", "stat_t", "cmd_t", "cmd_tpl", "val_tpl", "dev", "ids", "identifiers", "uniq_id", "unique_id", "sa",
        "suggested_area", "schema", "brightness_scale", "supported_color_modes", "options", "min", "max", "modes",
        "payload_on", "payload_off", "device_class", "availability", "avty_t", "pos_t", "set_pos_t", "pct_cmd_t"]
SCALARS = st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=True) | st.text(max_size=20) | \
    st.sampled_from(["ON", "OFF", "{{ value }}", "{{ value_json.x }}", "{% if %}", "zigbee2mqtt/x", "~/set", "#", "+"])
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5) |
                    st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=6), max_leaves=40)


def mutate(value: Any, data: st.DataObject) -> Any:
    """A real payload with some parts replaced by hostile values (deep structure survives, so checks run deep)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if data.draw(st.integers(0, 9)) == 0:
                continue  # a key dropped
            out[k] = data.draw(JSON) if data.draw(st.integers(0, 7)) == 0 else mutate(v, data)
        return out
    if isinstance(value, list):
        return [data.draw(JSON) if data.draw(st.integers(0, 7)) == 0 else mutate(v, data) for v in value]
    return data.draw(JSON) if data.draw(st.integers(0, 3)) == 0 else value


class RecordingTransport:
    """What a driver may do with the network, recorded: subscriptions and publishes (commands would be publishes)."""

    def __init__(self) -> None:
        self.published: list[tuple[str, Any]] = []

    def subscribe(self, topic_filter: str, handler: Any, qos: int = 1, *, wait: float | None = None) -> bool:
        return True

    def publish(self, topic: str, payload: Any = None, *, qos: int = 1, retain: bool = False, wait: float | None = None) -> bool:
        self.published.append((topic, payload))
        return True


def _encode(value: Any, data: st.DataObject) -> bytes:
    if data.draw(st.integers(0, 9)) == 0:
        return data.draw(st.binary(max_size=200))  # not even JSON, or not UTF-8
    return json.dumps(value, allow_nan=True).encode()


def _registry_is_sound(registry: DeviceRegistry) -> None:
    for device in registry.all():
        Device.model_validate(device.model_dump())  # still a device iotlm can reason about


@FUZZ
@given(data=st.data())
def test_zigbee2mqtt_bridge_and_state_payloads(data: st.DataObject) -> None:
    transport, registry = RecordingTransport(), DeviceRegistry()
    driver = Zigbee2MQTTDriver(transport, registry)  # type: ignore[arg-type]
    devices = [bridge_entry(d) for d in FLAT.devices[:6]]
    driver._on_devices("zigbee2mqtt/bridge/devices", _encode(mutate(devices, data), data))
    for _ in range(3):
        name = data.draw(st.sampled_from([d.id for d in FLAT.devices[:6]] + ["bridge/state", "x/availability", "a/b/c"]))
        driver._on_message(f"zigbee2mqtt/{name}", _encode(mutate({"state": "ON", "brightness": 100}, data), data))
    assert [t for t, _ in transport.published if t.endswith("/set")] == []  # /get requests are fine; commands never
    _registry_is_sound(registry)


@FUZZ
@given(data=st.data())
def test_home_assistant_discovery_configs_and_states(data: st.DataObject) -> None:
    transport, registry = RecordingTransport(), DeviceRegistry()
    driver = HomeAssistantDriver(transport, registry)  # type: ignore[arg-type]
    device = data.draw(st.sampled_from(FLAT.devices))
    for topic, config, _ in entity_configs(device, "homeassistant", "devices"):
        driver._on_config(topic, _encode(mutate(config, data), data))
    driver._on_state(data.draw(st.sampled_from(["devices/x/state", f"devices/{device.id}/state"])),
                     _encode(mutate({"state": "ON", "value": 1}, data), data))
    assert transport.published == []
    _registry_is_sound(registry)


@settings(FUZZ, max_examples=100)  # a whole home per example: the slowest target
@given(data=st.data())
def test_home_files(data: st.DataObject) -> None:
    raw = json.loads(EXAMPLE_HOME.read_text(encoding="utf-8"))
    try:
        home = parse_home(mutate(raw, data), source="fuzz.json")
    except HomeFileError as exc:
        assert str(exc).startswith("fuzz.json")  # a clear error, naming the file
        return
    for device in home.devices:
        Device.model_validate(device.model_dump())


RULE_YAML = """rules:
  - id: hallway-night-light
    when: {device: hallway.motion, attribute: occupancy, to: true}
    if: {after: "22:00", before: "06:00", days: weekdays}
    do:
      - {device: hallway.light, set: {state: "on", brightness: 20}, for: 5m}
    cooldown: 30s
"""


@FUZZ
@given(data=st.data())
def test_rule_files(data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    import yaml

    path: Path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    if data.draw(st.booleans()):
        text = yaml.safe_dump(mutate(yaml.safe_load(RULE_YAML), data))
    else:
        chars = list(RULE_YAML)
        for _ in range(data.draw(st.integers(1, 8))):
            chars[data.draw(st.integers(0, len(chars) - 1))] = data.draw(st.sampled_from(list(":{}[]-#'\"\n\t x9")))
        text = "".join(chars)
    path.write_text(text, encoding="utf-8")
    rules, problems = load_yaml(path)  # never raises: every problem is a line and a reason
    assert all(p.line >= 0 and str(p) for p in problems)
    assert all(line >= 1 for _, line in rules)
