"""Situations: "I'm leaving", "good night", "I'm home", "movie time" as data; the user's file, plugins, and phrases
people teach."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy
import pytest

from iotlm.agent.context.conditions import RoomConditions
from iotlm.agent.context.situations import builtin, load_file, load_situations, taught
from iotlm.agent.session import Agent
from iotlm.agent.understand.index import HomeIndex
from iotlm.device_drivers.home import load_home
from iotlm.errors import SetupError
from iotlm.memory.store import MemoryStore
from iotlm.tools import hookspecs
from iotlm.tools.hookspecs import hookimpl
from tests.agent.test_agent import runtime_for
from tests.conftest import EXAMPLE_HOME, Stack

HOME = load_home(EXAMPLE_HOME)
INDEX = HomeIndex(HOME.devices)
CONDITIONS = RoomConditions(HOME.devices)


def test_the_built_in_situations_and_how_they_are_said() -> None:
    situations = load_situations()
    assert set(builtin()) == {"leaving", "good night", "home", "movie time", "everything off"}
    assert situations.match("turn off everything in the kitchen", INDEX) == ("everything off", "kitchen", None)
    assert situations.match("I'm leaving", INDEX) == ("leaving", None, None)
    assert situations.match("ok, I'm heading out now!", INDEX) == ("leaving", None, None)
    assert situations.match("it's movie time in the bedroom", INDEX) == ("movie time", "bedroom", None)
    assert situations.match("movie time in the cinema", INDEX) == ("movie time", None, "cinema")
    assert situations.match("I'm leaving the lights on for you", INDEX) is None  # only the whole sentence
    assert situations.match("turn off the kitchen light", INDEX) is None
    assert situations.match("movie time?", INDEX) is None  # a question never acts
    assert situations.match("I'm leaving?", INDEX) is None


def test_leaving_turns_off_what_is_on_locks_and_reports_open_windows() -> None:
    plan = load_situations().plan("leaving", INDEX, CONDITIONS, room=None, said_in=None)
    on = {d.id for d in HOME.devices if d.type == "light" and d.attributes["state"].value == "on"}
    acted = {(s.device_id, s.attribute, s.value) for s in plan.steps}
    assert {(i, "state", "off") for i in on} <= acted
    assert all(s.device_id in on or HOME.device(s.device_id).type in ("lock", "climate", "media_player", "cover")  # type: ignore[union-attr]
               for s in plan.steps)
    assert plan.notes[0] == "Leaving: I set the home for when nobody is in."


def test_movie_time_needs_a_tv_in_the_room_it_is_for() -> None:
    situations = load_situations()
    assert situations.plan("movie time", INDEX, CONDITIONS, room="kitchen", said_in=None).refusal == (
        "there is no TV in the kitchen, so I can't set up movie time")
    plan = situations.plan("movie time", INDEX, CONDITIONS, room=None, said_in=None)
    assert plan.refusal is None
    assert {s.device_id for s in plan.steps} <= {d.id for d in HOME.devices if d.room == "living room"}
    assert ("living_room.tv", "state", "on") in {(s.device_id, s.attribute, s.value) for s in plan.steps}


def test_the_users_file_replaces_or_adds_and_a_broken_one_is_named(tmp_path: Path) -> None:
    (tmp_path / "situations.yaml").write_text(
        "reading:\n  say: [reading time]\n  do:\n    - {kinds: [light], where: here, set: [{state: 'on', brightness: 80}, {state: 'on'}]}\n")
    situations = load_situations(tmp_path)
    assert {"reading", "leaving"} <= set(situations.situations)
    plan = situations.plan("reading", INDEX, CONDITIONS, room="bedroom", said_in=None)
    assert plan.steps and {s.device_id for s in plan.steps} <= {d.id for d in HOME.devices if d.room == "bedroom"}
    with pytest.raises(SetupError, match=r"situation 'bad', do.0.kinds: Field required"):
        load_file(tmp_path / "x.yaml", "bad:\n  say: [x]\n  do:\n    - {set: [{state: 'on'}]}\n")


class _Plugin:
    @hookimpl
    def register_situations(self, register: Any) -> None:
        register("party", {"say": ["party time"], "do": [{"kinds": ["light"], "set": [{"state": "on"}]}]})
        register("broken", {"say": "not a list"})


def test_a_plugin_adds_situations(caplog: pytest.LogCaptureFixture) -> None:
    pm = pluggy.PluginManager("iotlm")
    pm.add_hookspecs(hookspecs)
    pm.register(_Plugin(), name="partyplugin")
    situations = load_situations(None, pm)
    assert situations.match("party time", INDEX) == ("party", None, None)
    assert "broken" not in situations.situations and "plugin partyplugin: situation 'broken'" in caplog.text


def test_teaching_a_phrase() -> None:
    assert taught("Remember that when I say movie night, dim the lounge lights to 10%") == ("movie night", "dim the lounge lights to 10 percent")
    assert taught('when I say "bedtime story", turn on the bedroom light') == ("bedtime story", "turn on the bedroom light")
    assert taught("remember that I like it warm") is None


def test_a_taught_phrase_runs_what_it_was_taught_and_leaving_asks_before_locking(stack: Stack, tmp_path: Path) -> None:
    runtime = runtime_for(stack, tmp_path)
    runtime.store = MemoryStore(tmp_path / "iotlm.db")
    agent = Agent(runtime, ranker=False)
    told = agent.turn("remember that when I say nap time, turn off the kitchen light and turn on the hallway light")
    assert told.reply == ('OK: when you say "nap time", I\'ll turn off the kitchen light and turn on the hallway light. '
                          "(Only for you; an admin can share it with the household.)")
    stack.sim.reset()
    result = agent.turn("nap time")
    assert result.reply.startswith('("nap time" is your taught phrase: turn off the kitchen light and turn on the hallway light.)')
    assert {(a["device_id"], a["value"]) for a in result.actions} >= {("hallway.light", "on"), ("kitchen.light", "off")}, result.reply
    assert stack.sim.state("hallway.light")["state"] == "on"
    assert agent.turn("unlock the front door", yes=True).actions[0]["value"] == "unlocked"
    leaving = agent.turn("I'm leaving", thread="leave")
    assert leaving.needs_confirmation and "lock" in leaving.reply.lower()  # the front door lock is risky: asked first
    agent.close()
    runtime.store.close()


def test_leaving_reports_the_windows_left_open() -> None:
    home = load_home(Path(__file__).parents[1] / "bench" / "context" / "home1.json")
    window = home.device("bedroom.window")
    assert window is not None
    window.attributes["state"].value = "open"
    plan = load_situations().plan("leaving", HomeIndex(home.devices), RoomConditions(home.devices), room=None, said_in=None)
    assert "the bedroom Window is open; close it yourself if you like" in plan.notes
    assert "bedroom.window" not in {s.device_id for s in plan.steps}  # reported, never closed behind your back
