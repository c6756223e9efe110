"""The LLM tier: for what the fast path cannot read.

Prompt = a static prefix (instructions and generic examples, reused from llama.cpp's KV
cache) + the top-k devices relevant to the sentence + the sentence. Output is constrained
by a grammar built from those devices' operations. A plan whose devices nothing in the
sentence points at, or that the model wrote with low confidence, is not executed: the
agent asks instead.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from iotlm.agent.llm.backend import Model, ModelUnavailable
from iotlm.agent.llm.grammar import calls_for, grammar_for, parse_calls
from iotlm.agent.understand import Parser, normalise
from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.frame import Frame
from iotlm.agent.understand.learned import asked_way
from iotlm.agent.understand.result import ReadResult
from iotlm.agent.understand.text import has, option_words
from iotlm.device_drivers.model import Device, InvalidValue, describe_device
from iotlm.policies.model import Step
from iotlm.tools.device_tools import device_operations

log = logging.getLogger(__name__)

STATIC_PREFIX = """You control the devices of a home. For each request write the device calls that do what the person asks, \
separated by "; ". Use only the devices listed for that request. Write none when no listed device fits.

Request: turn the hall light off
Calls: hall.light.turn_off()
Request: it is far too dark in the study
Calls: study.lamp.turn_on()
Request: I'm freezing in the lounge
Calls: lounge.heater.set_target_temperature(22)
Request: we're leaving, shut the blinds in the den and switch off its fan
Calls: den.blinds.close(); den.fan.turn_off()
Request: order a pizza
Calls: none

"""


@dataclass
class PlanResult(ReadResult):
    confidence: float | None = None
    raw: str = ""
    error: str | None = None


class LLMPlanner:
    def __init__(self, model: Model, *, top_k: int = 8, min_confidence: float = 0.3, max_tokens: int = 64,
                 retriever: Callable[[str, list[Device]], list[Device]] | None = None,
                 examples: Callable[[str], list[tuple[str, list[dict[str, Any]]]]] | None = None) -> None:
        self.model = model
        self.retriever = retriever
        self.examples = examples
        self.top_k = top_k
        self.min_confidence = min_confidence
        self.max_tokens = max_tokens

    # ------------------------------------------------------------ retrieval (lexical; embeddings come with memory)

    def relevant(self, text: str, parser: Parser, room: str | None = None) -> list[Device]:
        """The devices the words point at, best first. ``room``: where the request comes from (a voice satellite's
        room), which bounds the candidates when the words name no room, as it does on the fast path."""
        frame = parser.read(text)
        if room and not frame.rooms and not frame.named:
            frame = dataclasses.replace(frame, rooms=[room.lower()])
        words = set(re.findall(r"[a-z]+", normalise(text)))
        scored = []
        for device in parser.devices.values():
            score = 0.0
            if device.id in frame.named:
                score += 5
            if (device.room or "").lower() in frame.rooms:
                score += 3
            if parser.index.device_kinds.get(device.id, set()) & set(frame.kinds):
                score += 3
            if frame.concept and parser.attribute_for(device, frame.concept, writable=True):
                score += 2
            tokens = set(re.findall(r"[a-z]+", " ".join([device.name, *device.aliases, device.room or "", device.type]).lower()))
            score += len(words & tokens) * 0.5
            if any(a.writable for a in device.attributes.values()):
                scored.append((score, device.id, device))
        scored.sort(key=lambda x: (-x[0], x[1]))
        # only what the words point at (a name, a kind, a room, what it does) may reach the model: it chooses among
        # these, it never finds a device of its own
        scored = [(s, i, d) for s, i, d in scored if _grounded(d, frame, parser)]
        if frame.act == "goal":  # "the bedroom feels damp": only what can change the humidity, never the light
            serving = lx.GOAL_KINDS.get(frame.goal or "", frozenset())
            scored = [(s, i, d) for s, i, d in scored if parser.index.device_kinds.get(d.id, set()) & serving]
        matched = [d for s, _, d in scored[: self.top_k] if s > 0]
        if self.retriever is not None and len(matched) < 4 and not frame.named:
            # the embedding memory: devices near in meaning, not only in words (only when the words name no device and
            # leave room for more: loading the embedder costs seconds on a first turn)
            try:
                near = self.retriever(text, [d for _, _, d in scored])
            except Exception:
                log.exception("device retrieval failed; using the words only")
                near = []
            matched += [d for d in near if d not in matched][: max(0, 4 - len(matched))]
        # a few more of those the words point at, but short: a small model plans better from a short list
        return matched + [d for s, _, d in scored if s <= 0][: max(0, 3 - len(matched))]

    def prompt(self, text: str, devices: list[Device]) -> str:
        """Static prefix, then this household's own solved examples, then the devices and the request."""
        lines = []
        for utterance, plan in (self.examples(text) if self.examples else []):
            calls = "; ".join(_call(s) for s in plan if s.get("device_id"))
            if calls:
                lines += [f"Request: {utterance}", f"Calls: {calls}"]
        lines.append(f"Devices for the next request: {'; '.join(_describe(d) for d in devices)}")
        return STATIC_PREFIX + "\n".join(lines) + f"\nRequest: {text.strip()}\nCalls:"

    # ------------------------------------------------------------ planning

    def plan(self, text: str, parser: Parser, room: str | None = None) -> PlanResult:
        devices = self.relevant(text, parser, room)
        if not devices:
            frame = parser.read(text)
            if frame.act == "goal" and frame.goal:
                where = f"in the {' or '.join(frame.rooms)}" if frame.rooms else "here"
                return PlanResult(clarify=f"Nothing {where} can change the {frame.goal}.")
            return PlanResult(clarify="I don't know which device you mean.")
        try:
            completion = self._complete(self.prompt(text, devices), devices)
        except ModelUnavailable as exc:
            return PlanResult(error=str(exc))
        raw = completion.text.strip()
        result = PlanResult(confidence=completion.confidence, raw=raw)
        try:
            calls = parse_calls(raw)
        except ValueError:
            result.clarify = "I'm not sure I understood. Could you say which device and what to change?"
            return result
        if not calls:
            result.clarify = "I'm not sure what you want me to do. Could you say which device and what to change?"
            return result
        by_id = {d.id: d for d in devices}
        frame = parser.read(text)
        for device_id, op_name, value in calls:
            device = by_id.get(device_id)
            op = next((o for o in device_operations(device) if o.operation == op_name), None) if device else None
            if device is None or op is None:
                log.warning("planner: dropped %s.%s, which is not among the candidates the words point at", device_id, op_name)
                result.clarify = "I'm not sure which device you mean."
                result.steps = []
                return result
            if not _grounded(device, frame, parser):
                unsure = completion.confidence is not None and completion.confidence < 0.5
                result.clarify = ("Sorry, I didn't understand that. Which device do you mean?" if unsure else
                                  f"Do you mean {describe_device(device, room='always')}? Please say it again naming the device.")
                result.steps = []
                return result
            try:
                step = op.step(device, {"value": _value(value)} if op.takes_value else {})
            except Exception:
                result.clarify = f"I couldn't work out the value for {describe_device(device, room='always')}."
                return result
            if op.writes and not said(step, device, frame):
                # the model chose a value nothing in the words says ("pink" for "the lights should go out"): asked
                result.clarify = (f"I'm not sure I understood. Did you mean: {step.describe()}? Please say it more "
                                  "directly.")
                result.steps = []
                return result
            wrong = wrong_way(step, device, text, frame, parser) if op.writes else None
            if wrong:  # "make a room darker" planned as brightness 90: never the other way than asked
                result.clarify = wrong
                result.steps = []
                return result
            if op.writes and not any(s.device_id == step.device_id and s.attribute == step.attribute for s in result.steps):
                result.steps.append(step)  # a second call on the same attribute contradicts the first: dropped
        if completion.confidence is not None and completion.confidence < self.min_confidence:
            described = "; ".join(s.describe() for s in result.steps)
            result.clarify = f"I'm not sure I understood. Did you mean: {described}? Please say it more directly."
            result.steps = []
        return result


    def _complete(self, prompt: str, devices: list[Device]) -> Any:
        """The local model walks the calls these devices allow (the model is asked only where there is a choice);
        another model (a server) generates under their grammar."""
        calls = calls_for(devices)
        walk = getattr(self.model, "complete_calls", None)
        if walk is not None and calls is not None:
            return walk(prompt, calls, max_tokens=self.max_tokens)
        return self.model.complete(prompt, grammar=grammar_for(devices), max_tokens=self.max_tokens)


def wrong_way(step: Step, device: Device, text: str, frame: Any, parser: Parser) -> str | None:
    """Why a planned value goes the other way than the words ask (None when it does not, or no way was asked)."""
    attribute = step.attribute or ""
    before = device.attributes[attribute].value if attribute in device.attributes else None
    if not isinstance(step.value, int | float) or not isinstance(before, int | float) or isinstance(before, bool):
        return None
    asked = asked_way(text, frame, parser.readers)
    way = asked[0] if asked else None
    goes = "up" if step.value > before else "down" if step.value < before else None
    if way is None or goes is None or goes == way:
        return None
    return (f"That would set {describe_device(device, room='always')}'s {attribute.replace('_', ' ')} to {step.value} "
            f"from {before}, {'up' if goes == 'up' else 'down'}, where you asked for {'more' if way == 'up' else 'less'}; "
            "say the level you want.")


def _call(step: dict[str, Any]) -> str:
    value = step.get("value")
    if step.get("attribute") == "state" or value is None:
        return f"{step['device_id']}.{step.get('operation')}()"
    shown = ",".join(map(str, value)) if isinstance(value, list) else value
    return f"{step['device_id']}.{step.get('operation')}({shown})"


def _describe(device: Device) -> str:
    ops = [o.operation + ("(value)" if o.takes_value else "()") for o in device_operations(device) if o.writes]
    where = f" in the {device.room}" if device.room else ""
    state = ", ".join(f"{k}={a.value}" for k, a in device.attributes.items() if a.value is not None and a.writable)
    return f"{device.id} = {device.name}{where} [{state}] can {', '.join(ops)}"


def _value(text: str | None) -> object:
    if text is None:
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        number = float(text)
        return int(number) if number.is_integer() else number
    if re.fullmatch(r"\d{1,3},\d{1,3},\d{1,3}", text):
        return [int(p) for p in text.split(",")]
    return text


def said(step: Step, device: Device, frame: Frame) -> bool:
    """Whether the words say the value the model chose: a state through a verb that means it ("off", "kill", "shut"),
    an option or a colour by its word, a number as said, or a change the way the words ask ("dim": lower)."""
    attr = device.attributes.get(step.attribute or "")
    value, text = step.value, frame.text
    if attr is None:
        return True
    if attr.kind == "options":
        word = str(value).lower()
        if frame.intent is not None and word in lx.STATE_TARGETS.get(frame.intent, ()):
            return True
        if any(has(text, w) for w in option_words(word)):
            return True
        # a verb the fast path does not know ("get the coffee going"): the model's reading of it, unless the words
        # say another operation or a value of their own
        generic = frame.intent is None or (frame.intent == "set" and frame.extreme is None)  # "make a coffee"
        return generic and frame.number is None and frame.word_value is None and step.attribute == "state"
    if attr.kind == "color":
        return frame.word_value is not None and list(lx.COLORS.get(frame.word_value, ())) == value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if frame.number is not None and (value == frame.number or frame.extreme is not None or frame.unit == "%"):
            return True  # as said (a percentage is scaled to the device's range)
        current = attr.value if isinstance(attr.value, int | float) else None
        if frame.intent in ("up", "down") and current is not None:
            return value > current if frame.intent == "up" else value < current
        return frame.extreme is not None
    return True


def _grounded(device: Device, frame: object, parser: Parser) -> bool:
    """Something in the words points at this device: its name, its kind, its room, or what it does."""
    f = frame  # a parser frame
    named = device.id in getattr(f, "named", [])
    rooms = getattr(f, "rooms", [])
    kinds = set(getattr(f, "kinds", []))
    concept = getattr(f, "concept", None)
    in_room = not rooms or (device.room or "").lower() in rooms
    words = set(re.findall(r"[a-z]+", getattr(f, "text", "")))
    distinctive = {w for n in [device.name, *device.aliases] for w in re.findall(r"[a-z]+", n.lower()) if len(w) >= 4} - _GENERIC_WORDS
    about = named or bool(words & distinctive) or bool(parser.index.device_kinds.get(device.id, set()) & kinds) or (
        concept is not None and parser.attribute_for(device, concept, writable=False) is not None)
    if not about and rooms and in_room:
        about = True  # "it's too dark in the study" -> a device in the study
    return in_room and about


_GENERIC_WORDS = {"light", "lights", "lamp", "sensor", "switch", "door", "smart", "main", "front", "back", "room"}


__all__ = ["STATIC_PREFIX", "InvalidValue", "LLMPlanner", "PlanResult", "wrong_way"]
