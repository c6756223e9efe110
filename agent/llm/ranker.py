"""The model's job for requests the fast path cannot read: choose among the goals the home makes possible.

A base model of 270M parameters writes poor plans, but it can tell which of a few meanings a sentence is closest
to. The prompt is a static prefix (kept in llama.cpp's KV cache, so only the sentence is new work) and a grammar
that allows only the goal names; the model's own probability of its choice is the confidence, and a low one becomes
a question. The plan itself comes from the goal, the room's readings and the effect model (:mod:`iotlm.agent.goals`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from iotlm.agent.llm.backend import Model, ModelUnavailable

log = logging.getLogger(__name__)

GOAL_CHOICES: dict[str, tuple[str, str] | None] = {
    "brighter": ("illuminance", "up"), "darker": ("illuminance", "down"), "warmer": ("temperature", "up"),
    "cooler": ("temperature", "down"), "fresher air": ("stuffy", "down"), "cleaner air": ("dusty", "down"),
    "more humid": ("humidity", "up"), "less humid": ("humidity", "down"), "louder": ("volume", "up"),
    "quieter": ("volume", "down"), "nothing": None,
}
"""What a sentence can want of a room -> (condition, direction); "nothing" when it wants none of these."""

# Written for this prompt; none is a benchmark case. Each goal appears, in words that name no condition outright.
RANK_PREFIX = """Each line says what a person wants the room to become: brighter, darker, warmer, cooler, fresher air, \
cleaner air, more humid, less humid, louder, quieter, or nothing.

Said: I keep squinting at my book in the den
Wants: brighter
Said: my toes are like ice cubes in the hall
Wants: warmer
Said: it feels like a greenhouse in the office
Wants: cooler
Said: the screen glare is killing my eyes in the lounge
Wants: darker
Said: the whole flat smells like last night's dinner
Wants: fresher air
Said: my lips are cracking in the bedroom
Wants: more humid
Said: the windows in the bathroom are dripping with condensation
Wants: less humid
Said: there's a haze of dust in the playroom
Wants: cleaner air
Said: I can barely make out what they're saying on the show
Wants: louder
Said: the music is drowning out our conversation
Wants: quieter
Said: what a lovely day it is
Wants: nothing
Said: we need to order more milk
Wants: nothing
Said: the room looks like a cave
Wants: brighter
Said: I'm sweating buckets in the study
Wants: cooler
"""


@dataclass(frozen=True)
class Ranked:
    choice: str
    goal: tuple[str, str] | None
    confidence: float | None


class GoalRanker:
    def __init__(self, model: Model, *, min_confidence: float = 0.35) -> None:
        self.model = model
        self.min_confidence = min_confidence
        self.grammar = "root ::= " + " | ".join(f'" {c}"' for c in GOAL_CHOICES)
        self._prior_scores: list[float] | None = None

    def prompt(self, text: str) -> str:
        return f"{RANK_PREFIX}Said: {' '.join(text.split())}\nWants:"

    def rank(self, text: str) -> Ranked | None:
        """The goal the sentence most likely means; None when the model is not available. A model that can score
        continuations ranks every goal by its log-likelihood (confidence: its share of the probability among them);
        one that cannot chooses under a grammar of the goal names."""
        score = getattr(self.model, "score", None)
        if score is not None:
            try:
                rows = score(self.prompt(text), [f" {c}\n" for c in GOAL_CHOICES])
            except ModelUnavailable as exc:
                log.warning("goal ranking skipped: %s", exc)
                return None
            prior = self._prior(score)
            # contextual calibration: what the prompt alone makes likely (a base model leans to some answers whatever
            # is said) is taken out, so the sentence decides
            totals = [sum(row) - p for row, p in zip(rows, prior, strict=True)]
            top = max(totals)
            weights = [math.exp(t - top) for t in totals]
            best = max(range(len(totals)), key=lambda i: totals[i])
            choice = list(GOAL_CHOICES)[best]
            return Ranked(choice, GOAL_CHOICES[choice], weights[best] / sum(weights))
        try:
            completion = self.model.complete(self.prompt(text), grammar=self.grammar, max_tokens=6)
        except ModelUnavailable as exc:
            log.warning("goal ranking skipped: %s", exc)
            return None
        choice = completion.text.strip()
        if choice not in GOAL_CHOICES:
            return Ranked("nothing", None, completion.confidence)
        return Ranked(choice, GOAL_CHOICES[choice], completion.confidence)

    def _prior(self, score: Any) -> list[float]:
        if self._prior_scores is None:
            rows = score(self.prompt("N/A"), [f" {c}\n" for c in GOAL_CHOICES])
            self._prior_scores = [sum(row) for row in rows]
        return self._prior_scores

    def sure(self, ranked: Ranked) -> bool:
        return ranked.confidence is None or ranked.confidence >= self.min_confidence
