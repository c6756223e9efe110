"""``@tool``: marks a function as a tool and returns it unchanged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

from iotlm.errors import SetupError

Risk = Literal["read", "actuate", "critical"]
RISKS: tuple[Risk, ...] = ("read", "actuate", "critical")
F = TypeVar("F", bound=Callable[..., Any])
MARK = "__iotlm_tool__"


@dataclass(frozen=True)
class ToolOptions:
    name: str | None = None
    description: str | None = None
    risk: Risk = "read"
    requires_confirmation: bool = False


@overload
def tool(func: F, /) -> F: ...


@overload
def tool(*, name: str | None = None, description: str | None = None, risk: Risk = "read",
         requires_confirmation: bool = False) -> Callable[[F], F]: ...


def tool(func: F | None = None, /, *, name: str | None = None, description: str | None = None,
         risk: Risk = "read", requires_confirmation: bool = False) -> F | Callable[[F], F]:
    """Mark ``func`` as a tool; use bare (``@tool``) or with options (``@tool(risk="actuate")``).

    The function is returned unchanged, so it stays a plain, unit-testable function.
    """
    if risk not in RISKS:
        raise SetupError(f"@tool(risk={risk!r}): risk must be one of {', '.join(RISKS)}")
    options = ToolOptions(name=name, description=description, risk=risk, requires_confirmation=requires_confirmation)

    def mark(f: F) -> F:
        if not callable(f):
            raise TypeError(f"@tool must decorate a function, not {type(f).__name__}")
        setattr(f, MARK, options)
        return f

    return mark(func) if func is not None else mark


def options_of(func: Callable[..., Any]) -> ToolOptions:
    found = getattr(func, MARK, None)
    return found if isinstance(found, ToolOptions) else ToolOptions()


__all__ = ["MARK", "RISKS", "Risk", "ToolOptions", "options_of", "tool"]
