"""Home Assistant's templates as a tier of the parser: exact matches over the home's own names, grounded by the home."""

from __future__ import annotations

from pathlib import Path

import pytest

from iotlm.agent.understand.learned import LearnedReader
from iotlm.agent.understand.parser import Parser
from iotlm.bench import ha_sentences
from iotlm.device_drivers.home import load_home
from tests.conftest import EXAMPLE_HOME

HA_HOME = Path(__file__).resolve().parents[1] / "bench" / "devicemodel" / "ha_home.json"


@pytest.fixture(scope="module")
def flat() -> Parser:
    return Parser(load_home(EXAMPLE_HOME).devices)


@pytest.fixture(scope="module")
def ha() -> Parser:
    return Parser(load_home(HA_HOME).devices)


def acts(parser: Parser, text: str, room: str | None = None) -> list[tuple[str | None, object]]:
    return [(s.device_id, s.value) for c in parser.parse(text, room=room).clauses for s in c.steps]


def test_a_template_reads_what_the_rules_misread(ha: Parser) -> None:
    # "light out" is Home Assistant's "off"; the rules alone read "light" as a verb of switching on
    assert acts(ha, "light out on the bathroom") == [("bathroom.light", "off")]
    ha_rules = Parser(load_home(HA_HOME).devices)
    ha_rules.readers = []
    assert acts(ha_rules, "light out on the bathroom") == [("bathroom.light", "on")]


def test_the_template_reading_says_what_it_used(ha: Parser) -> None:
    clause = ha.parse("light out on the bathroom").clauses[0]
    assert clause.steps[0].reading["by"] == ["templates"]
    assert clause.used == ("HassTurnOff", "bathroom")


def test_where_rules_and_template_agree_the_rules_reading_stays(flat: Parser) -> None:
    clause = flat.parse("turn on the kitchen light").clauses[0]
    assert [(s.device_id, s.value) for s in clause.steps] == [("kitchen.light", "on")]
    assert "by" not in clause.steps[0].reading and clause.used == ("turn on", "kitchen", "light")


@pytest.mark.parametrize("text", [
    "turn on the jacuzzi",  # no such device: no template matches a name the home lacks
    "turn on the lights in the attic",  # no such room
    "don't turn on the kitchen light",  # a negation is no template's
    "set a timer for 5 minutes",  # an intent iotlm has no equivalent of is not read
])
def test_templates_never_make_up_what_the_home_lacks(flat: Parser, text: str) -> None:
    assert acts(flat, text) == []
    assert flat.readers[0].read(text, None) is None


def test_a_relative_volume_step_is_a_change_by_that_many_points(flat: Parser) -> None:
    before = flat.devices["living_room.tv"].attributes["volume"].value
    assert acts(flat, "increase the tv volume by 15") == [("living_room.tv", float(before) + 15)]  # type: ignore[arg-type]


def test_ha_sentences_bench_measures_the_gain(ha: Parser) -> None:
    results = ha_sentences.run(ha, per_template=1, seed=0)
    assert results["total"] >= 100
    assert results["with_readers"] > results["rules"]
    assert results["with_readers"] / results["total"] >= 0.9
    # the expected outcomes come from the intents' meaning, not from the reader: an unmatched sentence fails
    case = ha_sentences.Case("HassTurnOn", "turn on the bathroom light", "bathroom", {"bathroom.light": "off"})
    assert not ha_sentences.judge(ha, case)


@pytest.fixture(scope="module")
def one_vacuum() -> Parser:
    found = Parser([d for d in load_home(HA_HOME).devices if d.id != "bedroom.vacuum"])
    found.readers.append(LearnedReader(found.index))  # as the agent runs it
    return found


@pytest.mark.parametrize("text", [
    "clean the kitchen",  # Home Assistant's HassVacuumCleanArea
    "vacuum the kitchen",
    "clean the kitchen with the robot vacuum",
    "start the robot vacuum in the kitchen",
    "get the robot vacuum to clean the kitchen",  # read by the learned reader
])
def test_a_room_a_vacuum_is_told_to_clean_is_where_to_clean_not_where_it_stands(one_vacuum: Parser, text: str) -> None:
    parse = one_vacuum.parse(text)
    assert [(s.device_id, s.attribute, s.value) for c in parse.clauses for s in c.steps] == [("hallway.vacuum", "state", "cleaning")]
    assert [c.aside for c in parse.clauses] == ["It cannot clean the kitchen alone: it cleans every room it reaches."]


@pytest.mark.parametrize("text", ["clean the flat", "clean the house", "vacuum the apartment"])
def test_the_whole_home_is_home_assistants_own_home_words(one_vacuum: Parser, text: str) -> None:
    parse = one_vacuum.parse(text)
    assert [(s.device_id, s.value) for c in parse.clauses for s in c.steps] == [("hallway.vacuum", "cleaning")]
    assert [c.aside for c in parse.clauses] == [None]


def test_with_two_vacuums_a_room_is_where_one_stands(ha: Parser) -> None:
    assert acts(ha, "start the vacuum in the bedroom") == [("bedroom.vacuum", "cleaning")]
    assert ha.parse("start the vacuum in the bedroom").clauses[0].aside is None
    # neither is in the kitchen and neither can clean it alone: which one would be a guess, so the fast path
    # leaves it (to the model, which is bounded by the gate and asks)
    assert acts(ha, "clean the kitchen") == []
    assert not ha.parse("clean the kitchen").understood


def test_the_lights_in_the_house_are_every_light(flat: Parser) -> None:
    lights = {d.id for d in flat.devices.values() if d.type == "light"}
    assert {d for d, v in acts(flat, "turn off the lights in the house") if v == "off"} == lights


def test_a_thermostat_with_modes_only_is_switched_by_its_modes(ha: Parser) -> None:
    # Home Assistant's climate has no on/off of its own: off is its "off" mode; on keeps the mode it runs in
    assert acts(ha, "turn off the thermostat") == [("living_room.thermostat", "off")]
    assert acts(ha, "switch living room our thermostat off") == [("living_room.thermostat", "off")]
    assert acts(ha, "turn on the thermostat") == [("living_room.thermostat", "heat")]
    off = Parser(load_home(HA_HOME).devices)
    off.devices["living_room.thermostat"].attributes["mode"].value = "off"
    assert acts(off, "turn on the thermostat") == [("living_room.thermostat", "heat")]  # the first mode but off


def test_the_operation_word_is_no_mode_of_a_room_device(ha: Parser) -> None:
    # "off" is one of the thermostat's modes, but "turn off the living room" means the room's lights
    assert acts(ha, "turn off the living room") == [("living_room.ceiling_light", "off")]


def test_the_sentences_bench_asks_of_a_device_what_home_assistant_would(flat: Parser) -> None:
    cases = ha_sentences.cases(flat, per_template=1, seed=0)
    media = [d for c in cases if c.intent in ("HassMediaPause", "HassMediaUnpause") for d in c.expect]
    assert all("paused" in (flat.devices[d].attributes["state"].options or []) for d in media)  # a TV that cannot pause: none
    # a radiator with modes only is on in the mode it heats in, off in "off"
    assert ha_sentences.judge(flat, ha_sentences.Case("HassTurnOn", "turn on the radiator", "bedroom", {"bedroom.radiator": "on"}))
    assert ha_sentences.judge(flat, ha_sentences.Case("HassTurnOff", "turn off the radiator", "bedroom", {"bedroom.radiator": "off"}))
    assert not ha_sentences.judge(flat, ha_sentences.Case("HassTurnOn", "turn off the radiator", "bedroom", {"bedroom.radiator": "on"}))


def test_a_vacuum_that_has_no_stopped_state_stops_where_it_is() -> None:
    parser = Parser([d for d in load_home(HA_HOME).devices if d.id != "bedroom.vacuum"])
    state = parser.devices["hallway.vacuum"].attributes["state"]
    state.options = ["cleaning", "paused", "returning", "docked"]  # a robot vacuum as many report it: no idle
    state.value = "cleaning"
    assert acts(parser, "stop the vacuum") == [("hallway.vacuum", "paused")]
    state.value = "docked"
    assert acts(parser, "stop the vacuum") == [("hallway.vacuum", "docked")]  # at rest: already stopped
