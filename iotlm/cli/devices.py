"""``iotlm devices``, ``simulate``, ``tools``, ``call`` and ``audit``: what is on the broker, and acting on it directly."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from iotlm.cli.shared import (
    CLIError,
    Commands,
    broker_url,
    discover,
    print_devices,
    settings_for,
    settle,
    transport_for,
)
from iotlm.device_drivers.clock import SimClock, WallClock
from iotlm.device_drivers.home import EXAMPLE_HOME, Home, default_homebench_path, load_home, load_homebench
from iotlm.device_drivers.overrides import set_override
from iotlm.device_drivers.simulator import Environment, Simulator
from iotlm.device_drivers.simulator.appliances import Programmes
from iotlm.device_drivers.simulator.sim import DIALECTS
from iotlm.device_drivers.transport import redact_url
from iotlm.policies.audit import AuditLog
from iotlm.runtime import build_runtime, database_path
from iotlm.tools.device_tools import device_operations
from iotlm.tools.hookspecs import hookimpl
from iotlm.tools.plugins import build_tools, plugin_manager
from iotlm.tools.registry import ToolInputError


@hookimpl
def register_commands(commands: Commands) -> None:
    p = commands.add("devices", help="list the devices discovered on the broker")
    commands.common(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--wait", type=float, default=2.0, help="seconds to wait for discovery (default 2)")
    p.set_defaults(func=cmd_devices)
    verbs = p.add_subparsers(title="actions", dest="devices_action")
    q = verbs.add_parser("set", help="give a device its room, name, other names, kind or risk, over what its dialect says "
                                     "(written to the devices file, $IOTLM_HOME/devices.toml)")
    commands.home_only(q)
    q.add_argument("id", help="the device's id, as iotlm devices lists it")
    q.add_argument("--room")
    q.add_argument("--name")
    q.add_argument("--alias", dest="aliases", action="append",
                   help="a name it answers to besides its own (repeat for several; replaces the ones the file gave)")
    q.add_argument("--type", help="what kind of device it is (light, outlet, fan, cover, lock, ...)")
    q.add_argument("--risky", action=argparse.BooleanOptionalAction, default=None,
                   help="ask before acting on it (--no-risky: do not)")
    q.add_argument("--clear", action="store_true", help="forget what the devices file says of it (before the rest)")
    q.set_defaults(func=cmd_devices_set)
    q = verbs.add_parser("accept", help="accept a device's new type, risk or identity that discovery announced and "
                                        "iotlm held back (iotlm devices lists what is held back)")
    commands.common(q)
    q.add_argument("id", help="the device's id")
    q.add_argument("--wait", type=float, default=2.0, help="seconds to wait for discovery (default 2)")
    q.set_defaults(func=cmd_devices_accept)

    p = commands.add("simulate", help="run a simulated home on the broker until interrupted")
    commands.common(p)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--home", type=Path, help="home file (JSON, see docs/design.md); default: the example flat")
    src.add_argument("--homebench", type=int, metavar="HOME_ID", help="a HomeBench home (0-99)")
    p.add_argument("--homebench-file", dest="homebench_file", type=Path,
                   help="HomeBench's home_status_method.jsonl (default: ../shared/benchmarks/homebench/)")
    p.add_argument("--dialect", choices=list(DIALECTS), default="z2m",
                   help="what the devices speak, unless the home file gives a device its own \"dialect\": z2m, ha, both "
                        "(z2m and ha), tasmota, shelly, esphome, or mixed (device by device, all five); what a dialect "
                        "cannot be is left out, and said")
    p.add_argument("--speed", type=_speed, default=1.0,
                   help="simulated seconds per real second for the rooms' temperature, humidity, light and air (default 1; "
                        "60: an hour a minute; 0: the rooms stand still)")
    p.set_defaults(func=cmd_simulate)

    p = commands.add("tools", help="list every tool with its schema and origin")
    commands.common(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--devices", action="store_true", help="also the operations of the devices on the broker")
    p.set_defaults(func=cmd_tools)

    p = commands.add("call", help="call a tool or device operation (kitchen.light.turn_on) through the policy gate")
    commands.common(p)
    p.add_argument("name", help="tool name, or DEVICE_ID.OPERATION")
    p.add_argument("args", nargs="*", metavar="KEY=VALUE", help="arguments; values are read as JSON when they parse")
    p.add_argument("--yes", action="store_true", help="confirm risky actions up front")
    p.add_argument("--user", help="who is asking (roles come from the policy file); default: owner")
    p.add_argument("--policies", type=Path, help="policy file (.toml/.yaml)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--wait", type=float, default=2.0, help="seconds to wait for discovery and for the device to confirm")
    p.set_defaults(func=cmd_call)

    p = commands.add("audit", help="list the policy gate's decisions")
    commands.home_only(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--verdict", choices=["allow", "ask", "deny"])
    p.set_defaults(func=cmd_audit)


def cmd_devices(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    also: dict[str, list[str]] = {}
    held: dict[str, str] = {}
    with broker_url(settings) as url:
        devices = discover(settings, url, args.wait, also=also, held=held)
    print_devices(devices, as_json=args.json, also=also, held=held)
    return 0


def cmd_devices_accept(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    with broker_url(settings) as url:
        devices = discover(settings, url, args.wait, accept=args.id)
    device = next(d for d in devices if d.id == args.id)
    print(f"{device.id} is now a {device.type}{' (risky)' if device.risky else ''}; a running iotlm run takes it within "
          "a second")
    return 0


def cmd_devices_set(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    path = settings.devices_file or settings.home / "devices.toml"
    changes = {"room": args.room, "name": args.name, "aliases": args.aliases, "type": args.type, "risky": args.risky}
    if not args.clear and all(v is None for v in changes.values()):
        raise CLIError("say what to set: --room, --name, --alias, --type, --risky or --no-risky (or --clear)")
    now = set_override(path, args.id, changes, clear=args.clear)
    shown = {k: ", ".join(v) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else v
             for k, v in (now.changes() if now else {}).items()}
    said = "; ".join(f"{k} {v}" for k, v in shown.items()) or "nothing"
    print(f"{args.id}: {said} (in {path}); a running iotlm run applies it within a second")
    return 0


def _load_sim_home(args: argparse.Namespace) -> Home:
    if getattr(args, "homebench", None) is not None:
        return load_homebench(args.homebench_file or default_homebench_path(), args.homebench)
    return load_home(args.home or EXAMPLE_HOME)


def cmd_simulate(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    home = _load_sim_home(args)
    stop = threading.Event()
    # before anything is published: a SIGTERM must always end in clear_discovery()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with broker_url(settings) as url:
        transport = transport_for(settings, url).start()
        sim = Simulator(home, transport, dialect=args.dialect, base=settings.z2m_base, ha_prefix=settings.ha_prefix,
                        tasmota_discovery=settings.tasmota_discovery, shelly_root=settings.shelly_root,
                        esphome_root=settings.esphome_root).start()
        environment = Environment(sim).start(speed=args.speed) if args.speed > 0 else None
        # washers, dryers and dishwashers run their programmes, as fast as the rooms change (real time without --speed)
        programmes = Programmes(sim, SimClock(WallClock()(), speed=args.speed or 1.0)).start()
        for device_id, reason in sim.left_out.items():
            print(f"left out {device_id}: {reason}", file=sys.stderr)
        spoken = sorted({d for dialects in sim.speaks.values() for d in dialects})
        print(f"simulating {len(home.devices) - len(sim.left_out)} devices of {home.name!r} ({', '.join(spoken)}) on "
              f"{redact_url(url)}"
              f"{f', rooms and appliances at {args.speed:g}x time' if environment else ''}; Ctrl-C to stop", file=sys.stderr)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            programmes.stop()
            if environment is not None:
                environment.stop()
            sim.clear_discovery()
            transport.stop()
    return 0


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--speed takes a number of simulated seconds per real second, e.g. 60; got {text!r}") from None
    if not 0 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"--speed must be between 0 and 100000; got {text}")
    return value


def cmd_tools(args: argparse.Namespace) -> int:
    settings = settings_for(args)
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
    settings = settings_for(args)
    call_args = _parse_args(args.args)
    with broker_url(settings) as url:
        runtime = build_runtime(settings, url)
        try:
            settle(runtime, args.wait)
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
    settings = settings_for(args)
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


__all__ = ["cmd_audit", "cmd_call", "cmd_devices", "cmd_devices_accept", "cmd_devices_set", "cmd_simulate",
    "cmd_tools", "register_commands"]
