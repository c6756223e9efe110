"""Two readings that must never act: a statement (what someone reports, wishes or imagines) and a request about later
whose time could not be read.

Both are rules of English grammar, not lists of sentences:

- **A statement reports the past or the unreal**: a past-tense action after its subject ("the kids *left* the light
  on", "I *turned* the heating off"), a past state ("the TV *was* loud"), a modal perfect or a wish ("I *should have*
  closed the blinds", "I *wish I had*"), a counterfactual ("*if* the door *were* unlocked"), or a past time word
  with a past verb ("*yesterday* the light *flickered*"). It is context: it may lead to a question, never to an
  action.
- **A time phrase is about later**: a span ("in a quarter of an hour"), a clock time ("at half past nine", "at
  three", "7 pm"), a part of the day or a day ("tonight", "tomorrow morning", "on Monday"), or an event ("when the
  shower is done", "after lunch"). When the schedule reader could not read it, the request is asked about
  ("when?"), never done now. "Before ..." is not one: doing it now meets it.
"""

from __future__ import annotations

import re

__all__ = ["is_statement", "unread_time"]

_NOUN = r"[a-z]+(?: (?!be\b|been\b|being\b|get\b|got\b|is\b|are\b)[a-z]+)?"
_SUBJECT = (rf"(?:i|we|you|he|she|they|someone|somebody|nobody|everyone|everybody|it|the {_NOUN}|my {_NOUN}|our [a-z]+|"
            r"his [a-z]+|her [a-z]+|their [a-z]+)")
_ADVERB = r"(?:(?:just|already|accidentally|never|also|probably|apparently|again|finally|somehow) )*"
_PAST_ACTIONS = (r"(?:turned|switched|left|opened|closed|locked|unlocked|dimmed|brightened|started|stopped|killed|forgot|"
                 r"changed|raised|lowered|moved|flipped|plugged|unplugged|pressed|pushed|pulled|heated|cooled|played|paused|"
                 r"muted|unmuted|activated|deactivated|enabled|disabled|cranked|drew|shut off|shut down)")
_STATEMENT = re.compile(
    rf"\b{_SUBJECT} {_ADVERB}{_PAST_ACTIONS}\b"
    r"|\b(?:should|would|could|might|must|ought to)(?:n't|nt| not)? have\b|\b(?:should|would|could|might|must)n?t?ve\b"
    r"|\bwish(?:ed)? (?:i|we|you|they|he|she|someone) (?:had|could|would|were|did)\b|\bif only\b"
    r"|\bif\b[^,]*\b(?:were|had)\b"
    r"|(?<!\bwe )(?<!\byou )(?<!\bthey )\b(?:was|were|had been|has been|have been)\b"
    r"|\b(?:yesterday|last (?:night|week|time|evening|weekend)|earlier|ago)\b.*\b[a-z]{3,}ed\b"
    r"|\b[a-z]{3,}ed\b.*\b(?:yesterday|last (?:night|week|time|evening|weekend)|earlier today|ago)\b")
_QUESTION = re.compile(r"\?\s*$|^(?:(?:please )?(?:can|could|would|will)\b|is|are|was|were|did|does|do|has|have|what|which|how|when|"
                       r"where|who|why)\b")
"""A question, or a request put as one ("can the lights be changed to green"): never a statement."""


def is_statement(text: str) -> bool:
    """Whether ``text`` reports what happened or wishes it had (see the module), rather than asking or requesting."""
    said = " ".join(text.lower().replace("\u2019", "'").split())
    if _QUESTION.search(said):
        return False
    return _STATEMENT.search(said) is not None


_NUMBER_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty)"
_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)"
_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekday|weekend)s?"
_TIME = re.compile(
    rf"\b(?:in|within|after|for)\s+(?:a|an|the next|half an?|a quarter of an?|three quarters of an?|a few|a couple of|"
    rf"\d+(?:\.\d+)?|{_NUMBER_WORD})(?:\s+(?:and\s+)?(?:a\s+)?(?:half|quarter))?\s+{_UNIT}\b"
    r"|\b(?:half|quarter)\s+(?:past|to|after)\b|\bo'?clock\b"
    r"|\b\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)"
    rf"|\b(?:at|around|about|by|until|till|from)\s+(?:noon|midday|midnight|dawn|dusk|sunset|sunrise|\d{{1,2}}[:.]\d{{2}}|"
    rf"{_NUMBER_WORD}(?:\s+{_NUMBER_WORD})?)\b"
    rf"|\b(?:tonight|tomorrow|this (?:morning|afternoon|evening)|in the (?:morning|afternoon|evening)|at night|later(?: on)?|"
    rf"soon|shortly|in a (?:little |short )?(?:bit|while|moment|minute|second|sec)|every ?day|daily|each (?:day|morning|evening|night)|"
    rf"(?:on |next |every )?{_DAY})\b"
    r"|\b(?:when|whenever|once|as soon as|by the time|until|till|after)\b")
_BARE_AT = re.compile(r"\bat\s+(\d{1,2})\b(?!\s*(?:percent|degrees?|kelvin|celsius|%|\.\d))")


def unread_time(text: str, *, bare_number_is_value: bool = False) -> str | None:
    """The first time phrase in ``text`` (see the module), or None. ``bare_number_is_value``: "at 3" names a value here
    (the reading already set something to 3), not three o'clock."""
    said = " ".join(text.lower().split())
    found = _TIME.search(said)
    if found is not None:
        return found.group(0)
    bare = _BARE_AT.search(said)
    if bare is not None and not bare_number_is_value and int(bare.group(1)) <= 24:
        return bare.group(0)
    return None
