"""``iotlm users add|list|remove|password|role|token|revoke``: who may sign in to the web app and call the API.

Roles are the policy file's roles (admin, member, guest unless it defines others): the gate sees the same role for a
person on the web page, over the API and in chat.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from iotlm.cli.shared import Commands, settings_for, usage
from iotlm.policies.users import UsersError
from iotlm.tools.hookspecs import hookimpl


@hookimpl
def register_commands(commands: Commands) -> None:
    users = commands.add("users", help="people of the web app and API: add, list, remove, password, role, token, revoke")
    verbs = users.add_subparsers(title="actions", dest="users")

    p = verbs.add_parser("add", help="add a person with a role and a password (read from standard input if not a terminal)")
    commands.home_only(p)
    p.add_argument("name")
    p.add_argument("--role", required=True, help="admin, member or guest (or a role your policy file defines)")
    p.add_argument("--policies", type=_path, help="policy file (default: the data directory's)")
    p.set_defaults(func=cmd_users)

    for name, text in (("list", "every person and their role"), ("remove", "remove a person, their tokens and sessions; their rules and jobs stop"),
                       ("password", "set a new password (ends their sessions)"),
                       ("token", "print a new API token (the last line); use it as Authorization: Bearer TOKEN"),
                       ("revoke", "revoke every API token of a person")):
        p = verbs.add_parser(name, help=text)
        commands.home_only(p)
        if name != "list":
            p.add_argument("name")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=cmd_users)

    p = verbs.add_parser("role", help="change a person's role")
    commands.home_only(p)
    p.add_argument("name")
    p.add_argument("role")
    p.add_argument("--policies", type=_path, help="policy file (default: the data directory's)")
    p.set_defaults(func=cmd_users)
    users.set_defaults(func=usage(users))


def _path(text: str) -> Any:
    from pathlib import Path

    return Path(text)


def read_password(prompt: str = "Password: ") -> str:
    """From the terminal (asked twice), else the first line of standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise UsersError("the two passwords differ; nothing was changed")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _check_role(args: argparse.Namespace, name: str, role: str) -> None:
    from iotlm.policies.config import load_policy_config
    from iotlm.runtime import policy_file

    config = load_policy_config(policy_file(settings_for(args)))
    if role not in config.roles:
        raise UsersError(f"role {role!r} is not defined; roles: {', '.join(config.roles)} (the policy file's roles)")
    if name in config.users and config.users[name] != role:
        raise UsersError(f"the policy file gives {name} the role {config.users[name]!r}, which wins over {role!r}; use "
                         f"--role {config.users[name]} or change the file's [users]")


def _stop_rules(args: argparse.Namespace, name: str) -> list[Any]:
    """Disable the removed person's rules and jobs (a running `iotlm run` picks the change up within a second)."""
    from iotlm.automations.store import RuleStore

    path = settings_for(args).home / "rules.db"
    if not path.exists():
        return []
    rules = RuleStore(path)
    try:
        return rules.disable_owner(name, f"disabled: {name} was removed from the users")
    finally:
        rules.close()


def cmd_users(args: argparse.Namespace) -> int:
    from iotlm.policies.users import UserStore

    store = UserStore(settings_for(args).home / "iotlm.db")
    try:
        out: Any
        verb = args.users
        if verb == "add":
            _check_role(args, args.name, args.role)
            store.add(args.name, args.role, read_password())
            print(f"added {args.name} ({args.role}); they can sign in to the web app (iotlm run serves it)")
            return 0
        if verb == "role":
            _check_role(args, args.name, args.role)
            store.set_role(args.name, args.role)
            print(f"{args.name} is now {args.role}")
            return 0
        if verb == "list":
            out = store.users()
            text = "\n".join(f"{u['name']:<20} {u['role']:<8} {u['tokens']} API tokens" for u in out) or \
                "no users yet: add one with `iotlm users add NAME --role admin`"
        elif verb == "remove":
            store.remove(args.name)
            stopped = _stop_rules(args, args.name)
            out = {"removed": args.name, "rules_disabled": [r.id for r in stopped]}
            text = f"removed {args.name}"
            if stopped:  # their rules would otherwise go on acting as a name nobody holds
                text += (f"; their {len(stopped)} rules and jobs are disabled: " +
                         "; ".join(f"{r.id} ({r.text or r.kind})" for r in stopped))
        elif verb == "password":
            store.set_password(args.name, read_password("New password: "))
            out, text = {"password": args.name}, f"set a new password for {args.name}; their sessions ended"
        elif verb == "revoke":
            count = store.revoke_tokens(args.name)
            out, text = {"revoked": count}, f"revoked {count} API tokens of {args.name}"
        else:
            token = store.new_token(args.name)
            out, text = {"user": args.name, "token": token}, f"A new API token for {args.name} (shown once):\n{token}"
    finally:
        store.close()
    print(json.dumps(out) if args.json else text)
    return 0


__all__ = ["cmd_users", "read_password", "register_commands"]
