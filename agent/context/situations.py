"""Situations: multi-room plans from what is going on ("I'm leaving", "good night", "I'm home", "movie time").

They are data (``situations.yaml`` beside this module; the user's ``$IOTLM_HOME/situations.yaml`` replaces or adds
situations; plugins register more with ``register_situations``). :class:`Situations` recognises one in a sentence
and turns it into steps over the live home, with conditions on the room readings. A person teaches a new one with
"remember that when I say X, do Y": the taught phrase then runs Y as if it had been said.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from iotlm.agent.context.conditions import RoomConditions
from iotlm.agent.context.goals import change_step
from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.index import HomeIndex
from iotlm.agent.understand.result import ReadResult
from iotlm.agent.understand.text import normalise
from iotlm.automations.describe import join
from iotlm.device_drivers.model import Device, describe_device, first_error
from iotlm.errors import SetupError
from iotlm.policies.model import Step

log = logging.getLogger(__name__)


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kinds: list[str]
    where: str | list[str] = "everywhere"
    only: dict[str, Any] = Field(default_factory=dict)
    when: dict[str, str] = Field(default_factory=dict)
    """{condition: "low" | "high"}: only in rooms whose reading is so."""
    set: list[dict[str, Any]]


class Situation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    say: list[str]
    reply: str = ""
    needs: list[str] = Field(default_factory=list)
    do: list[Action] = Field(default_factory=list)
    report: list[str] = Field(default_factory=list)
    run: str | None = None
    """A taught situation: the words to run instead (what "do Y" said)."""
    confirm_over: int | None = None
    """Ask first when it would change more than this many devices ("turn off everything" in a big home)."""


def load_file(path: Path | str, text: str | None = None) -> dict[str, Situation]:
    """Situations from a YAML file; a broken file is a :class:`SetupError` that names the situation and the field."""
    try:
        raw = yaml.safe_load(text if text is not None else Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SetupError(f"situations file {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise SetupError(f"situations file {path}: expected situations by name, e.g. \"leaving: {{say: [...], do: [...]}}\"")
    found = {}
    for name, body in raw.items():
        try:
            found[str(name)] = Situation.model_validate(body)
        except ValidationError as exc:
            where, what = first_error(exc)
            raise SetupError(f"situations file {path}: situation {name!r}, {where}: {what}") from exc
    return found


def builtin() -> dict[str, Situation]:
    text = resources.files("iotlm.agent.context").joinpath("situations.yaml").read_text(encoding="utf-8")
    return load_file("situations.yaml (built in)", text)


_TEACH_HEAD = r"^(?:please )?(?:remember(?: that)?|from now on|note that)?,? ?(?:when(?:ever)?|if) i say,? "
_TEACH = (
    # the phrase ends at a comma or its closing quote: "when I say movie night, dim the lounge lights"
    re.compile(_TEACH_HEAD + r"['\"]?(?P<say>[^'\",]+?)['\"]?,\s*(?:(?:you should|please|then|i want you to|i mean|it means|"
               r"that means) )?(?:(?:do|to) )?(?P<do>.+)$"),
    # or before a joining word: "when I say movie night I mean dim the lounge lights"
    re.compile(_TEACH_HEAD + r"['\"]?(?P<say>[^'\",]+?)['\"]? (?:you should|please|then|i want you to|i mean|it means|"
               r"that means|do) (?P<do>.+)$"),
)
_LEAD = re.compile(r"^(?:(?:ok|okay|well|so|alright|right|hey|hi|it|its|see you(?: later| soon)?|bye|goodbye|cheers)[ ,]+)+")
_IN_ROOM = re.compile(r",? in (?:the |my |our )?(?P<room>[a-z ]+)")
_TAIL = re.compile(r"(?: now| then| bye| everyone| all| guys| folks)+$")


def taught(text: str) -> tuple[str, str] | None:
    """(phrase, what to do) for "remember that when I say X, do Y"; None for anything else."""
    clean = normalise(text).rstrip(".!? ")
    for pattern in _TEACH:
        match = pattern.match(clean)
        if match is not None:
            return match.group("say").strip(), match.group("do").strip()
    return None


@dataclass
class SituationPlan(ReadResult):
    name: str
    notes: list[str] = field(default_factory=list)
    run: str | None = None
    ask: str | None = None
    """The question to put first: it would change more devices than the situation's ``confirm_over``."""


class Situations:
    def __init__(self, situations: dict[str, Situation]) -> None:
        self.situations = situations
        self._phrases = sorted(((normalise(p).strip(" .!?"), n) for n, s in situations.items() for p in s.say),
                               key=lambda x: -len(x[0]))
        self._taught: tuple[tuple[tuple[str, str], ...], Situations] | None = None

    def with_taught(self, pairs: list[tuple[str, str]]) -> Situations:
        """These situations and the phrases people taught; built again only when the taught phrases change (this
        runs on every request)."""
        if not pairs:
            return self
        key = tuple(pairs)
        if self._taught is None or self._taught[0] != key:
            extra = {f"when I say {say!r}": Situation(say=[say], run=do) for say, do in pairs}
            self._taught = (key, Situations({**self.situations, **extra}))
        return self._taught[1]

    def match(self, text: str, index: HomeIndex) -> tuple[str, str | None, str | None] | None:
        """(situation, room named or None, unknown place or None) when the whole sentence says a situation. A question
        ("movie time?") never is one: it asks, and a question never changes a device."""
        said = normalise(text)
        if "?" in said:
            return None
        clean = _TAIL.sub("", _LEAD.sub("", said.strip(" .!")).strip(" ,")).strip(" ,.!")
        for phrase, name in self._phrases:
            if clean == phrase:
                return name, None, None
            m = _IN_ROOM.fullmatch(clean[len(phrase):]) if clean.startswith(phrase) else None
            if m:
                place = m.group("room").strip()
                room = index.rooms.get(place)
                return (name, room, None) if room else (name, None, place)
        return None

    def plan(self, name: str, index: HomeIndex, conditions: RoomConditions, *, room: str | None, said_in: str | None,
             unknown_place: str | None = None) -> SituationPlan:
        situation = self.situations[name]
        label = name if not situation.run else f"\"{situation.say[0]}\""
        if situation.run:
            return SituationPlan(label, run=situation.run)
        if unknown_place:
            return SituationPlan(label, refusal=index.no_room(unknown_place))
        here = room or said_in
        if situation.needs:
            needed = [d for d in index.devices.values() if _is(index, d, situation.needs)]
            in_scope = [d for d in needed if here is None or (d.room or "").lower() == here]
            if not in_scope:
                what = join(sorted({lx.DEVICE_KINDS.get(k, (k,))[0].upper() if k == "tv" else k.replace("_", " ")
                                    for k in situation.needs}), "or")
                where = f"the {here}" if here and needed else "this home"
                return SituationPlan(label, refusal=f"there is no {what} in {where}, so I can't set up {name}")
            if here is None or (room is None and not any((d.room or "").lower() == said_in for d in needed)):
                here = (in_scope[0].room or "").lower()
        plan = SituationPlan(label)
        for action in situation.do:
            for device in self._devices(action, index, conditions, here, room):
                step = _first_fit(device, action.set)
                plan.steps += step
        changed = sorted({s.device_id for s in plan.steps if s.device_id})
        if situation.confirm_over is not None and len(changed) > situation.confirm_over:
            names = join([describe_device(index.devices[i], i, room="always") for i in changed], "and")
            plan.ask = f"That changes {len(changed)} devices: {names}. Shall I go ahead? (yes/no)"
        if "open_windows" in situation.report:
            plan.notes += _open_windows(conditions)
        if situation.reply:
            plan.notes.insert(0, situation.reply)
        if not plan.steps and len(plan.notes) <= 1:
            plan.notes.append("everything was already so; nothing needed changing")
        return plan

    def _devices(self, action: Action, index: HomeIndex, conditions: RoomConditions, here: str | None,
                 named: str | None = None) -> list[Device]:
        if action.where == "here":
            rooms = [here] if here else []
        elif action.where == "everywhere":
            rooms = None
        elif action.where == "named":  # the room the sentence names, else the whole home
            rooms = [named] if named else None
        else:
            rooms = [r.lower() for r in action.where]
        found = []
        for device in index.devices.values():
            room = (device.room or "").lower()
            if rooms is not None and room not in rooms:
                continue
            if not _is(index, device, action.kinds) or device.read_only:
                continue
            if any(str(device.attributes[a].value) != str(v) if a in device.attributes else True for a, v in action.only.items()):
                continue
            if action.when and not all(_judged(conditions, room, c, j) for c, j in action.when.items()):
                continue
            found.append(device)
        return found


def _is(index: HomeIndex, device: Device, kinds: list[str]) -> bool:
    return bool(index.device_kinds[device.id] & set(kinds)) or device.type in kinds


def _judged(conditions: RoomConditions, room: str, condition: str, judgement: str) -> bool:
    reading = conditions.read(room, condition)
    return reading is not None and reading.judgement == judgement


def _first_fit(device: Device, alternatives: list[dict[str, Any]]) -> list[Step]:
    """The steps of the first alternative the device can take whole; none when it is already so."""
    for alternative in alternatives:
        steps = []
        for attribute, value in alternative.items():
            attr = device.attributes.get(attribute)
            if attr is None or not attr.writable:
                break
            try:
                checked = attr.check(value)
            except ValueError:
                break
            if attr.value != checked:
                steps.append(change_step(device, attribute, checked))
        else:
            return steps
    return []


def _open_windows(conditions: RoomConditions) -> list[str]:
    found = [describe_device(d, d.id, room="always") for d in conditions.openings()]
    if not found:
        return []
    return [f"{join(found, 'and')} {'is' if len(found) == 1 else 'are'} open; close {'it' if len(found) == 1 else 'them'} yourself if you like"]


def load_situations(home: Path | None = None, pm: Any = None) -> Situations:
    """The built-in situations, the plugins', then the user's file (which wins)."""
    found = builtin()
    if pm is not None:
        for impl in pm.hook.register_situations.get_hookimpls():
            def register(name: str, data: dict[str, Any], origin: str = impl.plugin_name) -> None:
                try:
                    found[name] = Situation.model_validate(data)
                except ValidationError as exc:
                    where, what = first_error(exc)
                    log.warning("plugin %s: situation %r, %s: %s; skipped", origin, name, where, what)
            try:
                impl.function(register=register)
            except Exception:  # a plugin's bug must not stop the agent
                log.exception("plugin %s failed to register its situations", impl.plugin_name)
    if home is not None and (home / "situations.yaml").exists():
        found.update(load_file(home / "situations.yaml"))
    return Situations(found)


__all__ = ["Action", "Situation", "SituationPlan", "Situations", "builtin", "load_file", "load_situations", "taught"]
