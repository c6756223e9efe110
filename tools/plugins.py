"""Loading plugins: the built-in one and those installed in the ``iotlm`` entry-point group."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterable
from typing import Any

import pluggy

from iotlm.device_drivers.base import Driver
from iotlm.device_drivers.connection import DriverFactory
from iotlm.errors import SetupError
from iotlm.tools import builtin, hookspecs
from iotlm.tools.registry import RegistrationError, ToolRegistry

GROUP = "iotlm"


class PluginError(SetupError):
    """A plugin that cannot be loaded or whose registration failed; names the plugin."""


def plugin_manager(entry_points: Iterable[importlib.metadata.EntryPoint] | None = None) -> pluggy.PluginManager:
    """The built-in plugin plus every installed one (or the given ``entry_points``)."""
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    pm.register(builtin, name="builtin")
    eps = importlib.metadata.entry_points(group=GROUP) if entry_points is None else entry_points
    for ep in eps:
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) could not be loaded: {type(exc).__name__}: {exc}") from exc
        try:
            pm.register(plugin, name=ep.name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) is not a valid iotlm plugin: {exc}") from exc
    return pm


def _each(pm: pluggy.PluginManager, hook: str) -> Iterable[tuple[str, Callable[..., Any]]]:
    for impl in getattr(pm.hook, hook).get_hookimpls():
        yield impl.plugin_name, impl.function


def build_tools(pm: pluggy.PluginManager) -> ToolRegistry:
    """Every plugin's tools, each tagged with the plugin it came from."""
    registry = ToolRegistry()
    for origin, function in _each(pm, "register_tools"):
        def register(func: Callable[..., Any], origin: str = origin) -> Any:
            return registry.register(func, origin=origin)
        try:
            function(register=register)
        except RegistrationError as exc:
            raise PluginError(f"plugin {origin!r}: {exc}") from exc
        except Exception as exc:
            raise PluginError(f"plugin {origin!r}: register_tools failed: {type(exc).__name__}: {exc}") from exc
    return registry


def build_drivers(pm: pluggy.PluginManager) -> dict[str, DriverFactory]:
    """Every plugin's driver factories, each wrapped so that a failure to build names the plugin and the driver."""
    factories: dict[str, DriverFactory] = {}
    for origin, function in _each(pm, "register_drivers"):
        def register(name: str, factory: DriverFactory, origin: str = origin) -> None:
            if not isinstance(name, str) or not name or not callable(factory):
                raise PluginError(f"plugin {origin!r}: register_drivers must call register(name, factory) with a driver "
                                  f"name and a factory(transport, registry, connection); got {name!r}, {factory!r}")
            if name in factories:
                raise PluginError(f"plugin {origin!r}: a driver named {name!r} is already registered")
            factories[name] = _checked(origin, name, factory)
        try:
            function(register=register)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"plugin {origin!r}: register_drivers failed: {type(exc).__name__}: {exc}") from exc
    return factories


def _checked(origin: str, name: str, factory: DriverFactory) -> DriverFactory:
    def build(transport: Any, registry: Any, connection: Any) -> Driver:
        try:
            driver = factory(transport, registry, connection)
        except Exception as exc:
            raise PluginError(f"plugin {origin!r}: driver {name!r} could not be built: {type(exc).__name__}: {exc} "
                              "(a driver factory is called as factory(transport, registry, connection))") from exc
        if not isinstance(driver, Driver):
            raise PluginError(f"plugin {origin!r}: driver {name!r}: the factory returned {type(driver).__name__}, which "
                              "lacks name, start() or command(device, values) (see iotlm.Driver)")
        return driver
    return build


__all__ = ["GROUP", "PluginError", "build_drivers", "build_tools", "plugin_manager"]
