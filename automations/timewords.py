"""Words for time in requests about later: spans ("an hour and a half"), clock times ("7:30 pm"), sunrise and sunset,
and saying a job back in plain words. Pure functions; :mod:`.schedule` reads the requests."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from iotlm.device_drivers.model import Device, describe_device
from iotlm.errors import UserError

NUMBER = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
          "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "a couple of": 2, "a few": 3}
NUM = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, NUMBER), key=len, reverse=True)) + r")"
UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)"
SPAN = rf"(?:half an hour|an hour and a half|{NUM}\s*{UNIT}(?:\s+and\s+{NUM}\s*{UNIT})?)"
CLOCK = r"(?:\d{1,2}(?:[:.]\d{2})?(?:\s*(?:am|pm|a\.m\.|p\.m\.))?|noon|midday|midnight)"
FINISH = (r"(?:finishes|finished|is finished|has finished|is done|has done|'s done|completes|is complete|ends|"
           r"has ended|stops|is over|does)")
SUN = {"sunset": "set", "sundown": "set", "dusk": "set", "sunrise": "rise", "dawn": "rise"}

# ---------------------------------------------------------------- times said in words, as digits

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_WORD_NUMBER = (r"(?:(?:twenty|thirty|forty|fifty)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|"
                r"(?:thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|eleven|twelve|ten|one|two|three|"
                r"four|five|six|seven|eight|nine))")
_HOUR = r"(?:1[0-2]|0?[1-9]|twelve|eleven|ten|one|two|three|four|five|six|seven|eight|nine)"
_MERIDIEM = r"(?:\s*(?P<ampm>am|pm|a\.m\.|p\.m\.))?"


def number_of(word: str) -> int:
    """"twenty five", "twenty-five", "seven", "12" -> the number (1-59)."""
    if word.isdigit():
        return int(word)
    parts = word.replace("-", " ").split()
    if parts[0] in _TENS:
        return _TENS[parts[0]] + (_UNITS.index(parts[1]) if len(parts) > 1 else 0)
    return _UNITS.index(parts[0])


def spoken(words: str) -> str:
    """Times said in words, written as digits, so one reader handles both. A grammar, not a list of sentences:
    a number of minutes or hours ("twenty five minutes" -> "25 minutes", "a quarter of an hour" -> "15 minutes",
    "three quarters of an hour" -> "45 minutes"); "N from now" -> "in N"; a clock time by the hour ("half past nine"
    -> "9:30", "quarter to eight" -> "7:45", "ten past six" -> "6:10", "twenty to 5" -> "4:40"); an hour in words
    after "at", "by", "until", "from", "between" or "and" ("at three pm" -> "at 3 pm", "at seven thirty" -> "at
    7:30", "between ten and eleven" -> "between 10 and 11"). Device names keep their words ("light two")."""
    out = re.sub(r"\b(?:a |one )?quarter of an hour\b", "15 minutes", words)
    out = re.sub(r"\bthree quarters of an hour\b", "45 minutes", out)
    out = re.sub(rf"\b({_WORD_NUMBER})(\s+)(?=(?:{UNIT})\b)", lambda m: f"{number_of(m.group(1))}{m.group(2)}", out)
    out = re.sub(rf"(?<!\bin )\b({SPAN})\s+from now\b", r"in \1", out)

    def by_the_hour(m: re.Match[str]) -> str:
        hour = number_of(m.group("hour"))
        said = m.group("min")
        minutes = 30 if said == "half" else 15 if said in ("quarter", "a quarter") else number_of(said)
        if m.group("dir") == "to":
            hour, minutes = (hour - 2) % 12 + 1, 60 - minutes
        return f"{hour}:{minutes:02d}" + (f" {m.group('ampm')}" if m.group("ampm") else "")
    out = re.sub(rf"\b(?P<min>half|a quarter|quarter|{_WORD_NUMBER}|[1-5]?\d)(?:\s+minutes?)?\s+(?P<dir>past|after|to|before)\s+"
                 rf"(?P<hour>{_HOUR})(?!\s*(?:minutes?|mins?|hours?|%|percent|degrees))\b{_MERIDIEM}", by_the_hour, out)

    def hour_words(m: re.Match[str]) -> str:
        hour = number_of(m.group("hour"))
        minutes = m.group("min")
        clock = f"{hour}:{number_of(minutes):02d}" if minutes else f"{hour}"
        return f"{m.group('lead')}{clock}" + (f" {m.group('ampm')}" if m.group("ampm") else "")
    out = re.sub(rf"(?P<lead>\b(?:at|by|until|till|from|between|and|to)\s+)"
                 rf"(?P<hour>twelve|eleven|ten|one|two|three|four|five|six|seven|eight|nine)"
                 rf"(?:\s+(?:oh\s+)?(?P<min>(?:twenty|thirty|forty|fifty)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|"
                 rf"ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen))?"
                 rf"(?=\s*(?:o'?clock|am\b|pm\b|a\.m\.|p\.m\.|,|$|\s+(?:today|tonight|tomorrow|this|in the|and|to|"
                 rf"turn|switch|set|start|stop|open|close|lock|unlock|dim|make|put|please|every|daily|on)\b))"
                 rf"{_MERIDIEM}", hour_words, out)
    return out


def seconds_of(span: str) -> float:
    """"10 minutes", "an hour and a half", "1 hour and 20 minutes" -> seconds."""
    span = span.strip()
    if span == "half an hour":
        return 1800.0
    if span == "an hour and a half":
        return 5400.0
    total = 0.0
    for number, unit in re.findall(rf"({NUM})\s*({UNIT})", span):
        value = NUMBER.get(number) or float(number)
        total += value * (3600 if unit.startswith("h") else 60 if unit.startswith("m") else 1)
    return total


class LocationMissing(UserError):
    def __init__(self) -> None:
        super().__init__("I don't know where the home is, so I can't tell when the sun sets or rises; set [schedule] "
                         "latitude and longitude in config.toml")



def readable(plan: str, parser: Any) -> str:
    """Step descriptions ("kitchen.light.state = off") in the words of the devices' names."""
    devices = getattr(parser, "devices", {})

    def name(m: re.Match[str]) -> str:
        device = devices.get(m.group(1))
        label = describe_device(device) if device is not None else m.group(1)
        attribute, value = m.group(2), m.group(3).strip("'\"")
        if attribute == "state":
            return f"turn {label} {value}" if value in ("on", "off") else f"set {label} to {value}"
        if attribute == "operational_state" and value in ("paused", "running"):
            return f"{'pause' if value == 'paused' else 'resume'} {label}"
        return f"set {label} {attribute.replace('_', ' ')} to {value}"

    return re.sub(r"\b([a-z0-9_]+\.[a-z0-9_.]+?)\.([a-z_]+) = ('[^']*'|\S+)", name, plan)


def say_job(rule: Any, devices: dict[str, Device], now: datetime) -> str:
    """A saved job in plain words: when (its day too, when that is not today), and what."""
    t = rule.trigger
    if t.due is not None:
        due = t.due.astimezone(now.tzinfo) if now.tzinfo is not None else t.due
        when = f"at {due:%H:%M}" + (f" on {due:%a %d %b}" if due.date() != now.date() else "")
    elif t.device is not None:
        device = devices.get(t.device)
        name = describe_device(device) if device is not None else t.device
        if t.attribute == "operational_state":
            when = f"when {name} finishes"
        elif t.below is not None or t.above is not None:
            when = f"when {name} reads {'below ' + format(t.below, 'g') if t.below is not None else 'above ' + format(t.above, 'g')}"
        else:
            when = f"when {name} reports {t.attribute} {t.to}"
    else:
        when = f"at {t.at}"
    steps = []
    for action in rule.actions:
        device = devices.get(action.device)
        name = describe_device(device) if device is not None else action.device
        sets = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in action.set.items())
        later = f" {action.delay_s / 60:g} min later" if action.delay_s else ""
        back = f" for {action.revert_s / 60:g} min" if action.revert_s else ""
        steps.append(f"{name}: {sets}{later}{back}")
    return f"{when}: {'; '.join(steps)}"


NOW = re.compile(r"(?:^|\s+|,\s*)(?:right now|now|right away|straight away|immediately|at once)\b\s*,?")
ANCHORED = re.compile(rf"\b(?:in\s+{SPAN}|at\s+(?:{CLOCK}|sunset|sunrise|dusk|dawn)|tomorrow|{SPAN}\s+(?:after that|later))\b|{NOW.pattern}")


COMMAND_VERB = r"(?:turn|switch|set|dim|open|close|lock|unlock|start|stop|put|raise|lower|pause|resume|make)\b"
"""A verb that starts a command of its own ("... and in 8 minutes turn on AC 2")."""


def by_time(piece: str) -> list[str]:
    """"turn on the fan now and turn it off in 10 minutes", "in 3 minutes turn on AC 1 and in 8 minutes turn on AC 2":
    a part for each command with a time of its own (one without takes the time before it); "turn on the light and
    the fan in 10 minutes" stays one."""
    chunks = re.split(rf"\s+and\s+(?=(?:then\s+|in\s+{SPAN}\s*,?\s*|at\s+{CLOCK}\s*,?\s*)?{COMMAND_VERB})", piece)
    if len(chunks) < 2:
        return [piece]
    return chunks if any(ANCHORED.search(c) for c in chunks) else [piece]


__all__ = ["ANCHORED", "CLOCK", "COMMAND_VERB", "FINISH", "NOW", "NUM", "NUMBER", "SPAN", "SUN", "UNIT",
    "LocationMissing", "by_time", "number_of", "readable", "say_job", "seconds_of", "spoken"]
