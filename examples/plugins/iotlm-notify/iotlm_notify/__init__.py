"""Example iotlm plugin: notifications over MQTT and an 'everything off' room scene."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from iotlm import ToolContext, hookimpl, tool

TOPIC = "iotlm/notify"


@tool(risk="actuate")
def notify(ctx: ToolContext, message: str, title: str = "iotlm",
           priority: Literal["low", "normal", "high"] = "normal") -> str:
    """Send a notification to the household (published on iotlm/notify for phones and dashboards)."""
    ctx.publish(TOPIC, {"title": title, "message": message, "priority": priority, "user": ctx.user.name})
    return f"notified: {title}: {message}"


@tool(risk="actuate")
def room_off(ctx: ToolContext, room: str) -> dict[str, str]:
    """Turn off everything in a room that can be turned off (lights, fans, plugs, media)."""
    results: dict[str, str] = {}
    for device in ctx.devices(room=room):
        state = device.attributes.get("state")
        if state is not None and state.writable and "off" in (state.options or []):
            outcome = ctx.act(device.id, "turn_off")
            results[device.id] = outcome.status
    if not results:
        raise LookupError(f"nothing in a room called {room!r} can be turned off")
    return results


@hookimpl
def register_tools(register: Callable[[Callable[..., Any]], Any]) -> None:
    register(notify)
    register(room_off)
