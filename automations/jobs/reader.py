"""Requests about later: "in 10 minutes turn off the kitchen light", "20 minutes after the dishwasher finishes, ...",
"start the washer so it finishes when the dishwasher does".

:class:`ScheduleReader` finds the time or event a request is anchored to and leaves the command words to the parser, so
a job acts on exactly the devices the words point at, as a request now would. The result is a job (a one-shot rule,
:class:`iotlm.automations.model.Rule` with ``kind: job``) or the reason nothing can be scheduled. Time arithmetic and
appliance programmes are structure: no model is asked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from iotlm.automations.describe import join
from iotlm.automations.jobs.align import Aligning
from iotlm.automations.jobs.anchors import Anchoring
from iotlm.automations.jobs.drafts import Anchor, Draft, Part, Unclear, problem
from iotlm.automations.model import DAYS, days
from iotlm.automations.timewords import (
    ANCHORED,
    CLOCK,
    COMMAND_VERB,
    NOW,
    SPAN,
    SUN,
    LocationMissing,
    by_time,
    readable,
    say_job,
    seconds_of,
    spoken,
)
from iotlm.device_drivers.clock import aware, clock_of, sun_time
from iotlm.device_drivers.model import describe_device

__all__ = ["CANCEL", "LIST", "Draft", "ScheduleReader", "say_job", "seconds_of", "sun_time"]

AFTER_PREVIOUS = r"after that|later|afterwards|after (?:the|my) (?:previous|last) (?:action|step|one|command|change)"
"""A step timed from the one before it: "6 minutes after that", "then 8 minutes later", "after the previous action"."""
REPEATING = re.compile(r"(?:^|,\s*|\s+)(?:every ?day|daily|each day|every (?:morning|evening|night)|"
                       r"(?:every|each) (?P<day>(?:mon|tues|wednes|thurs|fri|satur|sun)day|weekday|weekend)|"
                       r"(?:on )?(?P<days>weekdays|weekends|(?:mon|tues|wednes|thurs|fri|satur|sun)days))\b\s*,?")
"""A request that repeats ("every day at 7", "on weekdays at 7:30", "mondays at 8"): a rule, offered back as one."""
PAST = re.compile(rf"\b(?:{SPAN}\s+ago|yesterday)\b")
LIST = re.compile(r"^(?:what(?:'s| is| have you| did you)?|which|show(?: me)?|list|are there any|is there anything|any)\b.*"
                  r"\b(?:scheduled|schedules?|jobs?|timers?|plans?|planned|later)\b")
CANCEL = re.compile(r"^(?:please\s+)?(?:cancel|drop|delete|remove|forget|call off|unschedule|scrap|stop)\s+(?:the\s+|my\s+|that\s+|all\s+)?"
                    r"(?P<what>.*?)\s*(?:plan|job|schedule|timer|scheduled job|thing)s?\b|^(?:please\s+)?cancel\s+(?P<all>everything|all|it|that)\b")


class ScheduleReader(Anchoring, Aligning):
    """Reads requests about later against the home (devices via the parser) at the time ``now``."""

    def __init__(self, parser: Any, now: datetime, *, latitude: float | None = None, longitude: float | None = None,
                 plan: Callable[[str], Any] | None = None) -> None:
        self.parser = parser
        self.plan = plan
        """The model's reading of a step the words alone do not give ("make coffee"), with the planner's own checks
        (the device grounded in the words, no value they do not say): its steps go into the job, never run now."""
        self.now = aware(now)  # the zone's rules: "tomorrow at 7" stays 7 across summer time
        self.latitude = latitude
        self.longitude = longitude

    # ------------------------------------------------------------ entry

    def read(self, text: str, *, room: str | None = None, recent: list[str] | None = None, owner: str = "owner") -> Draft | None:
        """The draft job for ``text``, or None when it is not about later."""
        words = spoken(" ".join(text.lower().strip().rstrip(".!").split()))
        if "?" in words:
            return None
        try:
            return self._read(text, words, room, recent, owner)
        except LocationMissing as exc:
            return Draft(refusal=str(exc))
        except Unclear as exc:
            return Draft(clarify=str(exc))

    def _read(self, text: str, words: str, room: str | None, recent: list[str] | None, owner: str) -> Draft | None:
        if PAST.search(words) and re.search(rf"\b(?:in|at|after|tomorrow|today|{SPAN}\s+ago|yesterday)\b", words):
            return Draft(refusal="that time is already in the past; say a time still to come, e.g. \"in 10 minutes\" "
                                 "or \"at 7:30\"")
        words = self._agreed(words)
        repeating = REPEATING.search(words)
        if repeating:
            return self._repeating(text, words, repeating, room, recent, owner)
        aligned = self._aligned(words, room, recent, owner)
        if aligned is not None:
            return aligned
        event = self._event(words)
        if event is not None:
            anchor, rest = event
            if anchor.refusal:
                return Draft(refusal=anchor.refusal)
            parts = self._parts(rest, leading_now=False)
            if parts is None:
                return None
            if not parts:
                return Draft(clarify=f"say what to do {anchor.says}, and I'll do it then")
            now_parts = [p for p in parts if p.now]  # "start the washer now and pause it when the dryer finishes"
            parts = [p for p in parts if not p.now]
            done_now = self._put_back(now_parts, room, recent)
            if isinstance(done_now, Draft):
                return done_now
            if done_now[0]:  # "... now for 10 minutes" beside an event: two clocks in one job
                return Draft(refusal="say the part \"for N minutes\" and the part for the event as two requests")
            recent = done_now[1] or recent  # "it" is what the part for now is about
            for part in parts:
                if part.at is None:
                    continue
                if anchor.at is None:
                    return Draft(refusal="say either a time or an event for it, not both")
                if abs((part.at - anchor.at).total_seconds()) > 60:  # "at 15:30, 10 minutes before the dishwasher finishes"
                    return Draft(clarify=f"those two times disagree: {anchor.explains}, not {part.at:%H:%M}. Say which "
                                         "one to keep")
                part.at = None  # the same minute said twice
            if not parts:
                return Draft(clarify=f"say what to do {anchor.says}, and I'll do it then")
            draft = self._finish(text, anchor, parts, room, recent, owner)
            draft.now = [p.text for p in now_parts] if draft.job is not None else []
            return draft
        return self._timed(text, words, room, recent, owner)

    def _timed(self, text: str, words: str, room: str | None, recent: list[str] | None, owner: str) -> Draft | None:
        """A request with times ("in 10 minutes", "at 7:30"), or for now and then later."""
        parts = self._parts(words)
        if parts is None:
            return None
        if not any(p.at is not None or p.now for p in parts):  # "turn on the fan for 10 minutes": now, then put back
            for p in parts:
                p.now = p.revert is not None
        if not any(p.at is not None and not p.now for p in parts) and not any(p.revert for p in parts):
            return None  # nothing about later: a request (or a question) for now
        now_parts = [p for p in parts if p.now]
        parts = [p for p in parts if not p.now]
        put_back = self._put_back(now_parts, room, recent)
        if isinstance(put_back, Draft):
            return put_back
        parts += put_back[0]
        recent = put_back[1] or recent  # "turn on the light now and turn it off in 10 minutes": "it" is that light
        if not parts:
            return None
        bad = next((p for p in parts if p.at is not None and p.at <= self.now - timedelta(seconds=30)), None)
        if bad is not None:
            return Draft(refusal=f"{bad.at:%H:%M} today has already passed (it is {self.now:%H:%M} now); say a time "
                                 "still to come, or \"tomorrow at ...\"")
        first = min(p.at for p in parts if p.at is not None)
        for p in parts:
            p.offset = (p.at - first).total_seconds() if p.at is not None else p.offset
        anchor = Anchor("time", at=first, trigger={"due": first.isoformat()}, says=self._say_time(first))
        draft = self._finish(text, anchor, parts, room, recent, owner)
        draft.now = [p.text for p in now_parts] if draft.job is not None else []
        return draft

    def _put_back(self, now_parts: list[Part], room: str | None,
                  recent: list[str] | None) -> tuple[list[Part], list[str]] | Draft:
        """For each part done now "for 10 minutes": a part that puts back, then, what it changes (as it is now); and
        the devices the parts done now are about."""
        out, ids = [], []
        for part in now_parts:
            parse = self.parser.parse(part.text, room=room, recent=recent or [])
            trouble = problem(parse)
            if trouble is not None:
                return trouble
            ids += [s.device_id for c in parse.clauses for s in c.steps if s.device_id]
            if not part.revert:
                continue
            back = []
            for step in (s for c in parse.clauses for s in c.steps):
                device = self.parser.devices.get(step.device_id or "")
                attr = device.attributes.get(step.attribute or "") if device is not None else None
                if attr is not None and attr.value is not None and attr.value != step.value:
                    back.append({"device": step.device_id, "set": {step.attribute: attr.value}})
            if back:
                out.append(Part(f"put back: {part.text}", at=self.now + timedelta(seconds=part.revert), actions=back))
        return out, ids

    # ------------------------------------------------------------ time anchors and chains

    def _parts(self, words: str, *, leading_now: bool = True) -> list[Part] | None:
        """The request's commands with their times; None when a part's time cannot be read. ``leading_now``: commands
        before the first one with a time are for now ("turn on the light, then in 10 minutes turn it off")."""
        # "..., then ...", "... then ...", "... and N minutes after that ...": each a part with its own time
        splits = (r"\s*(?:;|,?\s+and then\s+|,?\s+then\s+|\.\s+|,?\s+(?:and\s+)?(?=(?:" + SPAN +
                  r")\s+(?:" + AFTER_PREVIOUS + r")\b[\s,]+\w)|,\s+(?:and\s+)?(?=(?:in\s+" + SPAN + r"|at\s+" + CLOCK +
                  r")\s*,?\s*" + COMMAND_VERB + r"))\s*")  # "..., in 10 minutes turn on ...": a step of its own
        pieces = [q for p in re.split(splits, words) if p and p not in ("then", "and", "and then") for q in by_time(p)]
        parts: list[Part] = []
        previous_at: datetime | None = None
        previous_offset = 0.0
        timed = leading_now and len(pieces) > 1 and any(ANCHORED.search(p) for p in pieces)
        wait = ""
        for piece in pieces:
            piece = re.sub(r"^then\s+", "", piece)
            waiting = re.fullmatch(rf"(?:and\s+)?(?:then\s+)?wait(?:\s+for)?\s+(?:another\s+)?({SPAN})", piece)
            if waiting:  # "when X finishes, wait 5 minutes, then ...": the next step is that much after
                wait = waiting.group(1)
                continue
            if wait:
                piece, wait = f"{wait} after that {piece}", ""
            if re.fullmatch(r"(?:put|turn|set|switch) (?:it|them|everything) back(?: again| on| off| as (?:it|they) (?:was|were))?|"
                            r"(?:and )?back again|restore (?:it|them)", piece):
                if parts and parts[-1].revert is None:  # "then put it back", with no "for" to say when
                    raise Unclear(f"say for how long, e.g. \"{parts[-1].text} for 10 minutes, then put it back\"")
                continue
            part = Part(piece)
            try:
                self._read_when(part, previous_at, previous_offset)
            except (LocationMissing, Unclear):
                raise
            except ValueError:
                return None
            if timed and part.at is None and not part.offset and not any(p.at is not None and not p.now for p in parts):
                part.now, part.at = True, self.now  # before the first part with a time: now
            if part.at is None and previous_at is not None and not any(p.now for p in parts[-1:]):
                part.at = previous_at  # no time of its own: with the part before it
            if part.at is None and not part.offset and parts:
                part.offset = previous_offset
            previous_at, previous_offset = part.at, part.offset
            parts.append(part)
        return parts

    def _read_when(self, part: Part, previous_at: datetime | None, previous_offset: float) -> None:
        text = part.text
        m = re.search(NOW, text)
        if m:
            part.now, part.at = True, self.now
            text = (text[:m.start()] + " " + text[m.end():]).strip(" ,")
        m = re.search(rf"(?:^|,\s*|\s+)(between|from)\s+({CLOCK})\s+(?:and|to|until|till)\s+({CLOCK})"
                      rf"(?!\s*(?:%|percent|per cent|degrees|°|[a-z]*\d))\s*,?\s*", text)
        if m and m.group(1) == "from" and not all(re.search(r":|[ap]\.?m", g) for g in m.group(2, 3)):
            m = None  # "dim it from 10 to 5" is a value; "from 6 pm to 11 pm" and "from 18:00 to 23:00" are times
        if m and part.at is None:  # "between ten and eleven": done at ten, put back at eleven
            start, end = self._moment(m.group(2), ""), self._moment(m.group(3), "")
            while end <= start:
                end += timedelta(hours=12 if not clock_of(m.group(3))[2] else 24)
            part.at, part.revert = start, (end - start).total_seconds()
            text = (text[:m.start()] + " " + text[m.end():]).strip(" ,")
        m = re.search(rf"(?:^|,\s*|\s+)(?:for|during)\s+(?:the next\s+)?({SPAN})"
                      rf"(?:\s*,?\s*(?:and\s+)?then\s+(?:put|turn|set) (?:it|them) back)?\s*(?=,|$)", text)
        if m:
            part.revert = seconds_of(m.group(1))
            text = (text[:m.start()] + text[m.end():]).strip(" ,")
        m = re.search(rf"(?:^|\s+)({SPAN})\s+(?:{AFTER_PREVIOUS})\b\s*,?\s*", text)
        if m:
            if previous_at is not None:
                part.at = previous_at + timedelta(seconds=seconds_of(m.group(1)))
            else:  # after an event: later than the part before it
                part.offset = previous_offset + seconds_of(m.group(1))
            text = (text[:m.start()] + " " + text[m.end():]).strip(" ,")
        m = re.search(rf"(?:^|\s+)in\s+({SPAN})(?:\s+from now|\s+time)?\s*,?\s*", text)
        if m and part.at is None:
            part.at = self.now + timedelta(seconds=seconds_of(m.group(1)))
            text = (text[:m.start()] + " " + text[m.end():]).strip(" ,")
        m = re.search(rf"(?:^|\s+)(?:(tomorrow|today|tonight)\s+)?at\s+({CLOCK}|sunset|sundown|dusk|sunrise|dawn)(?:\s+o'?clock)?"
                      rf"(?:\s+(tomorrow|today|tonight|this morning|this evening|this afternoon|tomorrow morning|tomorrow evening))?"
                      rf"(?!\s*(?:%|percent|per cent|degrees|°|[a-z]*\d))\s*,?\s*", text)
        if m and not _is_time(m, text):
            m = None
        if m and part.at is not None and not part.now:  # "in 10 minutes at 15:30": two times for one step
            clock = self._moment(m.group(2), m.group(1) or m.group(3) or "")
            if abs((clock - part.at).total_seconds()) > 60:
                raise Unclear(f"those two times disagree: {part.at:%H:%M} is not {clock:%H:%M}; say which one to keep")
            text = (text[:m.start()] + " " + text[m.end():]).strip(" ,")
        elif m and part.at is None:
            day_word = m.group(1) or m.group(3) or ""
            part.at = self._moment(m.group(2), day_word)
            text = (text[:m.start()] + " " + text[m.end():]).strip(" ,")
        elif part.at is None and re.search(r"\btomorrow morning\b", text):
            part.at = self._moment("7:00", "tomorrow")
            text = re.sub(r"\s*\btomorrow morning\b\s*,?", " ", text).strip(" ,")
        part.text = " ".join(text.split())

    def _repeating(self, text: str, words: str, m: re.Match[str], room: str | None, recent: list[str] | None,
                   owner: str) -> Draft | None:
        """"every day at 7 turn on the kitchen light": not a job but a rule (a time of day, on some days), offered back
        as one; nothing is saved until the person says yes."""
        said = m.group("days") or (m.group("day") + "s" if m.group("day") else "every day")
        on_days = days(said if said in ("weekdays", "weekends", "every day") else said[:3])
        rest = (words[:m.start()] + " " + words[m.end():]).strip(" ,")
        clock = re.search(rf"(?:^|\s+)at\s+({CLOCK})(?:\s+o'?clock)?\s*,?\s*", rest)
        if clock is None:
            if not re.search(rf"\b{COMMAND_VERB}", rest):
                return None  # "the bins go out every tuesday": not a request
            raise Unclear("say at what time it should happen, e.g. \"every day at 7:00 turn on the kitchen light\"")
        hour, minute, fixed = clock_of(clock.group(1))
        if not fixed and ":" not in clock.group(1) and 1 <= hour <= 12:  # a rule runs for good: ask, never guess
            raise Unclear(f"{hour} in the morning or in the evening? Say \"at {hour} am\" or \"at {hour} pm\"")
        at = f"{hour:02d}:{minute:02d}"
        commands = (rest[:clock.start()] + " " + rest[clock.end():]).strip(" ,")
        when = "every day" if len(on_days) == 7 else "on weekdays" if on_days == list(DAYS[:5]) else \
            "at weekends" if on_days == list(DAYS[5:]) else "on " + join([d.capitalize() for d in on_days], "and")
        anchor = Anchor("rule", trigger={"at": at, "days": on_days}, says=f"{when} at {at}")
        return self._finish(text, anchor, [Part(commands)], room, recent, owner)

    def _moment(self, said: str, day_word: str) -> datetime:
        tz = self.now.tzinfo
        if said in SUN:
            if self.latitude is None or self.longitude is None:
                raise LocationMissing
            for days in range(0 if day_word != "tomorrow" else 1, 3):
                day = (self.now + timedelta(days=days)).date()
                moment = sun_time(day, self.latitude, self.longitude, SUN[said], tz)
                if moment is not None and (moment > self.now or day_word in ("today", "tonight")):
                    return moment
            raise ValueError("no sunset")
        hour, minute, fixed = clock_of(said)
        if not fixed and (day_word in ("tonight", "this evening", "this afternoon", "tomorrow evening") and hour < 12):
            hour, fixed = hour + 12, True
        if not fixed and day_word in ("this morning", "tomorrow morning"):
            fixed = True
        base = self.now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if day_word.startswith("tomorrow"):
            return base + timedelta(days=1)
        if day_word in ("today", "tonight", "this morning", "this evening", "this afternoon"):
            return base  # a time today that has passed is refused, never moved to tomorrow
        if not fixed and base <= self.now and hour < 12 and base + timedelta(hours=12) > self.now:
            return base + timedelta(hours=12)  # "at 7" said at 15:00: this evening
        return base if base > self.now else base + timedelta(days=1)

    def _say_time(self, moment: datetime) -> str:
        delta = moment - self.now
        minutes = round(delta.total_seconds() / 60)
        day = "" if moment.date() == self.now.date() else "tomorrow " if moment.date() == self.now.date() + timedelta(days=1) \
            else f"{moment:%a %d %b} "
        ahead = f"in {minutes} min" if minutes < 120 else f"in {delta.total_seconds() / 3600:.1f} h"
        return f"{day}at {moment:%H:%M} ({ahead})"

    # ------------------------------------------------------------ putting the job together

    def _finish(self, text: str, anchor: Anchor, parts: list[Part], room: str | None, recent: list[str] | None,
                owner: str) -> Draft:
        actions: list[dict[str, Any]] = []
        says: list[tuple[float, str]] = []  # said back in the order they happen
        timeline = sorted(parts, key=lambda p: p.offset)
        previous = list(recent or [])
        seen: dict[tuple[str, str, float], Any] = {}
        for part in parts:
            if part.actions is not None:
                offset = part.offset + anchor.offset
                actions += [{**a, "after": offset} if offset else a for a in part.actions]
                names = join([describe_device(self.parser.devices[a["device"]]) for a in part.actions
                              if a["device"] in self.parser.devices], "and")
                says.append((part.offset, f"{_later_words(part, timeline)}put {names} back"))
                continue
            if not part.text:
                return Draft(clarify="say what to do then, e.g. \"in 10 minutes turn off the kitchen light\"")
            parse = self.parser.parse(part.text, room=room, recent=previous)
            trouble = problem(parse)
            if trouble is not None:
                return trouble
            steps = [s for c in parse.clauses for s in c.steps]
            planned = self.plan(part.text) if not steps and self.plan is not None else None
            if planned is not None and planned.clarify and not planned.steps:
                return Draft(clarify=f"About \"{part.text}\": {planned.clarify}")
            steps = steps or (list(planned.steps) if planned is not None else [])
            if not steps:
                return Draft(clarify=f"I couldn't tell what to do in \"{part.text}\"; name the device and what to change")
            offset = part.offset + anchor.offset
            for step in steps:
                key = (step.device_id or "", step.attribute or "", offset)
                if key in seen and seen[key] != step.value:
                    return Draft(refusal=f"that sets {step.device_id} {step.attribute} to both {seen[key]!r} and "
                                         f"{step.value!r} at the same moment; say which")
                seen[key] = step.value
                action: dict[str, Any] = {"device": step.device_id, "set": {step.attribute: step.value}}
                if offset:
                    action["after"] = offset
                if part.revert:
                    action["for"] = part.revert
                actions.append(action)
            said = " and ".join(s.describe() for s in steps)
            says.append((part.offset, f"{_later_words(part, timeline)}{said}"
                                      + (f" for {part.revert / 60:g} min, then put it back" if part.revert else "")))
            previous = [s.device_id for s in steps if s.device_id]
        return self._job(text, anchor, actions, "; ".join(said for _, said in sorted(says, key=lambda x: x[0])), owner)

    def _job(self, text: str, anchor: Anchor, actions: list[dict[str, Any]], plan: str, owner: str) -> Draft:
        first = actions[0]["device"].split(".")[-1]
        stamp = f"{self.now:%m%d%H%M%S}"
        # two jobs asked in the same second must not share an id (saving one would replace the other)
        stamp += f"-{uuid.uuid4().hex[:4]}"
        kind = "rule" if anchor.kind == "rule" else "job"
        job = {"id": f"{kind}-{re.sub(r'[^a-z0-9]+', '-', first.lower()).strip('-')[:40]}-{stamp}", "kind": kind,
               "text": text, "when": anchor.trigger, "do": actions, "owner": owner}
        says = f"{anchor.says[0].upper()}{anchor.says[1:]}, I'll {readable(plan, self.parser)}."
        if kind == "rule":  # a standing rule is offered, never saved unasked
            says = f"That repeats, so it would be a rule: {anchor.says}, {readable(plan, self.parser)}."
        return Draft(job=job, says=says, offer=kind == "rule")


_SETS_A_VALUE = re.compile(r"\b(?:set|put|dim|brighten|keep|adjust|change|raise|lower|turn\s+(?:[\w']+\s+){0,4}?(?:up|down))\b")


def _is_time(m: re.Match[str], text: str) -> bool:
    """"at 7:30", "at 7 pm", "at sunset", "tomorrow at 7", "make coffee at 3": a time. A bare number after "at" is a
    value only where the words before it set a value ("set the fan at 3", "dim it at 20", "keep it at 21")."""
    said = m.group(2)
    if not re.fullmatch(r"\d{1,2}", said.strip()):
        return True
    if m.group(1) or m.group(3) or "o'clock" in m.group(0) or "oclock" in m.group(0) or m.start() == 0:
        return True
    return int(said) <= 23 and not _SETS_A_VALUE.search(text[:m.start()])


def _later_words(part: Part, parts: list[Part]) -> str:
    if part is parts[0]:
        return ""
    gap = part.offset - parts[parts.index(part) - 1].offset
    return f"{gap / 60:g} min later, " if gap else "then "


