"""Fuzzing (hypothesis) what people and clients send: MQTT chat requests and utterances.

Properties: no exception escapes a handler or a turn; a request the service cannot read never reaches the agent;
every command a device received was allowed by the gate (and audited). Examples per target: 300 (requests) and 150
(utterances, each a whole turn against the simulated flat).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from iotlm.agent.session import Agent
from iotlm.automations.store import RuleStore
from iotlm.service import Service, parse_request
from tests.agent.test_agent import answer_with, runtime_for
from tests.conftest import Stack
from tests.device_drivers.test_fuzz import JSON, mutate

REQUEST = {"id": "q1", "text": "turn on the kitchen light", "room": "kitchen", "thread": "t", "yes": False}
WORDS = ["turn", "on", "off", "the", "kitchen", "light", "lights", "and", "unlock", "front", "door", "is", "what", "?",
         "set", "to", "50%", "bedroom", "fan", "not", "don't", "please", "it", "all", "upstairs", "temperature", "how",
         "warm", "when", "remember", "that", "yes", "no", ",", "then", "open", "garage", "volume", "up", "tv", "lock",
         "\u0000", "\ud800", "'; DROP TABLE audit; --", "{{ value }}", "#", "+", "999999999999", "-5", "nan"]


@pytest.fixture
def service(stack: Stack, tmp_path: Path) -> Iterator[tuple[Service, list[tuple[str, Any]]]]:
    agent = Agent(runtime_for(stack, tmp_path), model=answer_with("none"))
    svc = Service(agent, RuleStore(tmp_path / "rules.db"), home_name="fuzz")  # not started: _on_ask only queues
    replies: list[tuple[str, Any]] = []
    svc._reply = lambda user, request_id, body: replies.append((str(request_id), body))  # type: ignore[method-assign]
    yield svc, replies
    agent.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mqtt_chat_requests(data: st.DataObject, service: tuple[Service, list[tuple[str, Any]]]) -> None:
    svc, _replies = service
    choice = data.draw(st.integers(0, 3))
    payload = (data.draw(st.binary(max_size=300)) if choice == 0 else data.draw(st.text(max_size=100)).encode() if choice == 1
               else json.dumps(mutate(REQUEST, data) if choice == 2 else data.draw(JSON), allow_nan=True).encode())
    topic = data.draw(st.sampled_from(["iotlm/fuzz/ask", "iotlm/fuzz/ask/alice", "iotlm/fuzz/ask/a b", "iotlm/fuzz/ask/+"]))
    before = svc._questions.qsize()
    request, error = parse_request(payload)
    svc._on_ask(topic, payload)  # must not raise
    queued = svc._questions.qsize() - before
    if error is not None:
        assert queued == 0  # a request it cannot read never reaches the agent
    else:
        assert isinstance(request["text"], str) or "confirm" in request
    while not svc._questions.empty():
        svc._questions.get_nowait()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=14), yes=st.booleans())
@example(words=["kitchen", "the", "volume"], yes=False)  # a goal about the volume once asked the room for a reading of it
def test_utterances(words: list[str], yes: bool, stack: Stack, tmp_path: Path) -> None:
    agent = Agent(runtime_for(stack, tmp_path), model=answer_with("kitchen.light.turn_on()", 0.9))
    try:
        result = agent.turn(" ".join(words), thread="fuzz", yes=yes)  # must not raise
        assert isinstance(result.reply, str)
    finally:
        agent.close()
    allowed = [e for e in stack.audit.entries(100_000) if e["verdict"] == "allow" and e["attribute"]]
    assert len(stack.sim.commands) <= len(allowed)  # nothing reached a device without the gate's allow
