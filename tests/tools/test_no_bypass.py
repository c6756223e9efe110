"""There is no path to a device around the gate.

At run time: every public entry point (a plan's steps, a device tool, a plugin tool acting
through its context, a rule-origin run) is used on a real broker, and what the simulated
devices received is matched one for one against the gate's audited allow decisions.
Statically: the only places that send device commands or publish are the executor and the
drivers.
"""

from __future__ import annotations

import ast

import pytest

from iotlm.policies.model import Step, User
from iotlm.tools.context import PublishNotAllowed
from tests.conftest import ROOT, Stack


def _write(device_id: str, attribute: str, value: object, operation: str) -> Step:
    return Step(tool=f"{device_id}.{operation}", device_id=device_id, operation=operation, attribute=attribute, value=value)  # type: ignore[arg-type]


def test_every_command_a_device_received_was_allowed_by_the_gate(stack: Stack) -> None:
    ex = stack.executor
    outcomes = []
    # a plan's steps (chat), some refused
    outcomes += ex.run([_write("kitchen.light", "state", "on", "turn_on"), _write("kitchen.light", "brightness", 300, "set_brightness"),
                        _write("living_room.tv", "volume", 25, "set_volume")], origin="chat")
    # device tools (API)
    outcomes.append(ex.call("bedroom.fan.set_speed", {"value": "medium"}))
    outcomes.append(ex.call("hallway.front_door.unlock"))  # asks
    outcomes.append(ex.call("hallway.front_door.unlock", confirmed=True))
    outcomes.append(ex.call("garage.door.open", user=User(name="visitor", role="guest"), confirmed=True))  # denied
    outcomes.append(ex.call("kitchen.temperature.get_state"))
    # the entry point the rule engine will use
    outcomes += ex.run([_write("hallway.light", "brightness", 20, "set_brightness")], origin="rule")
    # a plugin tool that acts through its context
    scene = ex.call("room_off", {"room": "kitchen"})
    assert scene.result == {"kitchen.light": "done", "kitchen.coffee_machine": "already", "kitchen.oven": "already"}

    received = [(c.device_id, c.payload) for c in stack.sim.commands]
    assert len(received) == 6
    allowed_writes = [e for e in stack.audit.entries(limit=1000) if e["verdict"] == "allow" and e["attribute"]]
    already = [e for e in allowed_writes if (e["device_id"], e["value"]) in {("kitchen.coffee_machine", "off"), ("kitchen.oven", "off")}]
    sent_entries = [e for e in allowed_writes if e not in already]
    assert [(e["device_id"], e["attribute"], e["value"]) for e in sent_entries] == [
        ("kitchen.light", "state", "on"), ("living_room.tv", "volume", 25), ("bedroom.fan", "speed", "medium"),
        ("hallway.front_door", "state", "unlocked"), ("hallway.light", "brightness", 20), ("kitchen.light", "state", "off")]
    assert [d for d, _ in received] == [e["device_id"] for e in sent_entries]
    # and nothing refused or waiting for a yes reached a device
    assert {e["device_id"] for e in stack.audit.entries(limit=1000) if e["verdict"] != "allow"} == {
        "kitchen.light", "hallway.front_door", "garage.door", "kitchen.oven"}
    assert "garage.door" not in {d for d, _ in received}
    assert sum(1 for o in outcomes if o.status == "done") == 5


def test_a_tool_cannot_publish_to_a_device_topic(stack: Stack) -> None:
    with pytest.raises(PublishNotAllowed, match=r"devices are changed with ctx\.act"):
        stack.executor.publish(f"{stack.sim.base}/kitchen.light/set", {"state": "ON"})
    assert stack.sim.commands == []


PACKAGES = ["agent", "tools", "policies", "memory", "device_drivers", "examples/plugins"]


def _call_sites(method: str) -> set[str]:
    sites: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method:
                    sites.add(str(path.relative_to(ROOT)))
    return sites


def test_only_the_executor_sends_device_commands() -> None:
    # Connection.command is called by the executor alone; the connection hands it to the driver;
    # the probe measures the broker floor on its own simulated home (iotlm bench latency)
    assert _call_sites("command") == {"tools/executor.py", "device_drivers/connection.py", "device_drivers/probe.py"}


def test_outside_the_drivers_only_the_guarded_executor_publishes() -> None:
    outside = {p for p in _call_sites("publish") if not p.startswith("device_drivers/")}
    # the example driver plugin publishes through device_drivers' MqttDriver.command, as iotlm's own drivers do
    assert outside == {"tools/executor.py", "tools/context.py", "examples/plugins/iotlm-notify/iotlm_notify/__init__.py"}
