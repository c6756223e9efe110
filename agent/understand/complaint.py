"""What a complaint about a room wants: (room, condition, direction), read from its words.

"The utility room must be too warm" is (utility room, temperature, down); "it's not bright enough" is
(illuminance, up). Planning it is :mod:`iotlm.agent.context.goals`'s work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Direction = Literal["up", "down"]
AIR_GOALS = ("stuffy", "dusty", "smoky")
"""Goals about the air, which no one reading measures: each is served by several effects."""


@dataclass(frozen=True)
class Goal:
    room: str
    condition: str
    """temperature, humidity, illuminance, stuffy, dusty or smoky (the last three: the air)."""
    direction: Direction


# (words, condition, direction): first match wins, so the more specific come first
_WORDS: list[tuple[str, str, Direction]] = [
    (r"stuffy|stale|can ?t breathe|cannot breathe|hard to breathe|need (?:some )?(?:fresh |more )?air", "stuffy", "down"),
    (r"dusty|dust|pollen|hazy", "dusty", "down"),
    (r"smoky|smoke|smells? of smoke|burnt", "smoky", "down"),
    (r"warm|hot|boiling|sweltering|roasting|baking|sweating|overheat\w*", "temperature", "down"),
    (r"cold|chilly|freezing|cool|frosty|icy|shivering", "temperature", "up"),
    (r"humid|damp|muggy|clammy|sticky|steamy", "humidity", "down"),
    (r"dry|parched", "humidity", "up"),
    (r"dark|dim|gloomy|can ?t see|cannot see|barely see|hardly see|need more light", "illuminance", "up"),
    (r"bright|glare|glaring|blinding|dazzling", "illuminance", "down"),
]
_PATTERNS = [(re.compile(rf"\b(?:{words})\b"), condition, direction) for words, condition, direction in _WORDS]
_NOT_ENOUGH = re.compile(r"\bnot (\w+) enough\b")
_FLIP: dict[Direction, Direction] = {"up": "down", "down": "up"}


def read_goal(text: str) -> tuple[str, Direction] | None:
    """(condition, direction) of a complaint, or None when it names no condition iotlm can act on."""
    flip = _NOT_ENOUGH.search(text)
    probe = flip.group(1) if flip else text
    for pattern, condition, direction in _PATTERNS:
        if pattern.search(probe):
            return condition, _FLIP[direction] if flip and condition not in AIR_GOALS else direction
    return None


__all__ = ["AIR_GOALS", "Direction", "Goal", "read_goal"]
