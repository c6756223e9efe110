"""The devices file: rooms, names, aliases, kinds and risk a person gives devices, over what their dialects say."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.overrides import DeviceOverride, OverrideFileError, dump_overrides, load_overrides
from iotlm.device_drivers.registry import DeviceRegistry
from iotlm.device_drivers.simulator import Simulator
from iotlm.device_drivers.transport import Transport
from tests.conftest import run_cli


def test_an_override_is_applied_whenever_the_device_is_announced(home: Home, tmp_path: Path) -> None:
    path = tmp_path / "devices.toml"
    path.write_text('["office.plug"]\nroom = "Study"\nname = "printer plug"\naliases = ["printer"]\nrisky = true\n')
    registry = DeviceRegistry()
    registry.overrides = load_overrides(path)
    for _ in range(2):  # announced again (a new discovery message): still as the person says
        registry.upsert(home.device("office.plug").model_copy(deep=True))
        plug = registry.get("office.plug")
        assert plug is not None and (plug.room, plug.name, plug.aliases, plug.risky, plug.type) == (
            "study", "printer plug", ["printer"], True, "outlet")
    registry.upsert(home.device("kitchen.light").model_copy(deep=True))
    assert registry.get("kitchen.light") == home.device("kitchen.light")  # no override: as its dialect says


@pytest.mark.parametrize(("text", "says"), [
    ('["a"]\nroom = ""\n', "[a] room: Value error, must not be empty"),
    ('["a"]\ncolour = "red"\n', "[a] colour: Extra inputs are not permitted (a device takes room, name, aliases, type, risky)"),
    ('["a"]\ntype = "toaster"\n', "[a] type: Value error, 'toaster' is not a device type; use one of "),
    ('a = "kitchen"\n', "'a' must be a table ([\"a\"] then room = \"...\")"),
    ('["a"\nroom = 1\n', "not valid TOML"),
])
def test_a_broken_devices_file_says_where_and_what_would_be_right(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "devices.toml"
    path.write_text(text)
    with pytest.raises(OverrideFileError) as caught:
        load_overrides(path)
    assert says in str(caught.value) and str(path) in str(caught.value)


def test_iotlm_devices_lists_devices_as_the_devices_file_says(broker: EmbeddedBroker, home: Home, sim_transport: Transport,
                                                              tmp_path: Path, prefix: str) -> None:
    (tmp_path / "config.toml").write_text(f'z2m_base = "{prefix}/z2m"\nha_prefix = "{prefix}/ha"\n')
    (tmp_path / "devices.toml").write_text('["hallway.light"]\nroom = "Entrance"\naliases = ["porch light"]\n')
    sim = Simulator(home, sim_transport, base=f"{prefix}/z2m").start()
    try:
        listed = run_cli("devices", "--json", "--broker", broker.url, "--home-dir", str(tmp_path))
        (tmp_path / "devices.toml").write_text('["hallway.light"]\nrisky = "maybe"\n')
        broken = run_cli("devices", "--json", "--broker", broker.url, "--home-dir", str(tmp_path))
    finally:
        sim.clear_discovery()
    assert listed.returncode == 0, listed.stderr
    light = next(d for d in json.loads(listed.stdout) if d["id"] == "hallway.light")
    assert (light["room"], light["aliases"]) == ("entrance", ["porch light"])
    assert broken.returncode != 0 and "[hallway.light] risky: Input should be a valid boolean" in broken.stderr


@settings(max_examples=100, deadline=None)
@given(device_id=st.text(min_size=1, max_size=20), text=st.text(min_size=1, max_size=20).filter(str.strip),
       aliases=st.lists(st.text(max_size=12), max_size=3), risky=st.booleans())
def test_what_is_written_is_read_back_the_same(device_id: str, text: str, aliases: list[str], risky: bool) -> None:
    written = {device_id: DeviceOverride(room=text, name=text, aliases=aliases, risky=risky, type="light")}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "devices.toml"
        path.write_text(dump_overrides(written), encoding="utf-8")
        assert load_overrides(path) == written


def test_iotlm_devices_set_writes_the_devices_file(tmp_path: Path) -> None:
    env = {"IOTLM_HOME": str(tmp_path)}
    said = run_cli("devices", "set", "kitchen.light", "--room", "Kitchen", "--alias", "main light", "--risky", env=env)
    assert said.returncode == 0, said.stderr
    assert said.stdout.startswith("kitchen.light: room kitchen; aliases main light; risky true (in ")
    run_cli("devices", "set", "office.plug", "--name", "printer plug", env=env)
    assert run_cli("devices", "set", "kitchen.light", "--no-risky", env=env).returncode == 0  # the rest is kept
    assert load_overrides(tmp_path / "devices.toml") == {
        "kitchen.light": DeviceOverride(room="kitchen", aliases=["main light"], risky=False),
        "office.plug": DeviceOverride(name="printer plug")}
    refused = run_cli("devices", "set", "kitchen.light", "--type", "toaster", env=env)
    assert refused.returncode != 0 and "'toaster' is not a device type; use one of " in refused.stderr
    assert load_overrides(tmp_path / "devices.toml")["kitchen.light"].type is None  # nothing changed
    assert run_cli("devices", "set", "kitchen.light", "--clear", env=env).returncode == 0
    assert set(load_overrides(tmp_path / "devices.toml")) == {"office.plug"}


def test_a_new_devices_file_changes_the_devices_already_here_and_undoes_what_it_no_longer_says(home: Home) -> None:
    registry = DeviceRegistry()
    registry.overrides = {"office.plug": DeviceOverride(room="study")}
    registry.upsert(home.device("office.plug").model_copy(deep=True))
    registry.upsert(home.device("kitchen.light").model_copy(deep=True))
    registry.report("office.plug", {"power": 120})
    version = registry.structure_version
    changed = registry.set_overrides({"kitchen.light": DeviceOverride(name="big light", aliases=["main light"])})
    assert sorted(changed) == ["kitchen.light", "office.plug"] and registry.structure_version > version
    plug, light = registry.get("office.plug"), registry.get("kitchen.light")
    assert plug is not None and (plug.room, plug.state()["power"]) == ("office", 120)  # back to its dialect's room, state kept
    assert light is not None and (light.name, light.aliases, light.room) == ("big light", ["main light"], "kitchen")
    assert registry.set_overrides(registry.overrides) == []  # the same file again changes nothing
