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

import re
from dataclasses import dataclass, field

from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.complaint import Goal, read_goal
from iotlm.agent.understand.coverage import cover
from iotlm.agent.understand.frame import Frame, read_frame, share_frames
from iotlm.agent.understand.index import HomeIndex, Targets
from iotlm.agent.understand.lexicon import Act
from iotlm.agent.understand.result import ReadResult
from iotlm.agent.understand.steps import options_said, set_step, step_from_frame
from iotlm.agent.understand.templates import FrameReader, TemplateReader
from iotlm.agent.understand.text import blank, has, negated, normalise, option_words
from iotlm.agent.understand.typos import fix_typos
from iotlm.automations.describe import join
from iotlm.device_drivers.model import Attribute, Device, Value, describe_device
from iotlm.policies.model import Step

_SPLIT = re.compile(r"(?<=\?)\s*|\s*(?:,|;|\bthen\b|\band then\b|\band also\b|\balso\b|\bplus\b|\bas well as\b|\band\b|\bbut\b)\s*")


_OPENER = re.compile(r"^(\S+ \S+ \S+.*?) (" + "|".join(re.escape(f) for f in sorted(lx.FILLER, key=len, reverse=True)
                                                      if f.split()[-1] == "you" and f != "thank you") + r")\b")
"""A polite opening that asks ("can you", "would you") after three words or more begins a request of its own."""
_AIR = re.compile(r"\bthe air\b(?! (?:purifier|conditioner|conditioning|con|cleaner))|\bair quality\b")
_HOW_MUCH_LIGHT = re.compile(r"\bhow (?:much|little) (?:day)?light\b")
_WHICH_STATE = re.compile(r"^(?:which|what|are any|is any|any)\b.*\b(on|off|open|closed|locked|unlocked|playing)\??$")
"""A question for the devices in one state: "which lights are on?", "are any windows open?"."""
_VERDICT = re.compile(r"^(?:is|does|would) (?:it|that|this)(?: feel| seem)? (?:pleasant|ok|okay|comfortable|good|fine|normal|"
                      r"healthy|bad|alright|all right|too \w+|enough)\b")
_AIR_WORDS = {"co2": ("co2", "carbon dioxide"), "pm10": ("pm10", "pm 10"), "pm25": ("pm2.5", "pm25", "pm 2.5"),
              "voc": ("voc", "vocs")}


@dataclass
class Query:
    device_id: str
    attribute: str | None = None


@dataclass
class Clause(ReadResult):
    text: str
    queries: list[Query] = field(default_factory=list)
    code: str | None = None
    understood: bool = True
    act: Act = "command"
    """A question or context never has steps (see :func:`iotlm.agent.understand.frame.speech_act`)."""
    goals: list[Goal] = field(default_factory=list)
    """For a complaint about a room: what to move, which way (planned from the readings, see :mod:`iotlm.agent.context.goals`)."""
    conditions: list[tuple[str, list[str]]] = field(default_factory=list)
    """For a question about a room's conditions: (room, conditions asked), answered from its readings."""
    used: tuple[str, ...] = ()
    """The words its reading used (a device, room, operation, value...)."""
    note: str | None = None
    """What the reply says of a clause that does nothing on purpose (a statement: what it heard, and what it could do)."""
    named: list[str] = field(default_factory=list)
    """The devices a statement is about (what "it" means next)."""
    aside: str | None = None
    """What the reply adds to what a clause did (a vacuum told to clean one room cleans them all)."""


@dataclass
class Parse:
    clauses: list[Clause]
    corrected: list[tuple[str, str]] = field(default_factory=list)
    """Words read as others (a typo of a device, room or verb word): (said, read), said back when the turn acts."""

    @property
    def understood(self) -> bool:
        return all(c.understood for c in self.clauses)

    def device_ids(self) -> list[str]:
        ids = [s.device_id for c in self.clauses for s in c.steps if s.device_id]
        ids += [q.device_id for c in self.clauses for q in c.queries]
        return list(dict.fromkeys(ids))


class Parser:
    """Built from the registry's devices; rebuild (cheap) when the devices change. Holds no per-sentence state."""

    def __init__(self, devices: list[Device], floors: dict[str, str] | None = None) -> None:
        self.index = HomeIndex(devices, floors)
        vocab = set(self.index.rooms) | set(self.index.names) | {p for p, _ in self.index.kind_phrases}
        vocab |= {w for _, words in lx.ATTRIBUTES.values() for w in words} | {v for v, _ in lx.VERBS}
        vocab |= set(lx.COLORS) | set(lx.NUMBER_WORDS) | {str(o).lower() for d in devices for a in d.attributes.values()
                                                           for o in a.options or [] if isinstance(o, str)}
        self.vocab_words = sorted({w for phrase in vocab for w in phrase.split() if len(w) >= 4})
        self.home_phrases = tuple(sorted(set(self.index.names) | set(self.index.rooms) | set(self.index.floors),
                                         key=len, reverse=True))
        """This home's names, aliases, rooms and floors: words a reading accounts for (:mod:`.coverage`)."""
        self.options = {d.id: frozenset(str(o).lower().replace("_", " ") for a in d.attributes.values() for o in a.options or [])
                        for d in devices}
        """Each device's options, as said: a reading accounts for them only where it acts on that device ("get the
        cleaning on" does not turn a light on)."""
        self.kind_words = tuple(p for p, _ in self.index.kind_phrases)
        self.readers: list[FrameReader] = [TemplateReader(self.index)]
        """Readers of a whole sentence (:meth:`parse`): an exact one (the templates) is asked of every sentence and
        wins where it reads otherwise than the rules; the others are asked, in order, where the rules could not read
        a clause."""

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
        found = self._rules(text, room, list(recent or []))
        exact = self._reread(text, room, list(recent or []), exact=True) if self.readers else None
        if exact is not None and _acts(exact) != _acts(found):
            return exact  # a template that accounts for every word, over this home's own names, is read as it says
        if any(not c.understood for c in found.clauses):  # a refusal stands: only a template overrides one
            return self._reread(text, room, list(recent or [])) or found
        return found

    def _rules(self, text: str, room: str | None, recent: list[str]) -> Parse:
        said = normalise(text)
        clean, corrected = fix_typos(said, self.vocab_words)
        clean = _OPENER.sub(r"\1, \2", clean)  # "it's too bright in here can you turn a light off": two clauses
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
            if not clause.steps and clauses and frame.act == "command":
                clause = self._continued(frame, clauses[-1]) or clause
            if clause.steps and frame.act == "command" and not (clause.refusal or clause.clarify):
                clause.steps += self._also(frame, clause.steps)
            if not clause.understood and clause.act == "question" and clauses and clauses[-1].conditions and _VERDICT.match(frame.text):
                clause = Clause(text=frame.text, act="context")  # "how bright is it, is it pleasant?": the answer judges it
            clause.steps = [s.model_copy(update={"clause": frame.text}) for s in clause.steps]
            ids = [s.device_id for s in clause.steps if s.device_id] + [q.device_id for q in clause.queries]
            if ids:
                last = ids
            clauses.append(clause)
        return Parse(clauses, corrected)

    def _reread(self, text: str, room: str | None, recent: list[str], *, exact: bool = False) -> Parse | None:
        """The whole sentence as the first other reader reads it (``exact``: those that account for every word), where
        the home grounds that reading into steps or a question with nothing refused or asked; else None."""
        said = normalise(text)
        for reader in (r for r in self.readers if r.exact == exact):
            read = reader.read(said, room)
            if read is None:
                continue
            clause = self.ground(read[0], room, recent)
            if (clause.steps or clause.queries) and not (clause.refusal or clause.clarify):
                clause.used = read[1]
                reading = {"used": list(clause.used), "left": [], "by": [reader.name]}
                clause.steps = [s.model_copy(update={"clause": said, "reading": reading}) for s in clause.steps]
                return Parse([clause])
        return None

    def _continued(self, frame: Frame, previous: Clause) -> Clause | None:
        """A clause of an option alone, after a clause about one device, sets that device: "turn AC 1 on, cooling, fan
        on high" is its mode and its fan speed, not the bedroom fan. The rule: no verb of its own beyond "on", no name,
        room or number; any kind it names is a word of one of that device's attributes ("fan" of fan_speed); and an
        option of exactly one attribute is said (an option's own name first, as :func:`steps._option` reads them)."""
        devices = {s.device_id for s in previous.steps if s.device_id}
        if len(devices) != 1 or frame.named or frame.rooms or frame.number is not None or frame.intent not in (None, "on"):
            return None
        device = self.devices.get(devices.pop())
        if device is None:
            return None
        words = {w for name in device.attributes for w in name.split("_")}
        if any(not set(lx.DEVICE_KINDS.get(k, (k,))) & words and k not in words for k in frame.kinds):
            return None
        for own in (True, False):
            said = options_said(device, frame.text, own=own)
            if len(said) == 1:
                name, option = said.pop()
                return Clause(text=frame.text, steps=[set_step(device, name, option)], understood=True, act="command")
            if said:
                return None
        return None

    def _also(self, frame: Frame, steps: list[Step]) -> list[Step]:
        """What else a clause about one device sets by naming an option of another of its attributes: "set AC 1 to
        cool with the fan on high" is its mode and its fan speed, not the mode alone. Only an option's own name counts,
        said in words no step already used, and only where exactly one other attribute has it."""
        devices = {s.device_id for s in steps if s.device_id}
        if len(devices) != 1 or frame.intent not in (None, "set", "on"):
            return []
        device = self.devices.get(devices.pop())
        if device is None or any(s.value is None or s.attribute not in device.attributes for s in steps):
            return []  # a step the device cannot take is refused later: nothing is added beside it
        text = frame.text  # without the device's own names ("turn on the tv" names no source "tv") and the words used
        said = [device.name, *device.aliases, *(w for k in frame.kinds for w in lx.DEVICE_KINDS.get(k, (k,)))]
        said += [w for step in steps if isinstance(step.value, str) for w in option_words(step.value)]
        for word in sorted({w.lower() for w in said}, key=len, reverse=True):
            text = blank(text, word)
        found = options_said(device, text, own=True, skip={s.attribute or "" for s in steps})
        if len(found) != 1:
            return []
        name, option = found.pop()
        return [set_step(device, name, option)]

    # ------------------------------------------------------------ reading a clause

    def _before_devices(self, clause: Clause, frame: Frame, room: str | None) -> Clause | None:
        """A clause decided before looking for devices: context, a goal, a question about a room, a negation, or words
        with no action in them; None for the rest. A room a vacuum is told to clean is taken out of its rooms first."""
        if area := self.index.area_to_clean(frame):
            clause.aside = f"It cannot clean the {join(area, 'and')} alone: it cleans every room it reaches."
        if frame.act == "context":  # "I'm doing laundry": nothing to do; its room carries to the next clause
            return clause
        if frame.act == "statement":  # what happened or was wished: heard, never done
            return self._statement(clause, frame, room)
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
            # a verb the fast path does not know: the model may read it, unless what it names is not there at all
            # ("move the air conditioner swing upwards in the study room", which has no air conditioner)
            if (frame.kinds or frame.named) and frame.rooms:
                refusal = self.index.targets(frame, room, [])[1]
                if refusal:
                    clause.refusal, clause.code = refusal, "unknown_device"
                    return clause
            clause.understood = False
            return clause
        return None

    def _statement(self, clause: Clause, frame: Frame, room: str | None) -> Clause:
        """A report ("the kids left the bedroom light on"): nothing is done; the reply says how the device is now, so
        that "turn it off" can follow."""
        devices, _, _ = self.index.targets(frame, room, [])
        states = [(d, d.attributes["state"].value) for d in devices[:3] if "state" in d.attributes]
        clause.named = [d.id for d, _ in states]
        if not states:
            clause.note = "OK, noted. I changed nothing."
            return clause
        now = join([f"{describe_device(d)} is {value}" for d, value in states], "and")
        clause.note = f"OK, noted; I changed nothing. {now[0].upper()}{now[1:]} now."
        return clause

    def _no_such_name(self, frame: Frame, room: str | None) -> str:
        """"flip on light 1 in the bathroom" where nothing is called so: that device is not here, whatever else is."""
        name = frame.name_number or ""
        if name.rsplit(" ", 1)[0] in self.index.rooms:  # "the bedroom 2 light": a room so called
            return self.index.no_room(name)
        where = frame.rooms or ([room.lower()] if room else [])
        return self.index.missing(name, where) if where else f"there is no {name} in this home"

    def ground(self, frame: Frame, room: str | None, recent: list[str]) -> Clause:
        """Steps for a frame another reader made, which accounted for every word itself (a template's match)."""
        return self._resolve(frame, room, recent, whole=True)

    def _resolve(self, frame: Frame, room: str | None, recent: list[str], *, whole: bool = False) -> Clause:
        clause = Clause(text=frame.text, act=frame.act)
        decided = self._before_devices(clause, frame, room)
        if decided is not None:
            return decided
        devices, refusal, clarify = self.index.targets(frame, room, recent)
        if frame.name_number and not refusal and not clarify and not (len(devices) == 1 and _first_of(frame.name_number,
                                                                                                      devices[0])):
            refusal = self._no_such_name(frame, room)  # "lamp 2" where there is one lamp; "lamp 1" is that one
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
        # "the lights", several or said as several; not one device whose own name is plural ("the dehumidifiers")
        several = len(devices) > 1 or (frame.plural and not any(has(frame.text, d.name.lower()) for d in devices))
        if several and (frame.intent in ("up", "down") or frame.lowered_or_raised) and frame.mute is None:
            # "lower the lights": the lights that are on; a brighter or dimmer setting never turns one on
            lit = [d for d in devices if _off(d) is False]
            if not lit:
                names = join([describe_device(d) for d in devices], "and")
                clause.refusal, clause.code = f"{names} {'is' if len(devices) == 1 else 'are all'} off", "infeasible"
                return clause
            devices = lit
        for device in devices:
            step = step_from_frame(frame, device, self.index, several=len(devices) > 1)
            if isinstance(step, str):
                if len(devices) == 1:
                    clause.refusal, clause.code = step, "unsupported_attribute"
                continue
            if step is not None:
                clause.steps.append(step)
        if not clause.steps and clause.refusal is None:
            clause.understood = False
        return clause if whole else self._covered(clause)

    def _covered(self, clause: Clause) -> Clause:
        """A clause acts only when all its words are accounted for (:mod:`.coverage`): a left-over word where a room or
        name would be is a place or device this home lacks (refused, never widened); any other sends it to the model."""
        if not clause.steps:
            return clause
        own = frozenset().union(*(self.options.get(s.device_id or "", frozenset()) for s in clause.steps))
        found = cover(clause.text, (*self.home_phrases, *own), self.kind_words, tuple(self.index.rooms))
        clause.used, clause.left = found.used, found.left
        if not found.left:
            reading = {"used": list(found.used), "left": []}
            clause.steps = [s.model_copy(update={"reading": reading}) for s in clause.steps]
            return clause
        clause.steps = []
        if found.place is not None:
            clause.refusal, clause.code = (f"I don't know a \"{found.place}\" here, so I did nothing (rooms: "
                                           f"{', '.join(sorted(set(self.index.rooms.values())))})"), "unknown_device"
        else:
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
        elif concept is None and not frame.kinds:  # "is it hot in the kitchen?": the word that judges a condition
            judged = next((goal for goal, words in lx.GOALS.items() if any(has(text, w) for w in words)), None)
            asked = {"temperature": ["temperature"], "humidity": ["humidity"], "light": ["illuminance"],
                     "volume": ["noise"], "air": ["pm25", "pm10", "co2", "voc"]}.get(judged or "", [])
        if not asked:
            return None
        if frame.unknown_place and not frame.rooms:
            return Clause(text=frame.text, act="question", code="unknown_device", refusal=self.index.no_room(frame.unknown_place))
        rooms = frame.rooms or ([room.lower()] if room else [])
        if not rooms:
            return None  # "what's the temperature?": the device that has one, or a question back
        return Clause(text=frame.text, act="question", conditions=[(r, asked) for r in rooms])

    def _queries(self, clause: Clause, frame: Frame, devices: list[Device]) -> Clause:
        which = _WHICH_STATE.search(frame.text)
        if which is not None and not frame.concept:  # "which lights are on?": only those that are
            wanted = which.group(1)
            having = [d for d in devices if str((d.attributes.get("state") or Attribute()).value) == wanted]
            noun = lx.DEVICE_KINDS[frame.kinds[0]][1] if frame.kinds else "devices"
            clause.named = [d.id for d in having]
            clause.note = (f"None of the {noun} is {wanted}." if not having else
                           f"{join([describe_device(d, room='always') for d in having], 'and')} "
                           f"{'is' if len(having) == 1 else 'are'} {wanted}.")
            clause.note = clause.note[0].upper() + clause.note[1:]
            return clause
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


def _off(device: Device) -> bool | None:
    """Whether the device reports itself off (None: it has no on and off)."""
    state = device.attributes.get("state")
    if state is None or not state.options or "off" not in [str(o) for o in state.options]:
        return None
    return state.value == "off"


def _acts(parse: Parse) -> set[tuple[str, str, str]]:
    """What a reading does: each step (device, attribute, value) and each question (device, attribute)."""
    return ({(s.device_id or s.tool, s.attribute or "", repr(s.value)) for c in parse.clauses for s in c.steps}
            | {(q.device_id, q.attribute or "", "?") for c in parse.clauses for q in c.queries})


def _first_of(name: str, device: Device) -> bool:
    """Whether "<word> 1" names ``device``, the only one there: its own name says the word ("lamp one": the desk
    lamp, where "speaker 1" is not the TV)."""
    word, _, number = name.rpartition(" ")
    names = " ".join([device.name, *device.aliases]).lower()
    return number in ("1", "one") and bool(word) and has(names, word.split()[-1])


__all__ = ["Clause", "Parse", "Parser", "Query"]
