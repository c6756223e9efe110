"""A clause's frame: what it asks for (intent, value, attribute) and what it points at (rooms, names, kinds).

Pure functions: the frame of a text depends on the text and the home's vocabulary (a :class:`Vocabulary`, such as
:class:`iotlm.agent.understand.index.HomeIndex`), never on an earlier sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Protocol

from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.acts import is_statement
from iotlm.agent.understand.lexicon import Act, Intent
from iotlm.agent.understand.sides import side_of
from iotlm.agent.understand.text import blank, has

_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)")


@dataclass
class Frame:
    text: str
    intent: Intent | None = None
    number: float | None = None
    unit: str | None = None  # "%", "deg", "k", None
    word_value: str | None = None  # an option / colour word
    extreme: Literal["max", "min"] | None = None
    relative_small: bool = False
    by: bool = False
    concept: str | None = None
    rooms: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)  # device ids named explicitly
    soft_named: list[str] = field(default_factory=list)  # devices called by a general phrase ("ceiling light")
    unknown_place: str | None = None
    plural: bool = False
    pronoun: bool = False
    lowered_or_raised: bool = False
    """Said as dimming or brightening, raising or lowering ("dim the lights to 30%"), even where it sets a value."""
    name_number: str | None = None
    """A number said as part of a name ("light 1", "bedroom 2") that no device of the home has: never a value."""
    question: bool = False
    act: Act = "command"
    mute: bool | None = None  # "mute" / "unmute"
    goal: str | None = None
    """For a goal, the condition it is about (temperature, humidity, light, volume, air)."""
    """What the clause does: a command or a goal may act; a question and context never do."""


class Vocabulary(Protocol):
    """The home's words: phrases for rooms, device names and aliases, and kinds of device."""

    rooms: dict[str, str]  # phrase -> room
    floors: dict[str, str]  # room -> floor
    names: dict[str, set[str]]  # name/alias phrase -> device ids
    proper: dict[str, set[str]]  # name phrase -> device ids
    kind_phrases: list[tuple[str, str]]  # (phrase, kind), longest first


def read_frame(text: str, home: Vocabulary) -> Frame:
    """The frame of one normalised clause."""
    frame = Frame(text=text)
    asked = text.endswith("?") and not any(text.startswith(verb) for verb, _ in lx.VERBS)  # "turn it on?" is a request
    frame.question = (text.startswith(lx.QUESTION_STARTS) and not text.startswith(("do not ", "does not "))) or asked
    text = text.rstrip("? ")
    # a device whose name begins with a verb ("Play Corner Light") is a name, not a request to play
    spoken = text
    for name in home.names:
        if " " in name and name.split(" ", 1)[0] in _VERB_WORDS and has(spoken, name):
            spoken = blank(spoken, name)
    frame.intent = _intent(_active(spoken), frame.question)
    verb_phrase = next((p for p, i in lx.VERBS if i == frame.intent and has(spoken, p) and (
        p not in lx.NOUN_VERBS or spoken.startswith(p + " "))), None)  # "start the vacuum": the verb is "start"
    _idioms(frame, text)
    _numbers(frame, _without_name_numbers(frame, text, home))
    _comparatives(frame, text)
    attribute_phrase = _concept(frame, text)
    for colour in sorted(lx.COLORS, key=len, reverse=True):
        if has(text, colour):
            frame.word_value = colour
            break
    _places(frame, text, home, verb_phrase, attribute_phrase)
    frame.pronoun = any(has(text, p) for p in lx.PRONOUNS) and not re.search(r"\b(it|that) (is|was|s)\b|^its\b", text)
    frame.act = speech_act(text, frame)
    if frame.act == "goal":
        frame.goal = next((g for g, words in lx.GOALS.items() if any(has(text, w) for w in words)), None)
    if frame.act == "question":  # "... and was wondering how warm it is" asks as much as "how warm is it"
        frame.question, frame.intent = True, "query"
    return frame


def speech_act(text: str, frame: Frame) -> Act:
    """Question, goal (a complaint about a room), context (what the person is doing), statement (what happened, or
    was wished: :func:`iotlm.agent.understand.acts.is_statement`) or command."""
    if lx.CONTEXT.search(text) and not re.search(r"\b(?:want|need|would like|like|wish)\b", text) and not (
            lx.EMBEDDED_QUESTION.search(text)):
        return "context"  # before questions: "we're done for the night" starts like "were the lights on"
    if frame.question or lx.EMBEDDED_QUESTION.search(text):
        return "question"
    if is_statement(text):  # "the kids left the light on", "I should have closed the blinds": reported, not asked
        return "statement"
    if lx.COMPLAINT.search(text) or any(has(text, idiom) for idiom in lx.IDIOMS if idiom not in _COMMAND_IDIOMS):
        return "goal"
    return "command"


_COMMAND_IDIOMS = {"lights out", "lights off", "lights on"}
_VERB_WORDS = {verb.split()[0] for verb, _ in lx.VERBS}


_PASSIVE = re.compile(r"\b(?:be|get|been|being) ([a-z]+?)(?:ed|d)\b")
_BASE_VERBS = {v for v, _ in lx.VERBS if " " not in v}


def _active(text: str) -> str:
    """A request in the passive as the verb itself: "can the lights be changed to green" -> "... change to green"."""
    def base(m: re.Match[str]) -> str:
        stem = m.group(1)
        for verb in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else ""):
            if verb in _BASE_VERBS:
                return verb
        return m.group(0)
    return _PASSIVE.sub(base, text)


def _intent(text: str, question: bool) -> Intent | None:
    intent: Intent | None = next((i for phrase, i in lx.VERBS if has(text, phrase) and (
        phrase not in lx.NOUN_VERBS or text.startswith(phrase + " "))), None)
    if intent in ("set", None) and re.search(r"\b(turn|crank|bump|put)\b.*\b(up|down)\b", text):
        intent = "up" if re.search(r"\bup\b", text) else "down"
    if intent is None and re.search(r"\b(on|off)\b", text):
        intent = "on" if re.search(r"\bon\b", text) else "off"
    if intent in ("set", None):  # "turn the light on", "switch the fan off"
        if re.search(r"\b(on)\b\s*$", text) or re.search(r"\bturn\b.*\bon\b", text):
            intent = "on"
        elif re.search(r"\b(off)\b\s*$", text) or re.search(r"\b(turn|switch)\b.*\boff\b", text):
            intent = "off"
    if question and intent not in ("up", "down"):
        intent = "query"
    return intent


def _idioms(frame: Frame, text: str) -> None:
    for idiom, (idiom_intent, idiom_concept) in lx.IDIOMS.items():
        if idiom in _COMMAND_IDIOMS and frame.intent is not None:
            continue  # "turn off the lights on the first floor": the verb says it, not "lights on"
        if has(text, idiom):
            frame.intent = idiom_intent  # type: ignore[assignment]
            frame.concept = idiom_concept
            frame.question = False
            break
    if has(text, "unmute"):
        frame.intent, frame.concept, frame.mute = "set", "volume", False
    elif has(text, "mute") or has(text, "silence"):
        frame.intent, frame.concept, frame.number, frame.mute = "set", "volume", 0.0, True


def _numbers(frame: Frame, text: str) -> None:
    number = _NUMBER.search(text) if frame.number is None else None
    if number:
        frame.number = float(number.group(1))
    elif frame.number is None:
        frame.number = _number_words(text)
    if frame.number is not None:
        if has(text, "percent") or has(text, "percentage"):
            frame.unit = "%"
        elif has(text, "degrees") or has(text, "degree") or has(text, "celsius"):
            frame.unit = "deg"
        elif has(text, "kelvin"):
            frame.unit = "k"
    if any(has(text, w) for w in lx.HALF_WORDS):
        frame.number, frame.unit = 50.0, "%"
    if any(has(text, w) for w in lx.MAX_WORDS):
        frame.extreme = "max"
    elif any(has(text, w) for w in lx.MIN_WORDS):
        frame.extreme = "min"
    frame.by = bool(re.search(r"\bby\b", text))
    frame.lowered_or_raised = frame.intent in ("up", "down")
    if frame.intent in ("up", "down") and frame.number is not None and not frame.by and re.search(r"\b(to|at)\b", text):
        frame.intent = "set"  # "dim the lights to 30%" is absolute
    frame.relative_small = any(has(text, w) for w in lx.SMALL_WORDS)


_DIGITS = re.compile(r"\d")
_SMALL = r"(?:[1-9]|one|two|three|four|five|six|seven|eight|nine)"
_UNIT_AFTER = r"(?!\s*(?:percent|percentage|degrees?|celsius|kelvin|minutes?|mins?|hours?|seconds?))"


def _without_name_numbers(frame: Frame, text: str, home: Vocabulary) -> str:
    """``text`` without the numbers that are part of names, so that none is read as a value: a device's own name
    ("light 1"), and a kind or room word with a small number after it ("lamp 2", "bedroom 2") in a request that sets
    no value (on, off, open, up...), which names a device even when the home has none so called."""
    for phrase in home.names:
        if _DIGITS.search(phrase) and has(text, phrase):
            text = blank(text, phrase)
    if frame.intent == "set":
        return text
    words = sorted({p for p, _ in home.kind_phrases} | set(home.rooms), key=len, reverse=True)
    said = re.search(rf"\b({'|'.join(map(re.escape, words))}) ({_SMALL})\b{_UNIT_AFTER}", text) if words else None
    if said is not None:
        frame.name_number = said.group(0)
        text = text[:said.start(2)] + " " * len(said.group(2)) + text[said.end(2):]
    return text


def _number_words(text: str) -> float | None:
    words = [w for w in sorted(lx.NUMBER_WORDS, key=len, reverse=True) if has(text, w)]
    if not words:
        return None
    total = 0
    for w in words:
        if not any(w != o and w in o and has(text, o) for o in words):
            total += lx.NUMBER_WORDS[w]
    return float(total)


def _comparatives(frame: Frame, text: str) -> None:
    for word, (direction, concept) in lx.COMPARATIVES.items():
        if has(text, word) and frame.intent not in ("on", "off"):
            frame.intent = direction  # type: ignore[assignment]
            frame.concept = frame.concept or concept


def _concept(frame: Frame, text: str) -> str | None:
    """Set the attribute the clause is about; return its several-word phrase ("fan speed"), which is not a device."""
    best: tuple[str, int] | None = None
    for concept, (_, attr_words) in lx.ATTRIBUTES.items():
        if concept in ("contact", "occupancy") and not frame.question:
            continue
        for word in attr_words:
            if word in lx.QUESTION_ONLY_WORDS and not frame.question:
                continue  # "is it dark in here?" asks the light level; "it's too dark" is a complaint, not a brightness
            if word not in lx.AMBIGUOUS and has(text, word) and (best is None or len(word) > best[1]):
                best = (concept, len(word))
    if frame.concept is None and best is not None:
        frame.concept = best[0]
    phrase = next((w for w in lx.ATTRIBUTES.get(frame.concept or "", ((), ()))[1] if " " in w and has(text, w)), None)
    if frame.question and frame.concept == "temperature":
        frame.concept = "current_temperature"
    return phrase


def _places(frame: Frame, text: str, home: Vocabulary, verb_phrase: str | None, attribute_phrase: str | None) -> None:
    """Rooms (longest first), floors, device names, kinds; the verb is not a device ("switch off")."""
    taken = text
    if verb_phrase:
        taken = blank(taken, verb_phrase, count=1)
    first = taken.split(" ", 1)[0]
    if first in _VERB_WORDS and not any(n.split(" ", 1)[0] == first and has(text, n) for n in home.names):
        taken = blank(taken, first, count=1)  # "switch the kitchen light on": the first word is the verb, not a switch
    if attribute_phrase:  # "fan speed" is an attribute, not a fan
        taken = blank(taken, attribute_phrase)
    for phrase in sorted(home.names, key=len, reverse=True):
        if len(phrase) > 2 and has(taken, phrase) and phrase not in lx.GENERIC:
            frame.named += sorted(home.names[phrase])
            taken = blank(taken, phrase)
    # several-word device kinds before rooms ("garage door" is not the garage), one-word kinds after
    taken = _kinds(frame, taken, home, several_words=True)
    for phrase in sorted(home.rooms, key=len, reverse=True):
        if has(taken, phrase):
            frame.rooms.append(home.rooms[phrase])
            taken = blank(taken, phrase)
    for floor in set(home.floors.values()):
        said = (floor, *next((ws for ws in lx.FLOOR_WORDS.values() if floor in ws), ()))
        if any(has(text, w) for w in said):
            frame.rooms += [r for r, f in home.floors.items() if f == floor and r not in frame.rooms]
    _sides(frame, text, home)
    _kinds(frame, taken, home, several_words=False)
    frame.plural = frame.plural or any(has(text, w) for w in lx.ALL_WORDS)
    if not frame.rooms:
        place = re.search(r"\b(?:in|on) the ([a-z]+(?: [a-z]+)?)$", text)
        # "in the garage" names a place unless it is a kind of device ("turn on the light in the fan"? no: a device
        # already named is never in another device, so after a name it is a place)
        if place and place.group(1).split()[0] not in lx.NOT_PLACES and (frame.named or not any(
                has(place.group(1), p) for p, _ in home.kind_phrases)) and place.group(1) not in home.names:
            frame.unknown_place = place.group(1)
        elif not frame.named and frame.kinds:  # "the sauna light" where there is no sauna: a place, not a kind of light
            before = re.search(r"\bthe ([a-z]+) (?:" + "|".join(re.escape(p) for p, k in home.kind_phrases if k in frame.kinds)
                               + r")\b", text)
            if before and before.group(1) in lx.PLACE_WORDS:
                frame.unknown_place = before.group(1)


def _sides(frame: Frame, text: str, home: Vocabulary) -> None:
    """"The outdoor lights": the rooms on that side of the house (:mod:`iotlm.agent.understand.sides`)."""
    for side, words in lx.SIDE_WORDS.items():
        for word in words:
            if not has(text, word):  # (most requests name no side: no pattern is tried for them)
                continue
            beside = re.search(rf"\b{word} (?:of )?(?:the|my|our|your) [a-z]+(?: [a-z]+)?", text)
            if beside:  # "the light outside the bedroom": somewhere we cannot place, never the bedroom itself
                frame.unknown_place = beside.group(0)
            else:
                found = [r for r in sorted(set(home.rooms.values())) if side_of(r) == side]
                frame.rooms += [r for r in found if r not in frame.rooms]
                if not found:  # a home with nothing on that side: said so, never the whole home
                    frame.unknown_place = word


def _kinds(frame: Frame, taken: str, home: Vocabulary, *, several_words: bool) -> str:
    for phrase, kind in home.kind_phrases:
        if (" " in phrase) == several_words and has(taken, phrase):
            if several_words and phrase in home.names:  # a general phrase that is also a device's name or alias
                frame.soft_named += sorted(home.proper.get(phrase) or home.names[phrase])
            frame.kinds.append(kind)
            frame.plural = frame.plural or (phrase.endswith("s") and not phrase.endswith("ss") and phrase not in lx.PLURALIA)
            taken = blank(taken, phrase)
    return taken


_PLACE_ONLY = re.compile(r"(?:(?:and|so|then|ok|okay) )?(?:in|on|at|for|inside|over in|out in|up in|down in) (?:the |my |our )?"
                         r"[a-z ]+")
"""A first clause that is only a place ("in the balcony, set ...") belongs to the next one, as does what the person
is doing there ("I was about to head into the living room and was wondering how warm it is")."""


def share_frames(frames: list[Frame]) -> list[Frame]:
    """Fill what one clause leaves out from its neighbours ("turn off the hallway and bathroom lights")."""
    if len(frames) > 1 and frames[0].rooms and frames[0].intent is None and not (frames[0].kinds or frames[0].named) and \
            (_PLACE_ONLY.fullmatch(frames[0].text) or frames[0].act == "context"):
        if not frames[1].rooms:  # "In the balcony, set the ..."
            frames[1].rooms = list(frames[0].rooms)
        frames = frames[1:]
    for i, frame in enumerate(frames):
        has_target = frame.kinds or frame.named or frame.pronoun
        if i > 0 and frames[i - 1].act == "context" and frame.act == "command" and frame.intent is None and not has_target:
            frame.act = "context"  # "I'm doing some laundry and then a quick wash"
        if frame.intent is None and i > 0 and (has_target or frame.rooms or frame.number is not None):
            _from_previous(frame, frames[i - 1])
        if not frame.rooms and i > 0 and re.search(r"\b(?:in|over|up|down)? ?there\??$|\bin there\b", frame.text):
            frame.rooms = next((list(f.rooms) for f in reversed(frames[:i]) if f.rooms), [])  # "... in there"
        if frame.rooms and not (frame.kinds or frame.named) and i + 1 < len(frames):
            _from_next(frame, frames[i + 1])
        if not (frame.kinds or frame.named or frame.pronoun) and i > 0 and frame.intent is not None and (
                not frame.rooms or frame.concept):
            _target_from_previous(frame, frames[i - 1])
    return frames


def _from_previous(frame: Frame, prev: Frame) -> None:
    frame.intent = prev.intent
    if frame.number is None and frame.word_value is None:
        frame.number, frame.unit, frame.word_value = prev.number, prev.unit, prev.word_value
    frame.concept = frame.concept or prev.concept
    frame.question = prev.question
    if prev.act == "question":
        frame.act = "question"


def _from_next(frame: Frame, nxt: Frame) -> None:
    if nxt.intent is None and (nxt.kinds or nxt.named):
        frame.kinds, frame.named, frame.plural = list(nxt.kinds), list(nxt.named), nxt.plural
        if frame.number is None and frame.word_value is None and frame.extreme is None:
            frame.number, frame.unit, frame.word_value = nxt.number, nxt.unit, nxt.word_value
        frame.concept = frame.concept or nxt.concept


def _target_from_previous(frame: Frame, prev: Frame) -> None:
    """"turn on the humidifier and increase the intensity ...": the previous clause's device."""
    same_place = not prev.rooms or not frame.rooms or set(prev.rooms) == set(frame.rooms)
    if (prev.kinds or prev.named) and same_place:
        frame.kinds, frame.named = list(prev.kinds), list(prev.named)
        frame.rooms = frame.rooms or list(prev.rooms)
        if not prev.rooms and frame.rooms:
            prev.rooms = list(frame.rooms)  # "... in the master bedroom" covers both


__all__ = ["Frame", "Vocabulary", "read_frame", "share_frames", "speech_act"]
