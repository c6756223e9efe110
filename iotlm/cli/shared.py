"""What every command group shares: options, settings, the broker, discovery, the agent session, text checks."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from iotlm.agent.llm.backend import HTTPModel, LocalModel, default_model_file, default_model_path
from iotlm.agent.session import Agent
from iotlm.config import Settings, load_settings
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.connection import Connection
from iotlm.device_drivers.model import Device
from iotlm.device_drivers.transport import Transport
from iotlm.errors import UserError
from iotlm.memory.pins import PinStore
from iotlm.runtime import Runtime, build_runtime, database_path, device_overrides
from iotlm.tools.plugins import PluginError

Command = Callable[[argparse.Namespace], int]


class Commands:
    """What a ``register_commands`` hook receives: ``add()`` a command, then give it the shared options.

    ``add(name, help=...)`` returns an :class:`argparse.ArgumentParser`; set what runs with
    ``parser.set_defaults(func=run)``, where ``run(args)`` returns the exit status. ``common(parser)`` adds
    ``--broker``, ``--home-dir`` and ``--config``; ``talk(parser)`` adds the options of commands that talk to the agent
    (``--user``, ``--room``, ``--model``...); ``settings_for(args)`` reads the settings those options select.
    """

    def __init__(self, subparsers: Any) -> None:
        self._sub = subparsers
        self.origin = "iotlm"
        self.names: dict[str, str] = {}

    def add(self, name: str, *, help: str) -> argparse.ArgumentParser:
        if name in self.names:
            raise PluginError(f"plugin {self.origin!r}: a command named {name!r} is already registered by "
                              f"{self.names[name]!r}; choose another name")
        self.names[name] = self.origin
        parser: argparse.ArgumentParser = self._sub.add_parser(name, help=help)
        return parser

    @staticmethod
    def common(parser: argparse.ArgumentParser) -> None:
        common(parser)

    @staticmethod
    def talk(parser: argparse.ArgumentParser) -> None:
        talk(parser)

    @staticmethod
    def home_only(parser: argparse.ArgumentParser) -> None:
        home_only(parser)

    @staticmethod
    def settings_for(args: argparse.Namespace) -> Settings:
        return settings_for(args)


def usage(parser: argparse.ArgumentParser) -> Command:
    """What a command group runs without a sub-command: its help, exit status 2."""
    def show(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2
    return show


def common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--broker", help="MQTT broker URL (mqtt://host:port); default: $IOTLM_BROKER, else an embedded broker")
    p.add_argument("--home-dir", dest="home_dir", help="data directory (default: $IOTLM_HOME)")
    p.add_argument("--config", type=Path, help="config file (default: $IOTLM_HOME/config.toml)")
    p.add_argument("--fresh", action="store_const", const=True, default=None,
                   help="start afresh if a store of the data directory is gone, empty or damaged (the old file is kept "
                        "beside it); without it iotlm refuses to start and says what to do")


def home_only(p: argparse.ArgumentParser) -> None:
    p.add_argument("--home-dir", dest="home_dir", help="data directory (default: $IOTLM_HOME)")
    p.add_argument("--config", type=Path, help="config file (default: $IOTLM_HOME/config.toml)")


def talk(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help="who is speaking (roles come from the policy file); default: owner")
    p.add_argument("--room", help="the room the request comes from, used when the sentence names none")
    p.add_argument("--model", type=Path, help="a GGUF model (default: $IOTLM_MODEL, else the packaged Gemma 3 270M)")
    p.add_argument("--model-server", dest="model_server", help="an OpenAI-compatible server (http://host:port) instead")
    p.add_argument("--policies", type=Path, help="policy file (.toml/.yaml)")
    p.add_argument("--thread", help="conversation thread (default: one per user and command)")




class CLIError(UserError):
    """A user-facing error: printed as one line, exit status 2."""


NEEDS_CONFIRMATION = 3
"""``iotlm ask`` exit status when the request waits for a yes (0: answered, 2: bad input or setup)."""


def settings_for(args: argparse.Namespace) -> Settings:
    return load_settings({"broker": getattr(args, "broker", None), "home": getattr(args, "home_dir", None),
                          "policies": getattr(args, "policies", None), "model": getattr(args, "model", None),
                          "model_server": getattr(args, "model_server", None), "fresh": getattr(args, "fresh", None)},
                         config_file=getattr(args, "config", None))


def model_factory(settings: Settings) -> Any:
    """Builds the language model on first need (the fast path never waits for it)."""
    def build() -> Any:
        if settings.model_server:
            return HTTPModel(settings.model_server, timeout=settings.model_timeout_s)
        return LocalModel(settings.model or default_model_path(settings.models_dir or settings.home / "models"),
                          generate_timeout=settings.model_timeout_s)
    return build


def model_ready(settings: Settings) -> bool:
    """Whether the model can start without assembling it first (a warm-up never writes 250 MB in the background)."""
    if settings.model_server:
        return True
    return (settings.model or default_model_file(settings.models_dir or settings.home / "models")).exists()


def make_agent(runtime: Runtime, settings: Settings, floors: dict[str, str] | None = None) -> Agent[Runtime]:
    return Agent(runtime, model_factory=model_factory(settings), floors=floors)


@contextlib.contextmanager
def broker_url(settings: Settings) -> Iterator[str]:
    """The configured broker, or an embedded one for the duration of the block."""
    if settings.broker:
        yield settings.broker
        return
    with EmbeddedBroker() as broker:
        print(f"started an embedded {broker.impl} broker on {broker.url}", file=sys.stderr)
        yield broker.url


def transport_for(settings: Settings, url: str, **kw: Any) -> Transport:
    return Transport(url, username=settings.username, password=settings.password,
                     ca_certs=str(settings.ca_certs) if settings.ca_certs else None, **kw)


def discover(settings: Settings, url: str, wait: float, *, also: dict[str, list[str]] | None = None,
             held: dict[str, str] | None = None, accept: str | None = None) -> list[Device]:
    """The devices on the broker once discovery settles. ``also``: filled with the other dialects that announce a
    device too (held back: one physical device is listed once). ``held``: filled with the re-announcements held back
    because they change what a device was first seen as (its type, or a risky device's identity); ``accept``: the id of
    one to accept (``iotlm devices accept``)."""
    pins = PinStore(database_path(settings))
    conn = Connection(transport_for(settings, url), z2m_base=settings.z2m_base, ha_prefix=settings.ha_prefix,
                      tasmota_discovery=settings.tasmota_discovery, shelly_root=settings.shelly_root,
                      esphome_root=settings.esphome_root, overrides=device_overrides(settings), pins=pins)
    conn.start(timeout=10)
    try:
        conn.wait_settled(quiet=min(0.3, wait), timeout=wait)
        # state is not retained in Zigbee2MQTT: allow the /get answers to arrive
        conn.registry.wait_for(lambda r: all(
            any(a.value is not None for a in d.attributes.values()) for d in r.all()), timeout=min(wait, 2.0))
        conn.transport.drain()
        if accept is not None and conn.registry.accept(accept) is None:
            waiting = ", ".join(conn.registry.held_changes()) or "none"
            raise CLIError(f"nothing is held back for {accept!r}; held back: {waiting}")
        devices = sorted(conn.registry.all(), key=lambda d: (d.room or "", d.id))
        if also is not None:
            also.update({d.id: seen for d in devices if (seen := conn.registry.also_seen(d.id))})
        if held is not None:
            held.update(conn.registry.held_changes())
        return devices
    finally:
        conn.stop()
        pins.close()


def settle(runtime: Runtime, wait: float) -> None:
    conn = runtime.connection
    conn.start(timeout=10)
    conn.wait_settled(quiet=min(0.3, wait), timeout=wait)
    conn.registry.wait_for(lambda r: all(any(a.value is not None for a in d.attributes.values()) for d in r.all()),
                           timeout=min(wait, 2.0))
    conn.transport.drain()


@contextlib.contextmanager
def agent_session(settings: Settings, url: str, *, wait: float, floors: dict[str, str] | None = None,
                  warm: bool = False) -> Iterator[Agent[Runtime]]:
    """Connect, let discovery settle, and build the agent; everything is closed on the way out. ``warm``: load the
    model and the embedder in the background (long-lived sessions)."""
    runtime = build_runtime(settings, url)
    try:
        settle(runtime, wait)
        agent = make_agent(runtime, settings, floors)
        if warm and model_ready(settings):
            agent.warm_up()
        try:
            yield agent
        finally:
            agent.close()
    finally:
        runtime.stop()


def valid_text(text: str, what: str = "the request") -> str:
    """Text from the command line or a terminal, refused before anything acts if it is not valid UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text.encode("utf-8", "surrogateescape")[exc.start:exc.end]
        raise CLIError(f"{what} is not valid UTF-8 text (byte {bad.hex()!r} at character {exc.start}); "
                       "check your terminal's encoding (e.g. LANG=C.UTF-8)") from None
    return text


def print_devices(devices: list[Device], *, as_json: bool, also: dict[str, list[str]] | None = None,
                  held: dict[str, str] | None = None) -> None:
    """``also``: the other dialects that announce a device too, by id; ``held``: re-announcements held back, by id."""
    also, held = also or {}, held or {}
    if as_json:
        listed = [device_json(d) | ({"also_announced_by": also[d.id]} if d.id in also else {})
                  | ({"held_change": held[d.id]} if d.id in held else {}) for d in devices]
        listed += [{"id": i, "held_change": why} for i, why in held.items() if i not in {d.id for d in devices}]
        print(json.dumps(listed, indent=2, ensure_ascii=False))
        return
    for why in held.values():
        print(f"held back: {why}")
    if not devices:
        print("no devices found (is Zigbee2MQTT or Home Assistant discovery publishing on this broker? If the broker has "
              "an ACL, this user needs read access to zigbee2mqtt/# and homeassistant/#: see examples/mosquitto/acl)")
        return
    room = object()
    for device in devices:
        if device.room != room:
            room = device.room
            print(f"\n{device.room or '(no room)'}")
        flags = " [risky]" if device.risky else ""
        flags += " [read-only]" if device.read_only else ""
        flags += " [offline]" if device.availability == "offline" else ""
        dialect = f", {device.binding.driver}" if device.binding else ""
        dialect += f", also announced by {', '.join(also[device.id])}" if device.id in also else ""
        print(f"  {device.id}  ({device.type}, {device.name}{dialect}){flags}")
        for name, attr in device.attributes.items():
            if attr.kind == "options":
                allowed = "|".join(map(str, attr.options or []))
            elif attr.kind == "numeric":
                allowed = attr.range_text()
            else:
                allowed = attr.kind
            rw = "" if attr.writable else " (read-only)"
            print(f"      {name} = {attr.value!r}  [{allowed}]{rw}")


def device_json(device: Device) -> dict[str, Any]:
    return {
        "id": device.id, "name": device.name, "aliases": device.aliases, "room": device.room,
        "type": device.type, "risky": device.risky, "read_only": device.read_only,
        "availability": device.availability,
        "driver": device.binding.driver if device.binding else None,
        "attributes": {
            name: {k: v for k, v in attr.model_dump().items() if v is not None} for name, attr in device.attributes.items()
        },
    }


__all__ = ["NEEDS_CONFIRMATION", "CLIError", "Command", "Commands", "agent_session", "broker_url", "common",
    "device_json", "discover", "home_only", "make_agent", "model_factory", "model_ready", "print_devices",
    "settings_for", "settle", "talk", "transport_for", "usage", "valid_text"]
