"""The ``iotlm`` command line.

One module per command group (devices, chat, run, rules, memory, users, bench), each registering its commands through the
``register_commands`` plugin hook, the same hook an installed plugin uses to add commands of its own.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

import pluggy

from iotlm.bench import cli as bench
from iotlm.cli import chat, devices, memory, notices, rules, run, users
from iotlm.cli.shared import NEEDS_CONFIRMATION, CLIError, Commands
from iotlm.errors import IotlmError
from iotlm.tools.plugins import PluginError, plugin_manager

GROUPS = (devices, chat, run, rules, notices, memory, users, bench)

__all__ = ["NEEDS_CONFIRMATION", "CLIError", "Commands", "build_parser", "main"]


def _version() -> str:
    """The installed distribution's version (pyproject.toml's), or "unknown" when iotlm runs from a bare source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("iotlm")
    except PackageNotFoundError:
        return "unknown"


def build_parser(pm: pluggy.PluginManager | None = None) -> argparse.ArgumentParser:
    """Every command: the built-in groups first, then each plugin's (a name taken twice stops with the plugin's name)."""
    parser = argparse.ArgumentParser(prog="iotlm", description="An on-device language-model agent for the home.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--version", action="version", version=f"iotlm {_version()}", help="say which iotlm this is")
    commands = Commands(parser.add_subparsers(title="commands"))
    pm = pm or plugin_manager()
    for group in GROUPS:
        if not pm.is_registered(group):
            pm.register(group, name=group.__name__)
    impls = pm.hook.register_commands.get_hookimpls()
    order: dict[object, int] = {group: i for i, group in enumerate(GROUPS)}
    for impl in sorted(impls, key=lambda impl: order.get(impl.plugin, len(GROUPS))):  # stable: plugins in load order
        commands.origin = impl.plugin_name
        try:
            impl.function(commands=commands)
        except PluginError:
            raise
        except Exception as exc:
            if impl.plugin in GROUPS:
                raise
            raise PluginError(f"plugin {impl.plugin_name!r}: register_commands failed: {type(exc).__name__}: {exc}") from exc
    return parser


def main(argv: Sequence[str] | None = None, pm: pluggy.PluginManager | None = None) -> int:
    """Run one command; returns its exit status (``pm``: the plugins to take commands from; default: installed)."""
    try:
        parser = build_parser(pm)
    except IotlmError as exc:
        print(f"iotlm: error: {exc}", file=sys.stderr)
        return exc.exit_code
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    previous = _stop_on_sigterm()
    try:
        return int(args.func(args) or 0)
    except IotlmError as exc:  # the user's input, or a setup to fix: one line; anything else is a bug (traceback)
        print(f"iotlm: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a file, folder or connection the user named that cannot be used
        print(f"iotlm: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm() -> Any:
    """SIGTERM (a service manager, ``kill``) ends the command as Ctrl-C does: every ``with`` and ``finally`` on the way
    out runs, so the demo's embedded Mosquitto and web server stop with it (the default action left the broker running).
    Returns the handler it replaced, None where none was set (not the main thread). Exit status 143, as for SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, stop)
