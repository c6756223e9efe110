"""Routine mining: what a person does by hand at about the same time on most days, offered as a rule that compiles."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from iotlm.agent.understand import Parser
from iotlm.automations.compile import compile_rule
from iotlm.automations.describe import describe
from iotlm.automations.routines import by_hand, find_routines
from iotlm.device_drivers.home import Home

ZONE = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 11, 2, tzinfo=ZONE)


def _month(seed: int = 0) -> list[tuple[float, str, str, object]]:
    rng = random.Random(seed)
    rows: list[tuple[float, str, str, object]] = []
    for day in range(28):
        midnight = MONDAY + timedelta(days=day)
        if midnight.weekday() < 5:  # a routine: the hallway light at about 19:00 on weekdays
            rows.append(((midnight + timedelta(hours=19, minutes=rng.gauss(0, 5))).timestamp(), "hallway.light", "state", "on"))
        else:  # another: the floor lamp at about 9:00 at weekends
            rows.append(((midnight + timedelta(hours=9, minutes=rng.gauss(0, 5))).timestamp(), "living_room.floor_lamp",
                         "state", "on"))
        # no routine: the bedroom light at any time of the evening, off an hour or two later
        on = midnight + timedelta(hours=rng.uniform(19, 23.5))
        rows.append((on.timestamp(), "bedroom.light", "state", "on"))
        rows.append(((on + timedelta(minutes=rng.uniform(20, 120))).timestamp(), "bedroom.light", "state", "off"))
        # readings change by themselves: never a routine
        rows.append(((midnight + timedelta(hours=7)).timestamp(), "kitchen.temperature", "temperature", 21.0 + day % 2))
    return sorted(rows, key=lambda r: r[0])


def test_the_routines_done_by_hand_are_found_and_each_becomes_a_rule_that_compiles(home: Home) -> None:
    devices = {d.id: d for d in home.devices}
    found = find_routines(_month(), devices, ZONE, since=MONDAY.timestamp(),
                          until=(MONDAY + timedelta(days=28)).timestamp() - 1)
    assert [(r.device_id, r.value, r.days, r.seen, r.of) for r in found] == [
        ("hallway.light", "on", "weekdays", 20, 20), ("living_room.floor_lamp", "on", "weekends", 8, 8)]
    hallway = found[0]
    assert abs(int(hallway.at[:2]) * 60 + int(hallway.at[3:]) - 19 * 60) <= 3
    assert hallway.say == f"You turned on the hallway light at about {hallway.at} on weekdays (20 of the last 20 weekdays). Make it a rule?"
    parser = Parser(home.devices)
    rule = compile_rule(hallway.rule, parser).rule
    assert describe(rule, devices) == f"At {hallway.at} on mon, tue, wed, thu, fri: set the hallway light to state on."
    lamp = compile_rule(found[1].rule, parser).rule
    assert lamp.trigger.days == ["sat", "sun"] and lamp.actions[0].device == "living_room.floor_lamp"


def test_a_thing_done_on_fewer_than_most_days_is_no_routine(home: Home) -> None:
    rows = [r for r in _month() if r[1] != "hallway.light" or datetime.fromtimestamp(r[0], ZONE).day % 2 == 0]
    found = find_routines(rows, {d.id: d for d in home.devices}, ZONE)
    assert [r.device_id for r in found] == ["living_room.floor_lamp"]


def test_what_iotlm_did_itself_is_not_counted_as_done_by_hand() -> None:
    rows = _month()
    audit = [{"verdict": "allow", "device_id": "hallway.light",
              "time": datetime.fromtimestamp(r[0] - 1, ZONE).isoformat()} for r in rows if r[1] == "hallway.light"]
    audit.append({"verdict": "deny", "device_id": "bedroom.light", "time": datetime.fromtimestamp(rows[0][0], ZONE).isoformat()})
    kept = by_hand(rows, audit)
    assert not [r for r in kept if r[1] == "hallway.light"] and len(kept) == len(rows) - 20
