"""The effect model, as data: which device capability moves which room condition, which way, and when.

An :class:`Effect` says that devices of some kinds move a condition up or down once they are in a working state
(on, open, in a mode), optionally with a setpoint beyond the room's reading (an AC cools only below it) or a level
that matters (a fan speed, a purifier's intensity, a light's brightness). :func:`working_steps` turns an effect and a
device's current values into the changes that make it work, or one notch more; none when it is already at its limit.

Plugins add effects for their own device types with the ``iotlm_effects`` hook.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any, Literal

from iotlm.agent.understand import lexicon as lx
from iotlm.device_drivers.model import Attribute, Device

log = logging.getLogger(__name__)
Direction = Literal["up", "down"]


@dataclass(frozen=True)
class Effect:
    condition: str
    """temperature, humidity, illuminance, pm (PM2.5 and PM10), co2, voc."""
    direction: Direction
    kinds: frozenset[str]
    """Device kinds (as :meth:`iotlm.agent.understand.index.HomeIndex.kinds_of` names them) or device types."""
    power: str | None = "on"
    """The state value it must be in to work ("on", "open"); None when it has no such state."""
    mode: tuple[str, ...] = ()
    """Modes it must be in, best first; a device without a mode attribute qualifies only if ``modeless``."""
    modeless: bool = True
    setpoint: bool = False
    """It works only with its setpoint beyond the room's reading, in the effect's direction."""
    level: tuple[str, ...] = ()
    """Attributes whose level sets its strength (fan speed, intensity, brightness, position), best first."""
    level_at: float = 0.6
    """The share of a level's range that "matters" when it is switched on."""
    daylight: bool = False
    """Works only in daylight (blinds and curtains let light in)."""
    rank: int = 1
    """Lower is tried first when several devices could serve."""
    note: str = ""
    """A side effect the reply mentions ("it also lets in the outdoor air")."""
    reverse: bool = False
    """It works by turning the device's output down (dimming a light, lowering a volume, closing blinds): a device that
    is off or shut has nothing to take away."""
    cues: tuple[str, ...] = ()
    """Words in the request that make this effect the one meant ("the sun is in my eyes": the blinds, not the lights)."""


_SUN = ("sun", "sunlight", "sunshine", "daylight", "glare", "outside")

DEFAULT_EFFECTS: tuple[Effect, ...] = (
    # an AC lowers the temperature only when on, in cool mode, with its setpoint below the room's temperature, fan above 0
    Effect("temperature", "down", frozenset({"air_conditioner"}), mode=("cool",), setpoint=True, level=("fan_speed",), level_at=0.5),
    Effect("temperature", "down", frozenset({"heater", "thermostat", "climate"}), mode=("cool",), modeless=False, setpoint=True,
           level=("fan_speed",), level_at=0.5),
    Effect("temperature", "down", frozenset({"fan"}), level=("speed", "fan_speed"), rank=3),
    # heaters, heat pumps and radiators raise it
    Effect("temperature", "up", frozenset({"heater", "thermostat", "climate"}), mode=("heat", "auto"), setpoint=True),
    # a heater that is heating stops when its setpoint is turned down below the room's temperature
    Effect("temperature", "down", frozenset({"heater", "thermostat", "climate"}), mode=("heat", "auto"), setpoint=True,
           reverse=True, rank=2),
    Effect("temperature", "up", frozenset({"air_conditioner"}), mode=("heat",), modeless=False, setpoint=True, rank=2),
    Effect("humidity", "up", frozenset({"humidifier"}), level=("intensity", "mist_level", "level"), level_at=0.6),
    Effect("humidity", "down", frozenset({"dehumidifier"}), level=("intensity", "level", "fan_speed"), level_at=0.6),
    Effect("humidity", "down", frozenset({"air_conditioner", "heater", "climate"}), mode=("dry",), modeless=False, rank=2),
    # purifiers lower particulates, more at a higher fan speed
    Effect("pm", "down", frozenset({"air_purifier"}), level=("fan_speed", "speed", "intensity", "mode"), level_at=0.75),
    Effect("voc", "down", frozenset({"air_purifier"}), level=("fan_speed", "speed", "intensity"), level_at=0.75, rank=2),
    # windows exchange air: less CO2, but the outdoor temperature and humidity come in
    Effect("co2", "down", frozenset({"window"}), power="open", level=("position",), level_at=0.5,
           note="it also lets in the outdoor air"),
    Effect("voc", "down", frozenset({"window"}), power="open", level=("position",), level_at=0.5,
           note="it also lets in the outdoor air"),
    # lights raise illuminance in proportion to their brightness; blinds and curtains let daylight in
    Effect("illuminance", "up", frozenset({"blinds", "curtain"}), power="open", level=("position",), level_at=1.0,
           daylight=True, rank=0, cues=_SUN),
    Effect("illuminance", "up", frozenset({"light"}), level=("brightness",), level_at=0.8),
    Effect("illuminance", "down", frozenset({"light"}), level=("brightness",), reverse=True),
    Effect("illuminance", "down", frozenset({"blinds", "curtain"}), power="open", level=("position",), daylight=True, rank=2,
           reverse=True, cues=_SUN),
    # a fan moves stale air about: it does not bring fresh air in, so it comes after a window and a purifier
    Effect("stale", "down", frozenset({"fan"}), level=("speed", "fan_speed"), rank=3,
           note="a fan moves the air about but brings no fresh air in; open a window if you can"),
    # media players: louder or quieter
    Effect("volume", "up", frozenset({"tv", "media_player"}), level=("volume",), level_at=0.5),
    Effect("volume", "down", frozenset({"tv", "media_player"}), level=("volume",), reverse=True),
)

AIR_GOALS = {"stuffy": ("co2", "voc", "stale"), "dusty": ("pm",), "smoky": ("pm", "voc")}


def load_effects(pm: Any = None) -> tuple[Effect, ...]:
    """The built-in effects and those plugins register (``register_effects``); a plugin's bad effect is skipped with
    a warning that names it."""
    if pm is None:
        return _installed()
    found = list(DEFAULT_EFFECTS)
    for impl in pm.hook.register_effects.get_hookimpls():
        def register(effect: Any, origin: str = impl.plugin_name) -> None:
            if not isinstance(effect, Effect) or effect.direction not in ("up", "down"):
                log.warning("plugin %s registered %r, which is not an Effect with direction up or down; skipped", origin, effect)
                return
            found.append(effect)
        try:
            impl.function(register=register)
        except Exception:  # a plugin's bug must not stop the agent
            log.exception("plugin %s failed to register its effects", impl.plugin_name)
    return tuple(found)


@functools.cache
def _installed() -> tuple[Effect, ...]:
    from iotlm.tools.plugins import plugin_manager

    return load_effects(plugin_manager())


def effects_for(effects: tuple[Effect, ...], condition: str, direction: Direction) -> list[Effect]:
    return sorted((e for e in effects if e.condition == condition and e.direction == direction), key=lambda e: e.rank)


def serves(effect: Effect, device: Device, kinds: set[str]) -> bool:
    """Whether ``device`` (of ``kinds``) is one the effect is about and can be put in its working state."""
    if not (effect.kinds & kinds or (not kinds and device.type in effect.kinds)) or device.read_only:
        return False
    if effect.mode:
        modes = _attr(device, ("mode",))
        if modes is None:
            return effect.modeless
        return any(m in [str(o) for o in modes[1].options or []] for m in effect.mode)
    return True


@dataclass
class Change:
    attribute: str
    value: Any


def working_steps(effect: Effect, device: Device, *, reading: float | None, band: tuple[float | None, float | None]
                  ) -> list[Change]:
    """The changes that make ``device`` move its condition the effect's way: switched on with a level that matters,
    or, when it already works, one notch more. Empty when it is already at its limit."""
    changes: list[Change] = []
    state = device.attributes.get("state")
    working = True
    if effect.power is not None and state is not None and state.writable:
        if effect.power in [str(o) for o in state.options or []] and str(state.value) != effect.power:
            if effect.reverse:
                return []  # a light that is off or a blind that is shut: nothing to take away
            changes.append(Change("state", effect.power))
            working = False
    if effect.mode:
        modes = _attr(device, ("mode",))
        if effect.reverse and (modes is None or str(modes[1].value) not in effect.mode):
            return []  # a heater that is not heating has no heat to take away
        if modes is not None and str(modes[1].value) not in effect.mode:
            wanted = next(m for m in effect.mode if m in [str(o) for o in modes[1].options or []])
            changes.append(Change(modes[0], wanted))
            working = False
    if effect.setpoint:
        setpoint = _attr(device, lx.ATTRIBUTES["temperature"][0], writable=True)  # the names a setpoint goes by
        if setpoint is not None:
            value = _setpoint(effect.direction, setpoint[1], reading, band, working)
            if value is not None:
                changes.append(Change(setpoint[0], value))
            elif working and len(changes) == 0 and not effect.level:
                return []
    if effect.level:
        level = _attr(device, effect.level, writable=True)
        stopped = level is not None and (level[1].value in (0, "off") or level[1].value is None)
        if level is not None and (not (effect.setpoint and working) or stopped):  # a working AC: its setpoint, not its fan
            value = _level(effect, level[1], fresh=not working or stopped)
            if value is not None:
                changes.append(Change(level[0], value))
    return changes


def _attr(device: Device, names: tuple[str, ...], *, writable: bool = False) -> tuple[str, Attribute] | None:
    for name in names:
        attr = device.attributes.get(name)
        if attr is not None and (attr.writable or not writable):
            return name, attr
    return None


def _setpoint(direction: Direction, attr: Attribute, reading: float | None, band: tuple[float | None, float | None],
              working: bool) -> float | None:
    """A setpoint a few degrees toward the comfort band (never an extreme); None when the current one already works
    and cannot go a notch further."""
    current = attr.value if isinstance(attr.value, int | float) and not isinstance(attr.value, bool) else None
    low, high = band
    base = reading if reading is not None else current
    if base is None:
        return None
    if direction == "down":
        if working and current is not None and reading is not None and current < reading:
            target = current - 2  # it already cools: a notch cooler, not past the comfort band's floor
            floor = min(low if low is not None else target, reading - 1)
            target = max(target, floor)
        else:
            target = max(low if low is not None else base - 3, min(base - 2, high if high is not None else base - 2))
            target = min(target, base - 1)
    else:
        if working and current is not None and reading is not None and current > reading:
            target = current + 2
            ceiling = max(high if high is not None else target, reading + 1)
            target = min(target, ceiling)
        else:
            target = min(high if high is not None else base + 3, max(base + 2, low if low is not None else base + 2))
            target = max(target, base + 1)
    step = attr.step or 0.5
    target = round(round(target / step) * step, 2)
    if attr.min is not None:
        target = max(target, attr.min)
    if attr.max is not None:
        target = min(target, attr.max)
    if current is not None and abs(target - current) < 1e-9:
        return None
    if current is not None and working and ((direction == "down" and target > current) or (direction == "up" and target < current)):
        return None
    return int(target) if float(target).is_integer() else target


def _level(effect: Effect, attr: Attribute, *, fresh: bool) -> Any:
    """A level that matters when switched on; one notch up (or down) when it already works; None at the limit."""
    down = effect.reverse
    if attr.options:
        options = [o for o in attr.options if str(o).lower() not in ("off", "auto", "sleep", "silent")]
        if not options:
            return None
        chosen = str(attr.value)
        index = next((i for i, o in enumerate(options) if str(o) == chosen), None)
        if fresh or index is None:
            want = options[min(len(options) - 1, round(effect.level_at * (len(options) - 1)))]
            return None if index is not None and options.index(want) <= index else want
        nxt = index - 1 if down else index + 1
        return options[nxt] if 0 <= nxt < len(options) else None
    low = attr.min if attr.min is not None else 0
    high = attr.max if attr.max is not None else 100
    current = attr.value if isinstance(attr.value, int | float) and not isinstance(attr.value, bool) else None
    span = high - low
    if down:
        if current is None or current <= low + span * 0.1:
            return None
        return _tidy(max(low + span * 0.1, current - span * 0.3), attr)
    if fresh:
        want = low + span * effect.level_at
        return None if current is not None and current >= want else _tidy(want, attr)
    if current is None or current >= high:
        return None
    return _tidy(min(high, current + span * 0.3), attr)


def _tidy(value: float, attr: Attribute) -> int | float:
    step = attr.step or 1
    value = round(round(value / step) * step, 2)
    return int(value) if float(value).is_integer() else value


def push(effects: tuple[Effect, ...], device: Device, kinds: set[str], change: dict[str, Any], condition: str) -> int:
    """Which way ``change`` (attribute -> new value) on ``device`` moves ``condition``, by the effect model: above 0
    up, below 0 down, 0 not at all. A device that starts or stops working counts, and a stronger or weaker level or
    setpoint while it works; a "reverse" effect (dimming, turning a heater down) works by taking output away."""
    conditions = set(AIR_GOALS.get(condition, (condition,)))
    before = {name: attr.value for name, attr in device.attributes.items()}
    after = {**before, **change}
    total = 0
    for effect in effects:
        if effect.condition not in conditions or not serves(effect, device, kinds):
            continue
        sign = 1 if effect.direction == "up" else -1
        was, now = _works(effect, device, before), _works(effect, device, after)
        if effect.reverse:  # it works by taking its output away: off, or less of it, is its way
            if was and not now:
                total += sign
            elif was and now:
                total -= sign * _output(effect, device, before, after)
        elif now and not was:
            total += sign
        elif was and not now:
            total -= sign
        elif was and now:
            total += sign * _output(effect, device, before, after)
    return total


def _works(effect: Effect, device: Device, values: dict[str, Any]) -> bool:
    """Whether the device, with these values, is in the effect's working state (power, mode, a level above 0)."""
    state = device.attributes.get("state")
    if effect.power is not None and state is not None and effect.power in [str(o) for o in state.options or []]:
        if str(values.get("state")) != effect.power:
            return False
    if effect.mode:
        modes = _attr(device, ("mode",))
        if modes is None:
            if not effect.modeless:
                return False
        elif str(values.get(modes[0])) not in effect.mode:
            return False
    level = _attr(device, effect.level) if effect.level else None
    if level is not None:
        value = values.get(level[0])
        if value in (0, "off", None):
            return False
    return True


def _output(effect: Effect, device: Device, before: dict[str, Any], after: dict[str, Any]) -> int:
    """1 when the device puts out more of what it makes with ``after`` than with ``before`` (a higher level; a
    setpoint further the way the device works: higher for a heater, lower for a cooler), -1 when less, 0 the same."""
    makes = effect.direction if not effect.reverse else ("down" if effect.direction == "up" else "up")
    names = [n for n in effect.level if n in device.attributes]
    if effect.setpoint:
        names += [n for n in lx.ATTRIBUTES["temperature"][0] if n in device.attributes and device.attributes[n].writable]
    for name in names:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        options = [str(o) for o in device.attributes[name].options or []]
        if options and str(old) in options and str(new) in options:
            old, new = options.index(str(old)), options.index(str(new))
        if not isinstance(old, int | float) or not isinstance(new, int | float):
            continue
        higher = new > old
        if effect.setpoint and name not in effect.level and makes == "down":
            higher = not higher  # a cooler works harder with a lower setpoint
        return 1 if higher else -1
    return 0


__all__ = ["AIR_GOALS", "DEFAULT_EFFECTS", "Change", "Direction", "Effect", "effects_for", "load_effects", "push",
    "serves", "working_steps"]
