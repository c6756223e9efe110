"""From a frame and a device to a step: which operation, and which value (absolute, relative, an option, a colour)."""

from __future__ import annotations

from collections.abc import Collection

from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.frame import Frame
from iotlm.agent.understand.index import HomeIndex
from iotlm.agent.understand.lexicon import Intent
from iotlm.agent.understand.text import has, option_words, tidy
from iotlm.device_drivers.model import Attribute, Device, Value, kelvin_to_mired
from iotlm.policies.model import Step
from iotlm.tools.device_tools import STATE_VERBS


def step_from_frame(frame: Frame, device: Device, home: HomeIndex, *, several: bool) -> Step | str | None:
    """The step that does what ``frame`` asks of ``device``; a refusal (str) when the device cannot; None when the
    frame asks nothing of it (``several``: one of several devices, where one that lacks the attribute is skipped)."""
    if frame.mute is not None:
        return _mute(device, frame.mute, home)
    intent = frame.intent
    has_value = frame.number is not None or frame.word_value is not None or frame.extreme is not None
    # "open the blinds to 40%" / "turn on the light at 30%" are set operations
    if intent in ("open", "close", "on") and has_value and (frame.unit == "%" or frame.number is not None):
        concept = frame.concept or home.concept_from_value(frame, [device])
        if concept and home.attribute_for(device, concept, writable=True):
            intent = "set"
    if intent in lx.STATE_TARGETS:
        return state_step(device, intent)
    concept = frame.concept or home.concept_from_value(frame, [device])
    if concept is None:
        return None
    name = home.attribute_for(device, concept, writable=True)
    if name is None:
        read_only = home.attribute_for(device, concept, writable=False)
        if read_only:
            return set_step(device, read_only, frame.number)
        if several:
            return None
        return set_step(device, concept, frame.number if frame.number is not None else frame.word_value)
    value = value_for(frame, intent, device.attributes[name], name)
    if value is None:
        return None
    return set_step(device, name, value)


def set_step(device: Device, name: str, value: Value) -> Step:
    """The step that sets ``device``'s attribute ``name`` to ``value`` (``set_<name>``)."""
    return Step(tool=f"{device.id}.set_{name}", device_id=device.id, operation=f"set_{name}", attribute=name, value=value)


def options_said(device: Device, text: str, *, own: bool, skip: Collection[str] = ()) -> set[tuple[str, str]]:
    """(attribute, option) for each option of ``device``'s settable option attributes (not ``state``, nor ``skip``)
    that ``text`` says: by the option's own name (``own``), or else by another word for it ("cooling" for cool)."""
    def words(option: str) -> list[str]:
        return option_words(option)[:1] if own else option_words(option)[1:]
    return {(name, option) for name, attr in device.attributes.items()
            if attr.writable and attr.options and name != "state" and name not in skip
            for option in attr.options if isinstance(option, str) and any(has(text, w) for w in words(option))}


def state_step(device: Device, intent: str) -> Step | str:
    """on/off, lock/unlock, open/close, play/pause...: the state option that fulfils ``intent``, or why none does."""
    state = device.attributes.get("state")
    targets = lx.STATE_TARGETS[intent]
    position = device.attributes.get("position")
    if intent in ("open", "close") and (state is None or not state.options) and position is not None and position.writable:
        # blinds that report only a position: open is all the way up, close all the way down
        end = tidy(position.max if position.max is not None else 100) if intent == "open" else tidy(position.min or 0)
        return set_step(device, "position", end)
    phase = device.attributes.get("operational_state")
    if intent in ("pause", "play") and phase is not None and (not state or "paused" not in (state.options or [])):
        # an appliance pauses and resumes its programme where it accepts that (Matter's Pause and Resume)
        if not phase.writable or "paused" not in (phase.options or []):
            return f"the {device.name} can't be paused or resumed; it can only be switched on or off"
        return set_step(device, "operational_state", "paused" if intent == "pause" else "running")
    mode = device.attributes.get("mode")
    modes = [str(o) for o in mode.options or []] if mode is not None and mode.writable else []
    if intent in ("on", "off") and (state is None or not state.options) and mode is not None and "off" in modes:
        # a thermostat or air conditioner with no on/off but its modes (Home Assistant's climate): off is its "off"
        # mode; on keeps the mode it runs in, or takes the first of its others
        running = [m for m in modes if m != "off"]
        return set_step(device, "mode", "off" if intent == "off" else str(mode.value) if str(mode.value) in running else running[0])
    if state is None or not state.options:
        return f"the {device.name} can't be {lx.DONE_WORDS.get(intent, intent)}"
    options = [str(o) for o in state.options]
    if intent in ("on", "off") and device.type == "valve" and {"open", "closed"} <= set(options):
        targets = lx.STATE_TARGETS["open" if intent == "on" else "close"]  # a valve turned on is opened
    if intent == "stop" and not set(targets) & set(options) and "paused" in options:
        # a robot vacuum has no "stopped": stopping it halts it where it is (paused); one at rest already is stopped
        resting = str(state.value) in lx.STATE_TARGETS["off"]
        targets = (str(state.value),) if resting else ("paused",)
    for target in targets:
        if target in options:
            op = STATE_VERBS.get(target, "set_state")
            return Step(tool=f"{device.id}.{op}", device_id=device.id, operation=op, attribute="state",
                        value=next(o for o in state.options if str(o) == target))
    return f"the {device.name} can't be {lx.DONE_WORDS.get(intent, intent)}; it can be: {', '.join(options)}"


def value_for(frame: Frame, intent: Intent | None, attr: Attribute, name: str) -> Value:
    """The value to set ``attr`` (called ``name``) to, or None when the frame gives none it can take."""
    if attr.kind == "options":
        return _option(frame, intent, attr)
    if attr.kind == "color":
        return list(lx.COLORS[frame.word_value]) if frame.word_value else None
    if attr.kind != "numeric":
        return None
    return _number(frame, intent, attr, name)


def _option(frame: Frame, intent: Intent | None, attr: Attribute) -> Value:
    options = attr.options or []
    # an option's own name beats another option's other word ("cool with the fan on high": cool, not fan only, whose
    # other word is "fan"); among own names, or among other words, the longest ("hdmi2", not the "tv" in its name)
    for own in (True, False):
        for option in sorted(options, key=lambda o: -len(str(o))):
            if isinstance(option, str):
                words = option_words(option)
                if any(has(frame.text, w) for w in (words[:1] if own else words[1:])):
                    return option
    if frame.word_value and frame.word_value in [str(o) for o in options]:
        return frame.word_value
    named = next((o for o in options if isinstance(o, str) and o.lower() == intent), None)
    if intent in ("up", "down") and named is not None:
        return named  # "raise the swing": the option called "up", not the next one in the list
    if intent in ("up", "down") and attr.value in options:
        by = int(frame.number) if frame.number is not None and frame.by and 0 < frame.number < len(options) else 1
        index = options.index(attr.value) + (by if intent == "up" else -by)
        picked: Value = options[max(0, min(len(options) - 1, index))]
        return picked
    if frame.extreme:
        extreme: Value = options[-1] if frame.extreme == "max" else options[0]
        return extreme
    return frame.word_value or (str(int(frame.number)) if frame.number is not None else None)


def _number(frame: Frame, intent: Intent | None, attr: Attribute, name: str) -> Value:
    low = attr.min if attr.min is not None else 0.0
    high = attr.max if attr.max is not None else 100.0
    if (frame.extreme and intent not in ("up", "down")) or (frame.extreme and frame.number is None):
        if frame.extreme == "min" and name == "brightness" and low <= 0:
            return tidy(attr.step or 1)  # the lowest brightness that keeps the light on, not off
        return tidy(high if frame.extreme == "max" else low)
    in_mired = (attr.unit or "").lower().startswith("mired")  # a plugin's device outside the canonical model's Kelvin
    if name.startswith("color_temp") and frame.word_value in lx.COLOR_TEMPS_K:
        kelvin = lx.COLOR_TEMPS_K[frame.word_value]
        return kelvin_to_mired(kelvin) if in_mired else kelvin
    number = frame.number
    if number is not None and frame.unit == "k" and in_mired:
        number = float(kelvin_to_mired(number))
    elif number is not None and frame.unit == "%" and (attr.unit or "") != "%" and (low, high) != (0.0, 100.0):
        number = low + number * (high - low) / 100.0
    if intent in ("up", "down"):
        return _relative(intent, number, attr, name, low, high)
    if number is None:
        return None
    fractional_step = attr.step is not None and not float(attr.step).is_integer()
    if fractional_step:
        return tidy(round(number / attr.step) * attr.step)  # type: ignore[operator]
    if frame.number is not None and not float(frame.number).is_integer() and frame.unit != "%":
        return tidy(number)  # the person said 21.5: keep it, the range check decides
    return tidy(round(number))


def _relative(intent: str, number: float | None, attr: Attribute, name: str, low: float, high: float) -> Value:
    current = attr.value
    if not isinstance(current, int | float) or isinstance(current, bool):
        return None
    if number is None:
        step = attr.step or (1.0 if (attr.unit or "").startswith("°") or name.endswith("temperature") else max(1.0, (high - low) / 10))
        result = current + step if intent == "up" else current - step
        return tidy(max(low, min(high, result)))  # "a bit brighter" stops at the end of the range
    return tidy(max(low, min(high, current + number if intent == "up" else current - number)))  # stops at the ends


def _mute(device: Device, mute: bool, home: HomeIndex) -> Step | str | None:
    """A device with its own mute is muted or unmuted; one without is muted by its volume at 0, and cannot be
    unmuted (its old volume is unknown), which is said."""
    muted = device.attributes.get("muted")
    if muted is not None and muted.writable:
        return set_step(device, "muted", mute)
    volume = home.attribute_for(device, "volume", writable=True)
    if volume is None:
        return None
    if mute:
        return Step(tool=f"{device.id}.set_volume", device_id=device.id, operation="set_volume", attribute=volume, value=0)
    return f"the {device.name} has no mute to undo; say the volume you want, e.g. \"set the volume to 30%\""


__all__ = ["options_said", "set_step", "state_step", "step_from_frame", "value_for"]
