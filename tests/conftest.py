"""Shared fixtures: a real Mosquitto on a free port, per-test topic prefixes, the example home."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from device_drivers.broker import EmbeddedBroker, find_mosquitto
from device_drivers.connection import Connection
from device_drivers.home import Home, load_home
from device_drivers.simulator import Simulator
from device_drivers.transport import Transport

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_HOME = ROOT / "examples" / "homes" / "flat.json"


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    if find_mosquitto() is None:
        pytest.fail("mosquitto is not installed: the tests need a real broker (apt-get install -y mosquitto)")
    with EmbeddedBroker(kind="mosquitto") as b:
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
    conn = Connection(transport, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/ha")
    for driver in conn.drivers.values():
        driver.start()
    # the broker handles one client's packets in order: once this SUBACK is back, the
    # drivers' subscriptions above are active too, and nothing published after is missed
    assert transport.subscribe(f"{prefix}/_fence", lambda t, p: None, wait=5)
    return conn
