"""A home to benchmark in: embedded broker, simulated devices, and the full agent on top."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from iotlm.agent.session import Agent, TurnResult
from iotlm.config import Settings, load_settings
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.home import Home
from iotlm.device_drivers.model import Value
from iotlm.device_drivers.simulator import Simulator
from iotlm.device_drivers.simulator.sim import Dialect
from iotlm.device_drivers.transport import Transport
from iotlm.policies.audit import AuditLog
from iotlm.policies.config import PolicyConfig, RateLimit
from iotlm.policies.defaults import default_policies
from iotlm.policies.gate import Gate
from iotlm.runtime import Runtime
from iotlm.tools.executor import Executor
from iotlm.tools.plugins import build_tools, plugin_manager

# A benchmark sends far more commands per device and minute than a household: lift the rate limit.
BENCH_POLICIES = PolicyConfig(rate_limit=RateLimit(max_commands=10**9, per_seconds=1))


class Turns(Protocol):
    def turn(self, utterance: str, *, thread: str = "default", user: str | None = None, room: str | None = None,
             yes: bool = False, origin: str = "chat") -> TurnResult: ...


@dataclass
class BenchHome:
    """One simulated home on a broker, with its own topics, devices, gate, audit and agent."""

    home: Home
    sim: Simulator
    runtime: Runtime
    agent: Turns
    transport: Transport
    initial: dict[str, dict[str, Value]] | None = None
    """The state the devices first reported, by the registry's ids, where their dialect names or scales them its own
    way (a Tasmota Dimmer is a percentage, an ESPHome node's sensors are a device each); None: the home file's."""

    def reset(self, timeout: float = 5.0) -> None:
        """Back to the home file's state, as the devices report it."""
        self.sim.reset()
        initial = self.initial or {d.id: d.state() for d in self.home.devices if d.id not in self.sim.left_out}
        registry = self.runtime.connection.registry
        registry.wait_for(lambda r: all(r.get(i) is not None and _same_state(r.get(i).state(), s)  # type: ignore[union-attr]
                                        for i, s in initial.items()), timeout)
        self.runtime.connection.transport.drain()

    def states(self) -> dict[str, dict[str, Value]]:
        """Every device's state in the home file's terms: as the registry has it, or, in a dialect that names or
        scales devices its own way, as the simulated devices have it after what they were sent."""
        self.runtime.connection.transport.drain()
        if self.initial is None:
            return self.runtime.connection.registry.states()
        return {i: s for i, s in self.sim.states().items() if i not in self.sim.left_out}

    def close(self) -> None:
        close = getattr(self.agent, "close", None)
        if close:
            close()
        self.sim.clear_discovery()
        self.runtime.stop()
        self.transport.stop()


def _same_state(a: dict[str, Value], b: dict[str, Value]) -> bool:
    return all(a.get(k) == v for k, v in b.items() if v is not None)


BENCH_TIME = datetime(2026, 1, 14, 12, 0)
"""The time of day every benchmark case is decided at (a Wednesday noon): results never depend on when they run
(quiet hours would otherwise refuse loud volumes at night)."""


def open_home(home: Home, broker_url: str, *, data_dir: Path | None = None, model_factory: Callable[[], Any] | None = None,
              model: Any = None, wrap: Callable[[Agent[Runtime]], Turns] | None = None, settle: float = 10.0,
              clock: Callable[[], datetime] = lambda: BENCH_TIME, policies: PolicyConfig = BENCH_POLICIES,
              dialect: Dialect = "z2m") -> BenchHome:
    """``dialect``: the one the simulated devices speak (``tasmota`` leaves out what Tasmota cannot be)."""
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    sim_transport = Transport(broker_url).start()
    sim = Simulator(home, sim_transport, base=f"{prefix}/z2m", ha_root=f"{prefix}/ha", ha_prefix=f"{prefix}/hadisc",
                    dialect=dialect, tasmota_discovery=f"{prefix}/tasmota/discovery", tasmota_root=prefix,
                    shelly_root=prefix, esphome_root=prefix).start()
    data = data_dir or scratch("iotlm-bench-")
    settings: Settings = load_settings({"home": str(data)}, environ={})
    transport = Transport(broker_url)
    connection = Connection(transport, z2m_base=f"{prefix}/z2m", ha_prefix=f"{prefix}/hadisc",
                            tasmota_discovery=f"{prefix}/tasmota/discovery", shelly_root=prefix, esphome_root=prefix).start()
    native = dialect == "z2m" and not home.dialects
    wanted = {w for d in home.devices for w in sim.wire_ids(d.id)}
    if native:
        connection.registry.wait_for(
            lambda r: wanted <= set(r.ids()) and all(_same_state(r.get(i).state(), home.device(i).state()) for i in wanted),  # type: ignore[union-attr]
            settle)
    else:  # another dialect may give a value on its own scale (a Tasmota Dimmer is a percentage): every value there
        connection.registry.wait_for(lambda r: wanted <= set(r.ids()) and all(
            all(v is not None for v in r.get(i).state().values()) for i in wanted), settle)  # type: ignore[union-attr]
    missing = wanted - set(connection.registry.ids())
    if missing:
        raise RuntimeError(f"the simulated home did not come up: {len(missing)} devices missing, e.g. {sorted(missing)[:3]}")
    audit = AuditLog(data / f"{prefix}.db")
    tools = build_tools(plugin_manager())
    executor = Executor(connection, Gate(default_policies(policies), audit), tools, policy_config=policies, clock=clock)
    runtime = Runtime(settings, connection, tools, policies, audit, executor)
    agent = Agent(runtime, model=model, model_factory=model_factory, threads_db=data / f"{prefix}-threads.db",
                  floors={a.name: a.floor for a in home.areas if a.floor})
    initial = None if native else {i: s for i, s in connection.registry.states().items() if i in wanted}
    return BenchHome(home, sim, runtime, wrap(agent) if wrap else agent, sim_transport, initial)


def scratch(prefix: str) -> Path:
    """A temporary folder for one benchmark run, removed when the process ends."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def models_dir() -> Path:
    """Where the packaged model is assembled: the user's own models folder, so a benchmark never copies it."""
    settings = load_settings()
    return settings.models_dir or settings.home / "models"


__all__ = ["BENCH_POLICIES", "BENCH_TIME", "BenchHome", "Turns", "models_dir", "open_home", "scratch"]
