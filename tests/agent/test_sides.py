"""The sides of the house: which rooms are outdoors, judged by the packaged sentence model; and the sentences that
name a side."""

from __future__ import annotations

import pytest

from iotlm.agent.understand import Parser
from iotlm.agent.understand.sides import side_of
from iotlm.device_drivers.home import Home, parse_home

OUTDOORS = ["balcony", "garage", "patio", "porch", "shed", "garden", "terrace", "yard", "driveway", "deck", "greenhouse",
            "back garden", "front yard"]
INDOORS = ["bathroom", "bedroom", "dining room", "hallway", "kitchen", "living room", "study", "attic", "basement",
           "office", "laundry room", "nursery", "cellar", "loft", "utility room", "hall", "lounge", "kids room"]


@pytest.mark.parametrize("room", OUTDOORS)
def test_a_room_outside_the_house_is_outdoors(room: str) -> None:
    assert side_of(room) == "outdoors"


@pytest.mark.parametrize("room", INDOORS)
def test_a_room_inside_the_house_is_indoors(room: str) -> None:
    assert side_of(room) == "indoors"


def _home(rooms: list[str]) -> Home:
    return parse_home({"name": "h", "devices": [
        {"id": f"{r.replace(' ', '_')}.light", "name": "light", "room": r, "type": "light",
         "attributes": {"state": {"value": "off", "options": ["on", "off"]}}} for r in rooms]})


def test_the_outdoor_lights_are_the_lights_of_the_rooms_outdoors_and_the_interior_ones_the_others() -> None:
    parser = Parser(_home(["porch", "patio", "kitchen", "study"]).devices)
    [outdoor] = parser.parse("turn on all the outdoor lights").clauses
    assert sorted(s.device_id or "" for s in outdoor.steps) == ["patio.light", "porch.light"]
    [inside] = parser.parse("switch the interior lights on").clauses
    assert sorted(s.device_id or "" for s in inside.steps) == ["kitchen.light", "study.light"]


def test_outside_a_room_is_not_that_room_and_a_home_with_no_outdoors_says_so() -> None:
    parser = Parser(_home(["porch", "kitchen"]).devices)
    [beside] = parser.parse("turn on the light outside the kitchen").clauses
    assert beside.steps == [] and "outside the kitchen" in (beside.refusal or "")
    [none] = Parser(_home(["kitchen", "study"]).devices).parse("turn on the outdoor lights").clauses
    assert none.steps == [] and "outdoor" in (none.refusal or "")
