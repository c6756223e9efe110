"""Fakes behind the same interfaces as the real parts."""

from __future__ import annotations

from collections.abc import Callable

from agent.llm.backend import Completion


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
