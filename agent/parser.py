"""The fast path: a deterministic parser of home requests over the live device registry.

It splits a sentence into clauses, and for each clause finds the action (on/off, set,
relative change, question), the devices (by name, alias, kind of device, room, floor,
or "it" for the previous turn's devices), the attribute and the value, and turns them into
steps. A clause it cannot read is left for the language model; a clause that names a
device the home does not have is refused with what the room does have.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

from agent import lexicon as lx
from device_drivers.model import Attribute, Device, Value, kelvin_to_mired
from policies.model import Step
from tools.device_tools import STATE_VERBS

Intent = Literal["on", "off", "lock", "unlock", "open", "close", "play", "pause", "stop", "start", "dock", "pack",
                 "set", "up", "down", "query"]

# intent -> the state values that fulfil it, best first
_STATE_TARGETS: dict[str, tuple[str, ...]] = {
    "on": ("on", "playing", "cleaning"), "off": ("off", "stopped", "docked", "charging"), "lock": ("locked",),
    "unlock": ("unlocked",), "open": ("open",), "close": ("closed",), "play": ("playing", "on"), "pause": ("paused",),
    "stop": ("stopped", "off"), "start": ("cleaning", "on", "playing"), "dock": ("charging", "docked"), "pack": ("packed",),
}
_VERBS: list[tuple[str, Intent]] = sorted([
    ("turn on", "on"), ("switch on", "on"), ("power on", "on"), ("power up", "on"), ("turn it on", "on"), ("put on", "on"), ("enable", "on"),
    ("activate", "on"), ("light up", "on"), ("fire up", "on"), ("boot up", "on"), ("start up", "on"),
    ("turn off", "off"), ("switch off", "off"), ("power off", "off"), ("shut off", "off"), ("shut down", "off"),
    ("turn of", "off"), ("kill", "off"), ("disable", "off"), ("deactivate", "off"), ("cut off", "off"), ("turn it off", "off"),
    ("unlock", "unlock"), ("lock", "lock"), ("open", "open"), ("close", "close"), ("shut", "close"),
    ("draw", "close"), ("play", "play"), ("resume", "play"), ("pause", "pause"), ("stop", "stop"), ("start", "start"),
    ("dock", "dock"), ("recharge", "dock"), ("charge", "dock"), ("go home", "dock"), ("pack", "pack"), ("empty", "pack"), ("take out", "pack"),
    ("set", "set"), ("change", "set"), ("adjust", "set"), ("make", "set"), ("put", "set"), ("configure", "set"),
    ("modify", "set"), ("switch", "set"), ("turn", "set"), ("select", "set"), ("tune", "set"), ("bring", "set"),
    ("increase", "up"), ("raise", "up"), ("turn up", "up"), ("crank up", "up"), ("bump up", "up"), ("boost", "up"),
    ("brighten", "up"), ("heat up", "up"), ("decrease", "down"), ("lower", "down"), ("reduce", "down"),
    ("turn down", "down"), ("dim", "down"), ("cool down", "down"), ("drop", "down"), ("cut", "down"),
], key=lambda v: -len(v[0]))
_SPLIT = re.compile(r"\s*(?:,|;|\bthen\b|\band then\b|\band also\b|\balso\b|\bplus\b|\bas well as\b|\band\b|\bbut\b)\s*")
_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)")


@dataclass
class Query:
    device_id: str
    attribute: str | None = None


@dataclass
class Clause:
    text: str
    steps: list[Step] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)
    refusal: str | None = None
    code: str | None = None
    clarify: str | None = None
    understood: bool = True


@dataclass
class Parse:
    clauses: list[Clause]

    @property
    def understood(self) -> bool:
        return all(c.understood for c in self.clauses)

    def device_ids(self) -> list[str]:
        ids = [s.device_id for c in self.clauses for s in c.steps if s.device_id]
        ids += [q.device_id for c in self.clauses for q in c.queries]
        return list(dict.fromkeys(ids))


@dataclass
class _Frame:
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
    question: bool = False


def normalise(text: str) -> str:
    text = text.lower().replace("_", " ").replace("’", "'")
    text = re.sub(r"(\d)\s*%", r"\1 percent", text)
    text = re.sub(r"(\d)\s*°\s*[cf]?", r"\1 degrees", text)
    text = re.sub(r"(\d)\s*k\b", r"\1 kelvin", text)
    text = re.sub(r"\bper cent\b", "percent", text)
    text = re.sub(r"[^a-z0-9.,;\s'/-]", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    text = text.replace("'s ", " ").replace("'", "")
    return re.sub(r"\s+", " ", text).strip()


_NEGATION = re.compile(r"\b(dont|do not|does not|doesnt|didnt|never|not|no need|nobody|no one|noone|shouldnt|should not|"
                       r"mustnt|must not|isnt|arent|wont|wouldnt|no longer|neither|nor)\b")
_NOT_NEGATION = re.compile(r"\b(cant|cannot|can not) (see|hear|sleep)\b|\bnot (warm|bright|loud|cool|cold) enough\b")


def _negated(text: str) -> bool:
    """A clause that says what not to do (idioms such as "I can't see" are requests, not negations)."""
    return _NEGATION.search(_NOT_NEGATION.sub(" ", text)) is not None


_APPLIANCES = {"oven", "coffee_machine", "kettle", "water_heater", "washing_machine", "dishwasher"}


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text) is not None


class Parser:
    """Built from the registry's devices; rebuild (cheap) when the devices change."""

    def __init__(self, devices: list[Device], floors: dict[str, str] | None = None) -> None:
        self._verb_phrase: str | None = None
        self._attribute_phrase: str | None = None
        self.devices = {d.id: d for d in devices}
        self.floors = {k.lower(): v.lower() for k, v in (floors or {}).items()}  # room -> floor
        self.rooms: dict[str, str] = {}  # phrase -> room
        for device in devices:
            if device.room:
                room = device.room.lower()
                for phrase in {room, room.replace(" ", ""), room.replace("_", " ")}:
                    self.rooms[phrase] = room
        for room in set(self.rooms.values()):
            for synonym in lx.ROOM_SYNONYMS.get(room, ()):
                self.rooms.setdefault(synonym, room)  # a room really called so keeps its name
        self.kind_phrases = sorted(((p, k) for k, ps in lx.DEVICE_KINDS.items() for p in ps), key=lambda x: -len(x[0]))
        self.names: dict[str, set[str]] = {}  # name/alias phrase -> device ids
        self.proper: dict[str, set[str]] = {}  # name phrase -> device ids (names, not aliases)
        self.device_kinds: dict[str, set[str]] = {}
        for device in devices:
            for phrase in [device.name, *device.aliases]:
                self.names.setdefault(normalise(phrase), set()).add(device.id)
            self.proper.setdefault(normalise(device.name), set()).add(device.id)
            self.device_kinds[device.id] = self._kinds_of(device)
        vocab = set(self.rooms) | set(self.names) | {p for p, _ in self.kind_phrases}
        vocab |= {w for _, words in lx.ATTRIBUTES.values() for w in words} | {v for v, _ in _VERBS}
        vocab |= set(lx.COLORS) | set(lx.NUMBER_WORDS) | {str(o).lower() for d in devices for a in d.attributes.values()
                                                           for o in a.options or [] if isinstance(o, str)}
        self.vocab_words = sorted({w for phrase in vocab for w in phrase.split() if len(w) >= 4})

    # ------------------------------------------------------------ public

    def refresh(self, states: dict[str, dict[str, Value]]) -> None:
        """Take the devices' latest reported values (the structure is unchanged)."""
        for device_id, values in states.items():
            device = self.devices.get(device_id)
            if device is not None:
                for name, value in values.items():
                    if name in device.attributes:
                        device.attributes[name].value = value

    def parse(self, text: str, *, room: str | None = None, recent: list[str] | None = None) -> Parse:
        clean = self._fix_typos(normalise(text))
        for filler in sorted(lx.FILLER, key=len, reverse=True):
            clean = re.sub(rf"(?<![a-z]){re.escape(filler)}(?![a-z])", " ", clean)
        clean = re.sub(r"\s+", " ", clean).strip(" ,;")
        if not clean:
            return Parse([Clause(text=text, understood=False)])
        fragments = [f.replace(",", " ").replace(";", " ").strip() for f in _SPLIT.split(clean)]
        frames = [self._frame(re.sub(r"\s+", " ", f)) for f in fragments if f]
        if not frames:  # "and", "then,": joining words with nothing to join
            return Parse([Clause(text=text, clarify="I didn't catch a request in that; say what you'd like, for example "
                                                     "\"turn on the kitchen light\"")])
        frames = self._share(frames)
        clauses = []
        last = list(recent or [])
        for frame in frames:
            clause = self._resolve(frame, room, last)
            clause.steps = [s.model_copy(update={"clause": frame.text}) for s in clause.steps]
            ids = [s.device_id for s in clause.steps if s.device_id] + [q.device_id for q in clause.queries]
            if ids:
                last = ids
            clauses.append(clause)
        return Parse(clauses)

    # ------------------------------------------------------------ reading a clause

    def _fix_typos(self, text: str) -> str:
        words = text.split()
        known = set(self.vocab_words)
        for i, word in enumerate(words):
            if len(word) < 4 or not word.isalpha() or word in known or word in _COMMON or word in lx.COMMON_WORDS:
                continue
            if len(word) == 4:  # short words: only a swapped or a mistyped letter ("trun", "lihgt")
                # a number word only from swapped letters: "nice", "fire" and "hour" are words, not nine, five, four
                same = [v for v in self.vocab_words if len(v) == 4 and
                        (sorted(v) == sorted(word) or (v not in lx.NUMBER_WORDS and sum(a != b for a, b in zip(v, word, strict=True)) == 1))]
                if len(same) == 1:
                    words[i] = same[0]
                continue
            match = difflib.get_close_matches(word, self.vocab_words, n=1, cutoff=0.84)
            if match:
                words[i] = match[0]
        return " ".join(words)

    def _frame(self, text: str) -> _Frame:
        frame = _Frame(text=text)
        frame.question = (text.startswith(lx.QUESTION_STARTS) and not text.startswith(("do not ", "does not "))) or text.endswith("?")
        for phrase, intent in _VERBS:
            if _has(text, phrase):
                frame.intent = intent
                break
        if frame.intent in ("set", None) and re.search(r"\b(turn|crank|bump|put)\b.*\b(up|down)\b", text):
            frame.intent = "up" if re.search(r"\bup\b", text) else "down"
        if frame.intent is None and re.search(r"\b(on|off)\b", text):
            frame.intent = "on" if re.search(r"\bon\b", text) else "off"
        if frame.intent in ("set", None):  # "turn the light on", "switch the fan off"
            if re.search(r"\b(on)\b\s*$", text) or re.search(r"\bturn\b.*\bon\b", text):
                frame.intent = "on"
            elif re.search(r"\b(off)\b\s*$", text) or re.search(r"\b(turn|switch)\b.*\boff\b", text):
                frame.intent = "off"
        if frame.question and frame.intent not in ("up", "down"):
            frame.intent = "query"
        self._verb_phrase = next((p for p, i in _VERBS if i == frame.intent and _has(text, p)), None)
        for idiom, (idiom_intent, idiom_concept) in lx.IDIOMS.items():
            if _has(text, idiom):
                frame.intent = idiom_intent  # type: ignore[assignment]
                frame.concept = idiom_concept
                frame.question = False
                break
        if _has(text, "mute") or _has(text, "silence"):
            frame.intent, frame.concept, frame.number = "set", "volume", 0.0
        number = _NUMBER.search(text) if frame.number is None else None
        if number:
            frame.number = float(number.group(1))
        elif frame.number is None:
            words = [w for w in sorted(lx.NUMBER_WORDS, key=len, reverse=True) if _has(text, w)]
            if words:
                total = 0
                for w in words:
                    if not any(w != o and w in o and _has(text, o) for o in words):
                        total += lx.NUMBER_WORDS[w]
                frame.number = float(total)
        if frame.number is not None:
            if _has(text, "percent") or _has(text, "percentage"):
                frame.unit = "%"
            elif _has(text, "degrees") or _has(text, "degree") or _has(text, "celsius"):
                frame.unit = "deg"
            elif _has(text, "kelvin"):
                frame.unit = "k"
        if any(_has(text, w) for w in ("halfway", "half way", "half")):
            frame.number, frame.unit = 50.0, "%"
        if any(_has(text, w) for w in ("max", "maximum", "full", "fully", "all the way", "highest", "brightest", "loudest")):
            frame.extreme = "max"
        elif any(_has(text, w) for w in ("min", "minimum", "lowest", "dimmest", "quietest")):
            frame.extreme = "min"
        frame.by = bool(re.search(r"\bby\b", text))
        if frame.intent in ("up", "down") and frame.number is not None and not frame.by and re.search(r"\b(to|at)\b", text):
            frame.intent = "set"  # "dim the lights to 30%" is absolute
        frame.relative_small = any(_has(text, w) for w in lx.SMALL_WORDS)
        comparative = {"brighter": ("up", "brightness"), "dimmer": ("down", "brightness"), "louder": ("up", "volume"),
                       "quieter": ("down", "volume"), "softer": ("down", "volume"), "warmer": ("up", "temperature"),
                       "hotter": ("up", "temperature"), "cooler": ("down", "temperature"), "colder": ("down", "temperature"),
                       "faster": ("up", "speed"), "slower": ("down", "speed"), "stronger": ("up", "intensity"),
                       "weaker": ("down", "intensity")}
        for word, (direction, concept) in comparative.items():
            if _has(text, word) and frame.intent not in ("on", "off"):
                frame.intent = direction  # type: ignore[assignment]
                frame.concept = frame.concept or concept
        best: tuple[str, int] | None = None
        for concept, (_, attr_words) in lx.ATTRIBUTES.items():
            if concept in ("contact", "occupancy") and not frame.question:
                continue
            for word in attr_words:
                if word not in _AMBIGUOUS and _has(text, word) and (best is None or len(word) > best[1]):
                    best = (concept, len(word))
        if frame.concept is None and best is not None:
            frame.concept = best[0]
        self._attribute_phrase = next((w for w in lx.ATTRIBUTES.get(frame.concept or "", ((), ()))[1]
                                       if " " in w and _has(text, w)), None)
        if frame.question and frame.concept == "temperature":
            frame.concept = "current_temperature"
        for colour in sorted(lx.COLORS, key=len, reverse=True):
            if _has(text, colour):
                frame.word_value = colour
                break
        # rooms (longest first), floors, device names, kinds; the verb is not a device ("switch off")
        taken = text
        if self._verb_phrase:
            taken = re.sub(rf"(?<![a-z]){re.escape(self._verb_phrase)}(?![a-z])", " ", taken, count=1)
        if self._attribute_phrase:  # "fan speed" is an attribute, not a fan
            taken = _blank(taken, self._attribute_phrase)
        for phrase in sorted(self.names, key=len, reverse=True):
            if len(phrase) > 2 and _has(taken, phrase) and phrase not in _GENERIC:
                frame.named += sorted(self.names[phrase])
                taken = _blank(taken, phrase)
        # several-word device kinds before rooms ("garage door" is not the garage), one-word kinds after
        for phrase, kind in self.kind_phrases:
            if " " in phrase and _has(taken, phrase):
                if phrase in self.names:  # a general phrase that is also a device's name or alias
                    frame.soft_named += sorted(self.proper.get(phrase) or self.names[phrase])
                frame.kinds.append(kind)
                frame.plural = frame.plural or phrase.endswith("s") and not phrase.endswith("ss")
                taken = _blank(taken, phrase)
        for phrase in sorted(self.rooms, key=len, reverse=True):
            if _has(taken, phrase):
                frame.rooms.append(self.rooms[phrase])
                taken = _blank(taken, phrase)
        for floor in set(self.floors.values()):
            if _has(text, floor):
                frame.rooms += [r for r, f in self.floors.items() if f == floor]
        for phrase, kind in self.kind_phrases:
            if " " not in phrase and _has(taken, phrase):
                frame.kinds.append(kind)
                frame.plural = frame.plural or phrase.endswith("s") and not phrase.endswith("ss")
                taken = _blank(taken, phrase)
        frame.plural = frame.plural or any(_has(text, w) for w in lx.ALL_WORDS)
        if not frame.rooms:
            place = re.search(r"\b(?:in|on) the ([a-z]+(?: [a-z]+)?)$", text)
            if place and place.group(1).split()[0] not in _NOT_PLACES and not any(
                    _has(place.group(1), p) for p, _ in self.kind_phrases) and place.group(1) not in self.names:
                frame.unknown_place = place.group(1)
        frame.pronoun = any(_has(text, p) for p in lx.PRONOUNS) and not re.search(r"\b(it|that) (is|was|s)\b|^its\b", text)
        return frame

    def _share(self, frames: list[_Frame]) -> list[_Frame]:
        """Fill what one clause leaves out from its neighbours ("turn off the hallway and bathroom lights")."""
        if len(frames) > 1 and frames[0].rooms and frames[0].intent is None and not (frames[0].kinds or frames[0].named):
            if not frames[1].rooms:  # "In the balcony, set the ..."
                frames[1].rooms = list(frames[0].rooms)
            frames = frames[1:]
        for i, frame in enumerate(frames):
            has_target = frame.kinds or frame.named or frame.pronoun
            if frame.intent is None and i > 0 and (has_target or frame.rooms or frame.number is not None):
                prev = frames[i - 1]
                frame.intent = prev.intent
                if frame.number is None and frame.word_value is None:
                    frame.number, frame.unit, frame.word_value = prev.number, prev.unit, prev.word_value
                frame.concept = frame.concept or prev.concept
                frame.question = prev.question
            if frame.rooms and not (frame.kinds or frame.named) and i + 1 < len(frames):
                nxt = frames[i + 1]
                if nxt.intent is None and (nxt.kinds or nxt.named):
                    frame.kinds, frame.named, frame.plural = list(nxt.kinds), list(nxt.named), nxt.plural
                    if frame.number is None and frame.word_value is None and frame.extreme is None:
                        frame.number, frame.unit, frame.word_value = nxt.number, nxt.unit, nxt.word_value
                    frame.concept = frame.concept or nxt.concept
            if not (frame.kinds or frame.named or frame.pronoun) and i > 0 and frame.intent is not None and (
                    not frame.rooms or frame.concept):
                prev = frames[i - 1]  # "turn on the humidifier and increase the intensity ..."
                same_place = not prev.rooms or not frame.rooms or set(prev.rooms) == set(frame.rooms)
                if (prev.kinds or prev.named) and same_place:
                    frame.kinds, frame.named = list(prev.kinds), list(prev.named)
                    frame.rooms = frame.rooms or list(prev.rooms)
                    if not prev.rooms and frame.rooms:
                        prev.rooms = list(frame.rooms)  # "... in the master bedroom" covers both
        return frames

    # ------------------------------------------------------------ resolving devices

    def _kinds_of(self, device: Device) -> set[str]:
        if device.type in ("sensor", "binary_sensor"):
            return {"sensor"}
        for texts in ([device.name, *device.aliases], [device.id.rsplit(".", 1)[-1]]):
            rest = " | ".join(normalise(n) for n in texts)
            kinds = set()
            for phrase, kind in self.kind_phrases:
                if _has(rest, phrase):
                    kinds.add(kind)
                    rest = re.sub(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", " ", rest)
            if kinds:
                return kinds
        return {k for k, types in lx.KIND_TYPES.items() if device.type in types}

    def _targets(self, frame: _Frame, room: str | None, recent: list[str]) -> tuple[list[Device], str | None, str | None]:
        """(devices, refusal, clarify)."""
        rooms = frame.rooms or ([room.lower()] if room and not frame.named else [])
        if frame.named:
            found = [self.devices[i] for i in frame.named]
            if frame.rooms:
                in_room = [d for d in found if (d.room or "").lower() in frame.rooms]
                found = in_room or found
            return found, None, None
        if frame.kinds:
            wanted = set(frame.kinds)
            broad = {t for k in wanted & _BROAD_KINDS for t in lx.KIND_TYPES.get(k, ())}
            matches = [d for d in self.devices.values() if self.device_kinds[d.id] & wanted or d.type in broad]
            if frame.unknown_place:
                rooms_known = sorted({d.room for d in self.devices.values() if d.room})
                return [], f"there is no room called {frame.unknown_place}; rooms: {', '.join(rooms_known)}", None
            if frame.soft_named and not rooms:
                matches = [d for d in matches if d.id in frame.soft_named] or matches
            noun = lx.DEVICE_KINDS[frame.kinds[0]][0]
            if rooms:
                in_room = [d for d in matches if (d.room or "").lower() in rooms]
                if not in_room:
                    if frame.rooms or not matches:
                        return [], self._missing(noun, frame.rooms or rooms), None
                    in_room = matches  # the satellite's room has none: the home-wide match stands
                matches = in_room
            if not matches:
                return [], f"there is no {noun} in this home", None
            if len(matches) > 1 and not frame.plural and not frame.rooms and frame.concept:
                having = [d for d in matches if self._attribute(d, frame.concept, writable=frame.intent != "query")]
                if len(having) == 1:
                    return having, None, None
            if len(matches) > 1 and not frame.plural and not frame.rooms:
                where = sorted({d.room or "?" for d in matches})
                if len(where) > 1:
                    return [], None, f"Which {noun} do you mean: {_join(where, 'or')}?"
            return matches, None, None
        if frame.pronoun and recent and not frame.rooms:
            return [self.devices[i] for i in recent if i in self.devices], None, None
        if frame.concept and not rooms:  # "turn up the volume": the one device that has it
            holders = [d for d in self.devices.values() if self._attribute(d, frame.concept, writable=frame.intent != "query")]
            if len(holders) == 1:
                return holders, None, None
        if rooms:
            in_room = [d for d in self.devices.values() if (d.room or "").lower() in rooms]
            concept = frame.concept or self._concept_from_value(frame, in_room)
            if concept:
                having = [d for d in in_room if self._attribute(d, concept, writable=frame.intent != "query")]
                if concept in ("temperature", "current_temperature"):
                    # "make the kitchen warmer" means the room's air, never the oven or the kettle
                    air = [d for d in having if not self.device_kinds[d.id] & _APPLIANCES]
                    having = air if air or frame.intent != "query" else having
                if having:
                    return having, None, None
                related = _RELATED.get(concept)
                if related:  # "the fan speed in the kitchen": the kitchen fan's speed
                    alt, kind = related
                    fans = [d for d in in_room if kind in self.device_kinds[d.id] and self._attribute(d, alt, writable=True)]
                    if fans:
                        frame.concept = alt
                        return fans, None, None
                if frame.rooms and in_room and frame.intent != "query":
                    label = concept.replace("_", " ")
                    has = ", ".join(sorted({d.name for d in in_room}))
                    return [], f"nothing in the {frame.rooms[0]} can change the {label}; it has: {has}", None
            if frame.intent in ("on", "off"):
                lights = [d for d in in_room if "light" in self.device_kinds[d.id]]
                if lights:
                    return lights, None, None
            if frame.intent in _STATE_TARGETS and frame.intent not in ("on", "off"):
                first = _STATE_TARGETS[frame.intent][0]
                able = [d for d in in_room if first in [str(o) for o in (d.attributes.get("state") or Attribute()).options or []]]
                if able:
                    return able, None, None
            if frame.intent == "query" and in_room:
                return in_room, None, None
        return [], None, None

    def _missing(self, noun: str, rooms: list[str]) -> str:
        room = rooms[0]
        has = sorted({d.name for d in self.devices.values() if (d.room or "").lower() == room})
        if not has:
            return f"there is no room called {room}"
        return f"the {room} has no {noun}; it has: {', '.join(has)}"

    # ------------------------------------------------------------ attributes and values

    def _attribute(self, device: Device, concept: str, *, writable: bool) -> str | None:
        names = lx.ATTRIBUTES.get(concept, ((concept,), ()))[0]
        for name in names:
            attr = device.attributes.get(name)
            if attr is not None and (attr.writable or not writable):
                return name
        if not writable:
            for name in lx.ATTRIBUTES.get("temperature", ((), ()))[0] if concept == "current_temperature" else ():
                if name in device.attributes:
                    return name
        return None

    def _concept_from_value(self, frame: _Frame, devices: list[Device]) -> str | None:
        if frame.word_value is not None:
            return "color"
        if frame.unit == "deg":
            # "tilt the blinds to 30 degrees": an angle, but only when a cover was named; "set the bedroom to 19
            # degrees" asks for a temperature, and a room without a thermostat says so
            if (frame.kinds or frame.named) and not any(self._attribute(d, "temperature", writable=True) for d in devices) and any(
                    self._attribute(d, "position", writable=True) for d in devices):
                return "position"
            return "temperature"
        if frame.unit == "k":
            return "color_temp"
        for device in devices:
            for name, attr in device.attributes.items():
                if attr.options and name != "state" and any(_has(frame.text, str(o).lower().replace("_", " ")) for o in attr.options
                                                            if isinstance(o, str) and len(str(o)) > 2):
                    return name
        if frame.unit == "%" or frame.number is not None or frame.intent in ("up", "down") or frame.extreme:
            kinds = set().union(*(self.device_kinds[d.id] for d in devices)) if devices else set()
            types = {d.type for d in devices}
            if "light" in kinds:
                return "brightness"
            if types & {"media_player"} or kinds & {"tv", "media_player"}:
                return "volume"
            if types & {"cover"}:
                return "position"
            if types & {"climate"}:
                return "temperature"
            if types & {"fan"}:
                return "speed"
            if kinds & {"humidifier", "dehumidifier", "aromatherapy"}:
                return "intensity"
        return None

    def _resolve(self, frame: _Frame, room: str | None, recent: list[str]) -> Clause:
        clause = Clause(text=frame.text)
        if not frame.question and _negated(frame.text):
            # "don't turn on the light", "nobody needs the lights on": never act on the words left over
            clause.clarify = "That says what not to do, so I left it alone; tell me what you'd like done instead."
            return clause
        if frame.intent is None and not frame.question:
            clause.understood = False
            return clause
        devices, refusal, clarify = self._targets(frame, room, recent)
        if refusal:
            clause.refusal, clause.code = refusal, "unknown_device"
            return clause
        if clarify:
            clause.clarify = clarify
            return clause
        if not devices:
            if frame.unknown_place and frame.intent is not None:
                rooms_known = sorted({d.room for d in self.devices.values() if d.room})
                clause.refusal = f"there is no room called {frame.unknown_place}; rooms: {', '.join(rooms_known)}"
                clause.code = "unknown_device"
                return clause
            clause.understood = False
            return clause
        if frame.intent == "query":
            for device in devices:
                concept = frame.concept
                attr = self._attribute(device, concept, writable=False) if concept else None
                if concept and attr is None and len(devices) > 1:
                    continue
                clause.queries.append(Query(device.id, attr if concept else self._state_word(frame, device)))
            if not clause.queries:
                clause.understood = False
            return clause
        for device in devices:
            step = self._step(frame, device, len(devices) > 1)
            if isinstance(step, str):
                if len(devices) == 1:
                    clause.refusal, clause.code = step, "unsupported_attribute"
                continue
            if step is not None:
                clause.steps.append(step)
        if not clause.steps and clause.refusal is None:
            clause.understood = False
        return clause

    def _state_word(self, frame: _Frame, device: Device) -> str | None:
        return "state" if "state" in device.attributes else None

    def _step(self, frame: _Frame, device: Device, several: bool) -> Step | str | None:
        intent = frame.intent
        has_value = frame.number is not None or frame.word_value is not None or frame.extreme is not None
        # "open the blinds to 40%" / "turn on the light at 30%" are set operations
        if intent in ("open", "close", "on") and has_value and (frame.unit == "%" or frame.number is not None):
            concept = frame.concept or self._concept_from_value(frame, [device])
            if concept and self._attribute(device, concept, writable=True):
                intent = "set"
        if intent in _STATE_TARGETS:
            return self._state_step(device, intent)
        concept = frame.concept or self._concept_from_value(frame, [device])
        if concept is None:
            return None
        name = self._attribute(device, concept, writable=True)
        if name is None:
            if self._attribute(device, concept, writable=False):
                name = self._attribute(device, concept, writable=False)
                return Step(tool=f"{device.id}.set_{name}", device_id=device.id, operation=f"set_{name}", attribute=name,
                            value=frame.number)
            if several:
                return None
            return Step(tool=f"{device.id}.set_{concept}", device_id=device.id, operation=f"set_{concept}",
                        attribute=concept, value=frame.number if frame.number is not None else frame.word_value)
        attr = device.attributes[name]
        value = self._value(frame, intent, attr, name)
        if value is None:
            return None
        return Step(tool=f"{device.id}.set_{name}", device_id=device.id, operation=f"set_{name}", attribute=name, value=value)

    def _state_step(self, device: Device, intent: str) -> Step | str:
        state = device.attributes.get("state")
        targets = _STATE_TARGETS[intent]
        if state is None or not state.options:
            return f"the {device.name} can't be {_DONE_WORDS.get(intent, intent)}"
        options = [str(o) for o in state.options]
        for target in targets:
            if target in options:
                op = STATE_VERBS.get(target, "set_state")
                return Step(tool=f"{device.id}.{op}", device_id=device.id, operation=op, attribute="state",
                            value=next(o for o in state.options if str(o) == target))
        return f"the {device.name} can't be {_DONE_WORDS.get(intent, intent)}; it can be: {', '.join(options)}"

    def _value(self, frame: _Frame, intent: Intent | None, attr: Attribute, name: str) -> Value:
        if attr.kind == "options":
            options = attr.options or []
            for option in sorted(options, key=lambda o: -len(str(o))):
                if isinstance(option, str) and any(_has(frame.text, w) for w in _option_words(option)):
                    return option
            if frame.word_value and frame.word_value in [str(o) for o in options]:
                return frame.word_value
            if intent in ("up", "down") and attr.value in options:
                by = int(frame.number) if frame.number is not None and frame.by and 0 < frame.number < len(options) else 1
                index = options.index(attr.value) + (by if intent == "up" else -by)
                picked: Value = options[max(0, min(len(options) - 1, index))]
                return picked
            if frame.extreme:
                extreme: Value = options[-1] if frame.extreme == "max" else options[0]
                return extreme
            return frame.word_value or (str(int(frame.number)) if frame.number is not None else None)
        if attr.kind == "color":
            if frame.word_value:
                return list(lx.COLORS[frame.word_value])
            return None
        if attr.kind != "numeric":
            return None
        low = attr.min if attr.min is not None else 0.0
        high = attr.max if attr.max is not None else 100.0
        if frame.extreme and intent not in ("up", "down") or (frame.extreme and frame.number is None):
            return _tidy(high if frame.extreme == "max" else low)
        if name.startswith("color_temp") and frame.word_value in lx.COLOR_TEMPS_K:
            return kelvin_to_mired(lx.COLOR_TEMPS_K[frame.word_value])
        number = frame.number
        if number is not None and frame.unit == "k" and (attr.unit or "").lower().startswith("mired"):
            number = float(kelvin_to_mired(number))
        elif number is not None and frame.unit == "%" and (attr.unit or "") != "%" and (low, high) != (0.0, 100.0):
            number = low + number * (high - low) / 100.0
        if intent in ("up", "down"):
            current = attr.value
            if not isinstance(current, int | float) or isinstance(current, bool):
                return None
            if number is None:
                step = attr.step or (1.0 if (attr.unit or "").startswith("°") or name.endswith("temperature") else max(1.0, (high - low) / 10))
                delta = step
                result = current + delta if intent == "up" else current - delta
                return _tidy(max(low, min(high, result)))  # "a bit brighter" stops at the end of the range
            return _tidy(current + number if intent == "up" else current - number)
        if number is None:
            return None
        fractional_step = attr.step is not None and not float(attr.step).is_integer()
        if fractional_step:
            return _tidy(round(number / attr.step) * attr.step)  # type: ignore[operator]
        if frame.number is not None and not float(frame.number).is_integer() and frame.unit != "%":
            return _tidy(number)  # the person said 21.5: keep it, the range check decides
        return _tidy(round(number))


_RELATED = {"fan_speed": ("speed", "fan")}
_NOT_PLACES = {"morning", "evening", "afternoon", "night", "dark", "meantime", "end", "way", "moment", "background",
               "mood", "middle", "house", "home", "room", "dining", "same", "next", "first", "last", "other", "weekend"}
_DONE_WORDS = {"on": "turned on", "off": "turned off", "lock": "locked", "unlock": "unlocked", "open": "opened",
               "close": "closed", "play": "played", "pause": "paused", "stop": "stopped", "start": "started",
               "dock": "docked", "pack": "packed"}
_BROAD_KINDS = {"media_player", "cover", "sensor", "switch", "plug", "light"}
_AMBIGUOUS = {"open", "warm", "heat", "closed", "shut", "level", "every", "setting", "strong"}
_GENERIC = {p for ps in lx.DEVICE_KINDS.values() for p in ps}
_COMMON = {"turn", "please", "would", "could", "switch", "make", "light", "lights", "there", "their", "about", "above",
           "every", "thing", "right", "little", "really", "should", "might", "which", "where", "while", "these", "those",
           "what", "when", "with", "have", "from", "your", "into", "cannot", "hear", "want", "need", "feel", "seems", "think",
           "know", "like", "keep", "leave", "anyone", "someone", "here", "them", "they", "then", "than", "that", "this",
           "also", "some", "much", "many", "very", "just", "only", "still", "again", "after", "before", "until", "night",
           "morning", "today", "tonight", "going", "doing", "being", "been", "were", "will", "shall", "does",
           "done", "made", "stay", "home", "house", "room", "rooms", "thanks", "hello", "nice", "cosy", "cozy", "ready",
           "comfortable", "comfy", "lovely", "pleasant", "good", "fine", "sleeping", "sleep", "bedtime",
           "degrees", "degree", "percent", "percentage", "kelvin", "celsius", "fahrenheit", "minutes", "minute", "seconds",
           "second", "levels", "level", "hours", "points", "units", "steps"}


def _option_words(option: str) -> list[str]:
    word = option.lower().replace("_", " ")
    return [word, *lx.OPTION_SYNONYMS.get(word, ())]


def _blank(text: str, phrase: str) -> str:
    return re.sub(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", " ", text)


def _tidy(number: float) -> int | float:
    return int(number) if float(number).is_integer() else round(number, 2)


def _join(words: list[str], last: str) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"
