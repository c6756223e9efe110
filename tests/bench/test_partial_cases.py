"""Issue 26's cases (tests/bench/partial/cases.jsonl): the sentences reported to us and 72 of our own in the same
shapes, written before the fixes. All of them pass with the packaged model, and on the fast path alone none of the
readings that must never act does (the six counts of every suite's report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from iotlm.agent.llm.backend import LocalModel, default_model_path
from iotlm.bench.harness import open_home
from iotlm.bench.suite import MISTAKES, load_cases, run_suite, totals
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import Home

CASES = Path(__file__).with_name("partial") / "cases.jsonl"


def test_the_cases_have_each_shape_and_the_issues_sentences() -> None:
    cases, errors = load_cases(CASES)
    assert errors == [] and len(cases) >= 72
    assert len([c for c in cases if c.id.startswith("o")]) >= 60  # our own, beside the issue's 12
    assert {c.category for c in cases} >= {"LATER", "NAMENUM", "STATEMENT", "SPELL", "ALL", "OVEN", "CHAIN", "ROOM", "OUT",
                                           "DIM", "COMPLAINT", "TALK", "VERB"}
    assert {c.trap for c in cases if c.trap} == set(MISTAKES) - {"wrong_way"}


def test_on_the_fast_path_nothing_acts_that_must_not(home: Home, broker: EmbeddedBroker, tmp_path: Path) -> None:
    cases, _ = load_cases(CASES)
    bench = open_home(home, broker.url, data_dir=tmp_path)
    try:
        results = run_suite(bench, cases)
    finally:
        bench.close()
    every = totals(results)["all"]
    assert every["mistakes"] == dict.fromkeys(MISTAKES, 0)
    assert every["actions_on_devices_not_pointed_at"] == 0
    # only the verbs the fast path does not know need the model: "flip on", "preheat", "heat ... to"
    assert {r.id for r in results if not r.passed} == {"t03", "t07", "o47", "o48"}


@pytest.mark.model
def test_every_case_passes_with_the_packaged_model(home: Home, broker: EmbeddedBroker, tmp_path: Path) -> None:
    cases, _ = load_cases(CASES)
    model = LocalModel(default_model_path(tmp_path / "models"))
    bench = open_home(home, broker.url, data_dir=tmp_path / "data", model=model)
    try:
        results = run_suite(bench, cases)
    finally:
        bench.close()
        model.close()
    assert {r.id: r.differences for r in results if not r.passed} == {}
    assert totals(results)["all"]["mistakes"] == dict.fromkeys(MISTAKES, 0)
