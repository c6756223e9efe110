"""Everything a running iotlm needs, built once from the settings: devices, tools, gate, executor."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from iotlm.automations.notices import Notices
from iotlm.config import Settings
from iotlm.device_drivers.clock import WALL, Window
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.overrides import DeviceOverride, OverrideFileError, load_overrides
from iotlm.device_drivers.transport import Transport
from iotlm.memory.history import HistoryRecorder
from iotlm.memory.integrity import check_data_dir, mark_stores, secure_data_dir
from iotlm.memory.pins import PinStore
from iotlm.memory.store import MemoryStore
from iotlm.policies.audit import AuditLog
from iotlm.policies.config import PolicyConfig, load_policy_config
from iotlm.policies.defaults import default_policies
from iotlm.policies.gate import Gate
from iotlm.policies.model import User
from iotlm.policies.users import UserStore, person
from iotlm.tools.executor import Executor
from iotlm.tools.plugins import build_drivers, build_tools, plugin_manager
from iotlm.tools.registry import ToolRegistry

log = logging.getLogger(__name__)


def policy_file(settings: Settings) -> Path | None:
    if settings.policies is not None:
        return settings.policies
    for name in ("policies.toml", "policies.yaml", "policies.yml"):
        candidate = settings.home / name
        if candidate.exists():
            return candidate
    return None


def service_session(settings: Settings, name: str) -> str:
    """The broker session of ``iotlm run`` for this home and data directory: the same after every restart, so the
    device reports that arrive while it is down are kept for it (one worker; shared workers use clean sessions)."""
    digest = hashlib.sha1(str(settings.home.resolve()).encode()).hexdigest()[:8]
    return f"iotlm-run-{name}-{digest}"


def device_overrides(settings: Settings) -> dict[str, DeviceOverride]:
    """The devices file's overrides ({} without one); a named file that does not exist is an error, not a default."""
    path = settings.devices_file or settings.home / "devices.toml"
    if settings.devices_file is not None and not path.exists():
        raise OverrideFileError(f"devices file {path} does not exist; create it or leave devices_file unset")
    return load_overrides(path)


def database_path(settings: Settings) -> Path:
    return settings.home / "iotlm.db"


@dataclass
class Runtime:
    settings: Settings
    connection: Connection
    tools: ToolRegistry
    policy_config: PolicyConfig
    audit: AuditLog
    executor: Executor
    store: MemoryStore | None = None
    history: HistoryRecorder | None = None
    users: UserStore | None = None
    notices: Notices | None = None
    """What the watchers noticed, and who was told (``iotlm run`` watches; the web app and chat read them)."""
    _memory: Any = None

    def memory(self) -> Any:
        """The embedding memory, built on first need (importing the embedder takes seconds)."""
        if self._memory is None and self.store is not None:
            from iotlm.memory.embeddings import MiniLMEmbedder
            from iotlm.memory.memory import Memory

            self._memory = Memory(self.store, MiniLMEmbedder(), self.settings.home)
        return self._memory

    def user(self, name: str | None) -> User:
        """The person as the gate sees them: the policy file's role for them, else the role they were added with
        (``iotlm users add``), else the policy file's default role."""
        return person(self.policy_config, self.users, name)

    def stop(self) -> None:
        mark_stores(self.settings.home)  # the stores that hold data now (rules and threads are opened after start)
        self.connection.stop()
        pins = self.connection.registry.pins
        if isinstance(pins, PinStore):
            pins.close()
        if self.history is not None:
            self.history.stop()
        if self.store is not None:
            self.store.close()
        self.audit.close()
        if self.users is not None:
            self.users.close()
        if self.notices is not None:
            self.notices.close()


def people(config: PolicyConfig, users: UserStore | None) -> dict[str, str]:
    """Everyone who may be told something, with their role: the users added with ``iotlm users add`` and the policy
    file's [users] (whose role wins)."""
    return {**(users.roles() if users is not None else {}), **config.users}


def quiet_window(config: PolicyConfig) -> Window | None:
    """The quiet hours, when notices other than safety wait to be read rather than pushed (the policy file's)."""
    quiet = config.quiet_hours
    return Window(quiet.start, quiet.end) if quiet.enabled else None


def make_notices(settings: Settings, config: PolicyConfig, users: UserStore | None, connection: Connection,
                 clock: Callable[[], datetime] = WALL) -> Notices:
    return Notices(database_path(settings), people=lambda: people(config, users), clock=clock,
                   quiet=lambda: quiet_window(config), devices=connection.registry.all)


def build_runtime(settings: Settings, broker_url: str, *, share_group: str | None = None,
                  clock: Callable[[], datetime] = WALL, session: str | None = None) -> Runtime:
    """Load plugins and policies (start-up errors surface here), connect, and wire the gate."""
    secure_data_dir(settings.home)
    for note in check_data_dir(settings.home, fresh=settings.fresh):  # before anything opens a store
        log.warning("%s", note)
    pm = plugin_manager()
    tools = build_tools(pm)
    drivers = build_drivers(pm)
    config = load_policy_config(policy_file(settings))
    audit = AuditLog(database_path(settings))
    transport = Transport(broker_url, username=settings.username, password=settings.password,
                          ca_certs=str(settings.ca_certs) if settings.ca_certs else None, session=session)
    connection = Connection(transport, z2m_base=settings.z2m_base, ha_prefix=settings.ha_prefix, drivers=drivers,
                            tasmota_discovery=settings.tasmota_discovery, shelly_root=settings.shelly_root,
                            esphome_root=settings.esphome_root, overrides=device_overrides(settings),
                            share_group=share_group, pins=PinStore(database_path(settings)))
    gate = Gate(default_policies(config), audit)
    executor = Executor(connection, gate, tools, policy_config=config, clock=clock)
    store = MemoryStore(database_path(settings))
    purged = store.purge(keep_history_days=settings.keep_history_days, vacuum=False)
    if purged:
        log.info("state history: %d rows older than %g days deleted", purged, settings.keep_history_days)
    # a worker sharing the reports records every one it gets, so the history holds the latest value of each device
    history = HistoryRecorder(store, clock=clock).attach(connection.registry, every_report=share_group is not None)
    users = UserStore(database_path(settings))
    runtime = Runtime(settings, connection, tools, config, audit, executor, store, history, users,
                      make_notices(settings, config, users, connection, clock))
    mark_stores(settings.home)
    return runtime


__all__ = ["Runtime", "build_runtime", "database_path", "device_overrides", "make_notices", "people", "policy_file",
           "quiet_window", "service_session"]
