"""Which of a home's rooms are outdoors and which indoors, judged by the packaged sentence model, not by a list.

"Turn on all the outdoor lights", "dim the interior lights": a person names a side of the house, and the home file
seldom says which rooms are on which side. Each room's name is compared, with the packaged all-MiniLM-L6-v2 (in
NumPy, :mod:`iotlm.memory.minilm`), with "an outdoor area" and "an indoor room"; the nearer is its side. So a
balcony, garage, patio, porch, shed, garden, terrace, yard, driveway or deck is outdoors, and a bathroom, study,
hallway, cellar, attic or utility room indoors, for any room name the model has seen words like (measured on 30
room names: ``tests/agent/test_sides.py``). Only asked when a sentence names a side, so no request pays for it
otherwise; each room name is judged once per process.
"""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np

Side = Literal["outdoors", "indoors"]
PROBES: dict[Side, str] = {"outdoors": "an outdoor area", "indoors": "an indoor room"}


@functools.lru_cache(maxsize=1)
def _probes() -> dict[Side, np.ndarray]:
    return {side: _vector(text) for side, text in PROBES.items()}


@functools.lru_cache(maxsize=512)
def side_of(room: str) -> Side:
    """The side of the house a room (by its name) is on."""
    vector = _vector(room.replace("_", " "))
    probes = _probes()
    return max(probes, key=lambda side: float(vector @ probes[side]))


def _vector(text: str) -> np.ndarray:
    from iotlm.memory.minilm import shared

    sentence = shared().encode_words(text.lower().split())[1]
    return np.asarray(sentence / (np.linalg.norm(sentence) or 1.0))


__all__ = ["PROBES", "Side", "side_of"]
