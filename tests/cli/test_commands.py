"""The command line as plugins see it: every group registers through ``register_commands``, plugins add commands the
same way, and errors reach the user as one line only when they are the user's or the setup's to fix."""

from __future__ import annotations

import argparse
import re
import types
from pathlib import Path

import pluggy
import pytest

from iotlm import hookimpl
from iotlm.cli import GROUPS, Commands, build_parser, main
from iotlm.errors import SetupError, UserError
from iotlm.tools.plugins import PluginError, plugin_manager


def _plugin(name: str, register: object) -> types.ModuleType:
    module = types.ModuleType(name)
    module.register_commands = hookimpl(register)  # type: ignore[attr-defined]
    return module


def _with(*plugins: types.ModuleType) -> pluggy.PluginManager:
    pm = plugin_manager(entry_points=[])
    for plugin in plugins:
        pm.register(plugin, name=plugin.__name__)
    return pm


def _hello(commands: Commands) -> None:
    p = commands.add("hello", help="say hello")
    commands.common(p)
    p.add_argument("who")

    def run(args: argparse.Namespace) -> int:
        print(f"hello {args.who} from {commands.settings_for(args).home}")
        return 0
    p.set_defaults(func=run)


def test_every_built_in_group_registers_through_the_hook() -> None:
    parser = build_parser(_with())
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == ["devices", "simulate", "tools", "call", "audit", "ask", "chat", "demo", "run", "rules",
                                 "notifications", "routines", "memory", "users", "bench"]
    assert [g.__name__ for g in GROUPS] == [*(f"iotlm.cli.{g}" for g in ("devices", "chat", "run", "rules", "notices", "memory",
                                                                        "users")), "iotlm.bench.cli"]


def test_a_plugin_adds_a_command_with_the_shared_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pm = _with(_plugin("greeter", _hello))
    assert main(["hello", "world", "--home-dir", str(tmp_path)], pm=pm) == 0
    assert capsys.readouterr().out == f"hello world from {tmp_path}\n"


def test_a_command_name_taken_twice_names_both_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    def clash(commands: Commands) -> None:
        commands.add("devices", help="mine")

    expected = "plugin 'clash': a command named 'devices' is already registered by 'iotlm.cli.devices'"
    with pytest.raises(PluginError, match=re.escape(expected)):
        build_parser(_with(_plugin("clash", clash)))
    assert main(["devices"], pm=_with(_plugin("clash", clash))) == 2
    assert "already registered" in capsys.readouterr().err


def test_a_plugin_whose_registration_fails_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    def broken(commands: Commands) -> None:
        raise KeyError("oops")

    assert main(["--help"], pm=_with(_plugin("broken", broken))) == 2
    assert capsys.readouterr().err == "iotlm: error: plugin 'broken': register_commands failed: KeyError: 'oops'\n"


def _failing(error: BaseException) -> types.ModuleType:
    def register(commands: Commands) -> None:
        p = commands.add("fail", help="fails")

        def run(args: argparse.Namespace) -> int:
            raise error
        p.set_defaults(func=run)
    return _plugin("failing", register)


@pytest.mark.parametrize(("error", "line"), [
    (UserError("the value 400 is out of range; use 0-100"), "iotlm: error: the value 400 is out of range; use 0-100\n"),
    (SetupError("no broker: install mosquitto"), "iotlm: error: no broker: install mosquitto\n"),
    (FileNotFoundError(2, "No such file or directory", "home.json"), "iotlm: error: [Errno 2] No such file or directory: 'home.json'\n"),
])
def test_the_users_and_the_setups_errors_are_one_line_and_exit_2(error: Exception, line: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fail"], pm=_with(_failing(error))) == 2
    assert capsys.readouterr().err == line


@pytest.mark.parametrize("error", [ValueError("a bug"), KeyError("a bug"), TypeError("a bug")])
def test_a_bug_is_not_dressed_as_a_user_error(error: Exception, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(type(error)):  # Python prints it with its traceback, exit 1
        main(["fail"], pm=_with(_failing(error)))
    assert "iotlm: error" not in capsys.readouterr().err


def test_a_group_without_its_action_shows_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"], pm=_with()) == 2
    assert "{add,list,show,enable,disable,remove,test}" in capsys.readouterr().out
