"""Memory in the running agent: history from device reports, episodes, 'remember that', no network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iotlm.agent.session import Agent
from iotlm.config import load_settings
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.memory.history import HistoryRecorder
from iotlm.memory.memory import Memory
from iotlm.memory.store import MemoryStore
from iotlm.policies.config import PolicyConfig
from iotlm.runtime import Runtime
from tests.conftest import Stack
from tests.fakes import ScriptedModel, WordEmbedder


@pytest.fixture
def runtime(stack: Stack, tmp_path: Path) -> Iterator[Runtime]:
    store = MemoryStore(tmp_path / "iotlm.db")
    history = HistoryRecorder(store, interval=0.05, clock=stack.clock).attach(stack.conn.registry)  # the agent's clock
    rt = Runtime(load_settings({"home": str(tmp_path)}, environ={}), stack.conn, stack.executor.tools, PolicyConfig(),
                 stack.audit, stack.executor, store, history)
    rt._memory = Memory(store, WordEmbedder(), tmp_path)
    yield rt
    history.stop()
    store.close()


def test_device_reports_become_history_and_answer_when_questions(stack: Stack, runtime: Runtime) -> None:
    agent = Agent(runtime, model=ScriptedModel(lambda p: ("none", 0.9)))
    assert agent.turn("when was the front door last unlocked?").reply == "I have no record of the front door lock being unlocked."
    agent.turn("unlock the front door", yes=True)
    agent.turn("lock the front door", yes=True)
    runtime.history.flush()  # type: ignore[union-attr]
    rows = runtime.store.history("hallway.front_door", "state")  # type: ignore[union-attr]
    assert [r["value"] for r in rows] == ["locked", "unlocked"]
    reply = agent.turn("when was the front door last unlocked?").reply
    assert reply.startswith("The front door lock was last unlocked today at ") and "seconds ago" in reply
    agent.close()


def test_remember_that_stores_a_preference_and_it_can_be_found(runtime: Runtime) -> None:
    agent = Agent(runtime, model=ScriptedModel(lambda p: ("none", 0.9)))
    result = agent.turn("remember that I like the bedroom at 19 degrees at night")
    assert result.reply == "OK, I'll remember that I like the bedroom at 19 degrees at night."
    assert result.actions == []
    [memo] = runtime.store.memories()  # type: ignore[union-attr]
    assert (memo["kind"], memo["text"]) == ("preference", "I like the bedroom at 19 degrees at night")
    assert runtime.memory().search("bedroom at night", 1)[0]["id"] == memo["id"]
    agent.close()


def test_episodes_are_kept_and_become_examples_for_the_planner(runtime: Runtime) -> None:
    model = ScriptedModel(lambda p: ("kitchen.coffee_machine.turn_on()", 0.9))
    agent = Agent(runtime, model=model)
    agent.turn("switch on the coffee machine")
    [episode] = runtime.store.episodes()  # type: ignore[union-attr]
    assert (episode["utterance"], episode["success"], episode["tier"]) == ("switch on the coffee machine", True, "fast")
    agent.turn("get the coffee going")
    assert "Request: switch on the coffee machine\nCalls: kitchen.coffee_machine.turn_on()" in model.prompts[0]
    assert len(runtime.store.episodes()) == 2  # type: ignore[union-attr]
    agent.close()


def test_no_network_but_the_broker_while_answering_remembering_and_retrieving(
        stack: Stack, tmp_path: Path, broker: EmbeddedBroker, monkeypatch: pytest.MonkeyPatch) -> None:
    from iotlm.memory.embeddings import MiniLMEmbedder

    store = MemoryStore(tmp_path / "iotlm.db")
    rt = Runtime(load_settings({"home": str(tmp_path)}, environ={}), stack.conn, stack.executor.tools, PolicyConfig(),
                 stack.audit, stack.executor, store, None)
    connections: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(sock: socket.socket, address: Any) -> Any:
        connections.append(address)
        if not (isinstance(address, tuple) and address[0] in ("127.0.0.1", "localhost", "::1")):
            raise ConnectionRefusedError(f"iotlm tried to reach {address}")
        return real_connect(sock, address)

    def guard_ex(sock: socket.socket, address: Any) -> Any:
        connections.append(address)
        if not (isinstance(address, tuple) and address[0] in ("127.0.0.1", "localhost", "::1")):
            raise ConnectionRefusedError(f"iotlm tried to reach {address}")
        return real_connect_ex(sock, address)

    own_ports: set[int] = set()  # loopback listeners of this process (paho's wake-up socket pair)
    real_bind = socket.socket.bind

    def record_bind(sock: socket.socket, address: Any) -> Any:
        result = real_bind(sock, address)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            own_ports.add(sock.getsockname()[1])
        return result

    monkeypatch.setattr(socket.socket, "bind", record_bind)
    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket.socket, "connect_ex", guard_ex)
    from iotlm.device_drivers.transport import Transport

    fresh = Transport(broker.url).start()  # as `iotlm ask` connects at start-up: the guard sees it
    fresh.stop()
    rt._memory = Memory(store, MiniLMEmbedder(), tmp_path)  # the real embedder, loaded under the guard
    agent = Agent(rt, model=ScriptedModel(lambda p: ("none", 0.9)))
    assert agent.turn("turn on the kitchen light").actions[0]["status"] == "done"
    agent.turn("remember that the bins go out on tuesday")
    assert rt.memory().search("when is the rubbish collected", 1)[0]["text"] == "the bins go out on tuesday"
    assert rt.memory().relevant_devices("I need an espresso", rt.executor.devices(), k=3)
    agent.close()
    store.close()
    assert connections, "the guard saw no connection at all"
    assert ("127.0.0.1", broker.port) in connections
    outside = [a for a in connections if not (isinstance(a, tuple) and a[0] == "127.0.0.1" and
                                              (a[1] == broker.port or a[1] in own_ports))]
    assert outside == [], outside


def test_a_stored_preference_is_used_when_the_request_is_vague(stack: Stack, runtime: Runtime) -> None:
    agent = Agent(runtime, model=ScriptedModel(lambda p: ("none", 0.9)))
    agent.turn("remember that I like the bedroom at 19 degrees at night")
    result = agent.turn("make the bedroom nice for the night")
    assert [(a["device_id"], a["attribute"], a["value"]) for a in result.actions] == [("bedroom.radiator", "target_temperature", 19)]
    assert "As you told me on " in result.reply and "I like the bedroom at 19 degrees at night" in result.reply
    assert stack.sim.state("bedroom.radiator")["target_temperature"] == 19
    # another room, or another person, is not this preference
    kitchen = agent.turn("make the kitchen nice for the night")
    assert kitchen.actions == [] and "As you told me" not in kitchen.reply
    guest = agent.turn("make the bedroom nice for the night", user="bob")
    assert guest.actions == [] and "As you told me" not in guest.reply
    agent.close()


def test_how_warm_was_the_bedroom_last_night_comes_from_the_history(stack: Stack, runtime: Runtime) -> None:
    from iotlm.agent.memory_requests import period

    agent = Agent(runtime, model=ScriptedModel(lambda p: ("none", 0.9)))
    start, end, _ = period("last night", None, None, stack.clock())  # the agent's clock, never the machine's
    s, e = start.timestamp(), end.timestamp()
    runtime.store.record_states([  # type: ignore[union-attr]
        (s - 3600, "bedroom.climate", "temperature", 21.0),           # in force when the night began
        (s + (e - s) / 2, "bedroom.climate", "temperature", 17.0),    # half way through
        (e + 60, "bedroom.climate", "temperature", 25.0),             # after: not counted
    ])
    reply = agent.turn("how warm was the bedroom last night?").reply
    assert reply.startswith(f"The bedroom temperature sensor read between 17 and 21°C last night ({start:%H:%M}-{end:%H:%M}), "
                            "19°C on average (1 reading)")
    assert "no readings of the radiator" in reply  # the valve reports too, but nothing was recorded for it
    assert "kitchen" not in agent.turn("what was the humidity in the bedroom yesterday").reply
    assert agent.turn("how cold was the garage last night").reply == "Nothing there measures temperature."
    agent.close()
