"""Pure helpers on request text: normalising, phrase matching, negation, numbers for replies."""

from __future__ import annotations

import functools
import re

from iotlm.agent.understand import lexicon as lx


def normalise(text: str) -> str:
    """Lower case, units spelled out ("30%" -> "30 percent"), punctuation other than , ; . / - ' gone."""
    text = text.lower().replace("_", " ").replace("\u2019", "'")
    text = re.sub(r"(\d)\s*%", r"\1 percent", text)
    text = re.sub(r"(\d)\s*°\s*[cf]?", r"\1 degrees", text)
    text = re.sub(r"(\d)\s*k\b", r"\1 kelvin", text)
    text = re.sub(r"\bper cent\b", "percent", text)
    text = re.sub(r"[^a-z0-9.,;?\s'/-]", " ", text)
    text = re.sub(r"\s*\?[?\s]*", "? ", text)  # a question mark stays, at the end of its clause
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    text = text.replace("'s ", " ").replace("'", "")
    return re.sub(r"\s+", " ", text).strip()


def negated(text: str) -> bool:
    """A clause that says what not to do (idioms such as "I can't see" are requests, not negations)."""
    return lx.NEGATION.search(lx.NOT_NEGATION.sub(" ", text)) is not None


@functools.lru_cache(maxsize=65536)
def _word(phrase: str) -> re.Pattern[str]:
    # compiled once per phrase: the lexicon, the home's names and the situations hold more phrases than the re
    # module's own cache (512), which would otherwise compile them again on every request
    return re.compile(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])")


@functools.lru_cache(maxsize=65536)
def _blankable(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])")


def has(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` as whole words."""
    return _word(phrase).search(text) is not None


def blank(text: str, phrase: str, count: int = 0) -> str:
    """``text`` with ``phrase`` (as whole words) blanked out, so that later matches do not reuse it (the first
    ``count`` times; 0: every time)."""
    return _blankable(phrase).sub(" ", text, count=count)


def option_words(option: str) -> list[str]:
    """The ways to say a device option ("cool" for "cool", "chilly" too where the lexicon says so)."""
    word = option.lower().replace("_", " ")
    return [word, *lx.OPTION_SYNONYMS.get(word, ())]


def tidy(number: float) -> int | float:
    """21.0 -> 21, 21.456 -> 21.46."""
    return int(number) if float(number).is_integer() else round(number, 2)


__all__ = ["blank", "has", "negated", "normalise", "option_words", "tidy"]
