"""Requests about memory itself: "remember that ...", "when was the front door last unlocked?"."""

from __future__ import annotations

import re
import time
from datetime import datetime

from agent.parser import Parser, normalise
from agent.reply import label
from memory.store import MemoryStore

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


def when_question(text: str, parser: Parser, store: MemoryStore | None, room: str | None) -> str | None:
    """An answer from the state history, or None when the sentence is not such a question."""
    match = _WHEN.match(normalise(text).rstrip("?"))
    if match is None:
        return None
    state = _STATE[match.group("state")]
    devices, refusal, clarify = parser._targets(parser._frame(match.group("what")), room, [])
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
            answers.append(f"{name} was last {state} {_ago(when)}")
    return "; ".join(answers)


def _ago(when: float) -> str:
    moment = datetime.fromtimestamp(when)
    seconds = time.time() - when
    if seconds < 90:
        span = f"{int(seconds)} seconds ago"
    elif seconds < 5400:
        span = f"{int(seconds // 60)} minutes ago"
    elif seconds < 2 * 86400:
        span = f"{seconds / 3600:.0f} hours ago"
    else:
        span = f"{seconds / 86400:.0f} days ago"
    day = "today" if moment.date() == datetime.now().date() else moment.strftime("%A %d %B")
    return f"{day} at {moment:%H:%M} ({span})"
