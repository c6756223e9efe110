"""The tool registry, the ``@tool`` decorator, plugin hooks, device tools and the executor."""

from tools.context import PublishNotAllowed, ToolContext
from tools.decorator import tool
from tools.hookspecs import hookimpl
from tools.registry import RegistrationError, Tool, ToolInputError, ToolRegistry, UnknownToolError

__all__ = [
    "PublishNotAllowed", "RegistrationError", "Tool", "ToolContext", "ToolInputError", "ToolRegistry",
    "UnknownToolError", "hookimpl", "tool",
]
