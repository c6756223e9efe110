"""The tool registry: strict at registration, strict at call time.

A tool's argument schema comes from its type hints, its description from its docstring. A
missing annotation, a missing description or a duplicate name is a :class:`RegistrationError`
at start-up, with the fix in the message.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from iotlm.errors import SetupError, UserError
from iotlm.tools.decorator import Risk, options_of

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


class RegistrationError(SetupError):
    """A tool that cannot be registered; the message names the tool, its origin and the fix."""


class ToolInputError(UserError):
    """Arguments a tool cannot take; names the argument, what was given and what is allowed."""

    def __init__(self, tool: str, argument: str, given: Any, allowed: str) -> None:
        self.tool, self.argument, self.given, self.allowed = tool, argument, given, allowed
        super().__init__(f"{tool}: argument {argument!r} got {given!r}; {allowed}")


class UnknownToolError(UserError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    func: Callable[..., Any]
    arguments: type[BaseModel]
    risk: Risk
    requires_confirmation: bool
    origin: str
    context_arg: str | None
    """The parameter that receives the :class:`~tools.context.ToolContext`, if any."""

    def schema(self) -> dict[str, Any]:
        params = self.arguments.model_json_schema()
        params.pop("title", None)
        for prop in params.get("properties", {}).values():
            prop.pop("title", None)
        return {"name": self.name, "description": self.description, "parameters": params, "risk": self.risk,
                "requires_confirmation": self.requires_confirmation, "origin": self.origin}

    def validate(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            model = self.arguments.model_validate(args)
        except ValidationError as exc:
            raise input_error(self.name, exc, self.arguments) from exc
        return {k: getattr(model, k) for k in type(model).model_fields}


def input_error(tool: str, exc: ValidationError, model: type[BaseModel]) -> ToolInputError:
    err = exc.errors()[0]
    argument = ".".join(str(p) for p in err["loc"]) or "(arguments)"
    if err["type"] == "extra_forbidden":
        allowed = f"{tool} takes no argument {argument!r}; it takes: {', '.join(model.model_fields) or 'none'}"
    elif err["type"] == "missing":
        allowed = "it is required"
        return ToolInputError(tool, argument, None, allowed)
    else:
        allowed = err["msg"][0].lower() + err["msg"][1:]
    return ToolInputError(tool, argument, err.get("input"), allowed)


def build_tool(func: Callable[..., Any], origin: str) -> Tool:
    from iotlm.tools.context import ToolContext

    options = options_of(func)
    name: str = options.name or str(getattr(func, "__name__", ""))
    where = f"tool {name!r} (from {origin})"
    if not _NAME.match(name):
        raise RegistrationError(f"{where}: the name must be lower_case words joined by '_' or '.', e.g. 'send_notification'")
    description = options.description or _first_paragraph(inspect.getdoc(func))
    if not description:
        raise RegistrationError(f"{where} has no description: add a docstring saying what it does "
                                "(the planner chooses tools by it) or use @tool(description=...)")
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception as exc:
        raise RegistrationError(f"{where}: its type hints cannot be resolved ({exc}); import the types it names") from exc
    fields: dict[str, Any] = {}
    context_arg = None
    for pname, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise RegistrationError(f"{where}: *{pname} is not allowed; name each argument with its type")
        if pname not in hints:
            raise RegistrationError(f"{where}: argument {pname!r} has no type annotation; annotate it "
                                    f"(e.g. `{pname}: int`): an untyped argument would accept anything")
        if hints[pname] is ToolContext:
            context_arg = pname
            continue
        fields[pname] = (hints[pname], ... if param.default is param.empty else param.default)
    model_name = "".join(part.capitalize() for part in re.split(r"[._]", name)) + "Arguments"
    try:
        arguments = create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)
        arguments.model_json_schema()
    except Exception as exc:
        raise RegistrationError(f"{where}: its arguments have no JSON schema ({exc}); use JSON-compatible types") from exc
    return Tool(name=name, description=description, func=func, arguments=arguments, risk=options.risk,
                requires_confirmation=options.requires_confirmation, origin=origin, context_arg=context_arg)


def _first_paragraph(doc: str | None) -> str:
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ").strip()


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def register(self, func: Callable[..., Any], *, origin: str = "local") -> Tool:
        tool = build_tool(func, origin)
        existing = self._tools.get(tool.name)
        if existing is not None:
            raise RegistrationError(f"tool {tool.name!r} is registered twice: by {existing.origin} and by {origin}; "
                                    "give one of them another name with @tool(name=...)")
        self._tools[tool.name] = tool
        return tool

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            raise UnknownToolError(f"no tool {name!r}; tools: {', '.join(sorted(self._tools))}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(sorted(self._tools.values(), key=lambda t: t.name))

    def __len__(self) -> int:
        return len(self._tools)


__all__ = ["RegistrationError", "Tool", "ToolInputError", "ToolRegistry", "UnknownToolError", "build_tool",
    "input_error"]
