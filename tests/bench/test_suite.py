"""The benchmark harness itself, and our own cases for the example home (run in CI)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from iotlm.agent.session import Agent, TurnResult
from iotlm.bench.harness import BenchHome, open_home
from iotlm.bench.homebench import split_calls
from iotlm.bench.suite import Case, load_cases, run_case, run_suite, totals
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import Home

CASES = Path(__file__).with_name("flat_cases.jsonl")


@pytest.fixture
def bench(home: Home, broker: EmbeddedBroker, tmp_path: Path) -> Iterator[BenchHome]:
    b = open_home(home, broker.url, data_dir=tmp_path)
    yield b
    b.close()


def test_our_cases_pass_on_the_example_home(bench: BenchHome) -> None:
    cases, errors = load_cases(CASES)
    assert errors == [] and len(cases) >= 30
    results = run_suite(bench, cases)
    failed = {r.id: r.differences for r in results if not r.passed}
    assert failed == {}
    summary = totals(results)
    assert set(summary) == {"VS", "VM", "IS", "IM", "MM", "REL", "RISK", "QUERY", "SAFETY", "all"}
    assert all(r.tier == "fast" for r in results)


class FlipsAnExtraDevice:
    """A deliberately wrong agent: does what it is asked, and also turns on the hallway light."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    def turn(self, utterance: str, **kw: object) -> TurnResult:
        result = self.agent.turn(utterance, **kw)  # type: ignore[arg-type]
        self.agent.runtime.executor.call("hallway.light.turn_on")
        return result

    def close(self) -> None:
        self.agent.close()


def test_a_wrong_agent_fails_the_cases_it_spoils(home: Home, broker: EmbeddedBroker, tmp_path: Path) -> None:
    wrong = open_home(home, broker.url, data_dir=tmp_path, wrap=FlipsAnExtraDevice)
    try:
        case = Case(id="x", category="VS", command="turn on the kitchen light", expect={"kitchen.light": {"state": "on"}})
        result = run_case(wrong, case)
        assert not result.passed
        assert result.differences == ["hallway.light.state changed 'off' -> 'on', which the case does not allow"]
        allowed = case.model_copy(update={"may": {"hallway.light": {"state": "on"}}})
        assert run_case(wrong, allowed).passed  # reset in between: the light is off again first
    finally:
        wrong.close()


@pytest.mark.parametrize(("case", "difference"), [
    (Case(id="a", category="VS", command="turn on the kitchen light", expect={"kitchen.light": {"state": "off"}}),
     "kitchen.light.state: expected 'off', device reports 'on'"),
    (Case(id="b", category="IS", command="turn on the kitchen light", refuse=True), "expected a refused step; none was reported"),
    (Case(id="c", category="RISK", command="turn on the kitchen light", confirm_needed=True),
     "expected a request for confirmation; none came"),
    (Case(id="d", category="QUERY", command="is the front door locked", reply_any=["unlocked"]),
     "reply 'The front door lock is locked.' contains none of ['unlocked']"),
])
def test_each_kind_of_expectation_can_fail(bench: BenchHome, case: Case, difference: str) -> None:
    result = run_case(bench, case)
    assert not result.passed and difference in result.differences


def test_a_malformed_line_is_reported_with_its_number_and_the_rest_still_run(bench: BenchHome, tmp_path: Path) -> None:
    good = json.dumps({"id": "ok1", "category": "VS", "command": "turn on the kitchen light",
                       "expect": {"kitchen.light": {"state": "on"}}})
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join([good, "{not json", json.dumps({"id": "no-command", "category": "VS"}),
                               good.replace("ok1", "ok2").replace("kitchen", "bathroom")]) + "\n")
    cases, errors = load_cases(path)
    assert [(e.line, e.message) for e in errors] == [(2, "not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
                                                     (3, "command: Field required")]
    results = run_suite(bench, cases)
    assert [(r.id, r.passed) for r in results] == [("ok1", True), ("ok2", True)]


@pytest.mark.parametrize(("text", "calls"), [
    ("''' bathroom.light.set_brightness(20)'''", ["bathroom.light.set_brightness(20)"]),
    ("'''error_input,balcony.light.set_brightness(40),'''", ["error_input", "balcony.light.set_brightness(40)"]),
    ("'''living_room.light.set_color((255, 0, 0)),VacuumRobot.start()'''",
     ["living_room.light.set_color((255,0,0))", "vacuum_robot.start()"]),
])
def test_homebench_gold_parsing(text: str, calls: list[str]) -> None:
    assert split_calls(text) == calls


def test_bench_writes_its_report_into_a_new_folder_and_leaves_no_temporary_folders(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import EXAMPLE_HOME, ROOT

    cases = tmp_path / "cases.jsonl"
    cases.write_text(CASES.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "IOTLM_HOME": str(tmp_path / "home")}
    report = tmp_path / "new" / "folder" / "report.md"
    run = subprocess.run([sys.executable, "-m", "iotlm.cli", "bench", "suite", "--home", str(EXAMPLE_HOME), "--cases",
                          str(cases), "--no-llm", "--report", str(report)], capture_output=True, text=True, timeout=120,
                         cwd=ROOT, env=env)
    assert run.returncode == 0, run.stderr
    assert report.read_text(encoding="utf-8").startswith("#")
    assert [p.name for p in scratch.iterdir() if p.name.startswith("iotlm-")] == []  # found by review: 242 MB each
    # a folder that cannot be made fails at once, before any case runs
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "iotlm.cli", "bench", "suite", "--home", str(EXAMPLE_HOME), "--cases",
                          str(cases), "--no-llm", "--report", str(blocked / "r.md")], capture_output=True, text=True,
                         timeout=60, cwd=ROOT, env=env)
    assert bad.returncode == 2
    assert bad.stderr.startswith(f"iotlm: error: --report {blocked / 'r.md'}: cannot create its folder")
    assert "PASS" not in bad.stdout


def test_expect_any_needs_one_alternative_and_lets_the_devices_it_names_change(bench: BenchHome) -> None:
    case = Case.model_validate({
        "id": "goal", "category": "VS", "command": "turn on the kitchen light", "context_room": "kitchen",
        "expect_any": [{"kitchen.light": {"brightness": {">": 50}}}, {"kitchen.light": {"state": "on"}}]})
    assert case.room == "kitchen"
    result = run_case(bench, case)
    assert result.passed, result.differences
    assert (result.changed, result.untargeted) == (["kitchen.light"], [])
    neither = case.model_copy(update={"expect_any": [{"kitchen.light": {"state": "off"}}, {"bathroom.light": {"state": "on"}}]})
    result = run_case(bench, neither)
    assert result.differences == ["none of the 2 expected alternatives holds"]


def test_reply_all_needs_every_group_as_whole_words_and_numbers() -> None:
    from iotlm.bench.suite import check

    case = Case(id="r", category="QUERY", command="how warm is it", reply_all=[["26", "26.0"], ["utility room"]])
    assert check(case, {}, {}, reply="It is 26 °C in the Utility Room.", refused=False, needs_confirmation=False) == []
    assert check(case, {}, {}, reply="It is 26.5 °C in the utility room.", refused=False, needs_confirmation=False) == [
        "reply 'It is 26.5 °C in the utility room.' says none of ['26', '26.0']"]
    assert check(case, {}, {}, reply="It is 26 °C in the utility roomy place.", refused=False, needs_confirmation=False) == [
        "reply 'It is 26 °C in the utility roomy place.' says none of ['utility room']"]


def test_the_totals_count_questions_that_changed_a_device_and_untargeted_actions(bench: BenchHome) -> None:
    results = run_suite(bench, [
        Case(id="q", category="QUERY", command="turn on the hallway light"),  # a "question" case that acts
        Case(id="v", category="VS", command="turn on the kitchen light and the bathroom light",
             expect={"kitchen.light": {"state": "on"}}),
    ])
    every = totals(results)["all"]
    assert (every["questions_that_changed_a_device"], every["actions_on_devices_not_pointed_at"]) == (1, 2)
    assert [r.untargeted for r in results] == [["hallway.light"], ["bathroom.light"]]
