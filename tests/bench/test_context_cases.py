"""The sensor-context cases (tests/bench/context/): five homes with room sensors, questions about conditions,
implicit requests and situations, each feasible and infeasible (written by make_homes.py and make_cases.py beside
them; `iotlm bench context` runs the same cases). Run in CI on the fast path."""

from __future__ import annotations

from pathlib import Path

import pytest

from iotlm.bench.harness import open_home
from iotlm.bench.suite import load_cases, run_suite, totals
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import load_home

HERE = Path(__file__).with_name("context")
CASES, ERRORS = load_cases(HERE / "cases.jsonl")
GROUPS = ("INQ", "INQ-X", "GOAL", "GOAL-X", "SIT", "SIT-X")


def test_the_homes_and_groups_have_the_shape_the_issue_asks() -> None:
    assert ERRORS == []
    homes = sorted(HERE.glob("home*.json"))
    assert len(homes) == 5
    for path in homes:
        home = load_home(path)
        rooms = {d.room for d in home.devices}
        assert len(rooms) >= 5 and 25 <= len(home.devices) <= 35, path.name
        assert all(any(d.type == "sensor" and "temperature" in d.attributes for d in home.devices if d.room == r) for r in rooms)
    counts = {g: sum(c.category == g for c in CASES) for g in GROUPS}
    assert all(n >= 25 for n in counts.values()), counts
    assert {c.category for c in CASES} == set(GROUPS)


@pytest.mark.parametrize("home", sorted({c.home for c in CASES if c.home}))
def test_the_context_cases_pass_and_nothing_untargeted_changes(home: str, broker: EmbeddedBroker, tmp_path: Path) -> None:
    cases = [c for c in CASES if c.home == home]
    bench = open_home(load_home(HERE / home), broker.url, data_dir=tmp_path)
    try:
        results = run_suite(bench, cases)
    finally:
        bench.close()
    assert {r.id: (r.differences, r.reply) for r in results if not r.passed} == {}
    assert sum(len(r.untargeted) for r in results) == 0
    assert totals(results)["all"]["passed"] == len(cases)
    # a question about conditions never changes a device
    assert [r.id for r in results if r.category in ("INQ", "INQ-X") and r.changed] == []
