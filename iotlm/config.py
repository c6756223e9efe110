"""Settings: one frozen, validated object. Precedence: flag > environment > file > default."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from iotlm.automations.model import ScheduleSettings
from iotlm.device_drivers.model import first_error
from iotlm.device_drivers.transport import BrokerURLError, parse_broker_url
from iotlm.errors import SetupError

ENV = {"broker": "IOTLM_BROKER", "home": "IOTLM_HOME", "model": "IOTLM_MODEL", "model_server": "IOTLM_MODEL_SERVER",
       "fresh": "IOTLM_FRESH"}


class ConfigError(SetupError):
    """A setting that cannot be used; the message names it and what would be right."""


def default_home() -> Path:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "iotlm"
    if os.name == "nt":
        return Path(os.environ.get("APPDATA", Path.home())) / "iotlm"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "iotlm"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    broker: str | None = None
    """``mqtt://host:port``; None starts an embedded broker."""
    home: Path = default_home()
    model: Path | None = None
    models_dir: Path | None = None
    """Where the packaged model is assembled on first use (default: <home>/models)."""
    z2m_base: str = "zigbee2mqtt"
    ha_prefix: str = "homeassistant"
    tasmota_discovery: str = "tasmota/discovery"
    shelly_root: str = ""
    """A topic level the Shellys' prefixes live under ("" for the usual ``<shelly-id>/...``)."""
    esphome_root: str = ""
    """A topic level the ESPHome nodes' prefixes live under ("" for the usual ``<node>/...``)."""
    username: str | None = None
    password: str | None = None
    ca_certs: Path | None = None
    model_server: str | None = None
    """An OpenAI-compatible completions server (http://host:port) to use instead of the local model."""
    policies: Path | None = None
    """Policy file (.toml/.yaml); default: $IOTLM_HOME/policies.toml if it exists."""
    devices_file: Path | None = None
    """Rooms, names, aliases, kinds and risk you give devices, over what their dialects say (TOML, by device id);
    default: $IOTLM_HOME/devices.toml if it exists."""
    model_timeout_s: float = Field(default=30.0, gt=0)
    """The longest a single model completion may take; past it the model process is stopped and the turn says so."""
    confirm_timeout_s: float = Field(default=120.0, gt=0)
    """A question waiting for yes or no expires after this many seconds; a yes after that confirms nothing."""
    fresh: bool = False
    """Start afresh when a store of the data directory is gone, empty or damaged (moved aside, never deleted) instead
    of refusing to start (:mod:`iotlm.memory.integrity`)."""
    keep_history_days: float = Field(default=90.0, gt=0)
    """Device state history older than this is deleted (at start and every few hours while running)."""
    comfort: dict[str, list[float | None]] = Field(default_factory=dict)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    """Comfort bands of the room conditions, [low, high] by condition (``temperature = [19, 23]``), or by condition and
    room or activity (``"illuminance.work" = [400, 800]``); the defaults are in :mod:`iotlm.agent.context.conditions`."""

    @field_validator("broker")
    @classmethod
    def _broker(cls, v: str | None) -> str | None:
        if v:
            try:
                parse_broker_url(v)
            except BrokerURLError as exc:
                raise ValueError(str(exc)) from exc
        return v or None

    @field_validator("comfort")
    @classmethod
    def _comfort(cls, v: dict[str, list[float | None]]) -> dict[str, list[float | None]]:
        from iotlm.agent.context.conditions import CONDITIONS, Bands

        for key in v:
            if key.split(".", 1)[0] not in CONDITIONS:
                raise ValueError(f"{key!r} is not a room condition; use one of {', '.join(CONDITIONS)}")
        Bands(v)  # each band is [low, high]
        return v


def load_settings(flags: dict[str, Any] | None = None, *, config_file: Path | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """Merge defaults, the config file, the environment and flags (None flags are unset)."""
    env = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    source: dict[str, str] = {}
    home = Path((flags or {}).get("home") or env.get(ENV["home"]) or default_home())
    path = config_file or home / "config.toml"
    if path.exists():
        try:
            from_file = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config file {path}: {exc}; fix it or remove it to use the defaults") from exc
        merged.update(from_file)
        source.update({key: f"config file {path}" for key in from_file})
    elif config_file is not None:
        raise ConfigError(f"config file {path} does not exist")
    for key, var in ENV.items():
        if env.get(var):
            merged[key] = env[var]
            source[key] = f"environment variable {var}"
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    merged.update(given)
    source.update({key: "--home-dir" if key == "home" else f"--{key.replace('_', '-')}" for key in given})
    merged.setdefault("home", home)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        where, what = first_error(exc)
        raise ConfigError(f"setting {where!r}: {what} (from {source.get(where, 'the defaults')})") from exc


__all__ = ["ENV", "ConfigError", "Settings", "default_home", "load_settings"]
