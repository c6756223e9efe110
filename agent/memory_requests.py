"""Requests about memory itself: "remember that ...", "when was the front door last unlocked?"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from iotlm.agent.reply import label
from iotlm.agent.understand import Parser, normalise
from iotlm.memory.store import MemoryStore

_REMEMBER = re.compile(r"^(?:please\s+)?(?:remember|note|keep in mind)\s+(?:that\s+)?(?P<what>.+)$", re.IGNORECASE)
_WHEN = re.compile(r"^when (?:was|were|did) (?:the )?(?P<what>.+?) (?:last )?(?:get |being )?(?P<state>unlocked|locked|opened|open|"
                   r"closed|shut|turned on|switched on|turned off|switched off|on|off)(?: last)?$")
_STATE = {"unlocked": "unlocked", "locked": "locked", "opened": "open", "open": "open", "closed": "closed", "shut": "closed",
          "turned on": "on", "switched on": "on", "on": "on", "turned off": "off", "switched off": "off", "off": "off"}
_PREFERENCE = re.compile(r"\b(like|prefer|want|love|hate|always|never|usually)\b", re.IGNORECASE)


def memo(text: str) -> tuple[str, str] | None:
    """("preference" | "fact", what) for "remember that ..."; None for anything else."""
    match = _REMEMBER.match(text.strip())
    if match is None:
        return None
    what = match.group("what").strip().rstrip(".")
    return ("preference" if _PREFERENCE.search(what) else "fact"), what


def when_question(text: str, parser: Parser, store: MemoryStore | None, room: str | None,
                  now: datetime) -> str | None:
    """An answer from the state history, or None when the sentence is not such a question."""
    match = _WHEN.match(normalise(text).rstrip("?"))
    if match is None:
        return None
    state = _STATE[match.group("state")]
    devices, refusal, clarify = parser.targets(parser.read(match.group("what")), room, [])
    if refusal or clarify:
        return refusal or clarify
    devices = [d for d in devices if state in [str(o) for o in (d.attributes["state"].options or [])]] if devices else []
    devices = [d for d in devices if "state" in d.attributes]
    if not devices or store is None:
        return "I don't know which device you mean." if not devices else "I have no history to answer from."
    answers = []
    for device in devices:
        name = label(device, device.id)
        when = store.last_change(device.id, "state", state)
        if when is None:
            answers.append(f"I have no record of {name} being {state}")
        else:
            answers.append(f"{name} was last {state} {_ago(when, now)}")
    return "; ".join(answers)


_HOW = re.compile(r"^(?:how (?P<adj>warm|cold|hot|chilly|humid|damp|dry) (?:was|were|did it get in|was it in|did) (?:the )?"
                  r"(?P<what>.+?)|what was the (?P<noun>temperature|humidity) (?:in|of|like in) (?:the )?(?P<what2>.+?))"
                  r" (?P<when>last night|overnight|yesterday|this morning|this afternoon|this evening|today|earlier today|"
                  r"(?:in|over|during) the (?:last|past) (?:(?P<n>\d+) )?(?P<unit>hours?|days?|week))(?: get)?$")
_ADJ = {"warm": "temperature", "cold": "temperature", "hot": "temperature", "chilly": "temperature",
        "humid": "humidity", "damp": "humidity", "dry": "humidity"}


def period(when: str, n: str | None, unit: str | None, now: datetime) -> tuple[datetime, datetime, str]:
    """(start, end, words) for "last night", "yesterday", "in the last 3 hours", ..."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if when in ("last night", "overnight"):
        # the night that ended this morning; before 07:00 it is the night still going on
        start = today - timedelta(hours=2) if now.hour >= 7 else today - timedelta(days=1, hours=2)
        end = min(now, start + timedelta(hours=9))
        return start, end, f"last night ({start:%H:%M}-{end:%H:%M})"
    if when == "yesterday":
        return today - timedelta(days=1), today, "yesterday"
    if when in ("today", "earlier today"):
        return today, now, "today"
    if when.startswith("this "):
        hours = {"this morning": (6, 12), "this afternoon": (12, 18), "this evening": (18, 23)}[when]
        return today + timedelta(hours=hours[0]), min(now, today + timedelta(hours=hours[1])), when
    count = int(n or 1)
    span = timedelta(hours=count) if unit and unit.startswith("hour") else timedelta(days=7 * count if unit == "week" else count)
    return now - span, now, when


def how_question(text: str, parser: Parser, store: MemoryStore | None, room: str | None,
                 now: datetime) -> str | None:
    """"how warm was the bedroom last night?": lowest, highest and time-weighted average from the state history."""
    match = _HOW.match(normalise(text).rstrip("?"))
    if match is None:
        return None
    concept = _ADJ[match.group("adj")] if match.group("adj") else str(match.group("noun"))
    what = match.group("what") or match.group("what2") or ""
    frame = parser.read(f"what is the {concept} in the {what}")
    if not frame.rooms and not frame.named and not frame.kinds:
        frame = parser.read(f"what is the {concept} of the {what}")
    frame.intent, frame.question = "query", True
    devices, refusal, clarify = parser.targets(frame, room, [])
    if refusal or clarify:
        return refusal or clarify
    readings = [(d, name) for d in devices if (name := parser.reading(d, concept)) is not None]
    if not readings:
        return f"Nothing there measures {concept}."
    if store is None:
        return "I have no history to answer from."
    start, end, words = period(match.group("when"), match.group("n"), match.group("unit"), now)
    answers = []
    for device, attribute in readings:
        summary = summarise(store, device.id, attribute, start.timestamp(), end.timestamp())
        unit = device.attributes[attribute].unit or ""
        name = label(device, device.id)
        if summary is None:
            answers.append(f"I have no readings of {name} for {words}")
            continue
        low, high, mean, count = summary
        answers.append(f"{name} read between {_num(low)} and {_num(high)}{unit} {words}, {_num(mean)}{unit} on average "
                       f"({count} reading{'s' if count != 1 else ''})")
    return "; ".join(answers) + "."


def summarise(store: MemoryStore, device_id: str, attribute: str, start: float, end: float) -> tuple[float, float, float, int] | None:
    """(lowest, highest, time-weighted mean, readings) over [start, end], counting the value already in force at start."""
    rows = sorted(store.history(device_id, attribute, since=start, until=end, limit=100_000), key=lambda r: r["time"])
    before = store.history(device_id, attribute, until=start, limit=1)
    points = [(start, before[0]["value"])] if before else []
    points += [(r["time"], r["value"]) for r in rows]
    points = [(t, float(v)) for t, v in points if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not points:
        return None
    values = [v for _, v in points]
    spans = [(points[i + 1][0] if i + 1 < len(points) else end) - t for i, (t, _) in enumerate(points)]
    total = sum(spans)
    mean = sum(v * w for v, w in zip(values, spans, strict=True)) / total if total > 0 else sum(values) / len(values)
    return min(values), max(values), mean, len(rows)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


_SUBJECT = re.compile(r"^(?:i|we|they|he|she|[a-z]+) (?:really |usually |always |do )?(?:like|likes|prefer|prefers|want|wants|love|loves)"
                      r" (?:it when |to have |having |to keep |keeping )?")
_WHEN_WORDS = re.compile(r"\b(?:at night|in the (?:morning|evening|afternoon)|during the day|when (?:i|we) (?:sleep|go to bed|wake up)|"
                         r"for sleeping|at bedtime|overnight|on weekdays|on weekends)\b")


def preference_steps(preference: str, parser: Parser) -> list[Any]:
    """The plan a stored preference describes ("I like the bedroom at 19 degrees at night" -> radiator to 19)."""
    text = _WHEN_WORDS.sub(" ", _SUBJECT.sub("", normalise(preference)))
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\b(?:at|on|around|about) (\d)", r"to \1", text)
    text = re.sub(r" (?:to be|be) ", " ", text)
    steps: list[Any] = []
    for clause in parser.parse(f"set {text}").clauses:
        if clause.refusal or clause.clarify or not clause.understood:
            return []
        steps += clause.steps
    return steps


def apply_preferences(text: str, memory: Any, parser: Parser, user: str, room: str | None,
                      threshold: float = 0.4) -> tuple[list[Any], str] | None:
    """Steps from the nearest stored preference of this user that is about the same room, and where it came from."""
    try:
        hits = memory.search(text, k=5, kind="preference")
    except Exception:  # retrieval is a help, never a reason to fail the turn
        return None
    rooms = set(parser.read(text).rooms) or ({room.lower()} if room else set())
    for hit in hits:
        if hit["score"] < threshold or hit.get("user") != user:
            continue
        steps = preference_steps(hit["text"], parser)
        if not steps:
            continue
        devices = [parser.devices.get(s.device_id or "") for s in steps]
        if rooms and not all(d is not None and (d.room or "").lower() in rooms for d in devices):
            continue  # a preference about another room
        said = datetime.fromtimestamp(hit["time"]).strftime("%d %B") if hit.get("time") else None
        return steps, f"As you told me{f' on {said}' if said else ''}: {hit['text']}."
    return None


def _ago(when: float, now: datetime) -> str:
    """When ``when`` (epoch seconds) was, as of ``now``: "today at 18:02 (40 minutes ago)"."""
    moment = datetime.fromtimestamp(when, now.tzinfo)
    seconds = now.timestamp() - when
    if seconds < 90:
        span = f"{int(seconds)} seconds ago"
    elif seconds < 5400:
        span = f"{int(seconds // 60)} minutes ago"
    elif seconds < 2 * 86400:
        span = f"{seconds / 3600:.0f} hours ago"
    else:
        span = f"{seconds / 86400:.0f} days ago"
    day = "today" if moment.date() == now.date() else moment.strftime("%A %d %B")
    return f"{day} at {moment:%H:%M} ({span})"


def from_memory(text: str, memory: Any, user: str, threshold: float = 0.45) -> str | None:
    """A question no device answers ("where are my keys?"), answered from what this person told iotlm to remember
    (their own facts and the shared ones); None when nothing they said is near enough."""
    try:
        hits = memory.search(text, k=3, kind="fact", visible_to=user)
    except Exception:  # retrieval is a help, never a reason to fail the turn
        return None
    best = next((h for h in hits if h["score"] >= threshold), None)
    if best is None:
        return None
    said = datetime.fromtimestamp(best["time"]).strftime("%d %B") if best.get("time") else None
    whose = "You told me" if best.get("user") == user else f"{best.get('user')} told me"
    return f"{whose}{f' on {said}' if said else ''}: {best['text']}."


__all__ = ["apply_preferences", "from_memory", "how_question", "memo", "period", "preference_steps", "summarise",
    "when_question"]
