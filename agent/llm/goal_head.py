"""The goal head: a softmax layer over MiniLM sentence embeddings that says which goal a request about a room means.

Trained by ``python -m iotlm.agent.llm.train_head`` on iotlm's own phrasings (:mod:`.goal_phrasings`); the weights
ship with the package (``goal_head.npz``, 17 KB). It runs in about 10 ms once the embedder is loaded, where the 270M
base model's ranking was both slower and near chance on these sentences (see the closing note of issue 14).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

import numpy as np

from iotlm.agent.llm.goal_choices import GOAL_CHOICES, Ranked

log = logging.getLogger(__name__)

WEIGHTS = "goal_head.npz"


class GoalHead:
    def __init__(self, embedder: Callable[[], Any], *, weights: dict[str, Any] | None = None, min_confidence: float = 0.5) -> None:
        """``embedder``: returns the sentence embedder (called on first use, so importing it costs nothing until a
        request needs it)."""
        self.embedder = embedder
        self.min_confidence = min_confidence
        if weights is None:
            with resources.files("iotlm.agent.llm").joinpath(WEIGHTS).open("rb") as f:
                data = np.load(f)
                weights = {k: data[k] for k in data.files}
        self.w = np.asarray(weights["w"], dtype=np.float32)
        self.b = np.asarray(weights["b"], dtype=np.float32)
        self.labels = [str(x) for x in weights["labels"]]
        self._warned = False
        unknown = set(self.labels) - set(GOAL_CHOICES)
        if unknown:
            raise ValueError(f"goal head labels {sorted(unknown)} are not goals; retrain it with train_head")

    def rank(self, text: str, rooms: Iterable[str] = ()) -> Ranked | None:
        """The goal ``text`` most likely means, with the head's probability; None when the embedder is not the one
        the head was trained on (its vectors have another size). ``rooms``: the room phrases the text names, which
        are masked as in training ("the boot room is ..." -> "the room is ..."), so that a room's own name
        ("sun room", "wine cellar") does not pull the sentence toward a goal."""
        vector = self.embedder().encode([mask_rooms(" ".join(text.split()), rooms)])[0]
        if vector.shape[0] != self.w.shape[0]:
            if not self._warned:
                log.warning("goal head skipped: it takes %d-dimensional MiniLM vectors, the embedder gives %d",
                            self.w.shape[0], vector.shape[0])
                self._warned = True
            return None
        logits = vector @ self.w + self.b
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        best = int(np.argmax(probs))
        choice = self.labels[best]
        return Ranked(choice, GOAL_CHOICES[choice], float(probs[best]))

    def sure(self, ranked: Ranked) -> bool:
        return ranked.confidence is None or ranked.confidence >= self.min_confidence


def mask_rooms(text: str, rooms: Iterable[str]) -> str:
    """``text`` with each room phrase replaced the way the training sentences without a room are written: "in the
    X" dropped, "the X" -> "the room", a bare X -> "room"."""
    for phrase in sorted({r.lower() for r in rooms if r}, key=len, reverse=True):
        name = re.escape(phrase)
        text = re.sub(rf"\s*\bin (?:the |my |our )?{name}\b", "", text, flags=re.I)
        text = re.sub(rf"\b(?:the|my|our) {name}\b", "the room", text, flags=re.I)
        text = re.sub(rf"\b{name}\b", "room", text, flags=re.I)
    return " ".join(text.split())


def softmax_regression(x: np.ndarray, y: np.ndarray, classes: int, *, l2: float = 1e-3, steps: int = 400,
                       rate: float = 2.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch gradient descent on the cross-entropy (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.01, (x.shape[1], classes)).astype(np.float64)
    b = np.zeros(classes)
    onehot = np.eye(classes)[y]
    for _ in range(steps):
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot) / len(x)
        w -= rate * (x.T @ grad + l2 * w)
        b -= rate * grad.sum(axis=0)
    return w.astype(np.float32), b.astype(np.float32)


__all__ = ["WEIGHTS", "GoalHead", "mask_rooms", "softmax_regression"]
