"""The real packaged model, and what happens when the model process dies."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from iotlm.agent.llm._worker import _allowed_chars
from iotlm.agent.llm.backend import LocalModel, ModelUnavailable, default_model_path
from iotlm.agent.llm.grammar import calls_for, grammar_for, parse_calls
from iotlm.agent.llm.planner import LLMPlanner
from iotlm.agent.understand.parser import Parser
from iotlm.device_drivers.home import load_home
from iotlm.device_drivers.transport import Transport
from iotlm.tools.device_tools import device_operations
from tests.conftest import EXAMPLE_HOME, Stack

HOME = load_home(EXAMPLE_HOME)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return default_model_path(tmp_path_factory.mktemp("iotlm-home"))


@pytest.mark.model
def test_the_packaged_model_gives_a_grammar_valid_plan(model_path: Path) -> None:
    model = LocalModel(model_path)
    try:
        parser = Parser(HOME.devices)
        text = "wake up the desk lamp"
        assert not parser.parse(text).understood  # the fast path does not handle it
        planner = LLMPlanner(model)
        devices = planner.relevant(text, parser)
        completion = model.complete(planner.prompt(text, devices), grammar=grammar_for(devices), max_tokens=48)
        calls = parse_calls(completion.text)
        by_id = {d.id: d for d in devices}
        assert calls, completion.text
        for device_id, op, _ in calls:  # every call names a retrieved device and one of its real operations
            assert op in {o.operation for o in device_operations(by_id[device_id])}
        assert completion.confidence is not None and 0 < completion.confidence <= 1
        assert model.last_usage["prompt_tokens"] > 100
    finally:
        model.close()


@pytest.mark.model
@pytest.mark.parametrize(("text", "expected"), [
    ("wake up the desk lamp", "office.desk_lamp.turn_on()"),
    ("put the living room blinds at 30", "living_room.blinds.set_position(30)"),
    ("set the fan in the bedroom to high", "bedroom.fan.set_speed(high)"),
])
def test_the_model_walks_the_calls_the_devices_allow(model_path: Path, text: str, expected: str) -> None:
    """The trie decoder: only real calls with typed values, the model asked only where there is a choice (a number
    digit by digit, an option of a list), with a confidence, and the same answer as the grammar gives where both are
    right (the grammar path said "low" for the fan, forcing the call to start without its space)."""
    model = LocalModel(model_path)
    try:
        planner = LLMPlanner(model)
        devices = planner.relevant(text, Parser(HOME.devices))
        completion = model.complete_calls(planner.prompt(text, devices), calls_for(devices) or {}, max_tokens=48)
        assert completion.text == " " + expected
        assert completion.confidence is not None and 0.2 < completion.confidence <= 1
        assert 0 < model.last_usage["completion_tokens"] <= 16
    finally:
        model.close()


@pytest.mark.parametrize(("text", "room", "rooms"), [
    ("brighten the lights a notch", "bedroom", {"bedroom"}),  # the words name no room: the one spoken from
    ("brighten the kitchen lights a notch", "bedroom", {"kitchen"}),  # they name one: that one
    ("brighten the lights a notch", None, {"living room", "kitchen", "bedroom", "bathroom", "hallway", "office"}),
])
def test_the_model_chooses_only_among_devices_of_the_room_a_request_comes_from(text: str, room: str | None,
                                                                                rooms: set[str]) -> None:
    """As on the fast path, the room a request is spoken from bounds the devices when the words name none: the model
    once answered "lights down" said in the living room with the kitchen light."""
    offered = LLMPlanner(None).relevant(text, Parser(HOME.devices), room)  # type: ignore[arg-type]
    assert offered and {(d.room or "").lower() for d in offered} <= rooms
    if room is not None:
        assert {(d.room or "").lower() for d in offered} == rooms


@pytest.mark.parametrize(("kind", "text", "allowed"), [
    ("num", "", set("0123456789-")), ("num", "-", set("0123456789")), ("num", "40", set("0123456789.)")),
    ("num", "1234", {".", ")"}), ("num", "2.", set("0123456789")), ("num", "2.5", {")"}),
    ("rgb", "", set("0123456789")), ("rgb", "255", {","}), ("rgb", "25", set("0123456789,")), ("rgb", "1,2,3", set("0123456789)")),
    ("rgb", "1,2,255", {")"}),
])
def test_a_number_or_colour_allows_only_what_the_grammar_does(kind: str, text: str, allowed: set[str]) -> None:
    assert _allowed_chars(kind, text) == allowed


CRASHING_WORKER = """
import json, os, signal, sys
safe = sys.argv[4] == "1"
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    if not safe:
        os.kill(os.getpid(), signal.SIGSEGV)  # what the AMX bug does on the first decode
    print(json.dumps({"text": "kitchen.light.turn_on()", "confidence": 0.9, "prompt_tokens": 1, "completion_tokens": 1}), flush=True)
"""

ALWAYS_CRASHING = """
import os, signal
os.kill(os.getpid(), signal.SIGSEGV)
"""


def _model(tmp_path: Path, source: str) -> LocalModel:
    worker = tmp_path / "worker.py"
    worker.write_text(source)
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"GGUF")
    model = LocalModel(fake, worker=worker)
    model.safe = False  # as on a CPU that does not report AMX
    return model


def test_a_crash_restarts_the_model_once_with_safe_settings(tmp_path: Path) -> None:
    model = _model(tmp_path, CRASHING_WORKER)
    completion = model.complete("prompt")
    assert (completion.text, model.safe, model.crashes) == ("kitchen.light.turn_on()", True, 1)
    model.close()


def test_a_model_that_keeps_crashing_is_reported_and_the_process_lives(tmp_path: Path) -> None:
    model = _model(tmp_path, ALWAYS_CRASHING)
    with pytest.raises(ModelUnavailable, match=r"crashed while loading .* even with safe settings"):
        model.complete("prompt")
    assert sys.modules["iotlm.agent.llm.backend"]  # still here


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match=r"does not exist; pass --model PATH\.gguf or unset IOTLM_MODEL"):
        LocalModel(tmp_path / "nope.gguf")


@pytest.mark.model
def test_http_backend_against_llama_cpp_server(model_path: Path) -> None:
    import subprocess
    import time
    import urllib.request

    from iotlm.agent.llm.backend import HTTPModel
    from iotlm.device_drivers.broker import free_port

    port = free_port()
    # llama_cpp.server on a CPU with AMX crashes on its first decode (a source build's extra buffer types), as our own
    # worker would: start it with them off, as the worker does (agent/llm/_worker.py)
    start = ("import runpy, sys, llama_cpp.llama_cpp as low\n"
             "original = low.llama_model_default_params\n"
             "def patched():\n    p = original()\n    p.use_extra_bufts = False\n    return p\n"
             "low.llama_model_default_params = patched\n"
             "sys.argv = ['llama_cpp.server', *sys.argv[1:]]\n"
             "runpy.run_module('llama_cpp.server', run_name='__main__')\n")
    server = subprocess.Popen([sys.executable, "-c", start, "--model", str(model_path), "--host", "127.0.0.1",
                               "--port", str(port), "--n_ctx", "2048"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        model = HTTPModel(f"http://127.0.0.1:{port}")
        planner = LLMPlanner(model)
        parser = Parser(HOME.devices)
        text = "wake up the desk lamp"
        devices = planner.relevant(text, parser)
        completion = model.complete(planner.prompt(text, devices), grammar=grammar_for(devices), max_tokens=48)
        by_id = {d.id: d for d in devices}
        calls = parse_calls(completion.text)  # the server applied the grammar: a valid plan or "none"
        for device_id, op, _ in calls:
            assert op in {o.operation for o in device_operations(by_id[device_id])}
        assert calls, completion.text
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_http_backend_that_is_down_is_a_clear_error() -> None:
    from iotlm.agent.llm.backend import HTTPModel
    from iotlm.device_drivers.broker import free_port

    with pytest.raises(ModelUnavailable, match="did not answer"):
        HTTPModel(f"http://127.0.0.1:{free_port()}", timeout=2).complete("hello")


HANGING_WORKER = """
import json, sys, time
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    time.sleep(3600)  # a llama.cpp call that never returns
"""


def test_a_stuck_model_is_cut_off_the_turn_says_so_and_rules_keep_firing(tmp_path: Path, stack: Stack,
                                                                          sim_transport: Transport, prefix: str) -> None:
    from iotlm.agent.session import Agent
    from iotlm.automations.engine import RuleEngine
    from iotlm.automations.model import Rule
    from iotlm.automations.store import RuleStore
    from iotlm.device_drivers.simulator.load import SensorLoad
    from tests.agent.test_agent import runtime_for
    from tests.conftest import eventually

    model = _model(tmp_path, HANGING_WORKER)
    model.generate_timeout = 1.5
    agent = Agent(runtime_for(stack, tmp_path), model=model, ranker=False)  # the request must reach the (hanging) model
    engine = RuleEngine(stack.conn.registry, stack.executor, RuleStore(tmp_path / "rules.db"), user_for=stack.config.user)
    engine.load([Rule.model_validate({"id": "hall", "when": {"device": "hallway.motion", "attribute": "occupancy", "to": True},
                                      "do": [{"device": "hallway.light", "set": {"state": "on"}}]})])
    engine.start()
    answer: list[Any] = []
    turn = threading.Thread(target=lambda: answer.append(agent.turn("make the bedroom feel like a spa")))
    try:
        started = time.monotonic()
        turn.start()
        assert eventually(lambda: model.pid is not None)
        hung = model.pid
        SensorLoad(sim_transport, base=f"{prefix}/z2m").report("hallway.motion", {"occupancy": True})
        assert eventually(lambda: stack.sim.state("hallway.light")["state"] == "on", timeout=1.0)  # while the model hangs
        assert turn.is_alive()
        turn.join(10)
        took = time.monotonic() - started
        assert not turn.is_alive() and took < 5, took
        [result] = answer
        assert result.actions == [] and result.tier == "llm"
        assert f"the model {model.name} did not answer within 1.5 s while generating" in result.reply
        assert hung is not None and _gone(hung)  # the stuck process was killed, not left behind
    finally:
        engine.stop()
        agent.close()
        model.close()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
