"""iotlm: an on-device language-model agent for the home.

The public surface for plugins and scripts::

    from iotlm import tool, hookimpl, ToolContext          # a tool plugin
    from iotlm import hookimpl, Device, DeviceRegistry     # a driver plugin

Names load on first use, so ``import iotlm`` stays cheap and no package depends on this module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from iotlm.errors import DeviceError, IotlmError, SetupError, UserError

if TYPE_CHECKING:
    from iotlm.device_drivers.base import CodecError, CommandError, Driver, MqttDriver
    from iotlm.device_drivers.model import Attribute, Binding, Device, PropertyBinding, Value
    from iotlm.device_drivers.registry import DeviceRegistry
    from iotlm.device_drivers.transport import Transport
    from iotlm.policies.model import Decision, User
    from iotlm.tools.context import ToolContext
    from iotlm.tools.decorator import tool
    from iotlm.tools.hookspecs import hookimpl
    from iotlm.tools.registry import Tool, ToolRegistry

__version__ = "0.1.0"

_LAZY = {
    "tool": "iotlm.tools.decorator", "hookimpl": "iotlm.tools.hookspecs", "ToolContext": "iotlm.tools.context",
    "Tool": "iotlm.tools.registry", "ToolRegistry": "iotlm.tools.registry",
    "Device": "iotlm.device_drivers.model", "Attribute": "iotlm.device_drivers.model",
    "Binding": "iotlm.device_drivers.model", "PropertyBinding": "iotlm.device_drivers.model",
    "Value": "iotlm.device_drivers.model", "DeviceRegistry": "iotlm.device_drivers.registry",
    "Transport": "iotlm.device_drivers.transport", "Driver": "iotlm.device_drivers.base",
    "MqttDriver": "iotlm.device_drivers.base", "CodecError": "iotlm.device_drivers.base",
    "CommandError": "iotlm.device_drivers.base", "Decision": "iotlm.policies.model", "User": "iotlm.policies.model",
}

__all__ = [
    "Attribute", "Binding", "CodecError", "CommandError", "Decision", "Device", "DeviceError", "DeviceRegistry", "Driver",
    "IotlmError", "MqttDriver", "PropertyBinding", "SetupError", "Tool", "ToolContext", "ToolRegistry", "Transport", "User",
    "UserError", "Value", "__version__", "hookimpl", "tool",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'iotlm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
