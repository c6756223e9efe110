"""Scheduling from chat: time anchors, event anchors and finishing together, as one-shot jobs in the rules store that
the rule engine runs on the same (accelerated) clock as the agent and the simulated appliances."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from iotlm.agent.session import Agent
from iotlm.agent.understand.parser import Parser
from iotlm.automations.engine import RuleEngine
from iotlm.automations.jobs.reader import ScheduleReader, sun_time
from iotlm.automations.model import Rule
from iotlm.automations.store import RuleStore
from iotlm.automations.timewords import spoken
from iotlm.device_drivers.clock import WALL, SimClock, local_zone
from iotlm.device_drivers.home import Home, load_home
from iotlm.device_drivers.simulator.appliances import Programmes
from iotlm.device_drivers.transport import Transport
from iotlm.memory.store import MemoryStore
from iotlm.policies.config import PolicyConfig
from tests.agent.test_agent import runtime_for
from tests.conftest import ROOT, Stack, eventually, make_stack, run_cli

HOME_FILE = ROOT / "tests" / "bench" / "schedule" / "home.json"
START = datetime(2026, 12, 2, 15, 0).astimezone()
SPEED = 600.0  # ten simulated minutes a real second


@pytest.fixture
def home() -> Home:
    return load_home(HOME_FILE)


@pytest.fixture
def clock() -> SimClock:
    return SimClock(START, speed=SPEED)


@pytest.fixture
def stack(home: Home, transport: Transport, sim_transport: Transport, prefix: str, tmp_path: Path, clock: SimClock) -> Iterator[Stack]:
    config = PolicyConfig(users={"owner": "admin", "kim": "guest"})
    s = make_stack(home, transport, sim_transport, prefix, tmp_path / "iotlm.db", config=config, clock=clock)
    yield s
    s.audit.close()


@pytest.fixture
def agent(stack: Stack, tmp_path: Path) -> Iterator[Agent]:
    runtime = runtime_for(stack, tmp_path)
    runtime.policy_config = stack.config
    runtime.store = MemoryStore(tmp_path / "iotlm.db")
    a = Agent(runtime, ranker=False)
    yield a
    a.close()


def engine(stack: Stack, tmp_path: Path, clock: SimClock, **kwargs: Any) -> RuleEngine:
    e = RuleEngine(stack.conn.registry, stack.executor, RuleStore(tmp_path / "rules.db"), user_for=stack.config.user,
                   clock=clock, **kwargs)
    e.load(e.store.rules())
    return e.start()


def state(stack: Stack, device_id: str) -> dict[str, Any]:
    return stack.sim.state(device_id)


READER = ScheduleReader(Parser(load_home(HOME_FILE).devices), START, latitude=51.5, longitude=-0.12)


@pytest.mark.parametrize(("said", "due_min", "actions"), [
    ("in 10 minutes turn off the kitchen light", 10, [{"device": "kitchen.light", "set": {"state": "off"}}]),
    ("turn on the bedroom fan at 7:30 pm", 270, [{"device": "bedroom.fan", "set": {"state": "on"}}]),
    ("at 7 turn on the bedroom fan", 240, [{"device": "bedroom.fan", "set": {"state": "on"}}]),  # 19:00, not 07:00 tomorrow
    ("tomorrow at 7 open the bedroom curtains", 16 * 60, [{"device": "bedroom.curtains", "set": {"state": "open"}}]),
    ("turn on the hallway light in 5 minutes, 8 minutes after that dim it to 20", 5,
     [{"device": "hallway.light", "set": {"state": "on"}}, {"device": "hallway.light", "set": {"brightness": 20}, "after": 480.0}]),
    ("in 20 minutes turn on the bedroom fan for 10 minutes, then put it back", 20,
     [{"device": "bedroom.fan", "set": {"state": "on"}, "for": 600.0}]),
    ("in half an hour turn off the office desk lamp and turn on the hallway light", 30,
     [{"device": "office.desk_lamp", "set": {"state": "off"}}, {"device": "hallway.light", "set": {"state": "on"}}]),
])
def test_time_anchors(said: str, due_min: int, actions: list[dict[str, Any]]) -> None:
    draft = READER.read(said)
    assert draft is not None and draft.job is not None, draft
    assert datetime.fromisoformat(draft.job["when"]["due"]) == START + timedelta(minutes=due_min)
    assert draft.job["do"] == actions and draft.job["kind"] == "job"


@pytest.mark.parametrize(("said", "why"), [
    ("at 7 am today turn on the bedroom fan", "07:00 today has already passed"),
    ("turn on the fan 10 minutes ago", "already in the past"),
    ("in 10 minutes turn on the kitchen light and turn off the kitchen light", "at the same moment"),
    ("once the washer is done, start the dryer", "the washer is not running"),
    ("start the dryer so it finishes when the dishwasher does", "cannot finish when the dishwasher does"),
    ("when the bedroom is below 20 degrees turn on the radiator", "already 19.5 °C"),
    ("in 10 minutes turn on the jacuzzi", "jacuzzi"),
    # "put it back" needs a "for" to say when; it was dropped without a word
    ("in 5 minutes turn on the bedroom fan, then put it back", "say for how long"),
])
def test_what_cannot_be_scheduled_says_why(said: str, why: str) -> None:
    draft = READER.read(said)
    assert draft is not None and draft.job is None
    assert why in (draft.refusal or draft.clarify or "")


def test_event_anchors_and_finishing_together() -> None:
    after = READER.read("20 minutes after the dishwasher finishes, start the dryer")
    assert after is not None and after.job is not None
    assert after.job["when"] == {"device": "kitchen.dishwasher", "attribute": "operational_state", "to": "complete"}
    assert after.job["do"] == [{"device": "bathroom.dryer", "set": {"state": "on"}, "after": 1200.0}]
    together = READER.read("start the washer so it finishes when the dishwasher does")
    assert together is not None and together.job is not None
    # the dishwasher has 40 min left; cotton takes 90, so the 30-minute quick programme, started in 10 minutes
    assert datetime.fromisoformat(together.job["when"]["due"]) == START + timedelta(minutes=10)
    assert together.job["do"] == [{"device": "bathroom.washer", "set": {"programme": "quick", "state": "on"}}]
    assert "quick programme" in together.says
    by = READER.read("start the washer so it finishes by 18:00")
    assert by is not None and by.job is not None and datetime.fromisoformat(by.job["when"]["due"]) == START + timedelta(minutes=90)


@pytest.mark.parametrize(("said", "written"), [
    ("in twenty five minutes turn on the lamp", "in 25 minutes turn on the lamp"),
    ("in a quarter of an hour", "in 15 minutes"), ("in three quarters of an hour", "in 45 minutes"),
    ("fifteen minutes from now turn on x", "in 15 minutes turn on x"),
    ("at half past nine close the curtains", "at 9:30 close the curtains"), ("at quarter to eight", "at 7:45"),
    ("at ten past six pm", "at 6:10 pm"), ("at twenty to 5", "at 4:40"), ("make coffee at three", "make coffee at 3"),
    ("at five fifty nine am", "at 5:59 am"), ("between ten and eleven", "between 10 and 11"),
    ("turn on light two", "turn on light two"),  # a name keeps its words
])
def test_times_said_in_words_read_as_digits(said: str, written: str) -> None:
    assert spoken(said) == written


@pytest.mark.parametrize(("said", "due_min", "actions"), [
    ("turn the kitchen light on at four", 60, [{"device": "kitchen.light", "set": {"state": "on"}}]),  # a time, not a value
    ("at quarter to four turn on the desk lamp", 45, [{"device": "office.desk_lamp", "set": {"state": "on"}}]),
    ("in a quarter of an hour turn on the bedroom fan", 15, [{"device": "bedroom.fan", "set": {"state": "on"}}]),
    ("in 3 minutes turn on AC 1 and in 8 minutes turn on AC 2", 3,  # "AC 2" is a name, and its own step
     [{"device": "living_room.ac_1", "set": {"state": "on"}}, {"device": "bedroom.ac_2", "set": {"state": "on"}, "after": 300.0}]),
    ("in 2 minutes turn on the kitchen light, 6 minutes after the previous action turn on the bedroom light", 2,
     [{"device": "kitchen.light", "set": {"state": "on"}}, {"device": "bedroom.light", "set": {"state": "on"}, "after": 360.0}]),
    ("4 minutes from now open the bedroom curtains, 9 minutes from now turn on the bedroom fan", 4,
     [{"device": "bedroom.curtains", "set": {"state": "open"}}, {"device": "bedroom.fan", "set": {"state": "on"}, "after": 300.0}]),
    ("10 minutes before the dishwasher finishes, turn on the kitchen light", 30,  # it has 40 min left
     [{"device": "kitchen.light", "set": {"state": "on"}}]),
    ("at 15:10, which is 10 minutes from now, turn on the kitchen light", 10, [{"device": "kitchen.light", "set": {"state": "on"}}]),
    ("at 15:30, 10 minutes before the dishwasher finishes, turn on the desk lamp", 30,
     [{"device": "office.desk_lamp", "set": {"state": "on"}}]),
])
def test_every_way_people_say_when(said: str, due_min: int, actions: list[dict[str, Any]]) -> None:
    draft = READER.read(said)
    assert draft is not None and draft.job is not None, draft
    assert datetime.fromisoformat(draft.job["when"]["due"]) == START + timedelta(minutes=due_min)
    assert draft.job["do"] == actions


def test_a_bare_number_after_at_is_a_value_only_where_the_words_set_one() -> None:
    draft = READER.read("set the bedroom fan at 3")
    assert draft is None  # for now: the fan's speed, not three o'clock


@pytest.mark.parametrize(("said", "why"), [
    ("at 15:20, which is 10 minutes from now, turn on the hallway light", "in 10 minutes is 15:10, not 15:20"),
    ("at 15:15, which is 20 minutes before the dishwasher finishes, turn on the bedroom fan",
     "the dishwasher finishes at 15:40, so 20 minutes before is 15:20, not 15:15"),
    ("at 15:10, 20 minutes before the dishwasher finishes, turn on the desk lamp",
     "the dishwasher finishes at 15:40, so 20 minutes before is 15:20, not 15:10"),
    ("in 10 minutes at 15:30 turn on the kitchen light", "15:10 is not 15:30"),
    ("50 minutes before the dishwasher finishes, turn on the kitchen light", "finishes at 15:40, so 50 minutes before is 14:50"),
    ("10 minutes before the washer finishes, turn on the hallway light", "the washer is not running"),
])
def test_conflicting_times_are_named_and_nothing_is_scheduled(said: str, why: str) -> None:
    draft = READER.read(said)
    assert draft is not None and draft.job is None
    assert why in (draft.refusal or draft.clarify or ""), draft


def test_after_an_event_wait_then_act() -> None:
    draft = READER.read("when the dishwasher finishes, wait 5 minutes, then turn on the bathroom light")
    assert draft is not None and draft.job is not None
    assert draft.job["when"] == {"device": "kitchen.dishwasher", "attribute": "operational_state", "to": "complete"}
    assert draft.job["do"] == [{"device": "bathroom.light", "set": {"state": "on"}, "after": 300.0}]


def test_a_request_that_repeats_is_offered_as_a_rule_and_an_hour_without_am_or_pm_is_asked() -> None:
    draft = READER.read("on weekdays at 7:30 open the bedroom curtains")
    assert draft is not None and draft.job is not None and draft.offer
    assert draft.job["kind"] == "rule" and draft.job["when"] == {"at": "07:30", "days": ["mon", "tue", "wed", "thu", "fri"]}
    assert draft.says == "That repeats, so it would be a rule: on weekdays at 07:30, set the bedroom curtains to open."
    ask = READER.read("every day at 7 turn on the kitchen light")
    assert ask is not None and ask.job is None and ask.clarify == '7 in the morning or in the evening? Say "at 7 am" or "at 7 pm"'


def test_an_offered_rule_is_added_only_on_a_yes(agent: Agent, stack: Stack, tmp_path: Path) -> None:
    first = agent.turn("every day at 6:30 pm turn on the hallway light", thread="r1")
    assert first.needs_confirmation and "Shall I add that rule?" in first.reply
    assert RuleStore(tmp_path / "rules.db").rules() == []
    done = agent.turn("yes", thread="r1")
    [rule] = RuleStore(tmp_path / "rules.db").rules()
    assert (rule.kind, rule.trigger.at, len(rule.trigger.days)) == ("rule", "18:30", 7) and rule.id in done.reply
    agent.turn("every day at 6:45 pm turn on the kitchen light", thread="r2")
    refused = agent.turn("no", thread="r2")
    assert "no rule" in refused.reply and len(RuleStore(tmp_path / "rules.db").rules()) == 1
    assert stack.sim.commands == []  # nothing acted now


def test_appliances_that_accept_it_pause_and_resume_and_one_that_cannot_says_so() -> None:
    parser = Parser(load_home(HOME_FILE).devices)
    [pause] = parser.parse("pause the washer").clauses[0].steps
    assert (pause.device_id, pause.attribute, pause.value) == ("bathroom.washer", "operational_state", "paused")
    [resume] = parser.parse("resume the dishwasher").clauses[0].steps
    assert (resume.attribute, resume.value) == ("operational_state", "running")
    dryer = parser.parse("pause the dryer").clauses[0]
    assert not dryer.steps and dryer.refusal == "the dryer can't be paused or resumed; it can only be switched on or off"
    later = READER.read("start the washer now and pause it when the dishwasher finishes")
    assert later is not None and later.job is not None and later.now == ["start the washer"]
    assert later.job["do"] == [{"device": "bathroom.washer", "set": {"operational_state": "paused"}}]
    assert later.says == "When the dishwasher finishes (in about 40 min), I'll pause the washer."


def test_an_option_alone_after_a_device_sets_that_device() -> None:
    """"turn AC 1 on, cooling, fan on high": the mode and the fan speed of AC 1, not the bedroom fan."""
    parser = Parser(load_home(HOME_FILE).devices)
    steps = [(s.device_id, s.attribute, s.value) for c in parser.parse("turn AC 1 on, cooling, fan on high").clauses
             for s in c.steps]
    assert steps == [("living_room.ac_1", "state", "on"), ("living_room.ac_1", "mode", "cool"),
                     ("living_room.ac_1", "fan_speed", "high")]
    both = [(s.attribute, s.value) for s in parser.parse("set AC 1 to cool with the fan on high").clauses[0].steps]
    assert both == [("mode", "cool"), ("fan_speed", "high")]  # one clause, two attributes: both, not the mode alone
    assert [(s.attribute, s.value) for s in parser.parse("turn on the tv").clauses[0].steps] == [("state", "on")]  # no source "tv"
    other = parser.parse("turn on the kitchen light, the fan on high").clauses[1]
    assert not other.steps and other.clarify == "Which fan do you mean: bathroom or bedroom?"  # not the light's


def test_when_an_appliance_has_minutes_left_and_steps_joined_by_semicolons() -> None:
    left = READER.read("when the dishwasher has 15 minutes left, turn on the kitchen light")
    assert left is not None and left.job is not None
    assert datetime.fromisoformat(left.job["when"]["due"]) == START + timedelta(minutes=25)
    chain = READER.read("2 minutes from now turn on the kitchen light; 4 minutes after that turn on the desk lamp; then "
                        "5 minutes later turn off the kitchen light")
    assert chain is not None and chain.job is not None
    assert [a.get("after", 0) for a in chain.job["do"]] == [0, 240.0, 540.0]


def test_between_two_times_is_done_at_the_first_and_put_back_at_the_second() -> None:
    window = READER.read("turn on the hallway light between 15:30 and 16:00")
    assert window is not None and window.job is not None
    assert datetime.fromisoformat(window.job["when"]["due"]) == START + timedelta(minutes=30)
    assert window.job["do"] == [{"device": "hallway.light", "set": {"state": "on"}, "for": 1800.0}]
    evening = READER.read("between ten and eleven turn on the kitchen light")  # said at 15:00: this evening
    assert evening is not None and evening.job is not None
    assert datetime.fromisoformat(evening.job["when"]["due"]) == START + timedelta(hours=7)
    assert READER.read("dim the hallway light from 10 to 5") is None  # values, not times
    assert READER.read("keep the bedroom radiator between 20 and 22 degrees") is None


def test_sunset_needs_the_location_and_comes_from_it() -> None:
    set_at = sun_time(date(2026, 12, 2), 51.5, -0.12, "set", UTC)
    rise_at = sun_time(date(2026, 12, 2), 51.5, -0.12, "rise", UTC)
    # London, 2 Dec 2026: sunrise about 07:48 and sunset about 15:53 UTC (whatever the machine's time zone)
    assert set_at is not None and abs((set_at - datetime(2026, 12, 2, 15, 53, tzinfo=UTC)).total_seconds()) < 300
    assert rise_at is not None and abs((rise_at - datetime(2026, 12, 2, 7, 48, tzinfo=UTC)).total_seconds()) < 300
    nowhere = ScheduleReader(Parser(load_home(HOME_FILE).devices), START)
    draft = nowhere.read("at sunset close the living room blinds")
    assert draft is not None and draft.refusal is not None and "latitude" in draft.refusal


def test_a_job_said_in_chat_runs_at_its_time_on_the_shared_clock(stack: Stack, agent: Agent, tmp_path: Path,
                                                                  clock: SimClock) -> None:
    assert state(stack, "kitchen.light")["state"] == "off"
    result = agent.turn("in 10 minutes turn on the kitchen light")
    assert result.scheduled and result.scheduled[0]["kind"] == "job" and not result.actions
    assert "10 min" in result.reply and state(stack, "kitchen.light")["state"] == "off"  # nothing now
    due = datetime.fromisoformat(result.scheduled[0]["due"])
    stack.sim.clock = clock  # commands are stamped on the shared clock as they arrive
    e = engine(stack, tmp_path, clock)
    try:
        assert eventually(lambda: state(stack, "kitchen.light")["state"] == "on", timeout=5)
        [command] = [c for c in stack.sim.commands if c.device_id == "kitchen.light"]
        assert command.at is not None and abs((command.at - due).total_seconds()) < 60
        assert [e["origin"] for e in stack.audit.entries() if e["device_id"] == "kitchen.light"][-1] == "rule"
        assert "Nothing is scheduled" in agent.turn("what's scheduled?").reply
    finally:
        e.stop()


def test_a_job_survives_a_restart_and_a_late_one_runs_or_is_dropped(stack: Stack, agent: Agent, tmp_path: Path,
                                                                    clock: SimClock) -> None:
    clock.pause()  # time stands still while the jobs are made and the engine starts: lateness is exact
    agent.turn("in 20 minutes turn on the kitchen light")
    agent.turn("in 30 minutes turn on the bedroom fan")
    # iotlm was not running for 25 simulated minutes (the jobs are in SQLite), then starts again
    clock.advance(25 * 60)
    e = engine(stack, tmp_path, clock, late_grace_s=10 * 60)
    assert eventually(lambda: state(stack, "kitchen.light")["state"] == "on")  # 5 min late: runs, with a note
    clock.resume()
    try:
        assert eventually(lambda: state(stack, "kitchen.light")["state"] == "on")  # 5 min late: runs, with a note
        assert eventually(lambda: state(stack, "bedroom.fan")["state"] == "on")  # on time
        notes = {r.actions[0].device: r.note for r in RuleStore(tmp_path / "rules.db").rules()}
        assert notes["kitchen.light"].startswith("ran 5 min late")
    finally:
        e.stop()
    agent.turn("in 10 minutes turn on the hallway light")
    clock.advance(60 * 60)  # down for an hour: far too late
    e = engine(stack, tmp_path, clock, late_grace_s=10 * 60)
    try:
        store = RuleStore(tmp_path / "rules.db")
        assert eventually(lambda: any(r.note.startswith("dropped") for r in store.rules()))
        assert state(stack, "hallway.light")["state"] == "off"
    finally:
        e.stop()


def test_a_job_on_a_lock_is_asked_about_when_it_is_made(stack: Stack, agent: Agent, tmp_path: Path, clock: SimClock) -> None:
    asked = agent.turn("in 5 minutes unlock the front door")
    assert asked.needs_confirmation and "schedule" in asked.reply.lower()
    assert not RuleStore(tmp_path / "rules.db").rules()  # nothing saved before the answer
    done = agent.turn("yes")
    assert done.scheduled
    [job] = RuleStore(tmp_path / "rules.db").rules()
    assert job.approved_risky and job.owner == "owner"
    e = engine(stack, tmp_path, clock)
    try:
        assert eventually(lambda: state(stack, "hallway.front_door")["state"] == "unlocked")
    finally:
        e.stop()


def test_a_guest_cannot_schedule_what_a_guest_may_not_do(agent: Agent, tmp_path: Path) -> None:
    result = agent.turn("in 5 minutes unlock the front door", user="kim")
    assert not result.scheduled and result.refused and "scheduled nothing" in result.refused[0]["reason"]
    assert not RuleStore(tmp_path / "rules.db").rules()


def test_what_is_scheduled_and_cancelling(agent: Agent, tmp_path: Path) -> None:
    agent.turn("20 minutes after the dishwasher finishes, start the dryer")
    agent.turn("at 7:30 pm turn on the bedroom fan")
    listed = agent.turn("what's scheduled?").reply
    assert "Scheduled (2)" in listed and "when the dishwasher finishes" in listed and "19:30" in listed
    cancelled = agent.turn("cancel the dryer plan")
    assert cancelled.reply.startswith("Cancelled 1 scheduled job") and "dryer" in cancelled.reply
    assert [r.actions[0].device for r in RuleStore(tmp_path / "rules.db").rules()] == ["bedroom.fan"]
    assert "no scheduled job" in agent.turn("cancel the oven plan").reply


def test_appliances_run_their_programme_and_an_event_job_follows(stack: Stack, agent: Agent, tmp_path: Path,
                                                                 clock: SimClock) -> None:
    stack.sim.clock = clock
    started = clock()
    programmes = Programmes(stack.sim, clock).start()
    agent.turn("10 minutes after the dishwasher finishes, start the dryer")
    e = engine(stack, tmp_path, clock)
    try:
        # 40 min left on the dishwasher: about 4 real seconds at 600x, then 10 more minutes
        assert eventually(lambda: state(stack, "kitchen.dishwasher")["operational_state"] == "complete", timeout=8)
        assert eventually(lambda: state(stack, "bathroom.dryer")["operational_state"] == "running", timeout=5)
        [command] = [c for c in stack.sim.commands if c.device_id == "bathroom.dryer"]
        # the dishwasher ends 40 simulated minutes after the programmes started; the dryer starts 10 minutes later
        assert command.at is not None and abs((command.at - started).total_seconds() - 50 * 60) < 90
        assert state(stack, "bathroom.dryer")["remaining_time"] in (120, 119)
    finally:
        e.stop()
        programmes.stop()


def test_rules_list_json_shows_jobs(agent: Agent, tmp_path: Path) -> None:
    agent.turn("in 10 minutes turn on the kitchen light")
    agent.turn("after the dishwasher finishes turn on the kitchen light")
    listed = run_cli("rules", "list", "--json", env={"IOTLM_HOME": str(tmp_path)})
    assert listed.returncode == 0, listed.stderr
    timed, event = sorted(json.loads(listed.stdout), key=lambda r: r["due"] is None)
    assert timed["kind"] == "job" and timed["status"] == "scheduled"
    due = datetime.fromisoformat(timed["due"])
    assert due.tzinfo is not None and timedelta(minutes=10) <= due - START < timedelta(minutes=20)  # the clock runs 600x
    assert timed["actions"] == [{"device": "kitchen.light", "values": {"state": "on"}, "after_s": 0.0, "for_s": None}]
    assert event["due"] is None and event["event"] == {"device": "kitchen.dishwasher", "attribute": "operational_state",
                                                       "to": "complete"}


def test_a_bad_due_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="due"):
        Rule.model_validate({"id": "x", "kind": "job", "when": {"due": "not a time"}, "do": [{"device": "a.b", "set": {"state": "on"}}]})


def test_an_event_without_a_command_asks_what_to_do_and_if_is_not_an_event() -> None:
    draft = READER.read("when the dishwasher finishes")
    assert draft is not None and draft.job is None and draft.clarify is not None
    assert draft.clarify.startswith("say what to do when the dishwasher finishes")
    assert READER.read("if the bedroom is above 24 degrees turn on the bedroom fan") is None  # a condition now, not later
    assert READER.read("when does the dishwasher finish?") is None  # a question
    assert READER.read("set the brightness of the kitchen light at 20") is None  # a value, not 20:00
    assert READER.read("what's the temperature in the living room right now") is None  # a question about now
    assert READER.read("turn on the tv now") is None  # a request for now


def test_now_and_later_in_one_request(stack: Stack, agent: Agent, tmp_path: Path, clock: SimClock) -> None:
    result = agent.turn("turn on the kitchen light now and turn it off in 10 minutes")
    assert result.actions == [{"device_id": "kitchen.light", "attribute": "state", "value": "on", "status": "done"}]
    [job] = RuleStore(tmp_path / "rules.db").rules()
    assert [a.model_dump(by_alias=True, exclude_defaults=True) for a in job.actions] == [
        {"device": "kitchen.light", "set": {"state": "off"}}]
    assert "turn the kitchen light off" in result.reply
    fan = agent.turn("turn on the bedroom fan for 10 minutes")  # now, and put back as it was in 10 minutes
    assert fan.actions and fan.actions[0]["device_id"] == "bedroom.fan" and fan.scheduled
    e = engine(stack, tmp_path, clock)
    try:
        assert eventually(lambda: state(stack, "kitchen.light")["state"] == "off" and state(stack, "bedroom.fan")["state"] == "off")
    finally:
        e.stop()


def test_two_jobs_for_one_device_asked_at_once_are_both_kept(agent: Agent, tmp_path: Path) -> None:
    agent.turn("in 10 minutes turn on the desk lamp")
    agent.turn("in 20 minutes turn off the desk lamp")  # within the same second, on the paused-free clock or not
    jobs = RuleStore(tmp_path / "rules.db").rules()
    assert sorted(a.set["state"] for j in jobs for a in j.actions) == ["off", "on"] and len({j.id for j in jobs}) == 2


def test_iotlm_chat_runs_the_jobs_said_in_it(stack: Stack, agent: Agent) -> None:
    """`iotlm chat` has no rule service of its own: a JobRunner picks up the jobs said in it (and only jobs)."""
    from iotlm.service import JobRunner

    runner = JobRunner(agent).start()
    try:
        agent.turn("in 5 minutes turn on the office desk lamp")  # saved after the runner started: picked up on reload
        assert eventually(lambda: state(stack, "office.desk_lamp")["state"] == "on", timeout=5)
        assert all(r.kind == "job" for r in runner.engine.rules())
    finally:
        runner.stop()


@pytest.fixture
def in_london() -> Iterator[None]:
    """The process in London's zone (the clocks go forward at 01:00 UTC on 29 March 2026), then back as it was."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/London"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_tomorrow_at_seven_stays_seven_across_summer_time(in_london: None) -> None:
    assert getattr(WALL().tzinfo, "key", None) == "Europe/London"  # the wall clock keeps the zone's rules
    reader = ScheduleReader(Parser(load_home(HOME_FILE).devices), datetime(2026, 3, 28, 20, 0))  # naive: local time
    draft = reader.read("tomorrow at 7 am turn on the kitchen light")
    assert draft is not None and draft.job is not None
    # 07:00 BST; one instant's offset (+00:00 on the 28th) made it 07:00 GMT, which is 08:00 on the clocks
    assert datetime.fromisoformat(draft.job["when"]["due"]) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_a_daily_rule_stays_at_its_time_across_summer_time(in_london: None, stack: Stack, tmp_path: Path) -> None:
    evening = datetime(2026, 3, 28, 20, 0, tzinfo=local_zone())
    e = engine(stack, tmp_path, SimClock(evening))
    try:
        e.load([Rule.model_validate({"id": "morning", "when": {"at": "07:00"},
                                     "do": [{"device": "kitchen.light", "set": {"state": "on"}}]})])
        assert e._schedule["morning"] == datetime(2026, 3, 29, 6, 0, tzinfo=UTC).timestamp()
    finally:
        e.stop()
