"""``iotlm run``: the service. Rules fire on device reports; chat is answered on ``iotlm/<home>/ask/<user>``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from iotlm.cli.shared import CLIError, Commands, broker_url, make_agent, settings_for, settle
from iotlm.device_drivers.transport import redact_url
from iotlm.tools.hookspecs import hookimpl
from iotlm.web import DEFAULT_BIND


@hookimpl
def register_commands(commands: Commands) -> None:
    p = commands.add("run", help="the service: run rules on device reports, answer chat on iotlm/<home>/ask")
    commands.common(p)
    commands.talk(p)
    p.add_argument("--rules", dest="rules_file", type=Path, help="a YAML rule file (default: $IOTLM_HOME/rules.yaml if there)")
    p.add_argument("--name", default="home", help="the home's name in topics: iotlm/<name>/ask (default: home)")
    p.add_argument("--share-group", dest="share_group",
                   help="share device reports and requests with other workers of this group ($share/<group>/...)")
    p.add_argument("--wait", type=float, default=3.0, help="seconds to wait for discovery before loading rules")
    web_options(p)
    p.set_defaults(func=cmd_run)


def web_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--web", default=DEFAULT_BIND, metavar="HOST:PORT",
                   help="serve the web app and the HTTP API here (default: 127.0.0.1:8321; beyond loopback needs a user: "
                        "iotlm users add)")
    p.add_argument("--no-web", dest="no_web", action="store_true", help="no web app and no HTTP API")


def start_web(agent: Any, args: argparse.Namespace, rules: Any = None) -> Any:
    """The web app on ``--web`` (None with ``--no-web``); its URL is printed."""
    if args.no_web:
        return None
    from iotlm.web.server import WebServer

    web = WebServer(agent, bind=args.web, rules=rules).start()
    print(f"iotlm: web app and API on {web.url} (API documented at {web.url}/docs)", file=sys.stderr, flush=True)
    return web


def cmd_run(args: argparse.Namespace) -> int:
    from iotlm.automations.store import RuleStore
    from iotlm.runtime import build_runtime, service_session
    from iotlm.service import Service

    settings = settings_for(args)
    rules_file = args.rules_file or (settings.home / "rules.yaml")
    if args.rules_file and not args.rules_file.exists():
        raise CLIError(f"rule file {args.rules_file} does not exist")
    with broker_url(settings) as url:
        runtime = build_runtime(settings, url, share_group=args.share_group,
                                session=None if args.share_group else service_session(settings, args.name))
        try:
            agent = make_agent(runtime, settings)
            service = Service(agent, RuleStore(settings.home / "rules.db"), home_name=args.name,
                              rules_file=rules_file if rules_file.exists() else None, share_group=args.share_group)
            service.prepare()  # listening before the broker replays what it kept for us
            web = start_web(agent, args, service.rules)
            settle(runtime, args.wait)
            service.start()
            print(f"iotlm run: {len(runtime.connection.registry)} devices on {redact_url(url)}; {len(service.engine.rules())} rules running"
                  f"{f', {len(service.problems)} not (see above)' if service.problems else ''}; "
                  + (f"watching {service.watch.watched()} device conditions; " if service.watch is not None else "") +
                  f"questions on {service.ask_topic}" + (f"; sharing as group {args.share_group}" if args.share_group else ""),
                  file=sys.stderr, flush=True)
            for problem in service.problems:
                print(f"iotlm run: {problem}", file=sys.stderr)
            try:
                return service.run_forever()
            finally:
                if web is not None:
                    web.stop()
                agent.close()
        finally:
            runtime.stop()


__all__ = ["cmd_run", "register_commands", "start_web", "web_options"]
