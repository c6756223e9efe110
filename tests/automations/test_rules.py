"""Automations end to end: a real broker, the simulated flat, the same gate and executor as chat."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from iotlm.agent.understand.parser import Parser
from iotlm.automations.compile import RuleSyntaxError, compile_rule
from iotlm.automations.describe import describe
from iotlm.automations.engine import RuleEngine
from iotlm.automations.model import Rule, problems
from iotlm.automations.store import RuleStore, load_yaml
from iotlm.device_drivers.clock import SimClock
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.simulator.load import SensorLoad
from iotlm.device_drivers.transport import Transport
from iotlm.policies.config import PolicyConfig, RateLimit
from tests.conftest import Stack, eventually, make_stack

NIGHT = datetime(2026, 11, 23, 23, 30)   # a Monday
NOON = datetime(2026, 11, 23, 12, 0)


@pytest.fixture
def stack(home: Home, transport: Transport, sim_transport: Transport, prefix: str, tmp_path: Path) -> Iterator[Stack]:
    config = PolicyConfig(rate_limit=RateLimit(max_commands=10_000, per_seconds=60))
    s = make_stack(home, transport, sim_transport, prefix, tmp_path / "iotlm.db", config)
    yield s
    s.audit.close()


@pytest.fixture
def sensors(sim_transport: Transport, prefix: str) -> SensorLoad:
    """Reports published as the devices themselves would (Zigbee2MQTT state messages)."""
    return SensorLoad(sim_transport, base=f"{prefix}/z2m")


_STARTED: list[RuleEngine] = []


@pytest.fixture(autouse=True)
def _stop_engines() -> Iterator[None]:
    """Every engine a test starts is stopped when the test ends, passed or failed (stop() is idempotent)."""
    yield
    while _STARTED:
        _STARTED.pop().stop()


def engine_for(stack: Stack, tmp_path: Path, rules: list[Rule], *, clock: Any = None, name: str = "rules.db") -> RuleEngine:
    engine = RuleEngine(stack.conn.registry, stack.executor, RuleStore(tmp_path / name), clock=clock or SimClock(NIGHT),
                        user_for=stack.config.user)
    assert engine.load(rules) == {}
    _STARTED.append(engine)
    return engine.start()


def rule(**data: Any) -> Rule:
    return Rule.model_validate(data)


NIGHT_LIGHT = {"id": "night-light", "when": {"device": "hallway.motion", "attribute": "occupancy", "to": True},
               "if": {"after": "22:00", "before": "06:00"},
               "do": [{"device": "hallway.light", "set": {"state": "on", "brightness": 20}}]}


def light(stack: Stack) -> dict[str, Any]:
    return stack.sim.state("hallway.light")


def test_a_sensor_report_fires_the_rules_action_through_the_gate(stack: Stack, sensors: SensorLoad, tmp_path: Path) -> None:
    engine = engine_for(stack, tmp_path, [rule(**NIGHT_LIGHT)])
    assert light(stack)["state"] == "off"
    sensors.report("hallway.motion", {"occupancy": True})
    assert eventually(lambda: light(stack) == {"state": "on", "brightness": 20} | {k: v for k, v in light(stack).items()
                                                                            if k not in ("state", "brightness")})
    entries = [e for e in stack.audit.entries() if e["origin"] == "rule"]
    assert {(e["device_id"], e["attribute"], e["verdict"]) for e in entries} == {
        ("hallway.light", "state", "allow"), ("hallway.light", "brightness", "allow")}
    assert engine.stats.fired == 1


def test_outside_its_time_window_the_rule_does_not_fire(stack: Stack, sensors: SensorLoad, tmp_path: Path) -> None:
    engine = engine_for(stack, tmp_path, [rule(**NIGHT_LIGHT)], clock=lambda: NOON)
    sensors.report("hallway.motion", {"occupancy": True})
    # decided, either way ("evaluated" counts as the evaluation starts, before the conditions are read)
    assert eventually(lambda: engine.stats.fired + engine.stats.conditions_false >= 1) and eventually(engine.idle)
    assert (engine.stats.fired, engine.stats.conditions_false) == (0, 1)
    assert light(stack)["state"] == "off" and stack.sim.commands == []


def test_a_cooldown_suppresses_a_burst(stack: Stack, sensors: SensorLoad, tmp_path: Path) -> None:
    each = {**NIGHT_LIGHT, "id": "burst", "when": {**NIGHT_LIGHT["when"], "each": True}, "cooldown": "1h"}
    engine = engine_for(stack, tmp_path, [rule(**each)])
    for _ in range(20):
        sensors.report("hallway.motion", {"occupancy": True})
    assert eventually(lambda: engine.stats.fired + engine.stats.suppressed >= 20) and eventually(engine.idle)
    assert (engine.stats.fired, engine.stats.suppressed) == (1, 19)
    # one firing: its two steps (state, brightness), each a command (they reach the device a moment later)
    assert eventually(lambda: len(stack.sim.commands) >= 2)
    first, second = [json.loads(c.payload) for c in stack.sim.commands]
    # 20 % of 254; where the light's "on" is neither reported back nor still counted in flight when the brightness
    # goes out (a loaded machine), the executor sends "ON" with it, as it does for a light it believes off
    assert first == {"state": "ON"} and second in ({"brightness": 51}, {"brightness": 51, "state": "ON"})


def test_edge_semantics_a_threshold_fires_once_per_crossing(stack: Stack, sensors: SensorLoad, tmp_path: Path) -> None:
    hot = rule(id="hot", when={"device": "bedroom.climate", "attribute": "temperature", "above": 24},
               do=[{"device": "bedroom.fan", "set": {"state": "on"}}])
    engine = engine_for(stack, tmp_path, [hot])
    for value in (23.0, 24.5, 25.0, 26.0, 23.5, 24.1):  # crosses twice
        sensors.report("bedroom.climate", {"temperature": value, "humidity": 50})
    # every report arrived; drain() returns once the dispatcher has finished evaluating the last of them
    assert eventually(lambda: engine.stats.evaluated >= 6) and stack.conn.transport.drain() and eventually(engine.idle)
    assert engine.stats.fired == 2


def test_for_five_minutes_then_revert_puts_it_back(stack: Stack, sensors: SensorLoad, tmp_path: Path) -> None:
    short = {**NIGHT_LIGHT, "do": [{"device": "hallway.light", "set": {"state": "on", "brightness": 20}, "for": "0.5s"}]}
    engine_for(stack, tmp_path, [rule(**short)])
    before = light(stack)
    sensors.report("hallway.motion", {"occupancy": True})
    assert eventually(lambda: light(stack)["state"] == "on")
    assert eventually(lambda: light(stack) == before, timeout=5)
    reverts = [e for e in stack.audit.entries() if e["origin"] == "rule" and e["attribute"] == "state"]
    assert [e["value"] for e in reverts] == ["on", "off"]


def test_a_pending_revert_and_a_cooldown_survive_a_restart(stack: Stack, sensors: SensorLoad, tmp_path: Path) -> None:
    long = {**NIGHT_LIGHT, "cooldown": "1h", "do": [{"device": "hallway.light", "set": {"state": "on"}, "for": "2s"}]}
    engine = engine_for(stack, tmp_path, [rule(**long)])
    sensors.report("hallway.motion", {"occupancy": True})
    assert eventually(lambda: light(stack)["state"] == "on")
    assert eventually(lambda: len(engine.store.timers()) == 1)
    engine.stop()  # the service stops with the revert pending
    engine.store.close()
    time.sleep(2.1)
    again = engine_for(stack, tmp_path, [rule(**long)])  # the same rules.db
    assert eventually(lambda: light(stack)["state"] == "off")  # the overdue revert ran on start
    sensors.report("hallway.motion", {"occupancy": False})
    sensors.report("hallway.motion", {"occupancy": True})
    assert eventually(lambda: again.stats.fired + again.stats.suppressed >= 1) and eventually(again.idle)
    assert (again.stats.fired, again.stats.suppressed) == (0, 1)  # still cooling down from before the restart


def test_a_rule_from_a_sentence_behaves_like_the_same_rule_in_yaml(stack: Stack, sensors: SensorLoad, tmp_path: Path,
                                                                  home: Home) -> None:
    compiled = compile_rule("when the hallway motion sensor sees someone after 10 pm, turn the hallway light on at 20%",
                            Parser(home.devices), rule_id="night-light").rule
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n"
                    "  - id: night-light\n"
                    "    when: {device: hallway.motion, attribute: occupancy, to: true}\n"
                    "    if: {after: '22:00', before: '06:00'}\n"
                    "    do:\n"
                    "      - {device: hallway.light, set: {state: 'on', brightness: 20}}\n", encoding="utf-8")
    [(from_yaml, line)], bad = load_yaml(path)
    assert bad == [] and line == 2
    assert compiled.model_dump(exclude={"text"}) == from_yaml.model_dump(exclude={"text"})
    for which in (compiled, from_yaml):
        engine = engine_for(stack, tmp_path, [which], name=f"{id(which)}.db")
        sensors.report("hallway.motion", {"occupancy": False})
        sensors.report("hallway.motion", {"occupancy": True})
        assert eventually(lambda: light(stack)["state"] == "on" and light(stack)["brightness"] == 20)
        assert eventually(engine.idle) and engine.stats.fired == 1
        engine.stop()
        stack.executor.call("hallway.light.turn_off")
        assert eventually(lambda: light(stack)["state"] == "off")


def test_risky_actions_run_only_when_approved_and_are_audited_each_time(stack: Stack, sensors: SensorLoad,
                                                                       tmp_path: Path) -> None:
    lock = {"id": "lock-up", "when": {"device": "hallway.door_contact", "attribute": "contact", "to": True},
            "do": [{"device": "hallway.front_door", "set": {"state": "unlocked"}}]}
    engine = engine_for(stack, tmp_path, [rule(**lock)])
    sensors.report("hallway.door_contact", {"contact": False})
    sensors.report("hallway.door_contact", {"contact": True})
    assert eventually(lambda: engine.stats.fired == 1) and eventually(engine.idle)
    assert stack.sim.state("hallway.front_door")["state"] == "locked"  # not approved: asked, so not done
    [asked] = [e for e in stack.audit.entries() if e["origin"] == "rule"]
    assert (asked["verdict"], asked["policy"]) == ("ask", "confirmation")  # needs a yes nobody gave: not done
    engine.stop()
    engine_for(stack, tmp_path, [rule(**lock, approved_risky=True)], name="approved.db")
    sensors.report("hallway.door_contact", {"contact": False})
    sensors.report("hallway.door_contact", {"contact": True})
    assert eventually(lambda: stack.sim.state("hallway.front_door")["state"] == "unlocked")
    assert [e["verdict"] for e in stack.audit.entries() if e["origin"] == "rule"][-1] == "allow"


UNLOCK_ON_MOTION = {"id": "let-in", "owner": "sam", "approved_risky": True,
                    "when": {"device": "hallway.motion", "attribute": "occupancy", "to": True},
                    "do": [{"device": "hallway.front_door", "set": {"state": "unlocked"}}]}


def test_a_rule_acts_as_its_owner_with_the_owners_role(home: Home, transport: Transport, sim_transport: Transport,
                                                        prefix: str, tmp_path: Path, sensors: SensorLoad,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """Found by review: the engine built User(role="admin") for every rule, so a guest's rule unlocked the front door."""
    config = PolicyConfig(users={"owner": "admin", "sam": "guest"}, rate_limit=RateLimit(max_commands=10_000, per_seconds=60))
    guest_stack = make_stack(home, transport, sim_transport, prefix, tmp_path / "iotlm.db", config)
    with caplog.at_level("WARNING", logger="iotlm.automations.engine"):
        engine = engine_for(guest_stack, tmp_path, [rule(**UNLOCK_ON_MOTION)])
        assert [r.getMessage() for r in caplog.records] == [
            "rule let-in (owner sam, guest) will not act: the gate refuses hallway.front_door.state = 'unlocked': "
            "sam (guest) may not do that: unlock on type:lock"]
        caplog.clear()
        sensors.report("hallway.motion", {"occupancy": True})
        assert eventually(lambda: engine.stats.fired == 1) and eventually(engine.idle)
    assert guest_stack.sim.state("hallway.front_door")["state"] == "locked" and guest_stack.sim.commands == []
    [entry] = [e for e in guest_stack.audit.entries() if e["origin"] == "rule"]
    assert (entry["user"], entry["role"], entry["verdict"], entry["policy"]) == ("sam", "guest", "deny", "permissions")
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert caplog.records[0].getMessage().startswith("rule let-in (owner sam) did not act: hallway.front_door.state = "
                                                     "'unlocked' denied (sam (guest) may not do that")
    guest_stack.audit.close()


def test_a_rule_owned_by_an_admin_acts(stack: Stack, sensors: SensorLoad, tmp_path: Path) -> None:
    engine = engine_for(stack, tmp_path, [rule(**{**UNLOCK_ON_MOTION, "owner": "owner"})])
    sensors.report("hallway.motion", {"occupancy": True})
    assert eventually(lambda: stack.sim.state("hallway.front_door")["state"] == "unlocked")
    assert [(e["user"], e["role"], e["verdict"]) for e in stack.audit.entries() if e["origin"] == "rule"] == [
        ("owner", "admin", "allow")]
    assert engine.stats.fired == 1


def test_an_unapproved_risky_rule_is_reported_at_load(stack: Stack, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="iotlm.automations.engine"):
        engine_for(stack, tmp_path, [rule(**{**UNLOCK_ON_MOTION, "owner": "owner", "approved_risky": False})])
    assert [r.getMessage() for r in caplog.records] == [
        "rule let-in will not act: it needs a confirmation nobody can give when it fires (hallway.front_door.state = "
        "'unlocked' (changing the front door lock needs your confirmation)); approve it with `iotlm rules add ... --yes` "
        "or in rules.yaml (approved_risky: true)"]


def test_two_workers_on_a_shared_subscription_handle_each_event_exactly_once(
        home: Home, broker: Any, prefix: str, tmp_path: Path, sim_transport: Transport) -> None:
    from iotlm.device_drivers.connection import Connection
    from iotlm.policies.audit import AuditLog
    from iotlm.policies.defaults import default_policies
    from iotlm.policies.gate import Gate
    from iotlm.tools.executor import Executor
    from iotlm.tools.plugins import build_tools, plugin_manager
    from tests.conftest import start_sim

    start_sim(home, sim_transport, prefix)
    config = PolicyConfig(rate_limit=RateLimit(max_commands=10_000, per_seconds=60))
    button = rule(id="count", when={"device": "hallway.motion", "attribute": "occupancy", "to": True, "each": True},
                  do=[{"device": "hallway.light", "set": {"state": "on"}}])
    workers = []
    for i in range(2):
        t = Transport(broker.url).start()
        conn = Connection(t, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha", share_group="g1")
        for driver in conn.drivers.values():
            driver.start()
        assert t.subscribe(f"{prefix}/_fence", lambda topic, payload: None, wait=5)
        assert conn.registry.wait_for(lambda r: "hallway.light" in r.ids() and "hallway.motion" in r.ids(), 10)
        audit = AuditLog(tmp_path / f"audit{i}.db")
        executor = Executor(conn, Gate(default_policies(config), audit), build_tools(plugin_manager()), policy_config=config)
        engine = RuleEngine(conn.registry, executor, RuleStore(tmp_path / "shared-rules.db"), clock=lambda: NIGHT,
                            user_for=config.user)
        assert engine.load([button]) == {}
        workers.append((t, engine.start(), audit))
    n = 200
    load = SensorLoad(sim_transport, base=f"{prefix}/z2m")
    for i in range(n):
        load.report("hallway.motion", {"occupancy": True, "seq": i})
    assert eventually(lambda: sum(e.stats.fired + e.stats.suppressed for _, e, _ in workers) >= n, timeout=15)
    for t, engine, _ in workers:
        assert t.drain()
        assert eventually(engine.idle, timeout=30)
    counts = [engine.stats.fired for _, engine, _ in workers]
    assert sum(counts) == n and all(c > 0 for c in counts), counts  # every event once, and both took a share
    assert sum(e.stats.suppressed for _, e, _ in workers) == 0  # no event reached both workers
    assert sum(a.count() for _, _, a in workers) == n  # one audited action per event, across the two workers
    for t, engine, audit in workers:
        engine.stop()
        t.stop()
        audit.close()


# ---------------------------------------------------------------- bad input


def test_bad_rules_are_rejected_at_load_with_line_and_reason_and_the_others_run(
        stack: Stack, sensors: SensorLoad, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n"
        "  - id: good\n"                                                                   # line 2
        "    when: {device: hallway.motion, attribute: occupancy, to: true}\n"
        "    do: [{device: hallway.light, set: {state: 'on'}}]\n"
        "  - id: ghost\n"                                                                  # line 5
        "    when: {device: hallway.ghost, attribute: occupancy, to: true}\n"
        "    do: [{device: hallway.light, set: {state: 'on'}}]\n"
        "  - id: words\n"                                                                  # line 8
        "    when: {device: hallway.motion, attribute: occupancy, above: 'warm'}\n"
        "    do: [{device: hallway.light, set: {state: 'on'}}]\n"
        "  - id: no-colour\n"                                                              # line 11
        "    when: {device: hallway.motion, attribute: occupancy, to: true}\n"
        "    do: [{device: hallway.light, set: {colour: red}}]\n"
        "  - id: not-numeric\n"                                                            # line 14
        "    when: {device: hallway.motion, attribute: occupancy, above: 3}\n"
        "    do: [{device: hallway.light, set: {state: 'on'}}]\n", encoding="utf-8")
    loaded, bad = load_yaml(path)
    assert [str(p) for p in bad] == ["line 8 (rule words): when.above: Input should be a valid number, unable to parse string as a number"]
    assert [(r.id, line) for r, line in loaded] == [("good", 2), ("ghost", 5), ("no-colour", 11), ("not-numeric", 14)]
    engine = RuleEngine(stack.conn.registry, stack.executor, RuleStore(tmp_path / "rules.db"), clock=lambda: NIGHT,
                        user_for=stack.config.user)
    rejected = engine.load([r for r, _ in loaded])
    assert rejected == {
        "ghost": ["when: no device 'hallway.ghost'"],
        "no-colour": ["do #1: hallway.light has no 'colour'; it has: state, brightness"],
        "not-numeric": ["when: above/below need a number, but options values are True, False"],
    }
    engine.start()
    sensors.report("hallway.motion", {"occupancy": True})
    assert eventually(lambda: light(stack)["state"] == "on")  # the good rule runs


def test_a_file_that_is_not_yaml_is_one_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: a\n    when: {device: x\n    do: []\n", encoding="utf-8")
    loaded, bad = load_yaml(path)
    assert loaded == [] and len(bad) == 1 and str(bad[0]).startswith("line 4: not valid YAML")


@pytest.mark.parametrize(("sentence", "reason"), [
    ("turn everything on", "I couldn't find the two halves of a rule"),
    ("when the toaster pops, turn on the kitchen light", "\"the toaster pops\" names no device I know to start the rule"),
    ("when the hallway motion sensor sees someone, frobnicate the hallway", "I couldn't tell what to do from \"frobnicate the hallway\""),
    ("when the office goes above 24 degrees, turn on the office lamp", "nothing in the office measures temperature"),
    ("when the kitchen light sees someone, turn on the hallway light", "the kitchen light does not detect motion"),
])
def test_sentences_that_cannot_be_compiled_say_which_part(home: Home, sentence: str, reason: str) -> None:
    with pytest.raises(RuleSyntaxError) as err:
        compile_rule(sentence, Parser(home.devices))
    assert reason in str(err.value)


@pytest.mark.parametrize(("sentence", "words"), [
    ("when the hallway motion sensor sees someone after 10 pm, turn the hallway light on at 20% for 5 minutes",
     "When the hallway motion sensor's occupancy becomes true, only between 22:00 and 06:00: set the hallway light to "
     "state on, brightness 20, then after 5 minutes put it back as it was."),
    ("if the bedroom goes above 24 degrees, switch the fan on",
     "When the bedroom temperature sensor's temperature goes above 24: set the bedroom fan to state on."),
    ("at 7:00 on weekdays open the bedroom curtains", "At 07:00 on mon, tue, wed, thu, fri: set the bedroom curtains to state open."),
    ("if the garage door is open for 10 minutes, close the garage door",
     "When the garage door's state becomes open and stays so for 10 minutes: set the garage door to state closed."),
    ("turn on the hallway light when the hallway door opens",
     "When the hallway front door sensor's contact becomes false: set the hallway light to state on."),
    ("when the hallway motion sensor sees someone, turn on the hallway light and after 2 minutes turn it off",
     "When the hallway motion sensor's occupancy becomes true: set the hallway light to state on; "
     "after 2 minutes, set the hallway light to state off."),
])
def test_sentences_compile_to_rules_shown_back_in_plain_words(home: Home, sentence: str, words: str) -> None:
    devices = {d.id: d for d in home.devices}
    compiled = compile_rule(sentence, Parser(home.devices))
    assert problems(compiled.rule, devices) == []
    assert describe(compiled.rule, devices) == words


@pytest.mark.parametrize(("sentence", "words"), [
    ("every day at half past seven open the bedroom curtains", "At 07:30 every day: set the bedroom curtains to state open."),
    ("at quarter to eight on weekdays open the bedroom curtains",
     "At 07:45 on mon, tue, wed, thu, fri: set the bedroom curtains to state open."),
    ("at noon open the bedroom curtains", "At 12:00 every day: set the bedroom curtains to state open."),
    ("if the garage door is open for forty five minutes, close the garage door",
     "When the garage door's state becomes open and stays so for 45 minutes: set the garage door to state closed."),
    ("when the hallway motion sensor sees someone, turn on the hallway light and after an hour and a half turn it off",
     "When the hallway motion sensor's occupancy becomes true: set the hallway light to state on; "
     "after 90 minutes, set the hallway light to state off."),
])
def test_rules_read_times_as_chat_does(home: Home, sentence: str, words: str) -> None:
    """One time vocabulary (automations.timewords) for chat, jobs and rules: words the rule compiler alone used to miss."""
    assert describe(compile_rule(sentence, Parser(home.devices)).rule, {d.id: d for d in home.devices}) == words


def test_a_flood_is_counted_not_silently_dropped_and_memory_stays_bounded(stack: Stack, tmp_path: Path) -> None:
    each = {**NIGHT_LIGHT, "id": "flood", "when": {**NIGHT_LIGHT["when"], "each": True}}
    engine = RuleEngine(stack.conn.registry, stack.executor, RuleStore(tmp_path / "rules.db"), clock=lambda: NIGHT,
                        user_for=stack.config.user, max_pending=5, workers=1)
    engine.load([rule(**each)])
    # no action thread yet: the queue fills, and what does not fit is counted and logged
    for _ in range(50):
        engine.on_report("hallway.motion", {"occupancy": True})
    assert (engine.stats.evaluated, engine.stats.fired, engine.stats.dropped) == (50, 50, 45)
    assert engine.pending() == 5


def test_service_answers_chat_over_mqtt(stack: Stack, tmp_path: Path, transport: Transport, broker: Any) -> None:
    from iotlm.agent.session import Agent
    from iotlm.config import load_settings
    from iotlm.runtime import Runtime
    from iotlm.service import Service
    from tests.fakes import ScriptedModel

    runtime = Runtime(load_settings({"home": str(tmp_path)}, environ={}), stack.conn, stack.executor.tools, PolicyConfig(),
                      stack.audit, stack.executor)
    agent = Agent(runtime, model=ScriptedModel(lambda p: ("none", 0.9)))
    name = f"h{tmp_path.name[-6:].replace('_', '')}"
    service = Service(agent, RuleStore(tmp_path / "rules.db"), home_name=name).start()
    client = Transport(broker.url).start()
    replies: list[dict[str, Any]] = []
    for replies_to in (f"iotlm/{name}/reply/#", f"iotlm/{name}/anonymous/reply/#"):  # a person's, and the anonymous ones
        client.subscribe(replies_to, lambda t, p: replies.append({"topic": t, **json.loads(p)}), wait=5)
    client.publish(f"iotlm/{name}/ask/alice", {"id": "q1", "text": "turn on the kitchen light"})
    client.publish(f"iotlm/{name}/ask", b"{not json")
    client.publish(f"iotlm/{name}/ask", {"id": "q3"})
    client.publish(f"iotlm/{name}/ask", {"id": "q4", "text": "unlock the front door", "yes": True})  # names nobody
    assert eventually(lambda: len(replies) == 4)
    by_id = {r.get("id"): r for r in replies}
    assert by_id["q1"]["reply"] == "The kitchen light is now on." and by_id["q1"]["topic"] == f"iotlm/{name}/reply/alice/q1"
    assert by_id["q1"]["actions"] == [{"device_id": "kitchen.light", "attribute": "state", "value": "on", "status": "done"}]
    assert by_id[None]["error"].startswith("the request is not valid JSON")
    assert by_id["q3"]["error"].startswith("text is missing") and by_id["q3"]["topic"] == f"iotlm/{name}/anonymous/reply/q3"
    assert by_id["q4"]["refused"] == [{"text": "unlock the front door",
                                       "reason": "anonymous (guest) may not do that: unlock on type:lock"}]
    assert stack.sim.state("hallway.front_door")["state"] == "locked"
    service.stop()
    agent.close()
    client.stop()


def test_what_the_fast_path_cannot_read_goes_to_the_model_with_a_rule_grammar(home: Home) -> None:
    from iotlm.agent.llm.planner import LLMPlanner
    from tests.fakes import ScriptedModel

    parser = Parser(home.devices)
    model = ScriptedModel(lambda prompt: ("bedroom.climate.humidity above 70", 0.8))
    compiled = compile_rule("when the bedroom feels muggy, turn on the bedroom fan", parser, planner=LLMPlanner(model))
    t = compiled.rule.trigger
    assert (t.device, t.attribute, t.above) == ("bedroom.climate", "humidity", 70)
    assert compiled.notes == ['"the bedroom feels muggy" was read by the language model as: bedroom.climate.humidity above 70']
    grammar = model.grammars[0] or ""
    assert '"bedroom.climate.humidity "' in grammar and "kitchen" not in grammar  # only the bedroom's readings
    # unsure, or pointing at nothing the words name: the fast path's explanation stands
    unsure = LLMPlanner(ScriptedModel(lambda prompt: ("bedroom.climate.humidity above 70", 0.1)))
    with pytest.raises(RuleSyntaxError, match="names no device I know"):
        compile_rule("when the bedroom feels muggy, turn on the bedroom fan", parser, planner=unsure)
    vague = LLMPlanner(ScriptedModel(lambda prompt: ("hallway.motion.occupancy becomes true", 0.9)))
    with pytest.raises(RuleSyntaxError, match="names no device I know"):
        compile_rule("when it gets spooky, turn on the hallway light", parser, planner=vague)
