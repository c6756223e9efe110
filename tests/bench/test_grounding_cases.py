"""The grounding cases (tests/bench/grounding/): five homes where names repeat in every room, with questions in long
sentences, multi-device control, and targets that do not exist (written by make_homes.py and make_cases.py, beside
them); and a sixth, kinds.json, with the device kinds and verbs real homes use (covers by position, valves, vacuums,
mute, floors, 0-254 brightness, names that begin with a verb), whose cases are written by hand. Run in CI on the
fast path."""

from __future__ import annotations

from pathlib import Path

import pytest

from iotlm.bench.harness import open_home
from iotlm.bench.suite import load_cases, run_suite, totals
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import load_home

HERE = Path(__file__).with_name("grounding")
HOMES = sorted(HERE.glob("home*.json"))
ALL = [*HOMES, HERE / "kinds.json"]


def test_the_homes_have_the_shape_the_cases_need() -> None:
    assert len(HOMES) == 5
    for path in HOMES:
        home = load_home(path)
        rooms = {d.room for d in home.devices}
        assert len(rooms) >= 5 and 25 <= len(home.devices) <= 35, path.name
        assert sum(d.name == "Light 1" for d in home.devices) == len(rooms)  # a "Light 1" in every room
        assert all({"temperature", "humidity", "illuminance", "pm10"} <= {a for d in home.devices if d.room == r
                                                                         for a in d.attributes} for r in rooms)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_the_grounding_cases_pass_and_nothing_untargeted_changes(path: Path, broker: EmbeddedBroker, tmp_path: Path) -> None:
    cases, errors = load_cases(path.with_suffix(".jsonl"))
    assert errors == []
    assert {c.category for c in cases} <= {"QUERY", "VM", "IS", "KINDS"}
    bench = open_home(load_home(path), broker.url, data_dir=tmp_path)
    try:
        results = run_suite(bench, cases)
    finally:
        bench.close()
    assert {r.id: r.differences for r in results if not r.passed} == {}
    every = totals(results)["all"]
    assert (every["questions_that_changed_a_device"], every["actions_on_devices_not_pointed_at"]) == (0, 0)


def test_each_group_has_at_least_30_cases_over_the_homes() -> None:
    counts: dict[str, int] = {}
    for path in ALL:
        for case in load_cases(path.with_suffix(".jsonl"))[0]:
            counts[case.category] = counts.get(case.category, 0) + 1
    assert counts == {"QUERY": 35, "VM": 30, "IS": 30, "KINDS": 35}
