"""``iotlm ask``, ``chat`` and ``demo``: talking to the home."""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from pathlib import Path
from typing import Any

from iotlm.agent.session import Agent
from iotlm.cli.run import start_web, web_options
from iotlm.cli.shared import (
    NEEDS_CONFIRMATION,
    CLIError,
    Commands,
    agent_session,
    broker_url,
    discover,
    print_devices,
    settings_for,
    valid_text,
)
from iotlm.config import load_settings
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import EXAMPLE_HOME, load_home
from iotlm.device_drivers.simulator import Environment, Simulator
from iotlm.device_drivers.simulator.appliances import Programmes
from iotlm.device_drivers.transport import Transport, redact_url
from iotlm.runtime import Runtime
from iotlm.tools.hookspecs import hookimpl
from iotlm.web import DEFAULT_BIND
from iotlm.web.client import ServiceAgent


@hookimpl
def register_commands(commands: Commands) -> None:
    p = commands.add("ask", help="one request; prints the reply (--json: the result object of docs/design.md)")
    commands.common(p)
    commands.talk(p)
    p.add_argument("utterance")
    p.add_argument("--json", action="store_true")
    p.add_argument("--yes", action="store_true", help="confirm risky actions up front")
    p.add_argument("--wait", type=float, default=2.0, help="seconds to wait for discovery")
    in_process(p)
    p.set_defaults(func=cmd_ask)

    p = commands.add("chat", help="talk to your home (risky actions ask first)")
    commands.common(p)
    commands.talk(p)
    in_process(p)
    p.set_defaults(func=cmd_chat)

    p = commands.add("demo", help="embedded broker + simulated example home + chat")
    p.add_argument("--home", type=Path, help="home file to simulate (default: the example flat)")
    p.add_argument("--home-dir", dest="home_dir", help="data directory (default: $IOTLM_HOME)")
    p.add_argument("--list", action="store_true", help="only list the simulated devices and exit")
    p.add_argument("--json", action="store_true", help="with --list: print JSON")
    commands.talk(p)
    web_options(p)
    p.set_defaults(func=cmd_demo)


def in_process(p: argparse.ArgumentParser) -> None:
    p.add_argument("--in-process", dest="in_process", action="store_true",
                   help="never go through a running `iotlm run` of this data directory (the default when one is up)")


def service_for(args: argparse.Namespace, settings: Any) -> Any:
    """A running `iotlm run` of the same data directory to go through (warm model and embedder), or None: with
    --in-process, or with options that set up an agent of their own (--broker, --model, --model-server, --policies)."""
    from iotlm.web.client import running_service

    if args.in_process or any(getattr(args, k, None) for k in ("broker", "model", "model_server", "policies")):
        return None
    found = running_service(settings.home)
    return ServiceAgent(found["url"], found["token"]) if found else None


def cmd_ask(args: argparse.Namespace) -> int:
    utterance = valid_text(args.utterance)
    settings = settings_for(args)
    user = args.user or "owner"
    service = service_for(args, settings)
    if service is not None:
        try:
            result: Any = service.turn(utterance, thread=args.thread or f"ask-{user}", user=user, room=args.room, yes=args.yes)
        finally:
            service.close()
        return _print_answer(args, settings, result)
    with broker_url(settings) as url, agent_session(settings, url, wait=args.wait) as agent:
        result = agent.turn(utterance, thread=args.thread or f"ask-{user}", user=user, room=args.room,
                            yes=args.yes, origin="cli")
    return _print_answer(args, settings, result)


def _print_answer(args: argparse.Namespace, settings: Any, result: Any) -> int:
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(result.reply)
    if result.needs_confirmation:
        print("iotlm: nothing was changed: this needs your confirmation. Run the request again with --yes, "
              f"or answer yes in `iotlm chat` (it waits for {settings.confirm_timeout_s:g} s).", file=sys.stderr)
        return NEEDS_CONFIRMATION
    return 0


def chat_loop(agent: Agent[Runtime] | ServiceAgent, *, user: str, room: str | None, thread: str, out: Any = sys.stdout) -> int:
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
    settings = settings_for(args)
    user = args.user or "owner"
    service = service_for(args, settings)
    if service is not None:  # the service runs the jobs said here, with its rules
        print(f"iotlm: through the running service at {service.url}. Ask me something; 'exit' to leave.", file=sys.stderr)
        try:
            return chat_loop(service, user=user, room=args.room, thread=args.thread or f"chat-{user}")
        finally:
            service.close()
    with broker_url(settings) as url, agent_session(settings, url, wait=2.0, warm=True) as agent:
        print(f"iotlm: {len(agent.runtime.connection.registry)} devices on {redact_url(url)}. Ask me something; 'exit' to leave.",
              file=sys.stderr)
        from iotlm.service import JobRunner

        jobs = JobRunner(agent).start()  # "in 10 minutes ..." runs while the chat is open (and in iotlm run)
        try:
            return chat_loop(agent, user=user, room=args.room, thread=args.thread or f"chat-{user}")
        finally:
            jobs.stop()


def _demo_web(agent: Agent[Runtime], args: argparse.Namespace, rules: Any) -> Any:
    """The demo's own web app: on --web, or on any free port when the default one is taken (by `iotlm run`)."""
    from iotlm.errors import SetupError

    try:
        return start_web(agent, args, rules)
    except SetupError:
        if args.web != DEFAULT_BIND:
            raise
        args.web = "127.0.0.1:0"
        return start_web(agent, args, rules)


def cmd_demo(args: argparse.Namespace) -> int:
    home = load_home(args.home or EXAMPLE_HOME)
    real = load_settings({"model": args.model, "model_server": args.model_server, "policies": args.policies})
    # the demo's history, rules, memories and threads live apart from your home's (which they would otherwise mix
    # with, and demo rules would fire there); the packaged model is shared, so it is assembled once
    settings = real.model_copy(update={"home": Path(args.home_dir) if args.home_dir else real.home / "demo",
                                       "models_dir": real.models_dir or real.home / "models"})
    with EmbeddedBroker() as broker:
        transport = Transport(broker.url).start()
        environment: Environment | None = None
        try:
            sim = Simulator(home, transport, dialect="z2m").start()
            # the rooms change at a minute a second: ask "it's too warm in the living room", then how warm it is
            environment = Environment(sim).start(speed=60)
            # appliances in the home file run their programmes on iotlm's own clock, so jobs that wait for them fire
            programmes = Programmes(sim).start()
            print(f"iotlm demo: embedded {broker.impl} broker on {broker.url}, simulated home {home.name!r} "
                  f"({len(home.devices)} devices); demo data in {settings.home}", file=sys.stderr)
            if args.list:
                devices = discover(settings, broker.url, wait=3.0)
                print_devices(devices, as_json=args.json)
                return 0 if len(devices) == len(home.devices) else 1
            floors = {a.name: a.floor for a in home.areas if a.floor}
            with agent_session(settings, broker.url, wait=3.0, floors=floors, warm=True) as agent:
                from iotlm.automations.store import RuleStore
                from iotlm.service import Service

                # your saved rules run too: make a sensor report with iotlm/sim/<device id>/report on this broker
                service = Service(agent, RuleStore(settings.home / "rules.db"), home_name="demo").start()
                web = _demo_web(agent, args, service.rules)
                if service.engine.rules():
                    print(f"{len(service.engine.rules())} rules running (iotlm rules list)", file=sys.stderr)
                print('Try: "dim the living room to 30% and lock the front door", "is the front door locked?", '
                      '"turn it off", "it\'s too warm in the living room", then "how warm is the living room?" a little later, '
                      '"I\'m leaving" (exit to leave)', file=sys.stderr)
                try:
                    return chat_loop(agent, user=args.user or "owner", room=args.room, thread=args.thread or "demo")
                finally:
                    if web is not None:
                        web.stop()
                    service.stop()
        finally:
            if environment is not None:
                environment.stop()
                programmes.stop()
            transport.stop()


__all__ = ["chat_loop", "cmd_ask", "cmd_chat", "cmd_demo", "in_process", "register_commands", "service_for"]
