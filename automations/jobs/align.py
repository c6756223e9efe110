"""Finishing together: "start the washer so it finishes when the dishwasher does", "so both finish together", "so it
finishes by 18:00". The start time (and, when the selected programme cannot finish in time, the longest programme
that can) comes from the remaining time and the programme durations the appliances report."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from iotlm.automations.describe import join
from iotlm.automations.jobs.drafts import Anchor, Draft, problem
from iotlm.automations.timewords import CLOCK, FINISH
from iotlm.device_drivers.model import Device, describe_device, duration_min


class Aligning:
    """The part of :class:`~iotlm.automations.jobs.reader.ScheduleReader` that times an appliance to finish."""

    parser: Any
    now: datetime

    # given by ScheduleReader
    def _moment(self, said: str, day_word: str) -> datetime:
        raise NotImplementedError

    def _device_called(self, words: str) -> Device | str:
        raise NotImplementedError

    def _say_time(self, moment: datetime) -> str:
        raise NotImplementedError

    def _job(self, text: str, anchor: Anchor, actions: list[dict[str, Any]], plan: str, owner: str) -> Draft:
        raise NotImplementedError

    def _aligned(self, words: str, room: str | None, recent: list[str] | None, owner: str) -> Draft | None:
        m = re.search(r"\s*,?\s*so (?:that )?(?:it|they|both|the two|the (?P<own>[\w\s'-]+?))(?:\s+both|\s+will)*"
                      r"(?:\s+finish(?:es)?|\s+(?:is|are|will be) done|'s done|'re done|'ll be done|\s+end(?:s)?|\s+complete(?:s)?)\s+"
                      r"(?P<how>together|at the same time(?: as (?:the\s+)?(?P<other>[\w\s'-]+?))?|when (?:the\s+)?(?P<other2>[\w\s'-]+?)"
                      rf"(?:\s+{FINISH})?|(?:by|at)\s+(?P<clock>{CLOCK}))\s*$", words)
        if m is None:
            return None
        command = words[:m.start()].strip(" ,")
        parse = self.parser.parse(command, room=room, recent=recent or [])
        trouble = problem(parse)
        if trouble is not None:
            return trouble
        steps = [s for c in parse.clauses for s in c.steps]
        starts = [s for s in steps if s.attribute == "state" and s.value == "on"]
        if not starts:
            return Draft(clarify="say which appliance to start, e.g. \"start the washer so it finishes when the dishwasher does\"")
        device = self.parser.devices.get(starts[0].device_id) if hasattr(self.parser, "devices") else None
        if device is None or "remaining_time" not in device.attributes:
            return Draft(refusal="only an appliance that runs a programme (a washer, dryer or dishwasher) can be timed to finish")
        name = describe_device(device)
        if m.group("clock"):
            try:
                end = self._moment(m.group("clock"), "")
            except ValueError:
                return Draft(refusal=f"{m.group('clock')!r} is not a time of day")
            target_says = f"by {end:%H:%M}"
        else:
            other_words = m.group("other") or m.group("other2")
            other = self._device_called(other_words) if other_words else self._running_other(device)
            if isinstance(other, str):
                return Draft(refusal=other)
            other_name = describe_device(other)
            phase = other.attributes.get("operational_state")
            left = other.attributes.get("remaining_time")
            if phase is None or left is None:
                return Draft(refusal=f"{other_name} does not report when it will finish")
            if phase.value not in ("running", "paused") or not isinstance(left.value, (int, float)):
                return Draft(refusal=f"{other_name} is not running (it is {phase.value}), so there is no finish to match")
            end = self.now + timedelta(minutes=float(left.value))
            target_says = f"when {other_name} does, at about {end:%H:%M}"
        window = (end - self.now).total_seconds() / 60
        programme = device.attributes.get("programme")
        chosen = programme.value if programme is not None else None
        duration = duration_min(device)
        if duration is None:
            return Draft(refusal=f"{name} does not report how long its programme takes")
        note = ""
        if duration > window:
            options = [(duration_min(device, p), p) for p in (programme.options or [])] if programme is not None else []
            fitting = sorted((d, p) for d, p in options if d is not None and d <= window)
            if not fitting:
                durations = join([f"{p} {d:g} min" for d, p in sorted((d, p) for d, p in options if d is not None)] or
                                 [f"{duration:g} min"], "and")
                return Draft(refusal=f"{name} cannot finish {target_says}: that is {window:.0f} min away and its "
                                     f"programmes take {durations}")
            slow = duration
            duration, chosen = fitting[-1]
            note = f"the {chosen} programme ({duration:g} min; {programme.value if programme else 'its own'} takes {slow:g})"
        start = end - timedelta(minutes=duration)
        sets: dict[str, Any] = {}
        if programme is not None and chosen != programme.value:
            sets["programme"] = chosen
        sets["state"] = "on"
        start = max(start, self.now + timedelta(seconds=1))
        anchor = Anchor("align", at=start, trigger={"due": start.isoformat()}, says=self._say_time(start))
        plan = f"start {name}" + (f" on {note}" if note else f" ({duration:g} min)") + f" so it finishes {target_says}"
        return self._job(f"{words}", anchor, [{"device": device.id, "set": sets}], plan, owner)

    def _running_other(self, device: Device) -> Device | str:
        running: list[Device] = [d for d in self.parser.devices.values() if d.id != device.id and "operational_state" in d.attributes
                   and d.attributes["operational_state"].value in ("running", "paused")]
        if not running:
            return "nothing else is running, so there is no finish to match"
        if len(running) > 1:
            return f"which should it finish with: {join([describe_device(d) for d in running], 'or')}?"
        return running[0]


__all__ = ["Aligning"]
