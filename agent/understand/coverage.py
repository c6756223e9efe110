"""Which words of a clause its reading used, and which it left over.

A clause acts only when every word of it is accounted for: a device, room, floor, operation, value, unit or time the
reading used, or a word known to carry no meaning there (English function words, "please", a wake word). A word left
over decides nothing silently: a word that stands where a room or a name would ("the *sunroom* lights", "the lights
of the *sunroom*") is a place or a device this home does not have, refused, never widened to the whole home; any
other word sends the clause on to the model, whose plan is checked against the words in turn.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.text import has

__all__ = ["FUNCTION_WORDS", "WAKE_WORDS", "Coverage", "cover"]

FUNCTION_WORDS = frozenset("""
a an the this that these those my our your his her their its it them they me us we i you he she him one ones some any
all every each both either to of in on at by for with from into onto off out up down over under about around through
and or but so then also too as than if not no yes just now right again still already very really quite bit little
lot lots more less much is are am be been being was were do does did doing can could would will shall should may
might must let lets please kindly thanks thank hey hi hello ok okay alright well oh um uh er like actually maybe
there here how what which who whom whose where when why get gets got have has had make makes go going want wanted
need needed would like set put keep leave stay back way thing things some something everything anything
id im ive ill whats thats lets dont
device devices system systems only using respectively further current currently levels time
room house home flat apartment place send
""".split())
"""English function words (and contractions as normalised: "i'd" is "id"), a few general verbs of requests and the
general nouns of the domain ("device", "system"): they carry no meaning of their own in a home request."""

WAKE_WORDS = ("hey iotlm", "iotlm", "alexa", "hey google", "ok google", "okay google", "siri", "hey siri", "olly",
              "computer", "hey home", "jarvis")
"""What people say to wake an assistant before the request."""

_NUMBER = re.compile(r"^-?\d+(?:[.,:]\d+)?$")
_DEADLINE = re.compile(r"\b(?:before|since|because|cause|cos|so that|so (?:i|we|you|they) can|for [a-z]+ing)\b.*$"
                       r"|(?<=\S)\s+(?:it is|its|it s)\s.*$")
"""A trailing deadline ("before the guests arrive"), reason ("since it is late", "so I can read", "it is hard to see down
here") or purpose ("for swinging"): it says when or why, not what; no part of the reading."""


@functools.lru_cache(maxsize=1)
def _general_phrases() -> tuple[str, ...]:
    """Every phrase of the lexicon that names an operation, a value, a unit, a quantity or a kind, longest first."""
    phrases: set[str] = set()
    phrases |= {p for p, _ in lx.VERBS} | set(lx.IDIOMS) | set(lx.COMPARATIVES) | set(lx.SMALL_WORDS)
    phrases |= set(lx.MAX_WORDS) | set(lx.MIN_WORDS) | set(lx.HALF_WORDS) | set(lx.ALL_WORDS) | set(lx.PRONOUNS)
    phrases |= set(lx.FILLER) | set(lx.NUMBER_WORDS) | set(lx.COLORS) | set(lx.COLOR_TEMPS_K) | set(WAKE_WORDS)
    phrases |= {w for names, words in lx.ATTRIBUTES.values() for w in (*names, *words)}
    phrases |= set(lx.OPTION_SYNONYMS) | {w for ws in lx.OPTION_SYNONYMS.values() for w in ws}
    phrases |= {w for ws in lx.DEVICE_KINDS.values() for w in ws} | {w for ws in lx.FLOOR_WORDS.values() for w in ws}
    phrases |= {w for ws in lx.SIDE_WORDS.values() for w in ws}
    phrases |= {w for ws in lx.GOALS.values() for w in ws}
    phrases |= {"percent", "percentage", "degree", "degrees", "celsius", "fahrenheit", "kelvin", "minute", "minutes",
                "hour", "hours", "second", "seconds", "mute", "unmute", "silence", "mode", "level", "setting"}
    return tuple(sorted((p.replace("_", " ") for p in phrases if p), key=len, reverse=True))


@functools.lru_cache(maxsize=1)
def _general_words() -> frozenset[str]:
    """The words a left-over word may be a form of: the lexicon's, less the words for kinds of device, which count
    only where the reading used them ("cleaning" is no form of the "air cleaner" a request never named)."""
    kinds = {w for ws in lx.DEVICE_KINDS.values() for p in ws for w in p.split()}
    return frozenset(w for p in _general_phrases() for w in p.split() if len(w) >= 4 and w not in kinds)


_SUFFIX = re.compile(r"(?:ing|ed|es|s|ize|ise|ized|ised|izes|ises|ization)$")


def _inflected(word: str, known: set[str] | frozenset[str]) -> bool:
    """A form of a known word: "increasing" of increase, "opening" of open, "maximize" of maximum."""
    stem = _SUFFIX.sub("", word)
    if len(stem) < 3 or stem == word:
        return False
    return any(k == stem or k == stem + "e" or (k.startswith(stem) and len(k) - len(stem) <= 2) for k in known)


@dataclass(frozen=True)
class Coverage:
    used: tuple[str, ...]
    """The words the reading used (its device, room, operation, value...)."""
    left: tuple[str, ...]
    """The words it could not account for."""
    place: str | None = None
    """A left-over word standing where a room or a name would: a place or a device this home does not have."""


def cover(text: str, home_phrases: tuple[str, ...], kind_phrases: tuple[str, ...], rooms: tuple[str, ...] = ()) -> Coverage:
    """The coverage of one normalised clause: ``home_phrases`` are this home's names, aliases, rooms and options,
    ``kind_phrases`` the words for kinds of device (before which, or after "of the", a left-over word is a place);
    a word before one of its ``rooms`` qualifies it ("the *master* bedroom" where the home has one bedroom)."""
    rest = " " + _DEADLINE.sub(" ", text).strip(" ?.,;!") + " "
    used: list[str] = []
    for phrase in sorted({*home_phrases, *_general_phrases()}, key=lambda p: (-len(p), p)):
        if len(phrase) > 1 and has(rest, phrase):
            used.append(phrase)
            rest = re.sub(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", " | ", rest)
    left = []
    known = {w for p in used for w in p.split()} | _general_words()
    for word in rest.split():
        if word == "|" or word in FUNCTION_WORDS or _NUMBER.match(word) or len(word) < 2 or _inflected(word, known):
            continue
        if any(re.search(rf"\b{re.escape(word)} {re.escape(r)}\b", text) for r in rooms):
            used.append(word)
            continue
        left.append(word)
    place = None
    for word in left:
        before_kind = any(re.search(rf"\b{re.escape(word)} (?:{re.escape(k)})\b", text) for k in kind_phrases)
        in_phrase = re.search(rf"\b(?:in|of|at|on|from|inside) (?:the |my |our )?{re.escape(word)}\b", text)
        if before_kind or in_phrase:
            place = word
            break
    spoken = f" {text} "
    used.sort(key=lambda p: (spoken.find(f" {p} ") if f" {p} " in spoken else len(spoken), p))  # as said
    return Coverage(tuple(used), tuple(left), place)
