"""The tool registry, the ``@tool`` decorator, plugin hooks, device tools and the executor."""

from iotlm.tools.context import PublishNotAllowed, ToolContext
from iotlm.tools.decorator import tool
from iotlm.tools.hookspecs import hookimpl
from iotlm.tools.registry import RegistrationError, Tool, ToolInputError, ToolRegistry, UnknownToolError

__all__ = [
    "PublishNotAllowed", "RegistrationError", "Tool", "ToolContext", "ToolInputError", "ToolRegistry",
    "UnknownToolError", "hookimpl", "tool",
]
