"""The executor on a real broker: decisions, exact commands, device-reported outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iotlm.device_drivers.home import Home
from iotlm.device_drivers.transport import Transport
from iotlm.policies.config import PolicyConfig, RateLimit
from iotlm.policies.model import Step, User
from iotlm.tools.registry import ToolInputError
from tests.conftest import Stack, make_stack


def sent(stack: Stack) -> list[tuple[str, dict[str, object]]]:
    return [(c.device_id or "", json.loads(c.payload)) for c in stack.sim.commands]


def set_step(device_id: str, attribute: str, value: object, operation: str | None = None) -> Step:
    op = operation or f"set_{attribute}"
    return Step(tool=f"{device_id}.{op}", device_id=device_id, operation=op, attribute=attribute, value=value)  # type: ignore[arg-type]


def test_a_device_operation_reaches_the_device_and_reports_what_it_reported(stack: Stack) -> None:
    outcome = stack.executor.call("kitchen.light.set_brightness", {"value": 35})
    assert (outcome.status, outcome.reported) == ("done", 35)
    assert sent(stack) == [("kitchen.light", {"brightness": 89, "state": "ON"})]  # 35 % of 254; a brightness turns an off light on
    assert stack.sim.state("kitchen.light")["brightness"] == 35
    [entry] = stack.audit.entries()
    assert (entry["device_id"], entry["attribute"], entry["value"], entry["verdict"]) == ("kitchen.light", "brightness", 35, "allow")


def test_mixed_steps_run_the_valid_ones_and_refuse_the_rest(stack: Stack) -> None:
    outcomes = stack.executor.run([
        set_step("kitchen.light", "state", "on", "turn_on"),
        set_step("kitchen.light", "color", [1, 2, 3]),
        set_step("bedroom.light", "brightness", 140),
        set_step("kitchen.temperature", "temperature", 30),
        set_step("garden.light", "state", "on", "turn_on"),
        set_step("bedroom.fan", "speed", "high"),
    ])
    assert [(o.status, o.code) for o in outcomes] == [
        ("done", "done"), ("denied", "unsupported_attribute"), ("denied", "out_of_range"), ("denied", "read_only"),
        ("denied", "unknown_device"), ("done", "done")]
    assert outcomes[1].reason == "the light has no color; it has: state, brightness"
    assert sent(stack) == [("kitchen.light", {"state": "ON"}), ("bedroom.fan", {"speed": "high"})]


def test_risky_waits_for_confirmation_then_runs(stack: Stack) -> None:
    unlock = set_step("hallway.front_door", "state", "unlocked", "unlock")
    [asked] = stack.executor.run([unlock])
    assert (asked.status, asked.reason) == ("needs_confirmation", "changing the front door lock needs your confirmation")
    assert sent(stack) == []
    [done] = stack.executor.run([unlock], confirmed=True)
    assert (done.status, done.reported) == ("done", "unlocked")
    assert sent(stack) == [("hallway.front_door", {"state": "UNLOCK"})]


def test_guest_is_denied_even_when_confirmed(stack: Stack) -> None:
    outcome = stack.executor.call("hallway.front_door.unlock", user=User(name="visitor", role="guest"), confirmed=True)
    assert (outcome.status, outcome.code) == ("denied", "not_permitted")
    assert sent(stack) == []


def test_already_true_changes_nothing_and_says_so(stack: Stack) -> None:
    outcome = stack.executor.call("hallway.front_door.lock")
    assert (outcome.status, outcome.reason) == ("already", "the front door lock is already locked")
    assert sent(stack) == []


def test_a_device_that_does_not_confirm_is_reported_honestly(stack: Stack) -> None:
    stack.sim.transport.stop()  # the home goes silent
    outcome = stack.executor.call("kitchen.light.turn_on", wait=0.3)
    assert outcome.status == "unconfirmed"
    assert outcome.reported == "off"
    assert outcome.reason == "kitchen.light did not confirm within 0.3 s; it reports state = 'off'"


def test_bad_input_is_rejected_and_nothing_is_sent_or_decided(stack: Stack) -> None:
    for name, args in [("kitchen.light.set_brightness", {"value": 140}), ("bedroom.fan.set_speed", {"value": "turbo"}),
                       ("kitchen.light.set_brightness", {"value": "much"}), ("list_devices", {"room": 3})]:
        with pytest.raises(ToolInputError):
            stack.executor.call(name, args)
    assert sent(stack) == [] and stack.audit.count() == 0


def test_rate_limit_per_device(home: Home, transport: Transport, sim_transport: Transport, prefix: str, tmp_path: Path) -> None:
    config = PolicyConfig(rate_limit=RateLimit(max_commands=3, per_seconds=60))
    stack = make_stack(home, transport, sim_transport, prefix, tmp_path / "db", config)
    statuses = [stack.executor.call("kitchen.light.set_brightness", {"value": v}).status for v in (10, 20, 30, 40)]
    assert statuses == ["done", "done", "done", "denied"]
    assert stack.executor.call("bedroom.light.turn_on").status == "done"  # per device
    stack.audit.close()


def test_builtin_tools(stack: Stack) -> None:
    state = stack.executor.call("get_device_state", {"device_id": "bedroom.fan"})
    assert state.result == {"id": "bedroom.fan", "name": "fan", "room": "bedroom", "availability": "online",
                            "state": {"state": "off", "speed": "low"}}
    listed = stack.executor.call("list_devices", {"room": "hallway", "type": "lock"})
    assert listed.result == [{"id": "hallway.front_door", "name": "front door lock", "room": "hallway", "type": "lock"}]
    missing = stack.executor.call("get_device_state", {"device_id": "attic.fan"})
    assert missing.status == "failed" and "there is no device 'attic.fan'" in missing.reason
