"""The ``iotlm`` command line."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from agent.config import ConfigError, Settings, load_settings
from agent.llm.backend import HTTPModel, LocalModel, default_model_path
from agent.runtime import Runtime, build_runtime, database_path
from agent.session import Agent
from device_drivers.broker import BrokerUnavailable, EmbeddedBroker
from device_drivers.connection import Connection
from device_drivers.home import Home, HomeFileError, default_homebench_path, load_home, load_homebench
from device_drivers.model import Device
from device_drivers.simulator import Simulator
from device_drivers.transport import Transport
from memory.migrations import DatabaseError
from policies.audit import AuditLog
from policies.config import PolicyConfigError
from tools.device_tools import device_operations
from tools.plugins import PluginError, build_tools, plugin_manager
from tools.registry import ToolInputError, UnknownToolError

EXAMPLE_HOME = Path(__file__).resolve().parents[1] / "examples" / "homes" / "flat.json"


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (CLIError, ConfigError, HomeFileError, ConnectionError, ValueError, PluginError, DatabaseError, OSError,
            PolicyConfigError, UnknownToolError, BrokerUnavailable) as exc:
        print(f"iotlm: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iotlm", description="An on-device language-model agent for the home.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(title="commands")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--broker", help="MQTT broker URL (mqtt://host:port); default: $IOTLM_BROKER, else an embedded broker")
        p.add_argument("--home-dir", dest="home_dir", help="data directory (default: $IOTLM_HOME)")
        p.add_argument("--config", type=Path, help="config file (default: $IOTLM_HOME/config.toml)")

    p = sub.add_parser("devices", help="list the devices discovered on the broker")
    common(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--wait", type=float, default=2.0, help="seconds to wait for discovery (default 2)")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("simulate", help="run a simulated home on the broker until interrupted")
    common(p)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--home", type=Path, help="home file (JSON, see DESIGN.md); default: the example flat")
    src.add_argument("--homebench", type=int, metavar="HOME_ID", help="a HomeBench home (0-99)")
    p.add_argument("--homebench-file", dest="homebench_file", type=Path,
                   help="HomeBench's home_status_method.jsonl (default: ../shared/benchmarks/homebench/)")
    p.add_argument("--dialect", choices=["z2m", "ha", "both"], default="z2m")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("tools", help="list every tool with its schema and origin")
    common(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--devices", action="store_true", help="also the operations of the devices on the broker")
    p.set_defaults(func=cmd_tools)

    p = sub.add_parser("call", help="call a tool or device operation (kitchen.light.turn_on) through the policy gate")
    common(p)
    p.add_argument("name", help="tool name, or DEVICE_ID.OPERATION")
    p.add_argument("args", nargs="*", metavar="KEY=VALUE", help="arguments; values are read as JSON when they parse")
    p.add_argument("--yes", action="store_true", help="confirm risky actions up front")
    p.add_argument("--user", help="who is asking (roles come from the policy file); default: owner")
    p.add_argument("--policies", type=Path, help="policy file (.toml/.yaml)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--wait", type=float, default=2.0, help="seconds to wait for discovery and for the device to confirm")
    p.set_defaults(func=cmd_call)

    p = sub.add_parser("audit", help="list the policy gate's decisions")
    p.add_argument("--home-dir", dest="home_dir", help="data directory (default: $IOTLM_HOME)")
    p.add_argument("--config", type=Path)
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--verdict", choices=["allow", "ask", "deny"])
    p.set_defaults(func=cmd_audit)

    def talk(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", help="who is speaking (roles come from the policy file); default: owner")
        p.add_argument("--room", help="the room the request comes from, used when the sentence names none")
        p.add_argument("--model", type=Path, help="a GGUF model (default: $IOTLM_MODEL, else the packaged Gemma 3 270M)")
        p.add_argument("--model-server", dest="model_server", help="an OpenAI-compatible server (http://host:port) instead")
        p.add_argument("--policies", type=Path, help="policy file (.toml/.yaml)")
        p.add_argument("--thread", help="conversation thread (default: one per user and command)")

    p = sub.add_parser("ask", help="one request; prints the reply (--json: the DESIGN.md result object)")
    common(p)
    talk(p)
    p.add_argument("utterance")
    p.add_argument("--json", action="store_true")
    p.add_argument("--yes", action="store_true", help="confirm risky actions up front")
    p.add_argument("--wait", type=float, default=2.0, help="seconds to wait for discovery")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="talk to your home (risky actions ask first)")
    common(p)
    talk(p)
    p.set_defaults(func=cmd_chat)

    from agent.bench.cli import add_parser as add_bench
    from memory.cli import add_parser as add_memory

    add_bench(sub)

    def home_only(p: argparse.ArgumentParser) -> None:
        p.add_argument("--home-dir", dest="home_dir", help="data directory (default: $IOTLM_HOME)")
        p.add_argument("--config", type=Path, help="config file (default: $IOTLM_HOME/config.toml)")

    add_memory(sub, home_only)

    from agent.rules.cli import add_parser as add_rules

    add_rules(sub, common, talk)

    p = sub.add_parser("demo", help="embedded broker + simulated example home + chat")
    p.add_argument("--home", type=Path, help="home file to simulate (default: the example flat)")
    p.add_argument("--home-dir", dest="home_dir", help="data directory (default: $IOTLM_HOME)")
    p.add_argument("--list", action="store_true", help="only list the simulated devices and exit")
    p.add_argument("--json", action="store_true", help="with --list: print JSON")
    talk(p)
    p.set_defaults(func=cmd_demo)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings({"broker": getattr(args, "broker", None), "home": getattr(args, "home_dir", None),
                          "policies": getattr(args, "policies", None), "model": getattr(args, "model", None),
                          "model_server": getattr(args, "model_server", None)},
                         config_file=getattr(args, "config", None))


def model_factory(settings: Settings) -> Any:
    """Builds the language model on first need (the fast path never waits for it)."""
    def build() -> Any:
        if settings.model_server:
            return HTTPModel(settings.model_server, timeout=settings.model_timeout_s)
        return LocalModel(settings.model or default_model_path(settings.models_dir or settings.home / "models"),
                          generate_timeout=settings.model_timeout_s)
    return build


def _agent(runtime: Runtime, settings: Settings, floors: dict[str, str] | None = None) -> Agent:
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


def _transport(settings: Settings, url: str, **kw: Any) -> Transport:
    return Transport(url, username=settings.username, password=settings.password,
                     ca_certs=str(settings.ca_certs) if settings.ca_certs else None, **kw)


def discover(settings: Settings, url: str, wait: float) -> list[Device]:
    conn = Connection(_transport(settings, url), z2m_base=settings.z2m_base, ha_prefix=settings.ha_prefix)
    conn.start(timeout=10)
    try:
        conn.wait_settled(quiet=min(0.3, wait), timeout=wait)
        # state is not retained in Zigbee2MQTT: allow the /get answers to arrive
        conn.registry.wait_for(lambda r: all(
            any(a.value is not None for a in d.attributes.values()) for d in r.all()), timeout=min(wait, 2.0))
        conn.transport.drain()
        return sorted(conn.registry.all(), key=lambda d: (d.room or "", d.id))
    finally:
        conn.stop()


def cmd_devices(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with broker_url(settings) as url:
        devices = discover(settings, url, args.wait)
    print_devices(devices, as_json=args.json)
    return 0


def print_devices(devices: list[Device], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps([device_json(d) for d in devices], indent=2, ensure_ascii=False))
        return
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
        print(f"  {device.id}  ({device.type}, {device.name}){flags}")
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


def _load_sim_home(args: argparse.Namespace) -> Home:
    if getattr(args, "homebench", None) is not None:
        return load_homebench(args.homebench_file or default_homebench_path(), args.homebench)
    return load_home(args.home or EXAMPLE_HOME)


def cmd_simulate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    home = _load_sim_home(args)
    stop = threading.Event()
    # before anything is published: a SIGTERM must always end in clear_discovery()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with broker_url(settings) as url:
        transport = _transport(settings, url).start()
        sim = Simulator(home, transport, dialect=args.dialect, base=settings.z2m_base, ha_prefix=settings.ha_prefix).start()
        print(f"simulating {len(home.devices)} devices of {home.name!r} ({args.dialect}) on {url}; Ctrl-C to stop",
              file=sys.stderr)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            sim.clear_discovery()
            transport.stop()
    return 0


def _settle(runtime: Runtime, wait: float) -> None:
    conn = runtime.connection
    conn.start(timeout=10)
    conn.wait_settled(quiet=min(0.3, wait), timeout=wait)
    conn.registry.wait_for(lambda r: all(any(a.value is not None for a in d.attributes.values()) for d in r.all()),
                           timeout=min(wait, 2.0))
    conn.transport.drain()


def cmd_tools(args: argparse.Namespace) -> int:
    settings = _settings(args)
    schemas = [t.schema() for t in build_tools(plugin_manager())]
    if args.devices:
        with broker_url(settings) as url:
            devices = discover(settings, url, 2.0)
        schemas += [op.schema() for d in devices for op in device_operations(d)]
    if args.json:
        print(json.dumps(schemas, indent=2, ensure_ascii=False))
        return 0
    for schema in schemas:
        params = schema["parameters"].get("properties", {})
        sig = ", ".join(f"{k}: {_type_text(v)}" for k, v in params.items())
        print(f"{schema['name']}({sig})  [{schema['origin']}, {schema['risk']}]")
        print(f"    {schema['description']}")
    return 0


def _type_text(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "|".join(map(str, schema["enum"]))
    if "anyOf" in schema:
        return " | ".join(_type_text(s) for s in schema["anyOf"])
    if schema.get("type") == "number" and ("minimum" in schema or "maximum" in schema):
        return f"number {schema.get('minimum', '')}..{schema.get('maximum', '')}"
    return str(schema.get("type", "any"))


def _parse_args(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise CLIError(f"argument {pair!r} is not KEY=VALUE (e.g. value=40 or room=kitchen)")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def cmd_call(args: argparse.Namespace) -> int:
    settings = _settings(args)
    call_args = _parse_args(args.args)
    with broker_url(settings) as url:
        runtime = build_runtime(settings, url)
        try:
            _settle(runtime, args.wait)
            try:
                outcome = runtime.executor.call(args.name, call_args, user=runtime.user(args.user), origin="cli",
                                                confirmed=args.yes, wait=args.wait)
            except ToolInputError as exc:
                raise CLIError(str(exc)) from exc
        finally:
            runtime.stop()
    if args.json:
        print(outcome.model_dump_json(indent=2))
    else:
        text = outcome.reason or (json.dumps(outcome.result, ensure_ascii=False, default=str) if outcome.result is not None
                                  else f"{outcome.step.describe()}: {outcome.status}")
        print(f"{outcome.status}: {text}")
        if outcome.status == "needs_confirmation":
            print("run again with --yes to confirm")
    return 0 if outcome.ok else 1


def cmd_audit(args: argparse.Namespace) -> int:
    settings = _settings(args)
    path = database_path(settings)
    if not path.exists():
        entries: list[dict[str, Any]] = []
    else:
        audit = AuditLog(path)
        try:
            entries = audit.entries(args.limit, verdict=args.verdict)
        finally:
            audit.close()
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return 0
    if not entries:
        print(f"no decisions recorded yet in {path}")
    for e in entries:
        what = f"{e['device_id']}.{e['operation']}" if e["device_id"] else e["tool"]
        value = "" if e["value"] in (None, {}) else f" {e['value']}"
        print(f"{e['time']}  {e['verdict']:5}  {e['user']}({e['origin']})  {what}{value}  [{e['policy']}] {e['reason']}")
    return 0


@contextlib.contextmanager
def agent_session(settings: Settings, url: str, *, wait: float, floors: dict[str, str] | None = None) -> Iterator[Agent]:
    """Connect, let discovery settle, and build the agent; everything is closed on the way out."""
    runtime = build_runtime(settings, url)
    try:
        _settle(runtime, wait)
        agent = _agent(runtime, settings, floors)
        try:
            yield agent
        finally:
            agent.close()
    finally:
        runtime.stop()


NEEDS_CONFIRMATION = 3
"""``iotlm ask`` exit status when the request waits for a yes (0: answered, 2: bad input or setup)."""


def valid_text(text: str, what: str = "the request") -> str:
    """Text from the command line or a terminal, refused before anything acts if it is not valid UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text.encode("utf-8", "surrogateescape")[exc.start:exc.end]
        raise CLIError(f"{what} is not valid UTF-8 text (byte {bad.hex()!r} at character {exc.start}); "
                       "check your terminal's encoding (e.g. LANG=C.UTF-8)") from None
    return text


def cmd_ask(args: argparse.Namespace) -> int:
    utterance = valid_text(args.utterance)
    settings = _settings(args)
    user = args.user or "owner"
    with broker_url(settings) as url, agent_session(settings, url, wait=args.wait) as agent:
        result = agent.turn(utterance, thread=args.thread or f"ask-{user}", user=user, room=args.room,
                            yes=args.yes, origin="cli")
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(result.reply)
    if result.needs_confirmation:
        print("iotlm: nothing was changed: this needs your confirmation. Run the request again with --yes, "
              f"or answer yes in `iotlm chat` (it waits for {settings.confirm_timeout_s:g} s).", file=sys.stderr)
        return NEEDS_CONFIRMATION
    return 0


def chat_loop(agent: Agent, *, user: str, room: str | None, thread: str, out: Any = sys.stdout) -> int:
    """Read lines, answer each; a risky action asks first and waits for yes/no."""
    try:
        import readline  # noqa: F401  (line editing and history where available)
    except ImportError:
        pass
    pending = agent.pending(thread)
    if pending:
        print(f"iotlm> (still waiting for your answer) {pending}", file=out, flush=True)
    interactive = sys.stdin.isatty()
    if isinstance(sys.stdin, io.TextIOWrapper):  # bytes that are not UTF-8 reach valid_text() instead of raising in input()
        sys.stdin.reconfigure(errors="surrogateescape")
    while True:
        try:
            line = input("you> " if interactive else "")
        except EOFError:
            break
        if line.strip().lower() in ("exit", "quit", "bye"):
            break
        if not line.strip():
            continue
        try:
            valid_text(line, "that line")
        except CLIError as exc:
            print(f"iotlm> Sorry, {exc}. Nothing was changed.", file=out, flush=True)
            continue
        try:
            result = agent.turn(line, thread=thread, user=user, room=room, origin="chat")
        except Exception as exc:  # a bug must not end the conversation
            logging.getLogger(__name__).exception("turn failed")
            print(f"iotlm> Sorry, something went wrong: {exc}", file=out, flush=True)
            continue
        print(f"iotlm> {result.reply}", file=out, flush=True)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    settings = _settings(args)
    user = args.user or "owner"
    with broker_url(settings) as url, agent_session(settings, url, wait=2.0) as agent:
        print(f"iotlm: {len(agent.runtime.connection.registry)} devices on {url}. Ask me something; 'exit' to leave.",
              file=sys.stderr)
        return chat_loop(agent, user=user, room=args.room, thread=args.thread or f"chat-{user}")


def cmd_demo(args: argparse.Namespace) -> int:
    home = load_home(args.home or EXAMPLE_HOME)
    real = load_settings({"model": args.model, "model_server": args.model_server, "policies": args.policies})
    # the demo's history, rules, memories and threads live apart from your home's (which they would otherwise mix
    # with, and demo rules would fire there); the packaged model is shared, so it is assembled once
    settings = real.model_copy(update={"home": Path(args.home_dir) if args.home_dir else real.home / "demo",
                                       "models_dir": real.models_dir or real.home / "models"})
    with EmbeddedBroker() as broker:
        transport = Transport(broker.url).start()
        try:
            Simulator(home, transport, dialect="z2m").start()
            print(f"iotlm demo: embedded {broker.impl} broker on {broker.url}, simulated home {home.name!r} "
                  f"({len(home.devices)} devices); demo data in {settings.home}", file=sys.stderr)
            if args.list:
                devices = discover(settings, broker.url, wait=3.0)
                print_devices(devices, as_json=args.json)
                return 0 if len(devices) == len(home.devices) else 1
            floors = {a.name: a.floor for a in home.areas if a.floor}
            with agent_session(settings, broker.url, wait=3.0, floors=floors) as agent:
                from agent.rules.store import RuleStore
                from agent.service import Service

                # your saved rules run too: make a sensor report with iotlm/sim/<device id>/report on this broker
                service = Service(agent, RuleStore(settings.home / "rules.db"), home_name="demo").start()
                if service.engine.rules():
                    print(f"{len(service.engine.rules())} rules running (iotlm rules list)", file=sys.stderr)
                print('Try: "dim the living room to 30% and lock the front door", "is the front door locked?", '
                      '"turn it off", "what\'s the temperature in the bedroom?" (exit to leave)', file=sys.stderr)
                try:
                    return chat_loop(agent, user=args.user or "owner", room=args.room, thread=args.thread or "demo")
                finally:
                    service.stop()
        finally:
            transport.stop()


if __name__ == "__main__":
    raise SystemExit(main())
