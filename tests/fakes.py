"""Fakes behind the same interfaces as the real parts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from iotlm.agent.llm.backend import Completion

if TYPE_CHECKING:
    import numpy as np


class ScriptedModel:
    """A language model that answers from a script: prompt -> (text, confidence)."""

    name = "scripted"

    def __init__(self, answer: Callable[[str], tuple[str, float | None]]) -> None:
        self.answer = answer
        self.prompts: list[str] = []
        self.grammars: list[str | None] = []

    def complete(self, prompt: str, *, grammar: str | None = None, max_tokens: int = 64) -> Completion:
        self.prompts.append(prompt)
        self.grammars.append(grammar)
        text, confidence = self.answer(prompt)
        return Completion(text, confidence)


class WordEmbedder:
    """A deterministic embedder: a hashed bag of words, so texts sharing words are near."""

    name = "words-test"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        import hashlib
        import re

        import numpy as np

        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out
