"""Shared fixtures: a real Mosquitto on a free port, per-test topic prefixes, the example home."""

from __future__ import annotations

import contextlib
import io
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from iotlm.device_drivers.broker import EmbeddedBroker, find_mosquitto
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.home import Home, default_homebench_path, load_home
from iotlm.device_drivers.simulator import Simulator
from iotlm.device_drivers.transport import Transport
from iotlm.policies.audit import AuditLog
from iotlm.policies.config import PolicyConfig
from iotlm.policies.defaults import default_policies
from iotlm.policies.gate import Gate
from iotlm.tools.executor import Executor
from iotlm.tools.plugins import build_tools, plugin_manager

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_HOME = ROOT / "examples" / "homes" / "flat.json"


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, env: dict[str, str] | None = None) -> CliResult:
    """``iotlm ARGS`` in this process (as ``subprocess.run`` would report it): the environment set for the call only."""
    from iotlm.cli import main

    saved = dict(os.environ)
    os.environ.update(env or {})
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return CliResult(code, out.getvalue(), err.getvalue())


def homebench_homes() -> Path:
    """HomeBench's homes: the whole file from ../shared when it is beside the clone, else the first 8 homes kept in
    tests/data (public data, BITHLP/HomeBench), so a clone on its own still runs every test."""
    shared = default_homebench_path()
    return shared if shared.exists() else ROOT / "tests" / "data" / "homebench-homes-0-7.jsonl"


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    if find_mosquitto() is None:
        pytest.fail("mosquitto is not installed: the tests need a real broker (apt-get install -y mosquitto)")
    with EmbeddedBroker() as b:
        yield b


@pytest.fixture
def prefix() -> str:
    """A topic prefix of this test's own, so retained messages never leak between tests."""
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture
def home() -> Home:
    return load_home(EXAMPLE_HOME)


@pytest.fixture
def transport(broker: EmbeddedBroker) -> Iterator[Transport]:
    t = Transport(broker.url).start()
    yield t
    t.stop()


@pytest.fixture
def sim_transport(broker: EmbeddedBroker) -> Iterator[Transport]:
    t = Transport(broker.url).start()
    yield t
    t.stop()


def start_sim(home: Home, transport: Transport, prefix: str, dialect: str = "z2m") -> Simulator:
    return Simulator(home, transport, dialect=dialect, base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha",
                     ha_root=f"{prefix}/devices").start()  # type: ignore[arg-type]


def connect(transport: Transport, prefix: str) -> Connection:
    # every dialect under the test's own prefix: a driver listening at the broker's root (ESPHome's +/+/+/state) would
    # otherwise be sent every retained state the session's earlier tests left there
    conn = Connection(transport, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha", tasmota_discovery=f"{prefix}/tasmota/discovery",
                      shelly_root=prefix, esphome_root=prefix)
    for driver in conn.drivers.values():
        driver.start()
    # the broker handles one client's packets in order: once this SUBACK is back, the
    # drivers' subscriptions above are active too, and nothing published after is missed
    assert transport.subscribe(f"{prefix}/_fence", lambda t, p: None, wait=5)
    return conn


NOON = datetime(2026, 1, 14, 12, 0)
"""The tests' time of day: never the machine's (quiet hours 22:00-07:00 would otherwise decide tests at night)."""


class FakeClock:
    """A clock the test moves: ``clock()`` is the time now, ``advance(seconds)`` moves it on."""

    def __init__(self, start: datetime = NOON) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Stack:
    """A simulated home on the broker, and iotlm's side of it: devices, gate, audit, executor."""

    sim: Simulator
    conn: Connection
    audit: AuditLog
    executor: Executor
    config: PolicyConfig
    clock: FakeClock


def settle(conn: Connection, home: Home, timeout: float = 20) -> None:
    """Wait until iotlm's registry holds every simulated device with its state (the answers to the drivers' state
    requests are in), so nothing the test sends next can be overtaken by them."""
    wanted = {d.id for d in home.devices}
    settled = conn.registry.wait_for(
        lambda r: wanted <= set(r.ids()) and all(r.get(i).state() == home.device(i).state() for i in wanted),  # type: ignore[union-attr]
        timeout=timeout)
    assert settled, f"the simulated home did not settle in {timeout:g} s: {unsettled(conn, home)}"


def unsettled(conn: Connection, home: Home) -> str:
    """What the registry still lacks of the simulated home: the devices missing, and those whose state differs."""
    missing = sorted(d.id for d in home.devices if conn.registry.get(d.id) is None)
    differ = {d.id: (conn.registry.get(d.id).state(), d.state()) for d in home.devices  # type: ignore[union-attr]
              if conn.registry.get(d.id) is not None and conn.registry.get(d.id).state() != d.state()}  # type: ignore[union-attr]
    return f"missing {missing}; differing (seen, simulated) {differ}"


def make_stack(home: Home, transport: Transport, sim_transport: Transport, prefix: str, db: Path,
               config: PolicyConfig | None = None, clock: Any = None) -> Stack:
    sim = start_sim(home, sim_transport, prefix)
    conn = connect(transport, prefix)
    settle(conn, home)
    config = config or PolicyConfig()
    audit = AuditLog(db)
    tools = build_tools(plugin_manager())
    clock = clock or FakeClock()
    executor = Executor(conn, Gate(default_policies(config), audit), tools, policy_config=config, verify_timeout=3.0,
                        clock=clock)
    return Stack(sim, conn, audit, executor, config, clock)


@pytest.fixture
def stack(home: Home, transport: Transport, sim_transport: Transport, prefix: str, tmp_path: Path) -> Iterator[Stack]:
    s = make_stack(home, transport, sim_transport, prefix, tmp_path / "iotlm.db")
    yield s
    s.audit.close()


def eventually(predicate: Callable[[], object], timeout: float = 5.0) -> bool:
    """Whether ``predicate()`` becomes true within ``timeout`` seconds (polled every 10 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())
