"""Event anchors of requests about later: "after the dishwasher finishes", "10 minutes before the washer is done",
"when I get home", "when the bedroom is below 20 degrees", and one time said two ways ("at 15:10, which is 10 minutes
from now"), checked to agree."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from iotlm.automations.describe import join
from iotlm.automations.jobs.drafts import Anchor, Unclear
from iotlm.automations.timewords import CLOCK, FINISH, SPAN, seconds_of
from iotlm.device_drivers.model import Device, describe_device

__all__ = ["Anchoring"]


class Anchoring:
    """The part of :class:`~iotlm.automations.jobs.reader.ScheduleReader` that reads what a request waits for."""

    parser: Any
    now: datetime

    # given by ScheduleReader
    def _moment(self, said: str, day_word: str) -> datetime:
        raise NotImplementedError

    def _event(self, words: str) -> tuple[Anchor, str] | None:
        done = re.search(rf"(?:^|,\s*|\s+)(?:(?P<span>{SPAN})\s+)?(?P<rel>after|before|once|when|as soon as)\s+(?:the\s+|my\s+)?"
                         rf"(?P<dev>[\w\s'-]+?)\s+{FINISH}(?:\s+(?:its|the) (?:cycle|programme|program|run))?\s*(?:,\s*|$|\s+(?=\w))", words)
        left = re.search(rf"(?:^|,\s*|\s+)(?:when|once|as soon as)\s+(?:the\s+|my\s+)?(?P<dev>[\w\s'-]+?)\s+has\s+"
                         rf"(?:only\s+|just\s+)?(?P<span>{SPAN})\s+(?:left|to go|remaining)\b\s*,?\s*", words)
        if left:  # "when the washer has 10 minutes left": 10 minutes before it finishes
            rest = (words[:left.start()] + " " + words[left.end():]).strip(" ,")
            return self._before(left.group("dev"), seconds_of(left.group("span"))), rest
        if done:
            rest = (words[:done.start()] + " " + words[done.end():]).strip(" ,")
            if done.group("rel") == "before":
                if not done.group("span"):
                    raise Unclear(f"say how long before {done.group('dev')} finishes, e.g. \"10 minutes before\"")
                return self._before(done.group("dev"), seconds_of(done.group("span"))), rest
            return self._finishing(done.group("dev"), seconds_of(done.group("span") or "")), rest
        home = re.search(r"(?:^|,\s*|\s+)(?:when|once|as soon as)\s+(?:i|we)\s*(?:get|come|arrive|am|'m|are|'re)\s+(?:back\s+)?home\b\s*,?\s*", words)
        if home:
            rest = (words[:home.start()] + " " + words[home.end():]).strip(" ,")
            return self._arrival(), rest
        reading = re.search(r"(?:^|,\s*|\s+)(?:when|once|as soon as)\s+(?:it\s+)?(?:in\s+)?(?:the\s+)?(?P<room>[\w\s'-]+?)\s+"
                            r"(?:is|gets|drops|falls|goes|rises|climbs|reaches)\s+(?:to\s+)?(?P<dir>below|under|less than|above|over|"
                            r"more than|colder than|warmer than)\s+(?P<num>-?\d+(?:\.\d+)?)\s*(?:°\s*c|degrees(?: celsius)?|°|c\b)?"
                            r"(?:\s+in\s+the\s+(?P<room2>[\w\s'-]+?))?\s*(?:,\s*|$|\s+(?=\w))", words)
        if reading:
            rest = (words[:reading.start()] + " " + words[reading.end():]).strip(" ,")
            room_words = reading.group("room2") or reading.group("room")
            below = reading.group("dir") in ("below", "under", "less than", "colder than")
            return self._temperature(room_words, below, float(reading.group("num"))), rest
        return None

    def _device_called(self, words: str) -> Device | str:
        frame = self.parser.read(words)
        targets, refusal, clarify = self.parser.targets(frame, None, [])
        if refusal or clarify:
            return str(refusal or clarify)
        if not targets:
            return f"there is no device called \"{words}\" here"
        if len(targets) > 1:
            names = join([describe_device(d) for d in targets], "or")
            return f"which do you mean: {names}?"
        return targets[0]  # type: ignore[no-any-return]

    def _finishing(self, words: str, offset: float) -> Anchor:
        device = self._running(words)
        if isinstance(device, str):
            return Anchor("event", refusal=device)
        left = device.attributes.get("remaining_time")
        when = f" (in about {left.value:g} min)" if left is not None and isinstance(left.value, (int, float)) and left.value else ""
        after = f"{offset / 60:g} min after " if offset else "when "
        return Anchor("event", trigger={"device": device.id, "attribute": "operational_state", "to": "complete"},
                      says=f"{after}{describe_device(device)} finishes{when}", offset=offset)

    def _running(self, words: str) -> Device | str:
        """The appliance ``words`` names, running (or paused) so that it will finish, or why not."""
        device = self._device_called(words)
        if isinstance(device, str):
            return device
        name = describe_device(device)
        phase = device.attributes.get("operational_state")
        if phase is None:
            return f"{name} does not report when it finishes (it has no operational state)"
        if phase.value not in ("running", "paused"):
            return f"{name} is not running (it is {phase.value}), so it will not finish; start it first, or say a time"
        return device

    def _finishes_at(self, words: str) -> tuple[Device, datetime] | str:
        """The appliance ``words`` names and when it will finish by the minutes it reports left, or why not."""
        device = self._running(words)
        if isinstance(device, str):
            return device
        left = device.attributes.get("remaining_time")
        if left is None or not isinstance(left.value, int | float) or isinstance(left.value, bool):
            return f"{describe_device(device)} does not say how long it has left"
        return device, (self.now + timedelta(minutes=left.value)).replace(second=0, microsecond=0)

    def _before(self, words: str, seconds: float) -> Anchor:
        """"20 minutes before the dishwasher finishes": a time, from the minutes the appliance says it has left."""
        found = self._finishes_at(words)
        if isinstance(found, str):
            return Anchor("time", refusal=found)
        device, finish = found
        due = finish - timedelta(seconds=seconds)
        name = describe_device(device)
        if due <= self.now + timedelta(seconds=30):
            return Anchor("time", refusal=f"{name} finishes at {finish:%H:%M}, so {seconds / 60:g} minutes before is "
                                          f"{due:%H:%M}, which is not still to come")
        return Anchor("time", at=due, trigger={"due": due.isoformat()},
                      says=f"at {due:%H:%M}, {seconds / 60:g} min before {name} finishes at {finish:%H:%M} (if it runs "
                           "to time)",
                      explains=f"{name} finishes at {finish:%H:%M}, so {seconds / 60:g} minutes before is {due:%H:%M}")

    def _agreed(self, words: str) -> str:
        """"at 15:10, which is 10 minutes from now, ...": one time said two ways. When both say the same minute, the
        request without the second; when they disagree, nothing is done and the reply names both (:class:`Unclear`)."""
        m = re.search(rf"\bat\s+(?P<clock>{CLOCK})\s*,?\s*(?:which is|which's|that is|that's|i\.e\.)\s+(?P<other>[^,]+?)"
                      r"\s*(?:,\s*|$)", words)
        if m is None:
            return words
        clock = self._moment(m.group("clock"), "")
        other = m.group("other")
        ahead = re.fullmatch(rf"in\s+({SPAN})", other)
        finish = re.fullmatch(rf"({SPAN})\s+(before|after)\s+(?:the\s+|my\s+)?([\w\s'-]+?)\s+{FINISH}", other)
        if ahead:
            real = self.now + timedelta(seconds=seconds_of(ahead.group(1)))
            why = f"in {ahead.group(1)} is {real:%H:%M}, not {clock:%H:%M}"
        elif finish:
            found = self._finishes_at(finish.group(3))
            if isinstance(found, str):
                raise Unclear(found)
            device, end = found
            sign = -1 if finish.group(2) == "before" else 1
            real = end + sign * timedelta(seconds=seconds_of(finish.group(1)))
            why = (f"{describe_device(device)} finishes at {end:%H:%M}, so {finish.group(1)} {finish.group(2)} is "
                   f"{real:%H:%M}, not {clock:%H:%M}")
        else:
            raise Unclear(f"I can't tell what time \"{other}\" is; say one time, e.g. \"at {clock:%H:%M}\"")
        if abs((real - clock).total_seconds()) > 60:
            raise Unclear(f"those two times disagree: {why}. Say which one to keep")
        return (words[:m.end("clock")] + ", " + words[m.end():]).strip(" ,")

    def _arrival(self) -> Anchor:
        devices = list(self.parser.devices.values()) if hasattr(self.parser, "devices") else []
        for device in devices:
            for attribute in ("presence", "home"):
                if attribute in device.attributes:
                    return Anchor("event", trigger={"device": device.id, "attribute": attribute, "to": True},
                                  says=f"when {describe_device(device)} says you are home")
        for device in devices:
            if "contact" in device.attributes and re.search(r"\b(front|entrance|main)\b", f"{device.name} {device.id}"):
                return Anchor("event", trigger={"device": device.id, "attribute": "contact", "to": False},
                              says=f"when {describe_device(device)} opens")
        return Anchor("event", refusal="nothing here tells me when you get home (no presence sensor and no front door "
                                       "contact sensor)")

    def _temperature(self, words: str, below: bool, limit: float) -> Anchor:
        frame = self.parser.read(words)
        if not frame.rooms:
            return Anchor("event", refusal=f"there is no room called \"{words}\"")
        room = frame.rooms[0]
        readings = self.parser.room_readings(room, "temperature")
        if not readings:
            return Anchor("event", refusal=f"nothing in the {room} measures its temperature")
        device, attribute = readings[0]
        value = device.attributes[attribute].value
        side = "below" if below else "above"
        if isinstance(value, (int, float)) and (value < limit if below else value > limit):
            return Anchor("event", refusal=f"the {room} is already {value:g} °C, {side} {limit:g} °C")
        return Anchor("event", trigger={"device": device.id, "attribute": attribute, ("below" if below else "above"): limit},
                      says=f"when the {room} is {side} {limit:g} °C (now {value:g} °C)" if isinstance(value, (int, float))
                      else f"when the {room} is {side} {limit:g} °C")
