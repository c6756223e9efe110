"""Goals from complaints, the effect model, and the plans the goal planner makes from the readings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pluggy
import pytest

from iotlm.agent.context.complaints import daylight
from iotlm.agent.context.conditions import RoomConditions
from iotlm.agent.context.effects import DEFAULT_EFFECTS, Effect, load_effects, working_steps
from iotlm.agent.context.goals import Goal, plan_goal, read_goal
from iotlm.agent.understand.index import HomeIndex
from iotlm.device_drivers.model import Device
from iotlm.tools import hookspecs
from iotlm.tools.hookspecs import hookimpl


@pytest.mark.parametrize(("text", "goal"), [
    ("the utility room must be too warm", ("temperature", "down")),
    ("it stuffy in here", ("stuffy", "down")),
    ("i can barely see in the bathroom", ("illuminance", "up")),
    ("the kitchen air feels dry", ("humidity", "up")),
    ("it dusty in the bedroom", ("dusty", "down")),
    ("it not warm enough in the office", ("temperature", "up")),  # "not X enough" turns it round
    ("the bathroom is so damp", ("humidity", "down")),
    ("turn on the light", None),
])
def test_a_complaint_names_a_condition_and_a_direction(text: str, goal: tuple[str, str] | None) -> None:
    assert read_goal(text) == goal


def _dev(id_: str, type_: str, name: str, **attrs: Any) -> Device:
    return Device.model_validate({"id": id_, "name": name, "room": id_.split(".")[0].replace("_", " "), "type": type_,
                                  "attributes": attrs})


ON_OFF = {"options": ["on", "off"]}


def _ac(state: str = "off", mode: str = "heat", setpoint: float = 24, fan: int = 0) -> Device:
    return _dev("utility_room.ac", "climate", "Air Conditioner 1", state={"value": state, **ON_OFF},
                mode={"value": mode, "options": ["cool", "heat", "dry", "auto"]},
                temperature={"value": setpoint, "min": 16, "max": 30, "step": 0.5}, fan_speed={"value": fan, "min": 0, "max": 100})


SENSOR = _dev("utility_room.sensor", "sensor", "Climate Sensor", temperature={"value": 29.5, "writable": False, "unit": "°C"},
              humidity={"value": 30, "writable": False, "unit": "%"})


def _plan(devices: list[Device], goal: Goal, *, daylight: bool = True, text: str = "",
          effects: tuple[Effect, ...] = DEFAULT_EFFECTS) -> Any:
    index = HomeIndex(devices)
    return plan_goal(goal, index, RoomConditions(devices), effects, daylight=daylight, text=text)


def test_an_ac_cools_only_when_on_in_cool_mode_below_the_room_with_its_fan_running() -> None:
    plan = _plan([SENSOR, _ac()], Goal("utility room", "temperature", "down"))
    steps = {s.attribute: s.value for s in plan.steps}
    assert steps["state"] == "on" and steps["mode"] == "cool" and steps["fan_speed"] == 50
    assert "temperature" not in steps  # 24 is already below the room's 29.5 and inside the comfort band
    assert plan.reading == "the utility room is 29.5 °C, too warm (comfortable: 20-24 °C)"
    hot = _plan([SENSOR, _ac(setpoint=30)], Goal("utility room", "temperature", "down"))
    assert {s.attribute: s.value for s in hot.steps}["temperature"] == 24  # toward the band, never an extreme like 16


def test_an_ac_already_cooling_goes_a_notch_further_and_at_its_limit_the_reply_says_so() -> None:
    working = _plan([SENSOR, _ac("on", "cool", 24, 50)], Goal("utility room", "temperature", "down"))
    assert [(s.attribute, s.value) for s in working.steps] == [("temperature", 22)]
    limit = _plan([SENSOR, _ac("on", "cool", 16, 100)], Goal("utility room", "temperature", "down"))
    assert limit.steps == [] and limit.refusal is not None
    assert limit.refusal.startswith("nothing more can cool the utility room: the Air Conditioner 1 (state on, mode cool")


def test_what_cannot_serve_a_goal_is_never_touched_and_the_room_is_named() -> None:
    light = _dev("utility_room.light", "light", "Light 1", state={"value": "off", **ON_OFF})
    dryer = _dev("utility_room.dryer", "appliance", "Dryer 1", state={"value": "on", **ON_OFF})
    plan = _plan([SENSOR, light, dryer], Goal("utility room", "humidity", "up"))
    assert plan.steps == []
    assert plan.refusal == "nothing in the utility room can raise its humidity; it has: Climate Sensor, Dryer 1, Light 1"


def test_daylight_is_the_sun_where_the_home_is_set_and_the_day_clock_otherwise() -> None:
    lamp = _dev("office.lamp", "light", "Lamp", state={"value": "off", **ON_OFF}, brightness={"value": 50, "min": 0, "max": 100})
    conditions = RoomConditions([lamp])
    december_five_pm = datetime(2026, 12, 21, 17, 0, tzinfo=UTC)  # London: the sun set at 15:53
    june_eight_pm = datetime(2026, 6, 21, 19, 0, tzinfo=UTC)  # 20:00 BST; the sun sets at 21:21
    assert daylight(conditions, december_five_pm.replace(tzinfo=None)) is True  # no place: 07:00-19:00
    assert daylight(conditions, december_five_pm, 51.5, -0.13) is False
    assert daylight(conditions, june_eight_pm.replace(tzinfo=None), None, None) is False
    assert daylight(conditions, june_eight_pm, 51.5, -0.13) is True


def test_blinds_let_daylight_in_only_by_day_and_the_words_choose_them() -> None:
    blinds = _dev("office.blinds", "cover", "Blinds", state={"value": "closed", "options": ["open", "closed"]},
                  position={"value": 0, "min": 0, "max": 100})
    lamp = _dev("office.lamp", "light", "Lamp", state={"value": "off", **ON_OFF}, brightness={"value": 50, "min": 0, "max": 100})
    goal = Goal("office", "illuminance", "up")
    assert [s.device_id for s in _plan([blinds, lamp], goal).steps] == ["office.blinds", "office.blinds"]
    assert [s.device_id for s in _plan([blinds, lamp], goal, daylight=False).steps] == ["office.lamp", "office.lamp"]
    alone = _plan([blinds], goal, daylight=False)
    assert alone.refusal is not None and alone.refusal.startswith("it is dark outside, so opening the Blinds would not")
    darker = Goal("office", "illuminance", "down")
    lit = _dev("office.lamp", "light", "Lamp", state={"value": "on", **ON_OFF}, brightness={"value": 50, "min": 0, "max": 100})
    opened = _dev("office.blinds", "cover", "Blinds", state={"value": "open", "options": ["open", "closed"]},
                  position={"value": 100, "min": 0, "max": 100})
    assert [s.device_id for s in _plan([opened, lit], darker).steps] == ["office.lamp"]  # dim the lamp first
    assert [s.device_id for s in _plan([opened, lit], darker, text="the sun is in my eyes").steps] == ["office.blinds"]


def test_levels_that_matter_and_limits() -> None:
    humidifier = _dev("bedroom.humidifier", "humidifier", "Humidifier", state={"value": "off", **ON_OFF},
                      intensity={"value": 1, "min": 1, "max": 5})
    effect = next(e for e in DEFAULT_EFFECTS if e.condition == "humidity" and e.direction == "up")
    assert [(c.attribute, c.value) for c in working_steps(effect, humidifier, reading=30, band=(40, 60))] == [("state", "on"), ("intensity", 3)]
    maxed = _dev("bedroom.humidifier", "humidifier", "Humidifier", state={"value": "on", **ON_OFF},
                 intensity={"value": 5, "min": 1, "max": 5})
    assert working_steps(effect, maxed, reading=30, band=(40, 60)) == []
    fan = _dev("bedroom.fan", "fan", "Fan", state={"value": "off", **ON_OFF}, speed={"value": "low", "options": ["low", "medium", "high"]})
    cool = next(e for e in DEFAULT_EFFECTS if e.condition == "temperature" and "fan" in e.kinds)
    assert [(c.attribute, c.value) for c in working_steps(cool, fan, reading=27, band=(20, 24))] == [("state", "on"), ("speed", "medium")]
    dehumidifier = _dev("bedroom.dehumidifier", "humidifier", "Dehumidifier", state={"value": "off", **ON_OFF})
    assert _plan([dehumidifier], Goal("bedroom", "humidity", "up")).steps == []  # a dehumidifier never humidifies


class _SaunaPlugin:
    @hookimpl
    def register_effects(self, register: Any) -> None:
        register(Effect("temperature", "up", frozenset({"sauna stove"}), level=("heat",)))
        register("not an effect")


def test_a_plugin_adds_effects_for_its_own_device_kinds(caplog: pytest.LogCaptureFixture) -> None:
    pm = pluggy.PluginManager("iotlm")
    pm.add_hookspecs(hookspecs)
    pm.register(_SaunaPlugin(), name="sauna")
    effects = load_effects(pm)
    assert len(effects) == len(DEFAULT_EFFECTS) + 1
    assert "plugin sauna registered 'not an effect', which is not an Effect" in caplog.text
    stove = _dev("sauna.stove", "other", "Sauna Stove", heat={"value": 2, "min": 0, "max": 10})
    index = HomeIndex([stove])
    index.device_kinds["sauna.stove"] = {"sauna stove"}
    plan = plan_goal(Goal("sauna", "temperature", "up"), index, RoomConditions([stove]), effects, daylight=True)
    assert [(s.device_id, s.attribute, s.value) for s in plan.steps] == [("sauna.stove", "heat", 5)]
