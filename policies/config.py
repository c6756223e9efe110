"""The policy file: who may do what, what needs confirmation, quiet hours, rate limits.

TOML or YAML. Devices are picked with selectors: ``*``, ``risky``, ``type:lock``,
``id:garage.*``, ``name:*garage*`` (name or alias), ``room:kitchen``, ``tool:notify``;
globs are case-insensitive.
"""

from __future__ import annotations

import fnmatch
import tomllib
from datetime import time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from iotlm.device_drivers.clock import Window
from iotlm.device_drivers.model import Device, first_error
from iotlm.errors import SetupError
from iotlm.policies.model import User

SELECTOR_KINDS = ("type", "id", "name", "room", "tool")
ANONYMOUS = "anonymous"
"""Who asks on a channel that names nobody (``iotlm/<home>/ask``): role ``mqtt.anonymous_role``, guest by default."""


class PolicyConfigError(SetupError):
    """A policy file that cannot be used; names the file, the place and what would be right."""


def check_selector(selector: str) -> str:
    if selector in ("*", "risky"):
        return selector
    kind, sep, pattern = selector.partition(":")
    if not sep or kind not in SELECTOR_KINDS or not pattern:
        raise ValueError(
            f"selector {selector!r} is not understood; use '*', 'risky' or one of "
            + ", ".join(f"'{k}:PATTERN'" for k in SELECTOR_KINDS)
        )
    return selector


def device_types(device: Device) -> set[str]:
    """What a device is, for the gate: its type, and what its capabilities make it whatever type it was given. A
    device that can be locked and unlocked is a lock, even if something announced it as a light."""
    found = {device.type.lower()}
    state = device.attributes.get("state")
    options = {str(o).lower() for o in (state.options or [])} if state is not None else set()
    if {"locked", "unlocked"} & options:
        found.add("lock")
    opens = bool({"open", "closed"} & options) or "position" in device.attributes
    if opens and any("garage" in n.lower() for n in (device.name, *device.aliases)):
        found.add("garage_door")  # the garage door, however it was announced; not the garage's light or plug
    return found


def selector_matches(selector: str, device: Device | None, tool: str) -> bool:
    if selector == "*":
        return True
    if selector == "risky":
        return device is not None and device.risky
    kind, _, pattern = selector.partition(":")
    pattern = pattern.lower()
    if kind == "tool":
        return fnmatch.fnmatchcase(tool.lower(), pattern)
    if device is None:
        return False
    if kind == "type":
        return any(fnmatch.fnmatchcase(t, pattern) for t in device_types(device))
    if kind == "id":
        return fnmatch.fnmatchcase(device.id.lower(), pattern)
    if kind == "room":
        return fnmatch.fnmatchcase((device.room or "").lower(), pattern)
    names = [device.name, *device.aliases]
    return any(fnmatch.fnmatchcase(n.lower(), pattern) for n in names)


class Rule(BaseModel):
    """Devices (a selector) and the operations on them (``unlock``, ``set_volume``, ``*``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    devices: str
    operations: list[str] = Field(default_factory=lambda: ["*"])

    @field_validator("devices")
    @classmethod
    def _selector(cls, v: str) -> str:
        return check_selector(v)

    def matches(self, device: Device | None, tool: str, operation: str | None) -> bool:
        if not selector_matches(self.devices, device, tool):
            return False
        op = (operation or tool).lower()
        return any(fnmatch.fnmatchcase(op, o.lower()) for o in self.operations)

    def text(self) -> str:
        ops = ", ".join(self.operations)
        return f"{ops} on {self.devices}"


class Role(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    deny: list[Rule] = Field(default_factory=list)
    ask: list[Rule] = Field(default_factory=list)


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    start: time = time(22, 0)
    end: time = time(7, 0)
    devices: str = "type:media_player"
    attribute: str = "volume"
    max_value: float = 30

    @field_validator("devices")
    @classmethod
    def _selector(cls, v: str) -> str:
        return check_selector(v)

    def active(self, now: time) -> bool:
        return Window(self.start, self.end).contains(now)


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_commands: int = Field(default=20, ge=1)
    per_seconds: float = Field(default=60, gt=0)


def _default_roles() -> dict[str, Role]:
    return {
        "admin": Role(),
        "member": Role(),
        "guest": Role(deny=[
            Rule(devices="type:lock", operations=["unlock"]),
            Rule(devices="type:garage_door", operations=["open", "set_position", "turn_on"]),
            Rule(devices="name:*oven*"),
        ]),
    }


class MqttAccess(BaseModel):
    """Who may do what through chat over MQTT (``iotlm run``), where identity is the topic the broker let them write."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    anonymous_role: str = "guest"
    """The role of requests on ``iotlm/<home>/ask`` itself, which names nobody."""
    allow_yes: list[str] = Field(default_factory=list)
    """Users whose ``"yes": true`` confirms a risky action up front; for everyone else it confirms nothing, and a
    confirmation is a second message answering the question's id."""


class ReadAccess(BaseModel):
    """Who reads what beyond their own: each field lists the roles that may. Everyone reads the devices, the rooms,
    the rules and what they themselves said, did and were told; the rest is private to its person by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    memories: list[str] = Field(default_factory=list)
    """Roles that read every person's memories and episodes (by default nobody: a person reads their own and those an
    admin shared with the household)."""
    audit: list[str] = Field(default_factory=lambda: ["admin"])
    """Roles that read the whole audit log; the others read the entries about their own requests and rules."""
    events: list[str] = Field(default_factory=lambda: ["admin"])
    """Roles that see other people's gate decisions and rule firings on the live stream (everyone sees device state)."""
    jobs: list[str] = Field(default_factory=lambda: ["admin"])
    """Roles that see and cancel every person's scheduled jobs; the others, their own."""

    def may(self, what: str, role: str) -> bool:
        roles: list[str] = getattr(self, what)
        return role in roles


class PolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    confirm: list[str] = Field(default_factory=lambda: ["risky", "type:lock", "type:garage_door", "name:*oven*"])
    """Devices whose changes need the person's confirmation."""
    users: dict[str, str] = Field(default_factory=lambda: {"owner": "admin"})
    default_role: str = "guest"
    """The role of a name neither this file nor the users store knows (a voice satellite's broker account, a removed
    person): the least privilege, so nobody unlocks a door by being unknown."""
    roles: dict[str, Role] = Field(default_factory=_default_roles)
    quiet_hours: QuietHours = QuietHours()
    rate_limit: RateLimit = RateLimit()
    mqtt: MqttAccess = MqttAccess()
    read: ReadAccess = ReadAccess()

    @field_validator("confirm")
    @classmethod
    def _selectors(cls, v: list[str]) -> list[str]:
        return [check_selector(s) for s in v]

    @model_validator(mode="after")
    def _roles_exist(self) -> PolicyConfig:
        if "owner" not in self.users and "admin" in self.roles:
            # "owner" is whoever runs the CLI as the data directory's owner; a [users] table that lists only the others
            # keeps them an admin, rather than making them a guest by default_role
            object.__setattr__(self, "users", {"owner": "admin", **self.users})
        if "mqtt" not in self.model_fields_set and self.mqtt.anonymous_role not in self.roles:
            # a file that defines its own roles and no [mqtt]: anonymous MQTT requests still get the shipped guest
            # role (no unlocking), never an error nor a more powerful role
            object.__setattr__(self, "roles", {**self.roles, "guest": _default_roles()["guest"]})
        readers = [(f"read.{what}", role) for what in ReadAccess.model_fields for role in getattr(self.read, what)]
        for name, role in [*self.users.items(), ("default_role", self.default_role),
                           ("mqtt.anonymous_role", self.mqtt.anonymous_role), *readers]:
            if role not in self.roles:
                raise ValueError(f"{name!r} has role {role!r}, which is not defined; roles: {', '.join(self.roles)}")
        return self

    def role_of(self, user: str) -> str:
        if user == ANONYMOUS and user not in self.users:
            return self.mqtt.anonymous_role
        return self.users.get(user, self.default_role)

    def user(self, name: str | None) -> User:
        """The person as the gate sees them: their role as this configuration says now."""
        name = name or "owner"
        return User(name=name, role=self.role_of(name))


def load_policy_config(path: str | Path | None) -> PolicyConfig:
    """Read a ``.toml`` / ``.yaml`` policy file; None gives the shipped defaults."""
    if path is None:
        return PolicyConfig()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyConfigError(f"cannot read policy file {path}: {exc.strerror or exc}") from exc
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise PolicyConfigError(f"policy file {path}: use a .toml or .yaml file")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise PolicyConfigError(f"policy file {path}: not valid {path.suffix[1:].upper()}: {exc}") from exc
    try:
        return PolicyConfig.model_validate(data)
    except ValidationError as exc:
        where, what = first_error(exc)
        raise PolicyConfigError(f"policy file {path}: {where or '(top level)'}: {what}") from exc


__all__ = ["ANONYMOUS", "SELECTOR_KINDS", "MqttAccess", "PolicyConfig", "PolicyConfigError", "QuietHours", "RateLimit",
    "ReadAccess", "Role", "Rule", "check_selector", "device_types", "load_policy_config", "selector_matches"]
