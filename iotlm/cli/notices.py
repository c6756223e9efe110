"""``iotlm notifications``: what the watchers noticed, and what became of each; ``iotlm routines``: what you do by hand
that could be a rule."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from iotlm.cli.shared import Commands, settings_for
from iotlm.errors import UserError
from iotlm.tools.hookspecs import hookimpl


@hookimpl
def register_commands(commands: Commands) -> None:
    p = commands.add("notifications", help="what the home noticed by itself (iotlm run watches), and what became of each")
    commands.common(p)
    p.add_argument("--user", default="owner", help="whose notices (default: owner)")
    p.add_argument("--all", action="store_true", help="everyone's")
    p.add_argument("--limit", type=int, default=30)
    p.add_argument("--mute", type=int, metavar="ID", help="stop pushing this kind of notice about its device to --user")
    p.add_argument("--everywhere", action="store_true", help="with --mute: about any device")
    p.add_argument("--unmute", metavar="WATCHER", help="push this watcher's notices to --user again")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_notifications)

    p = commands.add("routines", help="what is done by hand at about the same time on most days, as rules to add")
    commands.common(p)
    p.add_argument("--days", type=float, default=28, help="how far back to look (default: 28 days)")
    p.add_argument("--devices-from", dest="devices_from", help="a home file to read devices from, instead of the broker")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_routines)


def _notices(args: argparse.Namespace) -> Any:
    from iotlm.automations.notices import Notices

    return Notices(settings_for(args).home / "iotlm.db", people=dict)


def cmd_notifications(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UserError(f"--limit {args.limit}: give 1 or more")
    notices = _notices(args)
    try:
        if args.mute is not None:
            print(notices.mute(args.user, args.mute, everywhere=args.everywhere))
            return 0
        if args.unmute:
            count = notices.unmute(args.user, args.unmute)
            print(f"{args.unmute}: pushed to {args.user} again" if count else
                  f"{args.user} had not muted {args.unmute}; nothing changed")
            return 0
        found = notices.list(args.user, limit=args.limit, everyone=args.all)
        if args.json:
            print(json.dumps(found, ensure_ascii=False, indent=1))
            return 0
        if not found:
            print("Nothing noticed" + ("" if args.all else f" for {args.user}") + ". (iotlm run watches the home.)")
        for n in found:
            when = datetime.fromtimestamp(n["at"]).astimezone().strftime("%a %d %b %H:%M")
            held = n["held"].get(args.user)
            print(f"#{n['id']} {when} [{n['level']}, {n['about']}] {n['text']}")
            extra = [n["status"], *([n["outcome"]] if n["outcome"] else []), *([f"not pushed: {held}"] if held else [])]
            if n["suggest"] and n["status"] == "open":
                extra.append(f"offers: {n['suggest']['say']}")
            print("    " + "; ".join(extra))
        return 0
    finally:
        notices.close()


def cmd_routines(args: argparse.Namespace) -> int:
    from iotlm.automations.routines import recent_routines
    from iotlm.cli.rules import devices_for
    from iotlm.device_drivers.clock import local_zone
    from iotlm.memory.store import MemoryStore
    from iotlm.policies.audit import AuditLog

    if args.days <= 0:
        raise UserError(f"--days {args.days}: give a number of days above 0")
    settings = settings_for(args)
    devices = {d.id: d for d in devices_for(args)}
    store, audit = MemoryStore(settings.home / "iotlm.db"), AuditLog(settings.home / "iotlm.db")
    try:
        found = recent_routines(store, audit, devices, datetime.now(local_zone()), args.days)
    finally:
        store.close()
        audit.close()
    if args.json:
        print(json.dumps([r.as_json() for r in found], ensure_ascii=False, indent=1))
        return 0
    if not found:
        print(f"No routine in the last {args.days:g} days of what was done by hand.", file=sys.stderr)
    for r in found:
        print(f"{r.say}\n    iotlm rules add \"{r.rule}\"")
    return 0


__all__ = ["cmd_notifications", "cmd_routines", "register_commands"]
