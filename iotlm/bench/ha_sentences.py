"""Home Assistant's own sentences for its intents, said to iotlm: each template of ``home-assistant-intents`` (the
intents iotlm has an equivalent of) is expanded over one home with chosen slot values (a device's name, an area
with such devices, a value), a few expansions per template picked by a seeded draw, and judged by what Home
Assistant's intent means for that home: which devices change and to what. The parser is run with the rules alone and
with the other readers (the templates tier), so the gain is measured, not assumed.

The expected outcome is written here from the intents' documented meaning, not taken from iotlm's template reader.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any

from hassil import Intents
from hassil.errors import MissingListError
from hassil.intents import TextSlotList
from hassil.sample import sample_sentence
from home_assistant_intents import get_intents

from iotlm.agent.understand.parser import Parser
from iotlm.agent.understand.templates import domain_of
from iotlm.device_drivers.homeassistant.intent_slots import SLOT_OF, VALUE_SLOTS
from iotlm.device_drivers.model import Device

# the intents measured, and the devices' domains they act on
_ON = {"light": "on", "fan": "on", "switch": "on", "media_player": "on", "cover": "open", "valve": "open",
       "lock": "locked", "vacuum": "cleaning", "climate": "on"}
_OFF = {"light": "off", "fan": "off", "switch": "off", "media_player": "off", "cover": "closed", "valve": "closed",
        "lock": "unlocked", "vacuum": "docked", "climate": "off"}
_VALUE = dict(zip(VALUE_SLOTS, (40, 21, 30, 60, 35), strict=True))
"""The value each slot is given (brightness 40, temperature 21, position 30, fan speed 60, volume 35)."""
_CONCEPT = VALUE_SLOTS
_DOMAINS = {"HassLightSet": ("light",), "HassSetPosition": ("cover", "valve"), "HassClimateSetTemperature": ("climate",),
            "HassVacuumStart": ("vacuum",), "HassMediaPause": ("media_player",), "HassMediaUnpause": ("media_player",),
            "HassSetVolume": ("media_player",), "HassFanSetSpeed": ("fan",)}
_LIST_VALUE = {"brightness": "brightness", "position": "position", "temperature": "temperature", "volume": SLOT_OF["volume"],
               "fan_speed": SLOT_OF["fan_speed"]}
_SAME = {("on", "playing"), ("open", 100), ("closed", 0)}
"""A step that ends where Home Assistant's intent would by another road: a media player on plays; a cover all the way."""
INTENTS = ("HassTurnOn", "HassTurnOff", "HassLightSet", "HassSetPosition", "HassClimateSetTemperature",
           "HassVacuumStart", "HassMediaPause", "HassMediaUnpause", "HassSetVolume", "HassFanSetSpeed")


@dataclass
class Case:
    intent: str
    text: str
    room: str | None
    expect: dict[str, Any]
    """device id -> the value it should end with (a state word or the number set)."""


def cases(parser: Parser, *, per_template: int = 2, seed: int = 0) -> list[Case]:
    """Sentences from the templates of :data:`INTENTS` over ``parser``'s home, each with what it should do."""
    data = get_intents("en")
    assert data is not None
    intents = Intents.from_dict({**data, "intents": {k: v for k, v in data["intents"].items() if k in INTENTS}})
    rng = random.Random(seed)
    devices = list(parser.devices.values())
    found: list[Case] = []
    for name, intent in intents.intents.items():
        for block in intent.data:
            rules = {**intents.expansion_rules, **block.expansion_rules}
            domains = (block.requires_context or {}).get("domain") or block.slots.get("domain")
            domains = [domains] if isinstance(domains, str) else list(domains or _DOMAINS.get(name, ()))
            for sentence in block.sentences:
                lists = list(sentence.list_names(rules))
                if block.wildcard_list_names & set(lists):
                    continue
                case = _case(name, block, lists, domains, devices, parser, rng)
                if case is None:
                    continue
                slots, expect, room = case
                try:
                    texts = list(itertools.islice(sample_sentence(sentence, {**intents.slot_lists, **slots}, rules), 400))
                except MissingListError:  # a list this home has no value for (a floor inside an expansion rule)
                    continue
                for text in rng.sample(texts, min(per_template, len(texts))):
                    found.append(Case(name, " ".join(text.split()), room, expect))
    return found


def _case(intent: str, block: Any, lists: list[str], domains: list[str], devices: list[Device], parser: Parser,
          rng: random.Random) -> tuple[dict[str, Any], dict[str, Any], str | None] | None:
    """Slot values for one template (one of this home's devices or areas that fits it) and what it should do."""
    if {"cover_classes", "floor", "state", "bs_open_states", "on_off_states"} & set(lists):
        return None  # device classes and floors: this home names none
    fits = [d for d in devices if not domains or domain_of(d) in domains]
    concepts = [_CONCEPT[_LIST_VALUE[n]] for n in lists if n in _LIST_VALUE]
    fits = [d for d in fits if all(parser.attribute_for(d, c, writable=True) for c in concepts)]  # it can be done
    if intent in ("HassMediaPause", "HassMediaUnpause"):  # Home Assistant offers these only where a player can pause
        fits = [d for d in fits if "paused" in [str(o) for o in getattr(d.attributes.get("state"), "options", None) or []]]
    if "name" in lists:
        fits = [d for d in fits if d.name.lower() in parser.index.names and len(parser.index.names[d.name.lower()]) == 1]
    if not fits:
        return None
    device = rng.choice(sorted(fits, key=lambda d: d.id))
    room = (device.room or "").lower()
    slots: dict[str, Any] = {}
    if "name" in lists:
        slots["name"] = TextSlotList.from_tuples([(device.name.lower(), device.name.lower())], allow_template=False)
        targets = [device]
    else:
        targets = [d for d in fits if (d.room or "").lower() == room]
    if "area" in lists:
        slots["area"] = TextSlotList.from_tuples([(room, room)], allow_template=False)
    if {"color", "color_temperature", "color_temperature_names", "brightness_level"} & set(lists):
        return None  # colours and named levels: this bench gives numbers only
    expect: dict[str, Any] = {}
    for target in targets:
        state = {"HassTurnOn": _ON, "HassTurnOff": _OFF}.get(intent, {}).get(domain_of(target))
        state = state or {"HassVacuumStart": "cleaning", "HassMediaPause": "paused", "HassMediaUnpause": "playing"}.get(intent)
        if state is not None:
            expect[target.id] = state
    for list_name in lists:
        key = _LIST_VALUE.get(list_name)
        if key is not None:
            value = _VALUE[key]
            slots[list_name] = TextSlotList.from_tuples([(str(value), value)], allow_template=False)
            expect = {t.id: (_CONCEPT[key], value) for t in targets}
    if not expect:
        return None
    return slots, expect, room or None


def judge(parser: Parser, case: Case) -> bool:
    """Whether the parser's steps do exactly what the case expects (no other device, each to its value)."""
    parse = parser.parse(case.text, room=case.room)
    steps = [s for c in parse.clauses for s in c.steps]
    if {s.device_id for s in steps} != set(case.expect):
        return False
    for step in steps:
        want = case.expect[step.device_id or ""]
        if isinstance(want, tuple):  # the attribute the intent's slot means, to that value
            concept, value = want
            attribute = parser.attribute_for(parser.devices[step.device_id or ""], concept, writable=True)
            if step.attribute != attribute or not _number(step.value) or abs(float(str(step.value)) - value) >= 1:
                return False
        elif step.value != want and (want, step.value) not in _SAME and not _mode_on(want, step.attribute, step.value):
            return False
    return True


def _mode_on(want: Any, attribute: str | None, value: Any) -> bool:
    """A climate device with modes and no on/off is on in any mode but "off" (Home Assistant's climate.turn_on)."""
    return want == "on" and attribute == "mode" and value != "off"


def _number(value: Any) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def run(parser: Parser, *, per_template: int = 2, seed: int = 0) -> dict[str, Any]:
    """Each case judged with the rules alone and with the parser's other readers as well."""
    found = cases(parser, per_template=per_template, seed=seed)
    readers = list(parser.readers)
    rows: list[dict[str, Any]] = []
    for case in found:
        parser.readers = []
        rules = judge(parser, case)
        parser.readers = readers
        rows.append({"intent": case.intent, "text": case.text, "room": case.room, "rules": rules,
                     "with_readers": judge(parser, case)})
    total = len(rows)
    return {"cases": rows, "total": total, "rules": sum(r["rules"] for r in rows),
            "with_readers": sum(r["with_readers"] for r in rows)}


__all__ = ["INTENTS", "Case", "cases", "judge", "run"]
