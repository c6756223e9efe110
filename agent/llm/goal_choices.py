"""The goals a request about a room can mean, and a ranking of one (see :mod:`.goal_head`, which ranks them).

Ranking them with the 270M base model itself (log-likelihood of each goal name after a few-shot prefix, with and
without contextual calibration) was tried and measured: 1-2 of 14 sentences right, so the model is left to requests
about devices. The plan itself comes from the goal, the room's readings and the effect model (:mod:`iotlm.agent.context.goals`).
"""

from __future__ import annotations

from dataclasses import dataclass

GOAL_CHOICES: dict[str, tuple[str, str] | None] = {
    "brighter": ("illuminance", "up"), "darker": ("illuminance", "down"), "warmer": ("temperature", "up"),
    "cooler": ("temperature", "down"), "fresher air": ("stuffy", "down"), "cleaner air": ("dusty", "down"),
    "more humid": ("humidity", "up"), "less humid": ("humidity", "down"), "louder": ("volume", "up"),
    "quieter": ("volume", "down"), "nothing": None,
}
"""What a sentence can want of a room -> (condition, direction); "nothing" when it wants none of these."""


@dataclass(frozen=True)
class Ranked:
    choice: str
    goal: tuple[str, str] | None
    confidence: float | None


__all__ = ["GOAL_CHOICES", "Ranked"]
