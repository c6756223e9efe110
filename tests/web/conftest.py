"""A real web server (uvicorn on a free port) over a real agent, gate and simulated flat on a real Mosquitto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from iotlm.agent.session import Agent
from iotlm.config import load_settings
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.model import Attribute, Device
from iotlm.device_drivers.transport import Transport
from iotlm.memory.history import HistoryRecorder
from iotlm.memory.memory import Memory
from iotlm.memory.store import MemoryStore
from iotlm.policies.config import PolicyConfig
from iotlm.policies.users import UserStore
from iotlm.runtime import Runtime, make_notices
from iotlm.web.server import WebServer
from tests.agent.test_agent import answer_with
from tests.conftest import Stack, make_stack
from tests.fakes import WordEmbedder

PASSWORD = "correct horse battery"


@dataclass
class Web:
    server: WebServer
    stack: Stack
    runtime: Runtime
    agent: Agent

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10, follow_redirects=False)

    def token(self, name: str, role: str) -> str:
        users = self.server.users
        if users.role(name) is None:
            users.add(name, role, PASSWORD)
        return users.new_token(name)

    def sent(self) -> list[tuple[str, object]]:
        """The commands the simulated devices received: (device id, JSON payload)."""
        return [(c.device_id or "", json.loads(c.payload)) for c in self.stack.sim.commands]


def make_web(stack: Stack, home_dir: Path) -> Web:
    settings = load_settings({"home": str(home_dir)}, environ={})
    store = MemoryStore(home_dir / "iotlm.db")
    history = HistoryRecorder(store, clock=stack.clock).attach(stack.conn.registry)
    users = UserStore(home_dir / "iotlm.db")
    runtime = Runtime(settings, stack.conn, stack.executor.tools, PolicyConfig(), stack.audit, stack.executor, store, history,
                      users, make_notices(settings, PolicyConfig(), users, stack.conn, stack.clock))
    runtime._memory = Memory(store, WordEmbedder(), home_dir)
    agent = Agent(runtime, model=answer_with("none"), ranker=False)
    server = WebServer(agent, bind="127.0.0.1:0", service_file=False).start()
    return Web(server, stack, runtime, agent)


def close_web(w: Web) -> None:
    w.server.stop()
    w.agent.close()
    w.runtime.history.stop()  # type: ignore[union-attr]
    w.runtime.store.close()  # type: ignore[union-attr]
    w.runtime.users.close()  # type: ignore[union-attr]
    w.runtime.notices.close()  # type: ignore[union-attr]


@pytest.fixture
def web(stack: Stack, tmp_path: Path) -> Iterator[Web]:
    w = make_web(stack, tmp_path)
    yield w
    close_web(w)


ODD_IDS = ("Kitchen/Kettle", "../rules/victim-rule/remove", "50% plug", "plug?x=1", "hall way lamp")
"""Device ids as discovery may announce them: Zigbee2MQTT friendly names with "/", and worse."""


def odd_home(home: Home) -> Home:
    extra = [Device(id=i, name=f"odd plug {n}", room="office", type="switch",
                    attributes={"state": Attribute(value="off", options=["on", "off"])}) for n, i in enumerate(ODD_IDS)]
    return home.model_copy(update={"devices": [*home.devices, *extra]})


@pytest.fixture
def odd_web(home: Home, transport: Transport, sim_transport: Transport, prefix: str, tmp_path: Path) -> Iterator[Web]:
    stack = make_stack(odd_home(home), transport, sim_transport, prefix, tmp_path / "iotlm.db")
    w = make_web(stack, tmp_path)
    yield w
    close_web(w)
    stack.audit.close()
