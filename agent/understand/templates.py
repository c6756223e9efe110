"""Home Assistant's sentence templates as a reader: the community's English templates (``home-assistant-intents``),
matched by ``hassil`` over this home's names, aliases, rooms and floors.

A match is exact (every word of the sentence is accounted for by a template) and names the intent and its slots
(a device name, an area, a floor, a domain, a value); it becomes a :class:`~.frame.Frame`, and the parser's own
grounding turns that into steps or a refusal. The templates do not decide what exists or what may be done: the home
and the gate do, as for every reader. Intents iotlm has no equivalent of (timers, lists, weather) are not read here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol

from hassil import Intents, recognize_all
from hassil.intents import SlotList, TextSlotList
from hassil.recognize import RecognizeResult
from home_assistant_intents import get_intents

from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.frame import Frame
from iotlm.agent.understand.index import HomeIndex
from iotlm.agent.understand.lexicon import Intent
from iotlm.device_drivers.homeassistant.intent_slots import SLOT_OF
from iotlm.device_drivers.model import Device

# Home Assistant's domain of each device type of the registry (where the names differ)
_DOMAIN = {"outlet": "switch", "heater": "climate", "air_conditioner": "climate", "thermostat": "climate"}
# a cover's device class in the templates -> the kind of device it names here
_COVER_KIND = {"awning": "cover", "blind": "blinds", "curtain": "curtain", "door": "cover", "garage": "garage_door",
               "gate": "cover", "shade": "blinds", "shutter": "blinds", "window": "window"}
# what on and off mean for a domain (HassTurnOn opens a cover and locks a lock, in Home Assistant's own words)
_ON: dict[str, Intent] = {"cover": "open", "valve": "open", "lock": "lock", "vacuum": "start"}
_OFF: dict[str, Intent] = {"cover": "close", "valve": "close", "lock": "unlock", "vacuum": "dock"}
_SIMPLE: dict[str, Intent] = {"HassVacuumStart": "start", "HassVacuumCleanArea": "start", "HassVacuumReturnToBase": "dock",
                              "HassMediaPause": "pause", "HassMediaUnpause": "play", "HassGetState": "query",
                              "HassClimateGetTemperature": "query"}
# a set intent -> (the slot holding its value, the attribute concept, the unit)
_SETS: dict[str, dict[str, tuple[str, str | None]]] = {
    "HassLightSet": {"brightness": ("brightness", "%"), "color": ("color", None), "temperature": ("color_temp", "k")},
    "HassClimateSetTemperature": {"temperature": ("temperature", "deg")},
    "HassSetPosition": {"position": ("position", "%")},
    "HassFanSetSpeed": {"percentage": ("fan_speed", "%")},
    "HassSetVolume": {SLOT_OF["volume"]: ("volume", "%")}}
# the domain an intent acts on where its template names none ("pause the music in the study")
INTENT_DOMAIN = {"HassMediaPause": "media_player", "HassMediaUnpause": "media_player", "HassSetVolume": "media_player",
                  "HassSetVolumeRelative": "media_player", "HassMediaPlayerMute": "media_player",
                  "HassMediaPlayerUnmute": "media_player", "HassFanSetSpeed": "fan", "HassLightSet": "light",
                  "HassClimateSetTemperature": "climate", "HassVacuumStart": "vacuum", "HassVacuumReturnToBase": "vacuum",
                  "HassVacuumCleanArea": "vacuum"}
READ = frozenset({*_SIMPLE, *_SETS, "HassTurnOn", "HassTurnOff", "HassSetVolumeRelative", "HassMediaPlayerMute",
                  "HassMediaPlayerUnmute"})
"""The intents this reader turns into frames."""


@functools.lru_cache(maxsize=1)
def _templates() -> tuple[Intents, list[str]]:
    data = get_intents("en")
    if data is None:  # the package is installed without its English data
        raise RuntimeError("home-assistant-intents has no English templates; reinstall it")
    data = {**data, "intents": {k: v for k, v in data["intents"].items() if k in READ}}
    return Intents.from_dict(data), list(data.get("skip_words", []))


EVERYWHERE = "*"
"""The area a word for the whole home stands for ("clean the flat", "the lights in the house"): no one room."""


@functools.lru_cache(maxsize=1)
def home_words() -> frozenset[str]:
    """Home Assistant's own words for the whole home: its ``<home>`` expansion ("home", "house", "apartment", "flat")."""
    rule = str((get_intents("en") or {}).get("expansion_rules", {}).get("home", ""))
    return frozenset(rule.replace("(", " ").replace(")", " ").replace("|", " ").split())


def operation(intent: str, domain: str) -> Intent | None:
    """What Home Assistant's ``intent`` asks of a device of ``domain`` (HassTurnOn opens a cover, locks a lock, starts
    a vacuum); None for an intent that is not one operation (a relative volume step, mute, or none of :data:`READ`)."""
    if intent == "HassTurnOn":
        return _ON.get(domain, "on")
    if intent == "HassTurnOff":
        return _OFF.get(domain, "off")
    if intent in _SIMPLE:
        return _SIMPLE[intent]
    return "set" if intent in _SETS else None


def set_concept(intent: str) -> str | None:
    """The attribute a set intent sets unless its template says another (HassLightSet: brightness, unless a colour)."""
    return next(iter(_SETS[intent].values()))[0] if intent in _SETS else None


def domain_of(device: Device) -> str:
    """The Home Assistant domain a device of the registry belongs to."""
    return _DOMAIN.get(device.type, device.type)


class FrameReader(Protocol):
    """A reader of a whole sentence into one frame (None: it cannot read it), for the parser to ground."""

    name: str
    exact: bool
    """Whether a reading accounts for every word (a template match): such a reader is asked of every sentence and
    wins where it reads otherwise than the rules (:meth:`.parser.Parser.parse`)."""

    def read(self, text: str, room: str | None) -> tuple[Frame, tuple[str, ...]] | None:
        """The frame and the words it was read from (said back in the reading); None where it cannot read ``text``."""
        ...


@dataclass(frozen=True)
class Match:
    """What a template matched: the intent and the frame it comes to."""

    intent: str
    frame: Frame
    said: tuple[str, ...]
    """The words each slot was matched from."""


class TemplateReader:
    """The templates over one home's names; build once per home (the slot lists are this home's)."""

    name = "templates"
    exact = True

    def __init__(self, index: HomeIndex) -> None:
        self.index = index
        names: list[tuple[str, str, dict[str, Any]]] = []
        for phrase, ids in index.names.items():
            domains = {domain_of(index.devices[i]) for i in ids}
            context = {"domain": domains.pop()} if len(domains) == 1 else {}
            names.append((phrase, phrase, context))
        areas = sorted({(p, r) for p, r in index.rooms.items()} | {(w, EVERYWHERE) for w in home_words() if w not in index.rooms})
        floors = sorted({f for f in index.floors.values()})
        self.lists: dict[str, SlotList] = {"name": TextSlotList.from_tuples(names, allow_template=False),
                      "area": TextSlotList.from_tuples(areas, allow_template=False),
                      "floor": TextSlotList.from_tuples([(f, f) for f in floors], allow_template=False)}

    def read(self, text: str, room: str | None) -> tuple[Frame, tuple[str, ...]] | None:
        found = self.match(text, room)
        return None if found is None else (found.frame, (found.intent, *found.said))

    def match(self, text: str, room: str | None = None) -> Match | None:
        """The first template match of ``text`` that this home can act on or answer, as a frame; None if no template
        matches (most sentences: the templates are strict). ``room``: where the person is ("turn on the lights")."""
        intents, skip = _templates()
        context = {"area": room.lower()} if room else None
        for result in recognize_all(text, intents, slot_lists=self.lists, skip_words=skip, intent_context=context):
            frame = self._frame(text, result)
            if frame is not None:
                said = tuple(e.text.strip() for e in result.entities.values() if e.text and e.text.strip())
                return Match(result.intent.name, frame, said)
        return None

    def _frame(self, text: str, result: RecognizeResult) -> Frame | None:
        slots = {k: e.value for k, e in result.entities.items()}
        said = {k for k, e in result.entities.items() if not e.is_wildcard and e.text}
        name = result.intent.name
        frame = Frame(text=text)
        domain = str(slots.get("domain") or INTENT_DOMAIN.get(name, ""))
        if "name" in slots:
            frame.named = sorted(self.index.names.get(str(slots["name"]), ()))
            domains = {domain_of(self.index.devices[i]) for i in frame.named}
            domain = domain or (domains.pop() if len(domains) == 1 else "")
        if "area" in said:
            everywhere = slots["area"] == EVERYWHERE
            frame.rooms, frame.plural = ([], True) if everywhere else ([str(slots["area"])], frame.plural)
        if "floor" in slots:
            frame.rooms = sorted({r for r, f in self.index.floors.items() if f == slots["floor"]})
        kind = _COVER_KIND.get(str(slots.get("device_class") or "")) or (domain if domain in lx.KIND_TYPES else None)
        if not frame.named:
            if kind is None:
                return None  # "turn on the kitchen": a whole room's every device is not a template's to decide
            frame.kinds = [kind]
            frame.plural = True
        if name in _SETS:
            found = [(slot, concept, unit) for slot, (concept, unit) in _SETS[name].items() if slot in slots]
            if not found:
                return None
            slot, concept, unit = found[0]
            frame.intent, frame.concept, frame.unit = "set", concept, unit
            value = slots[slot]
            if isinstance(value, int | float):
                frame.number = float(value)
            else:
                frame.word_value = str(value)
        elif (intent := operation(name, domain)) is not None:
            frame.intent = intent
            if intent == "query":
                frame.act, frame.question = "question", True
                frame.concept = "temperature" if name == "HassClimateGetTemperature" else None
        elif name in ("HassMediaPlayerMute", "HassMediaPlayerUnmute"):
            frame.mute = name == "HassMediaPlayerMute"
        elif name == "HassSetVolumeRelative":
            step = slots.get("volume_step")  # "up", "down", or a signed change in points ("by 15")
            frame.intent, frame.concept = ("up" if step == "up" or (isinstance(step, int | float) and step > 0) else "down"), "volume"
            if isinstance(step, int | float):
                frame.number, frame.by = abs(float(step)), True
        return frame


__all__ = ["EVERYWHERE", "INTENT_DOMAIN", "READ", "FrameReader", "Match", "TemplateReader", "domain_of", "home_words", "operation", "set_concept"]
