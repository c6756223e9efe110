"""Grounding, on a home where every room has a "Light 1": questions never act, on any path; a room named beside a
device scopes it; a name several rooms share is asked about, never guessed; replies name the room of such a name.

The home is tests/bench/grounding/home1.json (5 rooms, 32 devices; a sensor per room for temperature, humidity,
light and PM10).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from iotlm.agent.session import Agent
from iotlm.config import load_settings
from iotlm.device_drivers.home import Home, load_home
from iotlm.device_drivers.transport import Transport
from iotlm.memory.history import HistoryRecorder
from iotlm.memory.memory import Memory
from iotlm.memory.store import MemoryStore
from iotlm.policies.config import PolicyConfig
from iotlm.runtime import Runtime
from tests.conftest import ROOT, Stack, make_stack
from tests.fakes import ScriptedModel, WordEmbedder

HOME = ROOT / "tests" / "bench" / "grounding" / "home1.json"

QUESTIONS = [
    "How bright is the lighting in the bathroom right now, is it pleasant?",
    "What is the maximum brightness that dimmer light 1 can reach?",
    "How bright is the lighting in the bedroom right now, it felt dim",
    "I was about to head into the living room and was wondering how warm it is",
    "I am thinking about doing some laundry and then a quick wash, how bright is it in the utility room",
    "is the kitchen light 1 on and is the office light 1 on too?",
    "could you tell me whether the heat pump is heating, I'm cold",
    "I wonder what the humidity is in the bedroom, it feels dry",
    "what's the air like in the office",
    "tell me how warm the kitchen is and how humid the bathroom is",
    "I'd love to know the temperature in the office right now",
    "what's the pm10 in the living room, the air feels stuffy",
    "Hey, is it dark in the bathroom?",
    "do you happen to know if the bedroom light 1 is still on? we're done for the night",
]


@pytest.fixture
def grounding_home() -> Home:
    return load_home(HOME)


@pytest.fixture
def gstack(grounding_home: Home, transport: Transport, sim_transport: Transport, prefix: str, tmp_path: Path) -> Iterator[Stack]:
    stack = make_stack(grounding_home, transport, sim_transport, prefix, tmp_path / "audit.db")
    yield stack
    stack.audit.close()


def _runtime(stack: Stack, tmp_path: Path, *, with_memory: bool = False) -> Runtime:
    settings = load_settings({"home": str(tmp_path)}, environ={})
    if not with_memory:
        return Runtime(settings, stack.conn, stack.executor.tools, PolicyConfig(), stack.audit, stack.executor)
    store = MemoryStore(tmp_path / "iotlm.db")
    rt = Runtime(settings, stack.conn, stack.executor.tools, PolicyConfig(), stack.audit, stack.executor, store,
                 HistoryRecorder(store, interval=0.05))
    rt._memory = Memory(store, WordEmbedder(), tmp_path)
    return rt


def _acting_model() -> ScriptedModel:
    """A model that always wants to act, sure of itself: only the structure around it can keep a question safe."""
    return ScriptedModel(lambda prompt: ("kitchen.light_1.turn_on(); bathroom.dryer.turn_off()", 0.99))


@pytest.mark.parametrize("path", ["fast path", "model", "preference"])
def test_a_question_never_changes_a_device_on_any_path(gstack: Stack, tmp_path: Path, path: str) -> None:
    runtime = _runtime(gstack, tmp_path, with_memory=path == "preference")
    model = _acting_model() if path != "fast path" else ScriptedModel(lambda p: ("none", 0.9))
    agent = Agent(runtime, model=model)
    if path == "preference":
        runtime.memory().add("I like the bedroom at 19 degrees and the lights on in the evening", kind="preference",  # type: ignore[union-attr]
                             user="owner")
    before = gstack.sim.states() if hasattr(gstack.sim, "states") else None
    for question in QUESTIONS:
        result = agent.turn(question)
        assert result.actions == [], (question, result.reply)
    agent.close()
    asked = [prompt.rsplit("Request: ", 1)[-1] for prompt in model.prompts]
    assert not [a for a in asked if re.search(r"\b(how|what|whether|wonder|is the|tell me)\b", a)], asked  # no question
    assert gstack.sim.commands == []
    if before is not None:
        assert gstack.sim.states() == before


def test_a_room_named_beside_a_repeated_name_scopes_it(gstack: Stack, tmp_path: Path) -> None:
    agent = Agent(_runtime(gstack, tmp_path), model=_acting_model())
    for text in ("turn on the kitchen light 1", "turn on light 1 in the kitchen"):
        result = agent.turn(text)
        assert [a["device_id"] for a in result.to_json()["actions"]] == ["kitchen.light_1"], (text, result.reply)
        agent.turn("turn off the kitchen light 1")
    agent.close()
    assert {c.device_id for c in gstack.sim.commands} == {"kitchen.light_1"}


@pytest.mark.parametrize("text", ["turn on light 1", "switch light 1 off please", "turn on the garage light 1"])
def test_a_name_several_rooms_share_is_asked_about_never_guessed(gstack: Stack, tmp_path: Path, text: str) -> None:
    agent = Agent(_runtime(gstack, tmp_path), model=_acting_model())
    result = agent.turn(text)
    agent.close()
    assert result.actions == []
    assert "Which Light 1 do you mean: the one in the bathroom, bedroom, kitchen, living room or office?" in result.reply
    assert gstack.sim.commands == []


def test_a_name_said_in_a_room_means_that_rooms_one(gstack: Stack, tmp_path: Path) -> None:
    agent = Agent(_runtime(gstack, tmp_path), model=_acting_model())
    result = agent.turn("turn on light 1", room="office")
    agent.close()
    assert [a["device_id"] for a in result.to_json()["actions"]] == ["office.light_1"]


def test_a_device_the_named_room_lacks_is_refused_and_nothing_else_changes(gstack: Stack, grounding_home: Home,
                                                                            tmp_path: Path) -> None:
    lacking = next(r for r in sorted({d.room or "" for d in grounding_home.devices})
                   if not any(d.room == r and d.name == "Dimmer Light 1" for d in grounding_home.devices))
    agent = Agent(_runtime(gstack, tmp_path), model=_acting_model())
    result = agent.turn(f"turn off the dimmer light 1 in the {lacking}")
    agent.close()
    assert result.actions == [] and result.refused
    assert result.refused[0]["reason"].startswith(f"the {lacking} has no Dimmer Light 1; it has: ")
    assert gstack.sim.commands == []


def test_replies_name_the_room_of_a_repeated_name(gstack: Stack, tmp_path: Path) -> None:
    agent = Agent(_runtime(gstack, tmp_path), model=_acting_model())
    reply = agent.turn("is the kitchen light 1 on and is the office light 1 on too?").reply
    on = {d["id"]: d["attributes"]["state"]["value"] for d in json.loads(HOME.read_text())["devices"] if d["name"] == "Light 1"}
    assert reply == f"The kitchen Light 1 is {on['kitchen.light_1']}. The office Light 1 is {on['office.light_1']}."
    heat = agent.turn("is the heat pump on?").reply  # a name only one device has: as before
    agent.close()
    assert heat == "The Heat Pump is on."


def test_questions_about_a_room_are_answered_from_what_measures_it(gstack: Stack, tmp_path: Path) -> None:
    agent = Agent(_runtime(gstack, tmp_path), model=_acting_model())
    warm = agent.turn("I was about to head into the living room and was wondering how warm it is").reply
    bright = agent.turn("How bright is the lighting in the bathroom right now?").reply
    agent.close()
    home = {d["id"]: d for d in json.loads(HOME.read_text())["devices"]}
    temperature = home["living_room.climate_sensor"]["attributes"]["temperature"]["value"]
    lux = home["bathroom.light_sensor"]["attributes"]["illuminance"]["value"]
    # the room's own reading, with its unit and a judgement (not the heat pump's setpoint, not a dimmer's level)
    assert warm.startswith(f"The living room is {_n(temperature)} °C, "), warm
    assert re.match(rf"The light level in the bathroom is {_n(lux)} lx, (too dim|comfortable|too bright) \(", bright), bright


@pytest.mark.parametrize(("text", "acted", "reply"), [
    ("The bathroom is so dry", [], "I can't do that: nothing in the bathroom can raise its humidity; it has: "),
    ("it's really stuffy in the office", [], "I can't do that: nothing in the office can freshen its air; it has: "),
    ("the bedroom feels damp today", [], None),  # "damp" is not a typo of "lamp"; only a humidifier may be chosen
    ("The living room is a bit too warm", ["living_room.heat_pump"], None),  # the fast path: the room's heat pump
])
def test_a_goal_acts_only_through_what_serves_it_in_its_room(gstack: Stack, tmp_path: Path, text: str, acted: list[str],
                                                           reply: str | None) -> None:
    model = ScriptedModel(lambda prompt: ("kitchen.light_1.turn_on(); bathroom.dryer.turn_off(); bedroom.light_1.turn_on()", 0.99))
    agent = Agent(_runtime(gstack, tmp_path), model=model)
    result = agent.turn(text)
    agent.close()
    assert sorted({c.device_id for c in gstack.sim.commands}) == acted, result.reply
    if reply is not None:
        assert reply in result.reply
    for prompt in model.prompts:  # whatever reached the model serves the goal: no light, no dryer
        assert "kitchen.light_1" not in prompt and "bathroom.dryer" not in prompt and "bedroom.light_1 =" not in prompt


def test_air_quality_and_darkness_questions_read_the_rooms_sensors(gstack: Stack, tmp_path: Path) -> None:
    agent = Agent(_runtime(gstack, tmp_path), model=_acting_model())
    air = agent.turn("what is the air like in the office?").reply
    dark = agent.turn("is it dark in the bathroom?").reply
    agent.close()
    home = {d["id"]: d for d in json.loads(HOME.read_text())["devices"]}
    pm10 = home["office.air_sensor"]["attributes"]["pm10"]["value"]
    lux = home["bathroom.light_sensor"]["attributes"]["illuminance"]["value"]
    assert air.startswith(f"The PM10 in the office is {_n(pm10)} µg/m³, "), air
    assert dark.startswith(f"The light level in the bathroom is {_n(lux)} lx, "), dark
    assert gstack.sim.commands == []


def _n(value: float) -> str:
    """A reading as replies say it: 27.0 is "27"."""
    return str(int(value)) if float(value).is_integer() else str(value)
