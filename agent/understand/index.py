"""The home as the language side sees it: rooms, names, kinds, attributes and readings, over the live registry.

``HomeIndex`` answers the questions every part of understanding asks: which devices a frame points at
(:meth:`targets`), which attribute of a device stands for a concept (:meth:`attribute_for`), and which reading
measures a concept, on a device or in a room (:meth:`reading`, :meth:`room_readings`).
"""

from __future__ import annotations

import re

from iotlm.agent.reply import repeated_names
from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.frame import Frame, read_frame
from iotlm.agent.understand.text import has, normalise
from iotlm.automations.describe import join
from iotlm.device_drivers.model import Attribute, Device, Value

Targets = tuple[list[Device], str | None, str | None]
"""(devices, refusal, clarify): the devices meant, or why none can be (refusal), or a question back (clarify)."""


class HomeIndex:
    """Built from the registry's devices; rebuild (cheap) when the devices change."""

    def __init__(self, devices: list[Device], floors: dict[str, str] | None = None) -> None:
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
            self.device_kinds[device.id] = self.kinds_of(device)
        self.repeated = repeated_names(devices)
        """Names (lower case) that more than one device has: replies add the room to them."""

    def refresh(self, states: dict[str, dict[str, Value]]) -> None:
        """Take the devices' latest reported values (the structure is unchanged)."""
        for device_id, values in states.items():
            device = self.devices.get(device_id)
            if device is not None:
                for name, value in values.items():
                    if name in device.attributes:
                        device.attributes[name].value = value

    def read(self, text: str) -> Frame:
        """The frame of a phrase as written (rooms, named devices, kinds, concept, value), without typo fixing."""
        return read_frame(normalise(text), self)

    def kinds_of(self, device: Device) -> set[str]:
        """The kinds of device it is ("light", "fan", ...): from its name and aliases, else its id, else its type."""
        if device.type in ("sensor", "binary_sensor"):
            return {"sensor"}
        for texts in ([device.name, *device.aliases], [device.id.rsplit(".", 1)[-1]]):
            rest = " | ".join(normalise(n) for n in texts)
            kinds = set()
            for phrase, kind in self.kind_phrases:
                if has(rest, phrase):
                    kinds.add(kind)
                    rest = re.sub(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", " ", rest)
            if kinds:
                return kinds
        return {k for k, types in lx.KIND_TYPES.items() if device.type in types}

    # ------------------------------------------------------------ attributes and readings

    def attribute_for(self, device: Device, concept: str, *, writable: bool) -> str | None:
        """The attribute of ``device`` that stands for ``concept`` (writable when it is to be set), or None."""
        names = lx.ATTRIBUTES.get(concept, ((concept,), ()))[0]
        for name in names:
            attr = device.attributes.get(name)
            if attr is not None and (attr.writable or not writable):
                return name
        if not writable and concept == "current_temperature":  # a thermostat that reports only its setpoint
            return next((n for n in lx.ATTRIBUTES["temperature"][0] if n in device.attributes), None)
        return None

    def reading(self, device: Device, concept: str) -> str | None:
        """The attribute by which ``device`` measures ``concept`` (a thermostat's current temperature, a sensor's
        humidity), or None. A setpoint is not a reading: the attribute is one the device reports, never one it is
        told."""
        names = (*lx.ATTRIBUTES.get(concept, ((concept,), ()))[0], concept, f"current_{concept}", f"local_{concept}")
        for name in dict.fromkeys(names):
            attr = device.attributes.get(name)
            if attr is not None and not attr.writable and attr.kind == "numeric":
                return name
        return None

    def room_readings(self, room: str, concept: str) -> list[tuple[Device, str]]:
        """Every (device, attribute) that measures ``concept`` in ``room``, a sensor's own reading first."""
        found = [(d, name) for d in self.devices.values() if (d.room or "").lower() == room.lower()
                 if (name := self.reading(d, concept)) is not None]
        return sorted(found, key=lambda x: x[0].type != "sensor")

    # ------------------------------------------------------------ which devices a frame points at

    def targets(self, frame: Frame, room: str | None, recent: list[str]) -> Targets:
        """The devices a clause's frame points at: by name, kind (in its rooms), "it" (the previous turn's devices),
        or the one device that has the concept it names. ``room`` is where the request comes from."""
        rooms = frame.rooms or ([room.lower()] if room and not frame.named else [])
        if frame.named:
            return self._by_name(frame, room)
        if frame.kinds:
            return self._by_kind(frame, rooms)
        if frame.pronoun and recent and not frame.rooms:
            return [self.devices[i] for i in recent if i in self.devices], None, None
        if frame.concept and not rooms:  # "turn up the volume": the one device that has it
            holders = [d for d in self.devices.values() if self.attribute_for(d, frame.concept, writable=frame.intent != "query")]
            if len(holders) == 1:
                return holders, None, None
        if rooms:
            return self._in_rooms(frame, rooms)
        return [], None, None

    def _by_name(self, frame: Frame, room: str | None) -> Targets:
        """Devices named in the clause. A room named beside them scopes them ("kitchen light 1"); a name that several
        rooms share, said without a room, is asked about, never guessed; a name the named room lacks is refused."""
        found = [self.devices[i] for i in frame.named]
        if frame.unknown_place and not frame.rooms:
            return [], self.no_room(frame.unknown_place), None
        if frame.rooms:
            in_room = [d for d in found if (d.room or "").lower() in frame.rooms]
            if not in_room and frame.concept:  # "the humidity in the kitchen", where the bedroom's sensor is "humidity"
                here = [d for d in self.devices.values() if (d.room or "").lower() in frame.rooms]
                having = self._having(frame, frame.concept, here) if here else None
                if having is not None and having[0]:
                    return having
            if not in_room:
                known = {r for r in self.rooms.values()}
                missing = next((r for r in frame.rooms if r in known), frame.rooms[0])
                return [], self.missing(found[0].name, [missing]), None
            twins = _risky_twins(in_room)
            if twins:
                return [], None, f"Which {twins[0].name} do you mean: {join([d.id for d in twins], 'or')}? More than one " \
                                 "device has that name."
            return in_room, None, None
        twins = _risky_twins(found)
        if twins:  # one name, several devices, one of them risky: never guessed, even in one room or "all of them"
            return [], None, f"Which {twins[0].name} do you mean: {join([d.id for d in twins], 'or')}? More than one device " \
                             "has that name."
        where = sorted({(d.room or "").lower() for d in found})
        if len(where) > 1 and not frame.plural:
            here = [d for d in found if room and (d.room or "").lower() == room.lower()]
            if here:  # said in a room that has one: that one
                return here, None, None
            names = sorted({d.name for d in found})
            return [], None, f"Which {_join_names(names)} do you mean: the one in the {join(where, 'or')}?"
        return found, None, None

    def _by_kind(self, frame: Frame, rooms: list[str]) -> Targets:
        wanted = set(frame.kinds)
        broad = {t for k in wanted & lx.BROAD_KINDS for t in lx.KIND_TYPES.get(k, ())}
        matches = [d for d in self.devices.values() if self.device_kinds[d.id] & wanted or d.type in broad]
        if frame.unknown_place:
            return [], self.no_room(frame.unknown_place), None
        if frame.soft_named and not rooms:
            matches = [d for d in matches if d.id in frame.soft_named] or matches
        # the word said names some of them better ("the lamp": the floor lamp, not the ceiling light)
        said = [p for p, k in self.kind_phrases if k in wanted and has(frame.text, p) and p not in lx.DEVICE_KINDS[k][:2]]
        if len(said) == 1:  # a word more particular than the kind's own ("lamp", where "light" says nothing more)
            closer = [d for d in matches if has(normalise(" ".join([d.name, *d.aliases])), said[0])]
            if 0 < len(closer) < len(matches) and (not rooms or any((d.room or "").lower() in rooms for d in closer)):
                matches = closer
        noun = lx.DEVICE_KINDS[frame.kinds[0]][0]
        if rooms:
            in_room = [d for d in matches if (d.room or "").lower() in rooms]
            if not in_room:
                if frame.rooms or not matches:
                    return [], self.missing(noun, frame.rooms or rooms), None
                in_room = matches  # the satellite's room has none: the home-wide match stands
            matches = in_room
        if not matches:
            return [], f"there is no {noun} in this home", None
        if len(matches) > 1 and not frame.plural and not frame.rooms and frame.concept:
            having = [d for d in matches if self.attribute_for(d, frame.concept, writable=frame.intent != "query")]
            if len(having) == 1:
                return having, None, None
        if len(matches) > 1 and not frame.plural and not frame.rooms:
            where = sorted({d.room or "?" for d in matches})
            if len(where) > 1:
                return [], None, f"Which {noun} do you mean: {join(where, 'or')}?"
        twins = _risky_twins(matches) if not frame.plural else []
        if twins:
            return [], None, f"Which {twins[0].name} do you mean: {join([d.id for d in twins], 'or')}? More than one device " \
                             "has that name."
        return matches, None, None

    def _in_rooms(self, frame: Frame, rooms: list[str]) -> Targets:
        in_room = [d for d in self.devices.values() if (d.room or "").lower() in rooms]
        concept = frame.concept or self.concept_from_value(frame, in_room)
        if concept:
            found = self._having(frame, concept, in_room)
            if found is not None:
                return found
        if frame.intent in ("on", "off"):
            lights = [d for d in in_room if "light" in self.device_kinds[d.id]]
            if lights:
                return lights, None, None
        if frame.intent in lx.STATE_TARGETS and frame.intent not in ("on", "off"):
            first = lx.STATE_TARGETS[frame.intent][0]
            able = [d for d in in_room if first in [str(o) for o in (d.attributes.get("state") or Attribute()).options or []]]
            if able:
                return able, None, None
        if frame.intent == "query" and in_room:
            return in_room, None, None
        return [], None, None

    def _having(self, frame: Frame, concept: str, in_room: list[Device]) -> Targets | None:
        having = [d for d in in_room if self.attribute_for(d, concept, writable=frame.intent != "query")]
        if concept in ("temperature", "current_temperature"):
            # "make the kitchen warmer" means the room's air, never the oven or the kettle
            air = [d for d in having if not self.device_kinds[d.id] & lx.APPLIANCES]
            having = air if air or frame.intent != "query" else having
        if having:
            return having, None, None
        related = lx.RELATED.get(concept)
        if related:  # "the fan speed in the kitchen": the kitchen fan's speed
            alt, kind = related
            fans = [d for d in in_room if kind in self.device_kinds[d.id] and self.attribute_for(d, alt, writable=True)]
            if fans:
                frame.concept = alt
                return fans, None, None
        if frame.rooms and in_room and frame.intent != "query":
            label = concept.replace("_", " ")
            has_names = ", ".join(sorted({d.name for d in in_room}))
            return [], f"nothing in the {frame.rooms[0]} can change the {label}; it has: {has_names}", None
        return None

    def area_to_clean(self, frame: Frame) -> list[str]:
        """The rooms a vacuum is asked to clean, taken out of ``frame.rooms``: for starting a vacuum, a room said is
        where to clean, not where the vacuum stands ("clean the kitchen with the roomba": Home Assistant's
        HassVacuumCleanArea). Only where the home has exactly one such vacuum and it is in none of those rooms (a
        room's own vacuum is still found by its room); [] and the frame unchanged otherwise. A clause whose operation
        was not read ("get the roomba to clean the kitchen") is not refused for the room either: another reader may
        read it."""
        if frame.intent not in ("start", None) or not frame.rooms or not (frame.named or "vacuum" in frame.kinds):
            return []
        said = [self.devices[i] for i in frame.named] or [d for d in self.devices.values() if "vacuum" in self.device_kinds[d.id]]
        if len(said) != 1 or said[0].type != "vacuum" or (said[0].room or "").lower() in frame.rooms:
            return []
        rooms, frame.rooms = frame.rooms, []
        return rooms

    def no_room(self, place: str) -> str:
        """Why ``place`` cannot be acted on or asked about: no room has that name; the rooms there are."""
        rooms_known = sorted({d.room for d in self.devices.values() if d.room})
        return f"there is no room called {place}; rooms: {', '.join(rooms_known)}"

    def missing(self, noun: str, rooms: list[str]) -> str:
        """Why there is no ``noun`` in the first of ``rooms``, naming what the room has."""
        room = rooms[0]
        has_names = sorted({d.name for d in self.devices.values() if (d.room or "").lower() == room})
        if not has_names:
            return f"there is no room called {room}"
        return f"the {room} has no {noun}; it has: {', '.join(has_names)}"

    def concept_from_value(self, frame: Frame, devices: list[Device]) -> str | None:
        """The attribute a clause means by its value alone ("to 30%" on a light: brightness; "to 21 degrees")."""
        if frame.word_value is not None:
            return "color"
        if frame.unit == "deg":
            # "tilt the blinds to 30 degrees": an angle, but only when a cover was named; "set the bedroom to 19
            # degrees" asks for a temperature, and a room without a thermostat says so
            if (frame.kinds or frame.named) and not any(self.attribute_for(d, "temperature", writable=True) for d in devices) and any(
                    self.attribute_for(d, "position", writable=True) for d in devices):
                return "position"
            return "temperature"
        if frame.unit == "k":
            return "color_temp"
        for device in devices:
            for name, attr in device.attributes.items():
                # an option that is the clause's own operation names no attribute ("turn off the living room")
                if attr.options and name != "state" and any(has(frame.text, str(o).lower().replace("_", " ")) for o in attr.options
                                                            if isinstance(o, str) and len(str(o)) > 2 and o != frame.intent):
                    return name
        if frame.unit == "%" or frame.number is not None or frame.intent in ("up", "down") or frame.extreme:
            return self._concept_of_kinds(devices)
        return None

    def _concept_of_kinds(self, devices: list[Device]) -> str | None:
        kinds = set().union(*(self.device_kinds[d.id] for d in devices)) if devices else set()
        types = {d.type for d in devices}
        if "light" in kinds:
            return "brightness"
        if types & {"media_player"} or kinds & {"tv", "media_player"}:
            return "volume"
        for kind, concept in (("cover", "position"), ("valve", "position"), ("climate", "temperature"), ("fan", "speed")):
            if kind in types:
                return concept
        if kinds & {"humidifier", "dehumidifier", "aromatherapy"}:
            return "intensity"
        return None


def _join_names(names: list[str]) -> str:
    return join(names, "or")


def _risky_twins(devices: list[Device]) -> list[Device]:
    """Devices that share a name or alias with another where one of them is risky (a second "front door" lock that
    appeared by discovery): such a name is asked about, never resolved by a guess."""
    if len(devices) < 2 or not any(d.risky or d.type == "lock" for d in devices):
        return []
    names: dict[str, list[Device]] = {}
    for device in devices:
        for phrase in {normalise(p) for p in (device.name, *device.aliases)}:
            names.setdefault(phrase, []).append(device)
    shared = [group for group in names.values() if len(group) > 1 and any(d.risky or d.type == "lock" for d in group)]
    return sorted({d.id: d for group in shared for d in group}.values(), key=lambda d: d.id)


__all__ = ["HomeIndex", "Targets"]
