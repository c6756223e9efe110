"""The real packaged model, and what happens when the model process dies."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agent.llm.backend import LocalModel, ModelUnavailable, default_model_path
from agent.llm.grammar import grammar_for, parse_calls
from agent.llm.planner import LLMPlanner
from agent.parser import Parser
from device_drivers.home import load_home
from tests.conftest import EXAMPLE_HOME
from tools.device_tools import device_operations

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
    with pytest.raises(ModelUnavailable, match="crashed while loading .* even with safe settings"):
        model.complete("prompt")
    assert sys.modules["agent.llm.backend"]  # still here


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="does not exist; pass --model PATH.gguf or unset IOTLM_MODEL"):
        LocalModel(tmp_path / "nope.gguf")


@pytest.mark.model
def test_http_backend_against_llama_cpp_server(model_path: Path) -> None:
    import subprocess
    import time
    import urllib.request

    from agent.llm.backend import HTTPModel
    from device_drivers.broker import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--host", "127.0.0.1",
                               "--port", str(port), "--n_ctx", "2048"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1).close()  # noqa: S310
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
    from agent.llm.backend import HTTPModel
    from device_drivers.broker import free_port

    with pytest.raises(ModelUnavailable, match="did not answer"):
        HTTPModel(f"http://127.0.0.1:{free_port()}", timeout=2).complete("hello")
