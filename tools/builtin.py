"""The built-in tools and drivers, registered through the same hooks a plugin uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iotlm.device_drivers.connection import BUILTIN_DRIVERS, DriverFactory
from iotlm.tools.context import ToolContext
from iotlm.tools.decorator import tool
from iotlm.tools.hookspecs import hookimpl


@tool
def get_device_state(ctx: ToolContext, device_id: str) -> dict[str, Any]:
    """Report a device's current state, as the device last reported it."""
    device = ctx.device(device_id)
    if device is None:
        known = ", ".join(sorted(d.id for d in ctx.devices()))
        raise LookupError(f"there is no device {device_id!r}; devices: {known}")
    return {"id": device.id, "name": device.name, "room": device.room, "availability": device.availability,
            "state": device.state()}


@tool
def list_devices(ctx: ToolContext, room: str | None = None, type: str | None = None) -> list[dict[str, Any]]:
    """List the home's devices, optionally only those in one room or of one type (light, lock, ...)."""
    return [{"id": d.id, "name": d.name, "room": d.room, "type": d.type} for d in ctx.devices(room=room, type=type)]


@tool
def current_time(ctx: ToolContext) -> str:
    """The local date and time, e.g. 'Sunday 2026-11-22 21:05'."""
    return ctx.now().strftime("%A %Y-%m-%d %H:%M")


@hookimpl
def register_tools(register: Callable[[Callable[..., Any]], Any]) -> None:
    for func in (get_device_state, list_devices, current_time):
        register(func)


@hookimpl
def register_drivers(register: Callable[[str, DriverFactory], None]) -> None:
    for name, factory in BUILTIN_DRIVERS.items():
        register(name, factory)


__all__ = ["current_time", "get_device_state", "list_devices", "register_drivers", "register_tools"]
