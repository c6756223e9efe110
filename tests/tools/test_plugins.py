"""Plugins: the example plugin installed from its folder, and broken plugins at start-up."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from iotlm.tools.hookspecs import hookimpl
from iotlm.tools.plugins import PluginError, build_drivers, build_tools, plugin_manager
from tests.conftest import ROOT, Stack


def test_example_plugin_is_installed_and_its_tools_listed_with_origin() -> None:
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="iotlm")}
    assert names.get("notify") == "iotlm_notify", (
        "the example plugin is not installed: pip install -e examples/plugins/iotlm-notify")
    tools = {t.name: t for t in build_tools(plugin_manager())}
    assert {n: t.origin for n, t in tools.items()} == {
        "current_time": "builtin", "get_device_state": "builtin", "list_devices": "builtin",
        "notify": "notify", "room_off": "notify"}
    assert tools["notify"].schema()["parameters"]["properties"]["priority"] == {
        "enum": ["low", "normal", "high"], "type": "string", "default": "normal"}


def test_builtin_drivers_come_through_the_same_hook() -> None:
    assert list(build_drivers(plugin_manager(entry_points=[]))) == ["zigbee2mqtt", "homeassistant", "tasmota", "shelly", "esphome"]
    # the example driver plugin, installed from its folder, registers through the same hook
    assert list(build_drivers(plugin_manager())) == ["zigbee2mqtt", "homeassistant", "tasmota", "shelly", "esphome", "plainjson"]


def test_plugin_notify_tool_publishes_exactly(stack: Stack) -> None:
    got: list[tuple[str, dict[str, object]]] = []
    arrived = threading.Event()

    def on_notify(topic: str, payload: bytes) -> None:
        got.append((topic, json.loads(payload)))
        arrived.set()

    assert stack.sim.transport.subscribe("iotlm/notify", on_notify, wait=5)
    outcome = stack.executor.call("notify", {"message": "washing is done", "priority": "high"})
    assert (outcome.status, outcome.result) == ("ok", "notified: iotlm: washing is done")
    assert arrived.wait(5)
    assert got == [("iotlm/notify", {"title": "iotlm", "message": "washing is done", "priority": "high", "user": "owner"})]


def test_plugin_scene_acts_only_through_the_gate(stack: Stack) -> None:
    stack.executor.call("kitchen.light.turn_on")
    stack.executor.call("kitchen.coffee_machine.turn_on")
    outcome = stack.executor.call("room_off", {"room": "kitchen"})
    assert outcome.result == {"kitchen.light": "done", "kitchen.coffee_machine": "done", "kitchen.oven": "already"}
    inner = [e for e in stack.audit.entries() if e["origin"] == "tool"]
    assert [(e["device_id"], e["verdict"]) for e in inner] == [
        ("kitchen.light", "allow"), ("kitchen.coffee_machine", "allow"), ("kitchen.oven", "ask")]


def _write_plugin(tmp_path: Path, name: str, module: str, source: str | None) -> Path:
    site = tmp_path / "site"
    dist = site / f"{name}-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[iotlm]\n{name} = {module}\n")
    if source is not None:
        (site / f"{module}.py").write_text(source)
    return site


BROKEN = '''
from iotlm.tools import hookimpl, tool

@tool
def shout(text):
    """Shout something."""

@hookimpl
def register_tools(register):
    register(shout)
'''


@pytest.mark.parametrize(("source", "message"), [
    (BROKEN, "plugin 'brokenplug': tool 'shout' (from brokenplug): argument 'text' has no type annotation"),
    (None, "plugin 'brokenplug' (brokenplug_mod) could not be loaded: ModuleNotFoundError"),
    ("raise RuntimeError('boom at import')", "plugin 'brokenplug' (brokenplug_mod) could not be loaded: RuntimeError: boom"),
])
def test_a_broken_plugin_is_a_clear_start_up_error(tmp_path: Path, source: str | None, message: str) -> None:
    site = _write_plugin(tmp_path, "brokenplug", "brokenplug_mod", source)
    sys.path.insert(0, str(site))
    try:
        eps = [ep for ep in importlib.metadata.entry_points(group="iotlm") if ep.name == "brokenplug"]
        assert eps, "the test plugin's entry point was not found"
        with pytest.raises(PluginError, match=re.escape(message)):
            build_tools(plugin_manager(eps))
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("brokenplug_mod", None)
    # and the command line refuses to start with the same message, exit status 2
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]), "IOTLM_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "iotlm.cli", "tools"], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("iotlm: error: ") and message in result.stderr


def test_iotlm_tools_json_lists_schema_and_origin(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "iotlm.cli", "tools", "--json"], capture_output=True, text=True,
                            cwd=ROOT, timeout=60, env={**os.environ, "IOTLM_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    tools = {t["name"]: t for t in json.loads(result.stdout)}
    assert tools["room_off"]["origin"] == "notify"
    assert tools["room_off"]["parameters"]["required"] == ["room"]
    assert tools["list_devices"]["origin"] == "builtin"


# ---------------------------------------------------------------- driver plugins


def test_the_example_driver_plugin_discovers_reports_and_is_commanded_through_the_gate(stack: Stack, prefix: str,
                                                                                        broker: Any) -> None:
    """examples/plugins/iotlm-plainjson, installed from its folder, as any user's driver plugin would be."""
    from iotlm.device_drivers.connection import Connection
    from iotlm.device_drivers.transport import Transport
    from iotlm.policies.gate import Gate
    from iotlm.tools.executor import Executor

    device_id = f"{prefix}-fan"
    fan = Transport(broker.url).start()  # the device itself
    fan.subscribe(f"plainjson/{device_id}/set",
                  lambda topic, payload: fan.publish(f"plainjson/{device_id}/state", payload), wait=5)
    t = Transport(broker.url).start()
    try:
        conn = Connection(t, drivers=build_drivers(plugin_manager()))
        assert set(conn.drivers) == {"zigbee2mqtt", "homeassistant", "tasmota", "shelly", "esphome", "plainjson"}
        for driver in conn.drivers.values():
            driver.start()
        assert t.subscribe(f"{prefix}/_fence", lambda topic, payload: None, wait=5)
        fan.publish(f"plainjson/{device_id}/config", {"name": "desk fan", "room": "office", "type": "fan", "attributes": {
            "state": {"value": "off", "options": ["on", "off"]}}}, retain=True, wait=5)
        assert conn.registry.wait_for_devices([device_id], timeout=5)
        device = conn.registry.get(device_id)
        assert device is not None and (device.room, device.binding.driver if device.binding else None) == ("office", "plainjson")
        executor = Executor(conn, Gate(stack.executor.gate.policies, stack.audit), stack.executor.tools, clock=stack.clock)
        outcome = executor.call(f"{device_id}.turn_on")
        assert (outcome.status, outcome.reported) == ("done", "on")
        assert [(e["device_id"], e["verdict"]) for e in stack.audit.entries()] == [(device_id, "allow")]
        fan.publish(f"plainjson/{device_id}/config", b"", retain=True, wait=5)  # gone
        assert conn.registry.wait_for(lambda r: device_id not in r, timeout=5)
    finally:
        t.stop()
        fan.stop()


class _Plugin:
    def __init__(self, hook: Any) -> None:
        self.register_drivers = hookimpl(hook)


def _boom(transport: Any, registry: Any, connection: Any) -> Any:
    raise OSError("no such serial port")


@pytest.mark.parametrize(("hook", "message"), [
    (lambda register: register("serial", _boom),
     "plugin 'bad': driver 'serial' could not be built: OSError: no such serial port (a driver factory is called as "
     "factory(transport, registry, connection))"),
    (lambda register: register("serial", lambda transport, registry: object()),  # the old, documented two arguments
     "plugin 'bad': driver 'serial' could not be built: TypeError"),
    (lambda register: register("serial", lambda transport, registry, connection: object()),
     "plugin 'bad': driver 'serial': the factory returned object, which lacks name, start() or command(device, values)"),
    (lambda register: register("zigbee2mqtt", _boom), "plugin 'bad': a driver named 'zigbee2mqtt' is already registered"),
    (lambda register: 1 / 0, "plugin 'bad': register_drivers failed: ZeroDivisionError: division by zero"),
])
def test_a_broken_driver_plugin_is_a_clear_start_up_error(hook: Any, message: str, broker: Any) -> None:
    from iotlm.device_drivers.connection import Connection
    from iotlm.device_drivers.transport import Transport

    pm = plugin_manager(entry_points=[])
    pm.register(_Plugin(hook), name="bad")
    with pytest.raises(PluginError, match=re.escape(message)):
        Connection(Transport(broker.url), drivers=build_drivers(pm))
