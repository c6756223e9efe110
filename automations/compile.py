"""Plain language -> a structured rule, once, when the rule is written (never when it runs).

"when the hallway motion sensor sees someone after 10 pm, turn the hallway light on at 20%
for 5 minutes" -> trigger hallway.motion occupancy = true, condition 22:00-06:00, action
hallway.light brightness 20, put back after 300 s.

The sentence is split into when / only-if / do. The "do" half goes through the chat fast
path (and the local model's grammar-constrained planner for what the fast path cannot read,
when one is given); the "when" half is read here against the devices' readable attributes.
What cannot be read is said, part by part.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from iotlm.automations.model import Action, Condition, Rule, Trigger, clock, days
from iotlm.automations.timewords import CLOCK, SPAN, seconds_of, spoken
from iotlm.device_drivers.model import Device, describe_device
from iotlm.errors import UserError


class Understanding(Protocol):
    """What the compiler needs of the agent's understanding (``iotlm.agent.understand.Parser``): the home's devices,
    the frame of a phrase (its rooms, named devices and kinds), the devices a frame points at, and the parse of a
    request. Automations depend on this protocol, never on the agent package."""

    @property
    def devices(self) -> dict[str, Device]: ...

    def read(self, text: str) -> Any: ...

    def targets(self, frame: Any, room: str | None, recent: list[str]) -> tuple[list[Device], str | None, str | None]: ...

    def parse(self, text: str, *, room: str | None = None, recent: list[str] | None = None) -> Any: ...

    def reading(self, device: Device, concept: str) -> str | None: ...

    def room_readings(self, room: str, concept: str) -> list[tuple[Device, str]]: ...


class RulePlanner(Protocol):
    """The local model's planner, for what the fast path cannot read (``iotlm.agent.llm.planner.RulePlanner``)."""

    model: Any
    min_confidence: float

    def plan(self, text: str, parser: Any) -> Any: ...


class RuleSyntaxError(UserError):
    """The sentence could not be made into a rule; the message says which part and why."""


_DAYS_WORDS = r"(?:weekdays|weekends|every day|daily|(?:mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?)" \
              r"(?:(?:,| and| or) (?:mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?))*)"
_SCHEDULE = [
    re.compile(rf"^(?:every day |each day |daily )?at (?P<time>{CLOCK})(?: (?:on|every) (?P<days>{_DAYS_WORDS}))?,? (?P<act>.+)$"),
    re.compile(rf"^(?:on |every )(?P<days>{_DAYS_WORDS}) at (?P<time>{CLOCK}),? (?P<act>.+)$"),
]
_WHEN_FIRST = re.compile(r"^(?:when|whenever|if|once|as soon as|each time|every time)\s+(?P<trig>.+?)"
                         r"(?:,\s*(?:then\s+)?|\s+then\s+)(?P<act>.+)$")
_VERBS = r"(?:turn|switch|set|open|close|shut|lock|unlock|dim|brighten|start|stop|play|pause|raise|lower|make|put)"
_WHEN_BARE = re.compile(rf"^(?:when|whenever|if|once|as soon as|each time|every time)\s+(?P<trig>.+?)\s+(?P<act>{_VERBS}\b.+)$")
_WHEN_LAST = re.compile(r"^(?P<act>.+?)\s+(?:when|whenever|if|as soon as|each time|every time)\s+(?P<trig>.+)$")
_DURATION = rf"(?P<span>{SPAN})"  # the time vocabulary chat and jobs read: "20 minutes", "an hour and a half"

_EVENTS: list[tuple[re.Pattern[str], str, Any]] = [
    (re.compile(r"\b(?:sees|detects|spots|notices|senses) (?:someone|somebody|anyone|anybody|motion|movement|a person|people)\b|"
                r"\b(?:is|gets) triggered\b|\bfires\b"), "motion", True),
    (re.compile(r"\b(?:no longer (?:sees|detects)|stops (?:seeing|detecting)|(?:is|goes|becomes) (?:clear|empty))\b"), "motion", False),
    (re.compile(r"\b(?:is |gets |goes )?(?:unlocked)\b"), "state", "unlocked"),
    (re.compile(r"\b(?:is |gets )?locked\b"), "state", "locked"),
    (re.compile(r"\b(?:opens|is opened|gets opened|is open|goes open|is left open)\b"), "open", True),
    (re.compile(r"\b(?:closes|is closed|gets closed|is shut|shuts)\b"), "open", False),
    (re.compile(r"\b(?:turns|is turned|is switched|switches|goes|is) on\b"), "state", "on"),
    (re.compile(r"\b(?:turns|is turned|is switched|switches|goes|is) off\b"), "state", "off"),
]
_ABOVE = re.compile(r"\b(?:goes |rises |climbs |gets |is |reads |reaches )?(?:above|over|higher than|more than|warmer than|exceeds|beyond)"
                    r" (?P<n>-?\d+(?:\.\d+)?)\s*(?P<unit>degrees?|celsius|percent|%)?")
_BELOW = re.compile(r"\b(?:goes |drops |falls |gets |is |reads |dips )?(?:below|under|lower than|less than|colder than|beneath)"
                    r" (?P<n>-?\d+(?:\.\d+)?)\s*(?P<unit>degrees?|celsius|percent|%)?")
_MOTION_ATTRS = ("occupancy", "motion", "presence")


@dataclass
class Compiled:
    rule: Rule
    notes: list[str] = field(default_factory=list)
    """Assumptions made while reading the sentence (shown back with the rule)."""
    risky: list[str] = field(default_factory=list)


def compile_rule(sentence: str, parser: Understanding, *, rule_id: str | None = None, owner: str = "owner",
                 planner: RulePlanner | None = None) -> Compiled:
    # times in words as chat reads them: "every day at half past seven" is at 7:30, "for ten minutes" 10 minutes
    text = spoken(re.sub(r"\s+", " ", sentence.lower().replace("\u2019", "'")).strip().rstrip(".!"))
    if not text:
        raise RuleSyntaxError("the rule is empty; say it like \"when the hallway motion sensor sees someone, turn on the hallway light\"")
    notes: list[str] = []
    for pattern in _SCHEDULE:
        match = pattern.match(text)
        if match:
            trigger = Trigger(at=clock(match.group("time")), days=_day_list(match.group("days")))
            actions = _actions(match.group("act"), parser, None, planner, notes)
            return _finish(sentence, trigger, [], actions, parser, rule_id, owner, notes)
    match = _WHEN_FIRST.match(text) or _WHEN_BARE.match(text) or _WHEN_LAST.match(text)
    if match is None:
        raise RuleSyntaxError("I couldn't find the two halves of a rule. Say it as \"when <something happens>, <do something>\" "
                              "(\"when the bedroom goes above 24 degrees, switch the fan on\") or \"at <time> [on <days>], "
                              "<do something>\" (\"at 7:00 on weekdays open the bedroom curtains\").")
    trig_text, act_text = match.group("trig"), match.group("act")
    conditions, trig_text = _time_conditions(trig_text, notes)
    act_conditions, act_text = _time_conditions(act_text, notes)
    conditions += act_conditions
    try:
        trigger, room = _trigger(trig_text, parser)
    except RuleSyntaxError:
        found = _trigger_by_model(trig_text, parser, planner) if planner is not None else None
        if found is None:
            raise
        trigger, room = found
        notes.append(f"\"{trig_text}\" was read by the language model as: {_say_trigger(trigger)}")
    actions = _actions(act_text, parser, room, planner, notes)
    return _finish(sentence, trigger, conditions, actions, parser, rule_id, owner, notes)


def _finish(sentence: str, trigger: Trigger, conditions: list[Condition], actions: list[Action], parser: Understanding,
            rule_id: str | None, owner: str, notes: list[str]) -> Compiled:
    rule = Rule.model_validate({"id": rule_id or _slug(sentence), "text": sentence.strip(), "when": trigger,
                                "if": conditions, "do": actions, "owner": owner})
    risky = sorted({a.device for a in actions if (d := parser.devices.get(a.device)) is not None and d.risky})
    return Compiled(rule, notes, risky)


# ---------------------------------------------------------------- the "when" half


def _time_conditions(text: str, notes: list[str]) -> tuple[list[Condition], str]:
    conditions: list[Condition] = []
    days = re.search(rf"\b(?:on|every) (?P<days>{_DAYS_WORDS})\b", text)
    if days:
        conditions.append(Condition(days=_day_list(days.group("days"))))
        text = text.replace(days.group(0), " ")
    between = re.search(rf"\bbetween (?P<a>{CLOCK}) and (?P<b>{CLOCK})\b", text)
    after = re.search(rf"\b(?:after|from) (?P<a>{CLOCK})\b(?!\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)\b)", text)
    before = re.search(rf"\b(?:before|until|till) (?P<b>{CLOCK})\b", text)
    if between:
        conditions.append(Condition(after=clock(between.group("a")), before=clock(between.group("b"))))
        text = text.replace(between.group(0), " ")
    elif after or before:
        start = clock(after.group("a")) if after else None
        end = clock(before.group("b")) if before else None
        if start and not end and int(start[:2]) >= 18:
            end = "06:00"
            notes.append(f"\"after {after.group('a') if after else ''}\" is read as {start}-06:00 (the night)")
        conditions.append(Condition(after=start, before=end))
        for m in (after, before):
            if m:
                text = text.replace(m.group(0), " ")
    for words, (a, b) in (("at night", ("22:00", "06:00")), ("during the night", ("22:00", "06:00")),
                          ("during the day", ("07:00", "22:00")), ("in the morning", ("06:00", "12:00")),
                          ("in the evening", ("18:00", "23:00"))):
        if re.search(rf"\b{words}\b", text):
            conditions.append(Condition(after=a, before=b))
            text = re.sub(rf"\b{words}\b", " ", text)
    return conditions, re.sub(r"\s+", " ", text).strip(" ,")


def _trigger(text: str, parser: Understanding) -> tuple[Trigger, str | None]:
    hold = None
    duration = re.search(rf"\bfor (?:more than |over |at least )?{_DURATION}\b", text)
    if duration:
        hold = _seconds(duration)
        text = text.replace(duration.group(0), " ").strip()
    for pattern, above in ((_ABOVE, True), (_BELOW, False)):
        match = pattern.search(text)
        if match is None:
            continue
        number, unit = float(match.group("n")), (match.group("unit") or "")
        concept = "humidity" if unit in ("percent", "%") else "temperature"
        where = (text[:match.start()] + " " + text[match.end():]).strip()
        device, attribute = _reading(where, concept, parser)
        trigger = Trigger.model_validate({"device": device.id, "attribute": attribute, "above" if above else "below": number,
                                          "for": hold})
        return trigger, device.room
    for pattern, kind, value in _EVENTS:
        match = pattern.search(text)
        if match is None:
            continue
        where = (text[:match.start()] + " " + text[match.end():]).strip()
        device = _device(where, parser, text)
        device, attribute, to = _event_attribute(device, kind, value, text, parser)
        return Trigger.model_validate({"device": device.id, "attribute": attribute, "to": to, "for": hold}), device.room
    device = _device(text, parser, text)
    raise RuleSyntaxError(f"I found {describe_device(device, room='always')}, but not what it should do to start the rule in \"{text}\". "
                          "Say e.g. \"sees someone\", \"opens\", \"is unlocked\", \"turns on\", \"goes above 24 degrees\".")


def _device(words: str, parser: Understanding, whole: str) -> Device:
    frame = parser.read(words)
    frame.intent, frame.question = "query", True
    if len(frame.named) == 1:  # "the hallway motion sensor": its name, not every sensor in the hallway
        return parser.devices[frame.named[0]]
    devices, refusal, clarify = parser.targets(frame, None, [])
    if refusal or clarify:
        raise RuleSyntaxError(f"what should start the rule, \"{whole}\": {refusal or clarify}")
    if not devices or not (frame.named or frame.kinds):
        sensors = sorted(d.id for d in parser.devices.values() if any(not a.writable for a in d.attributes.values()) or
                         d.type in ("binary_sensor", "sensor", "lock", "cover"))
        raise RuleSyntaxError(f"\"{whole}\" names no device I know to start the rule; devices that report: {', '.join(sensors[:12])}")
    if len(devices) > 1:
        raise RuleSyntaxError(f"\"{whole}\" could be {', '.join(describe_device(d, room='always') for d in devices[:6])}; name one device")
    return devices[0]


def _reading(words: str, concept: str, parser: Understanding) -> tuple[Device, str]:
    """The device and attribute that measure ``concept`` there ("the bedroom", "the kitchen sensor")."""
    frame = parser.read(words)
    if frame.named:
        found = [(d, name) for d in (parser.devices[i] for i in frame.named) if (name := parser.reading(d, concept))]
        found.sort(key=lambda x: x[0].type != "sensor")  # a sensor's own reading first
    else:
        found = [x for room in frame.rooms for x in parser.room_readings(room, concept)]
    if not found:
        where = f"the {frame.rooms[0]}" if frame.rooms else f"\"{words}\""
        raise RuleSyntaxError(f"nothing in {where} measures {concept}, so it cannot start the rule")
    return found[0]


def _event_attribute(device: Device, kind: str, value: Any, text: str, parser: Understanding) -> tuple[Device, str, Any]:
    attrs = device.attributes
    if kind == "motion":
        name = next((n for n in _MOTION_ATTRS if n in attrs), None)
        if name is None:
            raise RuleSyntaxError(f"{describe_device(device, room='always')} does not detect motion; it reports {', '.join(attrs)}")
        return device, name, value
    if kind == "open":
        if "contact" in attrs:  # Zigbee2MQTT: contact true = closed
            return device, "contact", not value
        if "state" in attrs and {"open", "closed"} <= {str(o) for o in attrs["state"].options or []}:
            return device, "state", "open" if value else "closed"
        contacts = [d for d in parser.devices.values() if d.room == device.room and "contact" in d.attributes]
        if len(contacts) == 1:  # "the hallway door opens": the door's contact sensor, not its lock
            return _event_attribute(contacts[0], kind, value, text, parser)
        raise RuleSyntaxError(f"{describe_device(device, room='always')} does not report opening or closing (it reports {', '.join(attrs)}); "
                              "name its contact sensor instead")
    attr = attrs.get("state")
    if attr is None or value not in (attr.options or []):
        raise RuleSyntaxError(f"{describe_device(device, room='always')} is never {value}; it reports {', '.join(attrs)}")
    return device, "state", value


TRIGGER_PREFIX = """Each line names the device reading that starts an automation, and the condition on it.

Event: the study motion detector notices somebody
Trigger: study.motion.occupancy becomes true
Event: the lounge gets colder than 17 degrees
Trigger: lounge.sensor.temperature below 17
Event: the back door contact reports it is open
Trigger: back.door_contact.contact becomes false
Event: the den lamp gets switched on
Trigger: den.lamp.state becomes on
"""


def trigger_grammar(devices: list[Device]) -> str:
    """``<device>.<attribute> becomes <option> | above <n> | below <n>``, over attributes devices report."""
    lines = ["root ::= " + " | ".join(f"t{i}" for i in range(len(devices))) if devices else 'root ::= "none"']
    for i, device in enumerate(devices):
        alternatives = []
        for name, attr in device.attributes.items():
            head = json.dumps(f"{device.id}.{name} ")
            if attr.kind == "numeric":
                alternatives.append(f'{head} ("above " | "below ") num')
            elif attr.options:
                options = " | ".join(json.dumps(_word(o)) for o in attr.options)
                alternatives.append(f'{head} "becomes " ({options})')
        lines.append(f"t{i} ::= " + (" | ".join(alternatives) or '"none"'))
    lines.append('num ::= "-"? [0-9] [0-9]? [0-9]? ("." [0-9])?')
    return "\n".join(lines) + "\n"


def _trigger_by_model(text: str, parser: Understanding, planner: RulePlanner) -> tuple[Trigger, str | None] | None:
    """The local model picks a device reading and a condition, held to real ones by a grammar; only a choice that
    the words point at (the device's room, name or kind) and that the model is fairly sure of is kept."""
    frame = parser.read(text)
    candidates = [d for d in parser.devices.values() if (d.room or "").lower() in frame.rooms] if frame.rooms else \
        [parser.devices[i] for i in frame.named] or list(parser.devices.values())
    candidates = [d for d in candidates if any(a.kind == "numeric" or a.options for a in d.attributes.values())][:12]
    if not candidates:
        return None
    try:
        completion = planner.model.complete(TRIGGER_PREFIX + f"Event: {text}\nTrigger:", grammar=trigger_grammar(candidates),
                                            max_tokens=24)
    except Exception:  # no model, or it failed: the fast path's explanation stands
        return None
    match = re.fullmatch(r"\s*(?P<device>\S+)\.(?P<attr>[a-z0-9_]+) (?:becomes (?P<to>\S+)|(?P<cmp>above|below) (?P<n>-?[\d.]+))\s*",
                         completion.text)
    if match is None or (completion.confidence is not None and completion.confidence < planner.min_confidence):
        return None
    device = parser.devices.get(match.group("device"))
    if device is None or match.group("attr") not in device.attributes:
        return None
    if not (frame.rooms or frame.named or frame.kinds):
        return None  # nothing in the words points at a device: a guess, not a reading
    attr = device.attributes[match.group("attr")]
    data: dict[str, Any] = {"device": device.id, "attribute": match.group("attr")}
    if match.group("cmp"):
        data[match.group("cmp")] = float(match.group("n"))
    else:
        data["to"] = next((o for o in attr.options or [] if _word(o) == match.group("to")), match.group("to"))
    return Trigger.model_validate(data), device.room


def _word(option: Any) -> str:
    return "true" if option is True else "false" if option is False else str(option)


def _say_trigger(t: Trigger) -> str:
    cond = f"above {t.above:g}" if t.above is not None else f"below {t.below:g}" if t.below is not None else f"becomes {_word(t.to)}"
    return f"{t.device}.{t.attribute} {cond}"


# ---------------------------------------------------------------- the "do" half


def _actions(text: str, parser: Understanding, room: str | None, planner: RulePlanner | None, notes: list[str]) -> list[Action]:
    """Actions in order; "and after 2 minutes turn it off" starts a delayed part."""
    unnamed = _DURATION.replace("(?P<span>", "(?:")  # no group: re.split would return what it captured as pieces
    pieces = re.split(rf"(?:,\s*|\s+)(?:and |then |and then )?(?:after|wait|in) (?={unnamed})", " " + text)
    actions: list[Action] = []
    delay = 0.0
    recent: list[str] = []
    for i, piece in enumerate(pieces):
        piece = piece.strip(" ,")
        if i > 0:
            lead = re.match(rf"^{_DURATION}\s*(?:,|and|then)?\s*", piece)
            if lead is None:
                continue
            delay += _seconds(lead)
            piece = piece[lead.end():]
        elif (first := re.match(rf"^(?:after|wait|in) {_DURATION}\s*(?:,|and|then)?\s*", piece)) is not None:
            delay += _seconds(first)
            piece = piece[first.end():]
        part = _part(piece, parser, room, planner, notes, recent, delay)
        recent = [a.device for a in part] or recent
        actions += part
    if not actions:
        raise RuleSyntaxError(f"I couldn't tell what to do from \"{text}\"")
    return actions


def _part(text: str, parser: Understanding, room: str | None, planner: RulePlanner | None, notes: list[str], recent: list[str],
          delay: float) -> list[Action]:
    revert = None
    duration = re.search(rf"\bfor {_DURATION}\b", text)
    if duration:
        revert = _seconds(duration)
        text = text.replace(duration.group(0), " ")
    text = re.sub(r"\s+", " ", text).strip(" ,")
    if not text:
        return []
    parse = parser.parse(text, room=room, recent=recent)
    steps = []
    for clause in parse.clauses:
        if clause.refusal:
            raise RuleSyntaxError(f"what to do, \"{clause.text}\": {clause.refusal}")
        if clause.clarify:
            raise RuleSyntaxError(f"what to do, \"{clause.text}\": {clause.clarify}")
        if clause.queries and not clause.steps:
            raise RuleSyntaxError(f"\"{clause.text}\" asks something; a rule must change something")
        if not clause.understood:
            planned = planner.plan(clause.text, parser) if planner is not None else None
            if planned is None or not planned.steps:
                raise RuleSyntaxError(f"I couldn't tell what to do from \"{clause.text}\"" +
                                      (f" ({planned.clarify})" if planned is not None and planned.clarify else "") +
                                      "; say it like \"turn on the hallway light\" or \"set the bedroom fan to high\".")
            notes.append(f"\"{clause.text}\" was read by the language model as: "
                         + "; ".join(s.describe() for s in planned.steps))
            steps += planned.steps
            continue
        steps += clause.steps
    by_device: dict[str, dict[str, Any]] = {}
    for step in steps:
        if step.device_id and step.attribute:
            values = by_device.setdefault(step.device_id, {})
            device = parser.devices.get(step.device_id)
            state = device.attributes.get("state") if device else None
            if (step.attribute == "brightness" and state is not None and "on" in (state.options or [])
                    and re.search(r"\bon\b", text) and "state" not in values):
                values["state"] = "on"  # "turn the light on at 20%": on, then the brightness
            values[step.attribute] = step.value
    return [Action.model_validate({"device": d, "set": values, "after": delay, "for": revert})
            for d, values in by_device.items()]


# ---------------------------------------------------------------- helpers


def _seconds(match: re.Match[str]) -> float:
    return seconds_of(match.group("span"))


def _day_list(text: str | None) -> list[str]:
    return days(re.findall(r"weekdays|weekends|every day|daily|[a-z]+day", text)) if text else []


def _slug(sentence: str) -> str:
    words = [w for w in re.findall(r"[a-z0-9]+", sentence.lower()) if w not in
             {"when", "the", "a", "an", "if", "then", "to", "at", "on", "for", "is", "and", "of", "in", "it", "someone"}]
    return "-".join(words[:6])[:60] or "rule"


__all__ = ["TRIGGER_PREFIX", "Compiled", "RulePlanner", "RuleSyntaxError", "Understanding", "compile_rule",
    "trigger_grammar"]
