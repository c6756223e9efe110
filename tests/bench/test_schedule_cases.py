"""The schedule bench runs in CI on a few of its cases (one or two per group; the whole bench is `iotlm bench schedule`),
so the bench itself, the accelerated clock and the appliances stay working."""

from __future__ import annotations

from pathlib import Path

from iotlm.bench import schedule
from iotlm.device_drivers.broker import EmbeddedBroker

HERE = Path(__file__).parent / "schedule"
PICK = {"time-04", "time-19", "time-x-01", "time-x-17", "event-01", "event-15", "event-x-07", "event-x-16",
        "align-01", "align-15", "align-x-01", "align-x-07", "spoken-15", "chain-01", "before-03", "before-x-01",
        "conflict-04", "conflict-x-01", "names-05", "repeat-01", "repeat-x-02", "pause-03", "pause-x-01", "spoken-x-03"}


def test_two_cases_of_each_group_pass_on_the_accelerated_clock(broker: EmbeddedBroker) -> None:
    cases = [c for c in schedule.load_cases(HERE / "cases.jsonl") if c["id"] in PICK]
    assert len(cases) == len(PICK)
    # slower than the bench (1 simulated minute = 0.2 s, not 0.05 s), so a loaded CI machine is not a minute late
    results = schedule.run(cases, HERE / "home.json", broker.url, speed=300.0)
    failed = [(c["id"], c["problems"], c["reply"]) for c in results["cases"] if not c["passed"]]
    assert not failed
    assert {g for g in results["totals"] if g != "all"} == set(schedule.GROUPS)


def test_the_bench_fails_a_case_done_at_the_wrong_time_or_not_explained(broker: EmbeddedBroker) -> None:
    """The checks can fail: the same request expected five minutes later, and a refusal expected to say a word it
    does not say."""
    late = {"id": "late", "group": "TIME", "text": "in 10 minutes turn on the hallway light",
            "expect": [{"device": "hallway.light", "set": {"state": "on"}, "at_min": 15}]}
    unexplained = {"id": "why", "group": "TIME-X", "text": "today at 7 am turn on the kitchen light", "why": "giraffe"}
    results = schedule.run([late, unexplained], HERE / "home.json", broker.url, speed=300.0)
    by_id = {c["id"]: c for c in results["cases"]}
    assert not by_id["late"]["passed"] and "at minute 15" in by_id["late"]["problems"][0]
    assert not by_id["why"]["passed"] and by_id["why"]["problems"] == ["the reply does not say why ('giraffe')"]
