"""Issue 26 on the paths the case file cannot pin down: a model that proposes what it should not (obeying every word
it was not given), the reading's record in the turn and the audit log, and the rules' own pieces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from iotlm.agent.context.effects import DEFAULT_EFFECTS, push
from iotlm.agent.session import Agent
from iotlm.agent.understand.acts import is_statement, unread_time
from iotlm.agent.understand.coverage import cover
from iotlm.agent.understand.index import HomeIndex
from iotlm.device_drivers.home import Home
from tests.agent.test_agent import answer_with, runtime_for
from tests.conftest import Stack
from tests.fakes import ScriptedModel


@pytest.fixture
def agent_with(stack: Stack, tmp_path: Path) -> Iterator[object]:
    made: list[Agent] = []

    def build(plan: str) -> Agent:
        made.append(Agent(runtime_for(stack, tmp_path), model=answer_with(plan), ranker=False))
        return made[-1]

    yield build
    for a in made:
        a.close()


def test_a_value_the_words_do_not_say_is_asked_about_not_set(agent_with: object, stack: Stack) -> None:
    """Asked for the lights to go out in other words, the model turned the kitchen light pink: here, full."""
    agent = agent_with("kitchen.light.set_brightness(100)")  # type: ignore[operator]
    result = agent.turn("make the kitchen light go dark")
    assert result.actions == [] and "Did you mean: kitchen.light.brightness = 100?" in result.reply
    assert stack.sim.commands == []


def test_a_request_about_later_is_never_done_now_whatever_the_model_says(agent_with: object, stack: Stack) -> None:
    agent = agent_with("kitchen.coffee_machine.turn_on()")  # type: ignore[operator]
    # "at three" is read as a time: the model's reading of "make coffee" goes into a job for 15:00, never done now
    for said, asks in (("make coffee at three", "At 15:00 (in 3.0 h), I'll turn the coffee machine on."),
                       ("get the coffee going after lunch", "When should I do that?"),
                       ("switch the coffee machine on in a little while", "When should I do that?")):
        result = agent.turn(said, thread=said)
        assert result.actions == [] and result.reply.startswith(asks), (said, result.reply)
    assert stack.sim.commands == []


def test_a_statement_reaches_no_model_and_says_how_the_device_is(agent_with: object, stack: Stack) -> None:
    agent = agent_with("bedroom.light.turn_on()")  # type: ignore[operator]
    said = agent.turn("the kids left the bedroom light on", thread="s")
    assert said.reply == "OK, noted; I changed nothing. The bedroom light is off now." and said.tier == "fast"
    assert agent.turn("turn it on", thread="s").actions[0]["device_id"] == "bedroom.light"  # "it": the light it was about


def test_a_complaints_steps_stay_in_its_room_and_go_its_way_whichever_tier(stack: Stack, tmp_path: Path) -> None:
    """A complaint that the bathroom light was too bright switched the living room's heating and light; complaints of
    dry air turned a dehumidifier on. Here a model that plans every complaint the wrong way."""
    def wrong(prompt: str) -> tuple[str, float]:
        request = prompt.rsplit("Request:", 1)[-1]
        if "shivering" in request:
            return "bedroom.fan.turn_on()", 0.9
        return "living_room.floor_lamp.turn_on()", 0.9

    agent = Agent(runtime_for(stack, tmp_path), model=ScriptedModel(wrong), ranker=False)
    try:
        glary = agent.turn("the living room is way too glaring", thread="g")
        shivering = agent.turn("the bedroom has me shivering", thread="r")
    finally:
        agent.close()
    assert stack.sim.commands == []
    assert glary.refused == [{"text": "the living room is way too glaring", "reason": "I left the living room floor lamp "
                              "alone: by what I know of it, that would move it the wrong way (light level)"}]
    assert shivering.refused == [{"text": "the bedroom has me shivering", "reason": "I left the bedroom fan alone: by what "
                                  "I know of it, that would move it the wrong way (temperature)"}]


def test_the_reading_is_in_the_turn_and_the_audit_log(agent_with: object, stack: Stack) -> None:
    agent = agent_with("none")  # type: ignore[operator]
    result = agent.turn("please turn on the bathrom light")
    assert result.reply.startswith('(I read "bathrom" as "bathroom".)')
    assert result.reading == [{"clause": "turn on the bathroom light", "act": "command", "used": ["turn on", "bathroom", "light"],
                               "left": [], "corrected": ["bathrom -> bathroom"]}]
    entry = stack.audit.entries(1)[0]
    assert (entry["device_id"], entry["reading"]) == ("bathroom.light", {"used": ["turn on", "bathroom", "light"], "left": []})
    unread = agent.turn("turn on the kitchen light sideways", thread="u")
    assert unread.reading[0]["left"] == ["sideways"] and unread.tier == "llm" and stack.sim.commands[-1].device_id == "bathroom.light"


@pytest.mark.parametrize(("text", "statement"), [
    ("the kids left the bedroom light on", True), ("I turned the heating off earlier", True),
    ("the TV was loud last night", True), ("I should have closed the blinds", True), ("I wish I had locked the door", True),
    ("if the door were open we would know", True), ("yesterday the kitchen light flickered", True),
    ("turn the heating off", False), ("leave the light on", False), ("can the lights be changed to green", False),
    ("was the light on?", False), ("we're heading out", False), ("set the bedroom light to 20", False),
])
def test_statements(text: str, statement: bool) -> None:
    assert is_statement(text) is statement


@pytest.mark.parametrize(("text", "time"), [
    ("in a quarter of an hour turn on the light", "in a quarter of an hour"), ("at half past nine close the blinds", "half past"),
    ("make coffee at three", "at three"), ("tonight dim the lights", "tonight"), ("after lunch open the blinds", "after"),
    ("turn on the light at 7 pm", "7 pm"), ("set the fan at 3", "at 3"), ("turn on the light", None),
    ("dim the light to 30%", None), ("set the oven at 180 degrees", None), ("turn it on before the guests arrive", None),
])
def test_time_words(text: str, time: str | None) -> None:
    assert unread_time(text) == time


def test_a_value_set_at_a_bare_number_is_not_a_time() -> None:
    assert unread_time("set the fan at 3", bare_number_is_value=True) is None


def test_coverage_names_the_place_a_home_lacks(home: Home) -> None:
    index = HomeIndex(home.devices)
    kinds = tuple(p for p, _ in index.kind_phrases)
    rooms = tuple(index.rooms)
    assert cover("turn off the sunroom lights", tuple(index.names), kinds, rooms).place == "sunroom"
    assert cover("turn off the lights of the sunroom", tuple(index.names), kinds, rooms).place == "sunroom"
    found = cover("alexa please turn off the fan in the master bedroom", (*index.names, *index.rooms), kinds, rooms)
    assert found.left == () and "master" in found.used  # a word before a room the home has qualifies it


def test_the_effect_model_says_which_way_a_change_moves_a_condition(home: Home) -> None:
    index = HomeIndex(home.devices)
    devices = {d.id: d for d in home.devices}

    def way(device_id: str, change: dict[str, object], condition: str) -> int:
        return push(DEFAULT_EFFECTS, devices[device_id], index.device_kinds[device_id], change, condition)

    assert way("living_room.ceiling_light", {"brightness": 40}, "illuminance") < 0
    assert way("living_room.floor_lamp", {"state": "on", "brightness": 200}, "illuminance") > 0
    assert way("bedroom.radiator", {"target_temperature": 23}, "temperature") > 0
    assert way("bedroom.radiator", {"target_temperature": 17}, "temperature") < 0
    assert way("living_room.thermostat", {"mode": "heat"}, "illuminance") == 0
