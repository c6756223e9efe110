"""The @tool decorator and the registry: strict at registration, strict at call time."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import Field

from iotlm.errors import SetupError
from iotlm.tools import RegistrationError, ToolContext, ToolInputError, ToolRegistry, tool
from iotlm.tools.decorator import options_of


@tool
def dim(room: str, level: Annotated[int, Field(ge=0, le=100, description="percent")] = 50) -> str:
    """Dim the lights of a room."""
    return f"{room}:{level}"


@tool(risk="critical", requires_confirmation=True, name="open_all", description="Open every door.")
def open_everything(ctx: ToolContext, mode: Literal["now", "later"]) -> str:
    return mode


def test_decorator_returns_the_function_unchanged() -> None:
    assert dim("kitchen", 20) == "kitchen:20"
    assert dim.__name__ == "dim" and dim.__doc__ == "Dim the lights of a room."
    assert options_of(open_everything).risk == "critical"


def test_schema_from_type_hints_and_docstring() -> None:
    registry = ToolRegistry()
    t = registry.register(dim, origin="test")
    assert t.schema() == {
        "name": "dim", "description": "Dim the lights of a room.", "risk": "read", "requires_confirmation": False,
        "origin": "test",
        "parameters": {"type": "object", "additionalProperties": False, "required": ["room"], "properties": {
            "room": {"type": "string"},
            "level": {"type": "integer", "minimum": 0, "maximum": 100, "default": 50, "description": "percent"}}},
    }


def test_options_and_context_argument() -> None:
    t = ToolRegistry().register(open_everything)
    schema = t.schema()
    assert (schema["name"], schema["description"], schema["risk"], schema["requires_confirmation"]) == (
        "open_all", "Open every door.", "critical", True)
    assert list(schema["parameters"]["properties"]) == ["mode"]  # the context is not an argument
    assert t.context_arg == "ctx"


@pytest.mark.parametrize(("args", "argument", "given", "allowed"), [
    ({"room": "kitchen", "level": "loud"}, "level", "loud", "input should be a valid integer, unable to parse string as an integer"),
    ({"room": "kitchen", "level": 140}, "level", 140, "input should be less than or equal to 100"),
    ({"level": 10}, "room", None, "it is required"),
    ({"room": "kitchen", "colour": "red"}, "colour", "red", "dim takes no argument 'colour'; it takes: room, level"),
])
def test_bad_arguments_name_argument_given_and_allowed(args: dict[str, object], argument: str, given: object,
                                                      allowed: str) -> None:
    t = ToolRegistry().register(dim)
    with pytest.raises(ToolInputError) as info:
        t.validate(args)
    assert (info.value.argument, info.value.given, info.value.allowed) == (argument, given, allowed)
    assert str(info.value) == f"dim: argument {argument!r} got {given!r}; {allowed}"


def test_unknown_option_is_rejected_with_the_options() -> None:
    t = ToolRegistry().register(open_everything)
    with pytest.raises(ToolInputError, match="argument 'mode' got 'soon'; input should be 'now' or 'later'"):
        t.validate({"mode": "soon"})


def _named_badly(room: str) -> None:
    """Does something."""


def untyped(room):  # type: ignore[no-untyped-def]
    """Does something."""


def undocumented(room: str) -> None:
    pass


def star(*rooms: str) -> None:
    """Many rooms."""


@tool(name="Bad Name")
def bad_name(room: str) -> None:
    """Does something."""


@pytest.mark.parametrize(("func", "message"), [
    (_named_badly, "tool '_named_badly' \\(from test\\): the name must be lower_case words"),
    (untyped, "argument 'room' has no type annotation; annotate it \\(e.g. `room: int`\\)"),
    (undocumented, "has no description: add a docstring"),
    (star, r"\*rooms is not allowed; name each argument with its type"),
    (bad_name, "tool 'Bad Name' .* the name must be lower_case words"),
])
def test_registration_errors_say_how_to_fix(func: object, message: str) -> None:
    with pytest.raises(RegistrationError, match=message):
        ToolRegistry().register(func, origin="test")  # type: ignore[arg-type]


def test_duplicate_names_are_an_error_naming_both_origins() -> None:
    registry = ToolRegistry()
    registry.register(dim, origin="builtin")
    with pytest.raises(RegistrationError, match="'dim' is registered twice: by builtin and by plugin-x; give one"):
        registry.register(dim, origin="plugin-x")


def test_bad_risk_is_refused_at_decoration() -> None:
    with pytest.raises(SetupError, match="risk must be one of read, actuate, critical"):
        tool(risk="spicy")  # type: ignore[call-overload]
