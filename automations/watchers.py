"""Watchers: what the home notices by itself ("the fridge door has been open for 11 minutes"), as data.

A watcher is a condition over the canonical device model (never a dialect's names), held for a while, and what to say
then. They are data: ``watchers.yaml`` beside this module is the built-in set; ``$IOTLM_HOME/watchers.yaml`` adds
watchers or replaces built-in ones by name (``enabled: false`` turns one off); plugins add more with the
``register_watchers`` hook. :class:`Watcher` reads one, :func:`load_watchers` all of them.

A condition is what a device's reported values are (``is``), optionally with a device in the same room (``with``: the
heating is on *with* a window open), a span of the day (``between``), no change of its readings for a while
(``unchanged``), or a judgement against the device's own history (``unusual``: on at an hour it has never been on at;
drawing far more power than it usually does at this hour of the week), see :mod:`iotlm.automations.watch`.
"""

from __future__ import annotations

import functools
import logging
import string
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeAlias

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from iotlm.automations.model import clock, seconds
from iotlm.device_drivers.capabilities import CAPABILITIES
from iotlm.device_drivers.clock import TimeOfDay, Window
from iotlm.device_drivers.model import Device, Value, first_error
from iotlm.errors import SetupError

log = logging.getLogger(__name__)

Level = Literal["safety", "warning", "info"]
LEVELS: tuple[Level, ...] = ("safety", "warning", "info")
PSEUDO = {"available": "whether the device answers (false: unavailable)"}
"""Values a condition may test beyond the device's attributes."""
SAY_FIELDS = frozenset({"device", "room", "value", "for", "since", "usual"})
"""What a watcher's ``say`` may name."""
Duration = Annotated[float, BeforeValidator(lambda v: seconds(v) or 0.0)]


class Select(BaseModel):
    """Which devices a watcher looks at: every listed part must hold (a part left out holds for all)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: list[str] = Field(default_factory=list)
    """Any of these device types."""
    has: list[str] = Field(default_factory=list)
    """Every one of these capabilities."""
    name: list[str] = Field(default_factory=list)
    """Any of these words in its name, an alias or its id ("fridge", "window")."""
    not_name: list[str] = Field(default_factory=list)
    """None of these words there."""

    @field_validator("type", "has", "name", "not_name", mode="before")
    @classmethod
    def _listed(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("has")
    @classmethod
    def _capabilities(cls, v: list[str]) -> list[str]:
        unknown = [c for c in v if c not in CAPABILITIES]
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not a capability of the device model; use one of "
                             f"{', '.join(sorted(CAPABILITIES))}")
        return v

    def matches(self, device: Device) -> bool:
        if self.type and device.type not in self.type:
            return False
        if any(c not in device.attributes for c in self.has):
            return False
        words = " ".join([device.name, *device.aliases, device.id.replace(".", " ").replace("_", " ")]).lower()
        if self.name and not any(w in words for w in self.name):
            return False
        return not any(w in words for w in self.not_name)


Test: TypeAlias = Value | dict[str, float] | list[Value]
"""A value (equal), ``{">": x}`` / ``{"<": x}`` (a number beyond), or a list (any of them)."""


def holds(test: Test, value: Value) -> bool:
    if isinstance(test, dict):
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        return all((value > limit) if op == ">" else (value < limit) for op, limit in test.items())
    if isinstance(test, list):
        return any(holds(t, value) for t in test)
    if isinstance(test, str) and isinstance(value, str):
        return test.lower() == value.lower()
    return bool(test == value) and isinstance(test, bool) == isinstance(value, bool)


def _check_tests(tests: dict[str, Test]) -> dict[str, Test]:
    for name, test in tests.items():
        if name not in CAPABILITIES and name not in PSEUDO:
            raise ValueError(f"{name!r} is not a capability of the device model (nor {', '.join(PSEUDO)})")
        if isinstance(test, dict) and (not test or set(test) - {">", "<"}):
            raise ValueError(f"{name}: a comparison is {{\">\": number}} or {{\"<\": number}}, not {test}")
    return tests


class With(BaseModel):
    """Another device of the same room, and what it must be (any one such device will do)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    devices: Select
    is_: dict[str, Test] = Field(alias="is")

    _tests = field_validator("is_")(_check_tests)


class Suggest(BaseModel):
    """The action a notification offers ("Close the garage door?"), carried out through the gate as whoever taps it."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    say: str
    """The button's words; ``{device}`` is the device acted on."""
    set: dict[str, Value]
    """One attribute and its value, e.g. ``{state: closed}``."""
    device: Select | None = None
    """A device of the same room to act on instead (the extractor fan when the bathroom is humid); default: the one seen."""
    for_: Duration | None = Field(default=None, alias="for")
    """Put it back as it was after this long (the fan on for 20 minutes): a job, kept like any other."""

    @field_validator("set")
    @classmethod
    def _one(cls, v: dict[str, Value]) -> dict[str, Value]:
        if len(v) != 1:
            raise ValueError(f"set one attribute, e.g. {{state: closed}}, not {len(v)}")
        return v


class Watcher(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str
    about: str
    """What kind of thing it notices ("open too long", "safety", "device health"): how they are grouped and reported."""
    level: Level = "warning"
    """safety goes through quiet hours, rate limits and mutes of other watchers; info is said, never pushed at night."""
    devices: Select
    is_: dict[str, Test] = Field(default_factory=dict, alias="is")
    with_: With | None = Field(default=None, alias="with")
    between: str | None = None
    """"23:00-06:00": only in this span of the day."""
    for_: Duration = Field(default=0.0, alias="for")
    """How long the condition must hold before anyone is told."""
    unchanged: Duration | None = None
    """The device's readings have not changed for this long (stuck, or it stopped reporting)."""
    unusual: Literal["hour", "power"] | None = None
    """Judged against the device's own history: turned on at an hour it has never been on at, or a power draw far
    above its usual for this hour of the week."""
    say: str
    """What is said: ``{device}``, ``{room}``, ``{value}`` (the value now), ``{for}`` (how long), ``{since}`` (HH:MM)."""
    suggest: Suggest | None = None
    to: list[str] = Field(default_factory=lambda: ["admin", "member"])
    """The roles told."""
    again: Duration = 3600.0
    """After an episode ends, the same device is not told about again for this long (a door opened and closed twice)."""
    enabled: bool = True

    _tests = field_validator("is_")(_check_tests)

    @field_validator("between")
    @classmethod
    def _span(cls, v: str | None) -> str | None:
        if v is None:
            return v
        start, sep, end = v.partition("-")
        if not sep:
            raise ValueError(f"{v!r}: write a span of the day as \"23:00-06:00\"")
        return f"{clock(start.strip())}-{clock(end.strip())}"

    @field_validator("say")
    @classmethod
    def _fields(cls, v: str) -> str:
        try:
            named = {name for _, name, _, _ in string.Formatter().parse(v) if name is not None}
        except ValueError as exc:
            raise ValueError(f"{v!r}: {exc}; write a field as {{device}}, and a brace as {{{{") from exc
        unknown = named - SAY_FIELDS
        if unknown:
            raise ValueError(f"{', '.join(sorted(unknown))}: not a field of what is said; use {', '.join(sorted(SAY_FIELDS))}")
        return v

    @model_validator(mode="after")
    def _says_something(self) -> Watcher:
        if not self.is_ and self.unchanged is None and self.unusual is None:
            raise ValueError("a watcher needs a condition: is, unchanged or unusual")
        if self.unusual == "power" and "power" not in self.devices.has:
            raise ValueError("unusual: power judges the power reading; add has: [power] to devices")
        return self

    @functools.cached_property
    def window(self) -> Window | None:
        """``between`` as a span of the day (read once: the engine asks on every report of the devices it watches)."""
        if self.between is None:
            return None
        start, end = self.between.split("-")
        return Window(TimeOfDay.fromisoformat(start), TimeOfDay.fromisoformat(end))


def parse_watchers(raw: Any, source: str) -> dict[str, Watcher | None]:
    """Watchers by id from a YAML document (``None`` for ``enabled: false``); a broken one names its id and field."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SetupError(f"watchers file {source}: expected watchers by name, e.g. \"fridge_open: {{devices: ..., is: ..., "
                         "say: ...}}\"")
    found: dict[str, Watcher | None] = {}
    for name, body in raw.items():
        if isinstance(body, dict) and body.get("enabled") is False and set(body) <= {"enabled"}:
            found[str(name)] = None
            continue
        try:
            watcher = Watcher.model_validate({**(body if isinstance(body, dict) else {"say": body}), "id": str(name)})
        except ValidationError as exc:
            where, what = first_error(exc)
            raise SetupError(f"watchers file {source}: watcher {name!r}, {where}: {what}") from exc
        found[str(name)] = watcher if watcher.enabled else None
    return found


def builtin_watchers() -> dict[str, Watcher]:
    text = resources.files("iotlm.automations").joinpath("watchers.yaml").read_text(encoding="utf-8")
    return {k: v for k, v in parse_watchers(yaml.safe_load(text), "watchers.yaml (built in)").items() if v is not None}


def load_watchers(home: Path | None = None, pm: Any = None) -> list[Watcher]:
    """The built-in watchers, then the plugins' (``register_watchers``), then the user's ``$IOTLM_HOME/watchers.yaml``
    (which wins by name). A plugin's broken watcher is logged and skipped; the user's file must be right."""
    found: dict[str, Watcher | None] = dict(builtin_watchers())
    if pm is not None:
        for impl in pm.hook.register_watchers.get_hookimpls():
            def register(name: str, data: dict[str, Any], origin: str = impl.plugin_name) -> None:
                try:
                    found.update(parse_watchers({name: data}, f"plugin {origin}"))
                except SetupError as exc:
                    log.warning("%s; skipped", exc)
            try:
                impl.function(register=register)
            except Exception:  # a plugin's bug must not stop the home being watched
                log.exception("plugin %s failed to register its watchers", impl.plugin_name)
    path = home / "watchers.yaml" if home is not None else None
    if path is not None and path.exists():
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise SetupError(f"watchers file {path}: {exc}; fix it or remove it to use the built-in watchers") from exc
        found.update(parse_watchers(raw, str(path)))
    return [w for w in found.values() if w is not None]


__all__ = ["LEVELS", "PSEUDO", "SAY_FIELDS", "Level", "Select", "Suggest", "Test", "Watcher", "With", "builtin_watchers", "holds",
           "load_watchers", "parse_watchers"]
