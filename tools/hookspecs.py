"""Plugin hooks (pluggy). A plugin is a module in the ``iotlm`` entry-point group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("iotlm")
hookimpl = pluggy.HookimplMarker("iotlm")


@hookspec
def register_tools(register: Callable[[Callable[..., Any]], Any]) -> None:
    """Register tools: call ``register(func)`` for each ``@tool`` function."""


@hookspec
def register_drivers(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register device drivers: ``register(name, factory)``, where ``factory(transport, registry, connection)`` returns a
    :class:`iotlm.Driver` (``connection`` carries the settings: ``z2m_base``, ``ha_prefix``,
    ``share_group``). An exception in the factory stops iotlm at start-up with the plugin's name."""


@hookspec
def register_commands(commands: Any) -> None:
    """Add command-line commands. ``commands.add(name, help=...)`` returns an argparse parser; set what runs with
    ``parser.set_defaults(func=run)``, where ``run(args)`` returns the exit status. ``commands.common(parser)`` adds
    ``--broker``/``--home-dir``/``--config``, ``commands.talk(parser)`` the options of commands that talk to the agent,
    and ``commands.settings_for(args)`` reads the settings they select (see ``iotlm.cli.shared.Commands``)."""


@hookspec
def register_effects(register: Callable[[Any], None]) -> None:
    """Add to the effect model: ``register(Effect(...))`` for each way a device of yours moves a room condition
    (see :class:`iotlm.agent.context.effects.Effect`; ``kinds`` may name your device type)."""


@hookspec
def register_situations(register: Callable[[str, dict[str, Any]], None]) -> None:
    """Add situations ("movie time", "I'm leaving"): ``register(name, data)`` with the fields of
    ``agent/context/situations.yaml`` (``say``, ``needs``, ``do``, ``report``, ``reply``)."""


@hookspec
def register_watchers(register: Callable[[str, dict[str, Any]], None]) -> None:
    """Add watchers (what the home notices by itself): ``register(name, data)`` with the fields of
    ``automations/watchers.yaml`` (``about``, ``level``, ``devices``, ``is``, ``with``, ``between``, ``for``,
    ``unchanged``, ``unusual``, ``say``, ``suggest``, ``to``, ``again``)."""


__all__ = ["hookimpl", "hookspec", "register_commands", "register_drivers", "register_effects",
    "register_situations", "register_tools", "register_watchers"]
