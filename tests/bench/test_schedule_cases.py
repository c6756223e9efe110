"""The schedule bench runs in CI on a few of its cases (two per group; the whole bench is `iotlm bench schedule`),
so the bench itself, the accelerated clock and the appliances stay working."""

from __future__ import annotations

from pathlib import Path

from iotlm.agent.bench import schedule
from iotlm.device_drivers.broker import EmbeddedBroker

HERE = Path(__file__).parent / "schedule"
PICK = {"time-04", "time-19", "time-x-01", "time-x-17", "event-01", "event-15", "event-x-07", "event-x-16",
        "align-01", "align-15", "align-x-01", "align-x-07"}


def test_two_cases_of_each_group_pass_on_the_accelerated_clock(broker: EmbeddedBroker) -> None:
    cases = [c for c in schedule.load_cases(HERE / "cases.jsonl") if c["id"] in PICK]
    assert len(cases) == len(PICK)
    # slower than the bench (1 simulated minute = 0.2 s, not 0.05 s), so a loaded CI machine is not a minute late
    results = schedule.run(cases, HERE / "home.json", broker.url, speed=300.0)
    failed = [(c["id"], c["problems"], c["reply"]) for c in results["cases"] if not c["passed"]]
    assert not failed
    assert {g for g in results["totals"] if g != "all"} == set(schedule.GROUPS)
