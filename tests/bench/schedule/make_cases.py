"""The schedule bench's cases (``python tests/bench/schedule/make_cases.py`` writes ``cases.jsonl``).

Six groups of 20 or more: time anchors, event anchors and finishing together, each feasible (``TIME``, ``EVENT``,
``ALIGN``) and infeasible (``-X``). Every case starts at 15:00 on 2 Dec 2026 (local time) in ``home.json``, after
its ``setup`` (values the devices report), with ``events`` reported at given minutes. A feasible case lists what
must happen (``expect``: device, values, minute); an infeasible one expects nothing scheduled, nothing changed, and
a reply that says ``why`` (a word; or any of a list of words, as "the sauna light" is missing whether the reply
names the sauna or the light). Expected moments are worked out here from the home's programme durations, not by iotlm.

The rule for finishing together, as the README states it: keep the selected programme if it can finish in time,
else the longest programme that can; start it so that it ends with the other appliance (or at the time named).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
START = datetime(2026, 12, 2, 15, 0)

SWITCHABLE = [  # device id, words, state when the case starts ("on" or "off")
    ("kitchen.light", "the kitchen light", "off"), ("bedroom.light", "the bedroom light", "off"),
    ("bathroom.light", "the bathroom light", "off"), ("hallway.light", "the hallway light", "off"),
    ("office.desk_lamp", "the desk lamp", "off"), ("living_room.floor_lamp", "the floor lamp", "off"),
    ("bedroom.fan", "the bedroom fan", "off"), ("bathroom.fan", "the bathroom fan", "off"),
    ("living_room.ceiling_light", "the living room ceiling light", "on"), ("office.plug", "the office plug", "on"),
    ("kitchen.coffee_machine", "the coffee machine", "off"), ("living_room.tv", "the tv", "off"),
]
APPLIANCES = {
    "kitchen.dishwasher": ("the dishwasher", {"eco": 180, "normal": 120, "quick": 40}, "normal"),
    "bathroom.washer": ("the washer", {"cotton": 90, "synthetics": 60, "quick": 30}, "cotton"),
    "bathroom.dryer": ("the dryer", {"cotton": 120, "gentle": 80, "quick": 45}, "cotton"),
}
FINISHED = ["finishes", "is done", "is finished", "has finished", "completes"]
MISSING = ["the sauna light", "the jacuzzi", "the garden sprinkler", "the attic fan", "the pool pump", "the garage light"]


def flip(state: str) -> tuple[str, str]:
    """(verb words, new state) that change a device from ``state``."""
    return ("turn off", "off") if state == "on" else ("turn on", "on")


def clock_words(minutes: int, style: int) -> str:
    moment = START + timedelta(minutes=minutes)
    if style == 0:
        return f"{moment:%H:%M}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} pm" if moment.hour >= 12 else f"{hour}:{moment:%M} am"


def case(group: str, text: str, *, expect: list[dict[str, Any]] | None = None, why: str | list[str] = "", setup: dict[str, Any] | None = None,
         events: list[dict[str, Any]] | None = None, user: str = "owner", answer: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"group": group, "text": text}
    if setup:
        out["setup"] = setup
    if events:
        out["events"] = events
    if user != "owner":
        out["user"] = user
    if answer:
        out["answer"] = answer
    if group.endswith("-X"):
        out["why"] = why
    else:
        out["expect"] = expect or []
    return out


def running(device: str, minutes: int) -> dict[str, Any]:
    return {device: {"state": "on", "operational_state": "running", "remaining_time": minutes}}


def stopped(device: str) -> dict[str, Any]:
    return {device: {"state": "off", "operational_state": "stopped", "remaining_time": 0}}


def time_cases(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i, n in enumerate([2, 5, 7, 10, 13, 15, 20, 25]):
        device, words, state = SWITCHABLE[i % len(SWITCHABLE)]
        verb, new = flip(state)
        text = [f"in {n} minutes {verb} {words}", f"{verb} {words} in {n} minutes", f"in {n} mins, {verb} {words}"][i % 3]
        out.append(case("TIME", text, expect=[{"device": device, "set": {"state": new}, "at_min": n}]))
    for i, n in enumerate([12, 20, 35, 45, 50]):
        device, words, state = SWITCHABLE[(i + 4) % len(SWITCHABLE)]
        verb, new = flip(state)
        text = f"{verb} {words} at {clock_words(n, i % 2)}" if i % 2 else f"at {clock_words(n, 0)} {verb} {words}"
        out.append(case("TIME", text, expect=[{"device": device, "set": {"state": new}, "at_min": n}]))
    out.append(case("TIME", "in half an hour turn on the hallway light",
                    expect=[{"device": "hallway.light", "set": {"state": "on"}, "at_min": 30}]))
    out.append(case("TIME", "turn on the hallway light in 5 minutes, 8 minutes after that dim it to 20",
                    expect=[{"device": "hallway.light", "set": {"state": "on"}, "at_min": 5},
                            {"device": "hallway.light", "set": {"brightness": 20}, "at_min": 13}]))
    out.append(case("TIME", "in 3 minutes turn on the bedroom fan for 10 minutes, then put it back",
                    expect=[{"device": "bedroom.fan", "set": {"state": "on"}, "at_min": 3},
                            {"device": "bedroom.fan", "set": {"state": "off"}, "at_min": 13}]))
    out.append(case("TIME", "in 10 minutes turn on the kitchen light and the desk lamp",
                    expect=[{"device": "kitchen.light", "set": {"state": "on"}, "at_min": 10},
                            {"device": "office.desk_lamp", "set": {"state": "on"}, "at_min": 10}]))
    out.append(case("TIME", "in 4 minutes turn on the bathroom light, then 6 minutes later turn it off",
                    expect=[{"device": "bathroom.light", "set": {"state": "on"}, "at_min": 4},
                            {"device": "bathroom.light", "set": {"state": "off"}, "at_min": 10}]))
    out.append(case("TIME", "tomorrow at 7 open the bedroom curtains",
                    expect=[{"device": "bedroom.curtains", "set": {"state": "open"}, "at_min": 16 * 60}]))
    out.append(case("TIME", "in 15 minutes set the living room thermostat to 19",
                    expect=[{"device": "living_room.thermostat", "set": {"target_temperature": 19}, "at_min": 15}]))
    out.append(case("TIME", "in 6 minutes set the kitchen light to 40%",
                    expect=[{"device": "kitchen.light", "set": {"state": "on", "brightness": 40}, "at_min": 6}]))
    out.append(case("TIME", "in 5 minutes turn on the tv for 20 minutes",
                    expect=[{"device": "living_room.tv", "set": {"state": "on"}, "at_min": 5},
                            {"device": "living_room.tv", "set": {"state": "off"}, "at_min": 25}]))
    out.append(case("TIME", "turn on the kitchen light now and turn it off in 12 minutes",
                    expect=[{"device": "kitchen.light", "set": {"state": "on"}, "at_min": 0},
                            {"device": "kitchen.light", "set": {"state": "off"}, "at_min": 12}]))
    out.append(case("TIME", "turn on the bathroom fan for 15 minutes",
                    expect=[{"device": "bathroom.fan", "set": {"state": "on"}, "at_min": 0},
                            {"device": "bathroom.fan", "set": {"state": "off"}, "at_min": 15}]))
    out.append(case("TIME", "switch on the floor lamp, then in 20 minutes turn it off",
                    expect=[{"device": "living_room.floor_lamp", "set": {"state": "on"}, "at_min": 0},
                            {"device": "living_room.floor_lamp", "set": {"state": "off"}, "at_min": 20}]))
    out.append(case("TIME", "in 10 minutes lock the front door, then unlock it 5 minutes later", answer="yes",
                    setup={"hallway.front_door": {"state": "unlocked"}},
                    expect=[{"device": "hallway.front_door", "set": {"state": "locked"}, "at_min": 10},
                            {"device": "hallway.front_door", "set": {"state": "unlocked"}, "at_min": 15}]))
    return out


def time_infeasible(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i, hour in enumerate(["7 am", "9:30 am", "noon", "2 pm", "14:30"]):
        _, words, state = SWITCHABLE[i]
        verb, _ = flip(state)
        out.append(case("TIME-X", f"today at {hour} {verb} {words}", why="already passed"))
    for i, n in enumerate([5, 10, 30]):
        _, words, state = SWITCHABLE[i + 5]
        verb, _ = flip(state)
        out.append(case("TIME-X", f"{verb} {words} {n} minutes ago", why="in the past"))
    out.append(case("TIME-X", "yesterday at 9 turn on the kitchen light", why="in the past"))
    for i, missing in enumerate(MISSING):
        out.append(case("TIME-X", f"in {5 + i} minutes turn on {missing}", why=missing.split()[1:]))
    out.append(case("TIME-X", "in 10 minutes turn on the kitchen light and turn off the kitchen light", why="same moment"))
    out.append(case("TIME-X", "in 5 minutes turn on the bedroom fan and turn off the bedroom fan", why="same moment"))
    out.append(case("TIME-X", "in 10 minutes unlock the front door", user="guest", why="scheduled nothing"))
    out.append(case("TIME-X", "in 20 minutes open the garage door", user="guest", why="scheduled nothing"))
    out.append(case("TIME-X", "in 10 minutes unlock the front door", answer="no", why="scheduled nothing"))
    out.append(case("TIME-X", "in 15 minutes turn on the oven", answer="no", why="scheduled nothing"))
    return out


def event_cases(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i, (left, n) in enumerate([(15, 20), (25, 10), (30, 5), (12, 0), (20, 15), (35, 0), (18, 8), (22, 30)]):
        device, words, state = SWITCHABLE[i % len(SWITCHABLE)]
        verb, new = flip(state)
        done = FINISHED[i % len(FINISHED)]
        text = (f"{n} minutes after the dishwasher {done}, {verb} {words}" if n else
                [f"once the dishwasher {done}, {verb} {words}", f"when the dishwasher {done} {verb} {words}"][i % 2])
        out.append(case("EVENT", text, setup=running("kitchen.dishwasher", left),
                        expect=[{"device": device, "set": {"state": new}, "at_min": left + n}]))
    for (left, n) in [(20, 0), (30, 5), (45, 10), (25, 0)]:
        text = f"{n} minutes after the washer finishes, start the dryer" if n else "once the washer is done, start the dryer"
        out.append(case("EVENT", text, setup=running("bathroom.washer", left),
                        expect=[{"device": "bathroom.dryer", "set": {"state": "on"}, "at_min": left + n}]))
    for (limit, value, at) in [(21, 21.5, 6), (22, 22.4, 9), (20.5, 21, 4)]:
        out.append(case("EVENT", f"when the bedroom is above {limit:g} degrees turn on the bedroom fan",
                        events=[{"at_min": at, "device": "bedroom.climate", "report": {"temperature": value}}],
                        expect=[{"device": "bedroom.fan", "set": {"state": "on"}, "at_min": at}]))
    for (limit, value, at) in [(19, 18.5, 7), (18, 17.2, 12)]:
        out.append(case("EVENT", f"when it gets below {limit:g} degrees in the bedroom, set the bedroom radiator to 22",
                        events=[{"at_min": at, "device": "bedroom.climate", "report": {"temperature": value}}],
                        expect=[{"device": "bedroom.radiator", "set": {"target_temperature": 22}, "at_min": at}]))
    for at, device, words in [(7, "hallway.light", "the hallway light"), (12, "kitchen.light", "the kitchen light"),
                              (4, "living_room.floor_lamp", "the floor lamp")]:
        out.append(case("EVENT", f"when I get home turn on {words}",
                        events=[{"at_min": at, "device": "hallway.door_contact", "report": {"contact": False}}],
                        expect=[{"device": device, "set": {"state": "on"}, "at_min": at}]))
    return out


def event_infeasible(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i, appliance in enumerate(["washer", "dryer"]):
        for j, done in enumerate(FINISHED[:3]):
            _, words, state = SWITCHABLE[i * 3 + j]
            verb, _ = flip(state)
            out.append(case("EVENT-X", f"after the {appliance} {done}, {verb} {words}", why="not running"))
    out.append(case("EVENT-X", "after the dishwasher finishes turn on the kitchen light", setup=stopped("kitchen.dishwasher"),
                    why="not running"))
    out.append(case("EVENT-X", "once the dishwasher is done, start the dryer", setup=stopped("kitchen.dishwasher"), why="not running"))
    out.append(case("EVENT-X", "after the oven finishes turn on the kitchen light", why="does not report"))
    out.append(case("EVENT-X", "once the coffee machine is done, turn on the kitchen light", why="does not report"))
    for missing in MISSING[:3]:
        out.append(case("EVENT-X", f"after {missing} finishes, turn on the kitchen light", why=missing.split()[1:]))
    out.append(case("EVENT-X", "after the dishwasher finishes, turn on the sauna light", why="sauna"))
    out.append(case("EVENT-X", "when the bedroom is below 20 degrees turn on the bedroom fan", why="already 19.5"))
    out.append(case("EVENT-X", "when the kitchen is above 20 degrees turn on the bedroom fan", why="already 21.5"))
    out.append(case("EVENT-X", "when the bathroom is below 18 degrees turn on the bathroom fan", why="measures"))
    out.append(case("EVENT-X", "when the garage is above 25 degrees open the garage door", why="measures"))
    out.append(case("EVENT-X", "when the sauna is below 20 degrees turn on the kitchen light", why="sauna"))
    out.append(case("EVENT-X", "after the dishwasher finishes unlock the front door", user="guest", why="scheduled nothing"))
    out.append(case("EVENT-X", "once the dishwasher is done open the garage door", user="guest", why="scheduled nothing"))
    return out


def align_start(window: int, durations: dict[str, int], selected: str) -> tuple[int, str] | None:
    """(minute to start, programme) by the documented rule; None when no programme fits."""
    if durations[selected] <= window:
        return window - durations[selected], selected
    fitting = sorted((d, p) for p, d in durations.items() if d <= window)
    if not fitting:
        return None
    d, p = fitting[-1]
    return window - d, p


def aligned(group: str, text: str, device: str, window: int, setup: dict[str, Any] | None = None) -> dict[str, Any]:
    _, durations, selected = APPLIANCES[device]
    start, programme = align_start(window, durations, selected) or (0, "")
    values: dict[str, Any] = {"state": "on"} if programme == selected else {"programme": programme, "state": "on"}
    return case(group, text, setup=setup, expect=[{"device": device, "set": values, "at_min": start}])


def align_cases(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    phrasings = ["start the washer so it finishes when the dishwasher does", "start the washer so both finish together",
                 "start the washer so they finish at the same time", "start the washer so it finishes at the same time as the dishwasher"]
    for i, left in enumerate([40, 60, 95, 100, 120, 150]):
        out.append(aligned("ALIGN", phrasings[i % len(phrasings)], "bathroom.washer", left, running("kitchen.dishwasher", left)))
    for i, left in enumerate([50, 90, 125, 160]):
        text = ["start the dryer so it finishes when the dishwasher does", "start the dryer so both finish together"][i % 2]
        out.append(aligned("ALIGN", text, "bathroom.dryer", left, running("kitchen.dishwasher", left)))
    for left in [45, 130, 185, 200]:
        setup = {**stopped("kitchen.dishwasher"), **running("bathroom.washer", left)}
        out.append(aligned("ALIGN", "start the dishwasher so it finishes when the washer does", "kitchen.dishwasher", left, setup))
    for minutes in [100, 130, 150, 180]:
        moment = START + timedelta(minutes=minutes)
        out.append(aligned("ALIGN", f"start the washer so it finishes by {moment:%H:%M}", "bathroom.washer", minutes))
    for minutes in [125, 140]:
        moment = START + timedelta(minutes=minutes)
        out.append(aligned("ALIGN", f"start the dryer so it's done at {moment:%H:%M}", "bathroom.dryer", minutes))
    return out


def align_infeasible(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for left in (10, 20, 25):
        out.append(case("ALIGN-X", "start the washer so it finishes when the dishwasher does",
                        setup=running("kitchen.dishwasher", left), why="cannot finish"))
    for left in (15, 30, 40):
        out.append(case("ALIGN-X", "start the dryer so both finish together", setup=running("kitchen.dishwasher", left),
                        why="cannot finish"))
    for text in ("start the washer so it finishes when the dishwasher does", "start the dryer so both finish together",
                 "start the washer so they finish at the same time"):
        out.append(case("ALIGN-X", text, setup=stopped("kitchen.dishwasher"), why="no"))
    for minutes in (10, 20, 25):
        moment = START + timedelta(minutes=minutes)
        out.append(case("ALIGN-X", f"start the washer so it finishes by {moment:%H:%M}", why="cannot finish"))
    out.append(case("ALIGN-X", "start the dryer so it finishes when the oven does", why="does not report"))
    out.append(case("ALIGN-X", "start the washer so it finishes when the coffee machine does", why="does not report"))
    out.append(case("ALIGN-X", "start the washer so it finishes when the jacuzzi does", why="jacuzzi"))
    out.append(case("ALIGN-X", "turn on the kitchen light so it finishes when the dishwasher does", why="appliance"))
    out.append(case("ALIGN-X", "turn on the tv so it finishes when the dishwasher does", why="appliance"))
    out.append(case("ALIGN-X", "start the dishwasher so it finishes when the washer does", setup=stopped("kitchen.dishwasher"),
                    why="not running"))
    out.append(case("ALIGN-X", "start the dishwasher so both finish together", setup=stopped("kitchen.dishwasher"),
                    why="nothing else is running"))
    out.append(case("ALIGN-X", "start the dryer so it finishes by 15:30", why="cannot finish"))
    return out


# ---------------------------------------------------------------- Scheduling II (issue 30), written from its shapes

def at(minutes: int) -> str:
    return f"{START + timedelta(minutes=minutes):%H:%M}"


def on(device: str, minute: float, **values: Any) -> dict[str, Any]:
    return {"device": device, "set": values or {"state": "on"}, "at_min": minute}


def spoken_cases(rng: random.Random) -> list[dict[str, Any]]:
    """When said the way people say it: numbers in words, quarters and halves, "from now", an hour by its name."""
    said = [("in ten minutes", 10), ("in twenty five minutes", 25), ("in fifteen minutes", 15), ("in thirty five minutes", 35),
            ("in twelve minutes", 12), ("in forty minutes", 40), ("in a quarter of an hour", 15),
            ("in three quarters of an hour", 45), ("in an hour", 60), ("8 minutes from now", 8),
            ("fourteen minutes from now", 14), ("twenty two minutes from now", 22), ("at quarter past three", 15),
            ("at half past three", 30), ("at quarter to four", 45), ("at twenty past four", 80), ("at ten to five", 110),
            ("at five past four", 65), ("at four", 60), ("at five o'clock", 120), ("at six pm", 180),
            ("at seven tonight", 240), ("at 5:59 pm", 179), ("at 3:40 pm", 40), ("at four thirty", 90),
            ("at five fifteen", 135), ("at half past 4", 90), ("in one hour and ten minutes", 70)]
    out = []
    for i, (when, minute) in enumerate(said):
        device, words, state = SWITCHABLE[i % len(SWITCHABLE)]
        verb, new = flip(state)
        text = [f"{when} {verb} {words}", f"{verb} {words} {when}", f"{when}, {verb} {words} please"][i % 3]
        out.append(case("SPOKEN", text, expect=[on(device, minute, state=new)]))
    out.append(case("SPOKEN", "make coffee at four", expect=[on("kitchen.coffee_machine", 60)]))
    out.append(case("SPOKEN", "at half past three close the bedroom curtains", setup={"bedroom.curtains": {"state": "open", "position": 100}},
                    expect=[on("bedroom.curtains", 30, state="closed")]))
    return out


def chain_cases(rng: random.Random) -> list[dict[str, Any]]:
    """Several steps, each with its own anchor: "N minutes from now", "M minutes after that", "after the previous"."""
    out = [
        case("CHAIN", "in 2 minutes turn on the kitchen light, 6 minutes after the previous action turn on the bedroom light, "
                      "then 8 minutes later turn off the kitchen light",
             expect=[on("kitchen.light", 2), on("bedroom.light", 8), on("kitchen.light", 16, state="off")]),
        case("CHAIN", "turn on the desk lamp 3 minutes from now and turn on the floor lamp 7 minutes from now",
             expect=[on("office.desk_lamp", 3), on("living_room.floor_lamp", 7)]),
        case("CHAIN", "4 minutes from now open the bedroom curtains, 9 minutes from now turn on the bedroom fan",
             expect=[on("bedroom.curtains", 4, state="open"), on("bedroom.fan", 9)]),
        case("CHAIN", "in 5 minutes close the blinds, in 10 minutes turn on the tv, in 15 minutes turn off the ceiling light "
                      "and in 20 minutes turn on the floor lamp", setup={"living_room.blinds": {"state": "open", "position": 100}},
             expect=[on("living_room.blinds", 5, state="closed"), on("living_room.tv", 10),
                     on("living_room.ceiling_light", 15, state="off"), on("living_room.floor_lamp", 20)]),
        case("CHAIN", "in one minute turn on the hallway light, two minutes later turn on the kitchen light, then three minutes "
                      "after that turn off the hallway light",
             expect=[on("hallway.light", 1), on("kitchen.light", 3), on("hallway.light", 6, state="off")]),
        case("CHAIN", "turn on the bathroom light now, then 5 minutes later turn on the extractor fan",
             expect=[on("bathroom.light", 0), on("bathroom.fan", 5)]),
        case("CHAIN", f"at {at(10)} turn on the kitchen light and at {at(20)} turn it off",
             expect=[on("kitchen.light", 10), on("kitchen.light", 20, state="off")]),
        case("CHAIN", "turn on the bedroom fan in 3 minutes and turn it off 10 minutes after that",
             expect=[on("bedroom.fan", 3), on("bedroom.fan", 13, state="off")]),
        case("CHAIN", "in 6 minutes turn on the tv, and 4 minutes after the previous step set its volume to 35",
             expect=[on("living_room.tv", 6), on("living_room.tv", 10, volume=35)]),
        case("CHAIN", "twelve minutes from now turn on the hallway light and five minutes from now turn on the desk lamp",
             expect=[on("hallway.light", 12), on("office.desk_lamp", 5)]),
    ]
    pairs = [("the kitchen light", "kitchen.light", "the bathroom light", "bathroom.light"),
             ("the desk lamp", "office.desk_lamp", "the hallway light", "hallway.light"),
             ("the bedroom light", "bedroom.light", "the floor lamp", "living_room.floor_lamp"),
             ("the bathroom fan", "bathroom.fan", "the bedroom fan", "bedroom.fan"),
             ("the tv", "living_room.tv", "the coffee machine", "kitchen.coffee_machine")]
    for i, (a_words, a, b_words, b) in enumerate(pairs):
        first, gap, back = 2 + i, 3 + 2 * i, 4 + i
        out.append(case("CHAIN", f"in {first} minutes turn on {a_words}, {gap} minutes later turn on {b_words}, "
                                 f"and {back} minutes after that turn off {a_words}",
                        expect=[on(a, first), on(b, first + gap), on(a, first + gap + back, state="off")]))
        out.append(case("CHAIN", f"turn on {b_words} {first + 1} minutes from now, then turn on {a_words} {gap} minutes after "
                                 "the previous action",
                        expect=[on(b, first + 1), on(a, first + 1 + gap)]))
    return out


def before_cases(rng: random.Random) -> list[dict[str, Any]]:
    """Anchored to an appliance's end: "N minutes before X finishes", "when X finishes, wait N minutes, then"."""
    out = []
    for i, (left, n) in enumerate([(40, 10), (60, 20), (30, 5), (90, 45), (25, 15), (50, 30)]):
        device, words, state = SWITCHABLE[i % len(SWITCHABLE)]
        verb, new = flip(state)
        done = FINISHED[i % len(FINISHED)]
        text = [f"{n} minutes before the dishwasher {done}, {verb} {words}", f"{verb} {words} {n} minutes before the dishwasher {done}"][i % 2]
        out.append(case("BEFORE", text, setup=running("kitchen.dishwasher", left), expect=[on(device, left - n, state=new)]))
    for i, (left, n) in enumerate([(30, 5), (45, 10), (20, 2)]):
        device, words, state = SWITCHABLE[(i + 2) % len(SWITCHABLE)]
        verb, new = flip(state)
        out.append(case("BEFORE", f"when the washer finishes, wait {n} minutes, then {verb} {words}",
                        setup=running("bathroom.washer", left), expect=[on(device, left + n, state=new)]))
    out.append(case("BEFORE", "15 minutes before the dishwasher finishes, turn on the kitchen light and the desk lamp",
                    setup=running("kitchen.dishwasher", 40), expect=[on("kitchen.light", 25), on("office.desk_lamp", 25)]))
    out.append(case("BEFORE", "ten minutes before the dryer is done turn on the bathroom fan",
                    setup=running("bathroom.dryer", 35), expect=[on("bathroom.fan", 25)]))
    out.append(case("BEFORE", "a quarter of an hour before the washer finishes, turn on the hallway light",
                    setup=running("bathroom.washer", 50), expect=[on("hallway.light", 35)]))
    return out


def before_infeasible(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for left, n in [(10, 20), (5, 30), (25, 40)]:
        finish = at(left)
        out.append(case("BEFORE-X", f"{n} minutes before the dishwasher finishes, turn on the kitchen light",
                        setup=running("kitchen.dishwasher", left), why=finish))
    out.append(case("BEFORE-X", "10 minutes before the washer finishes, turn on the hallway light", why="not running"))
    out.append(case("BEFORE-X", "5 minutes before the oven finishes, turn on the kitchen light", why="does not report"))
    out.append(case("BEFORE-X", "10 minutes before the jacuzzi finishes, turn on the kitchen light", why="jacuzzi"))
    return out


def conflict_cases(rng: random.Random) -> list[dict[str, Any]]:
    """Two anchors for one step that agree are one time; that disagree, nothing is done and both are named."""
    out = []
    for i, n in enumerate([10, 25, 40]):
        device, words, state = SWITCHABLE[i]
        verb, new = flip(state)
        out.append(case("CONFLICT", f"at {at(n)}, which is {n} minutes from now, {verb} {words}", expect=[on(device, n, state=new)]))
    out.append(case("CONFLICT", f"at {at(30)}, 10 minutes before the dishwasher finishes, turn on the desk lamp",
                    setup=running("kitchen.dishwasher", 40), expect=[on("office.desk_lamp", 30)]))
    return out


def conflict_infeasible(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i, (said, real) in enumerate([(20, 10), (45, 15), (5, 30)]):
        _, words, state = SWITCHABLE[i + 3]
        verb, _ = flip(state)
        out.append(case("CONFLICT-X", f"at {at(said)}, which is {real} minutes from now, {verb} {words}", why=at(real)))
    for i, (said, left, n) in enumerate([(15, 60, 20), (50, 90, 10), (5, 30, 5)]):
        _, words, state = SWITCHABLE[i + 6]
        verb, _ = flip(state)
        out.append(case("CONFLICT-X", f"at {clock_words(said, i % 2)}, which is {n} minutes before the dishwasher finishes, "
                                      f"{verb} {words}", setup=running("kitchen.dishwasher", left), why=at(left - n)))
    out.append(case("CONFLICT-X", f"in 10 minutes at {at(30)} turn on the kitchen light", why=at(10)))
    return out


def names_cases(rng: random.Random) -> list[dict[str, Any]]:
    """Devices named with a number: the number is a name."""
    return [
        case("NAMES", "in 5 minutes turn on AC 1", expect=[on("living_room.ac_1", 5)]),
        case("NAMES", "turn on ac 2 in 12 minutes", expect=[on("bedroom.ac_2", 12)]),
        case("NAMES", f"at {at(30)} set AC 2 to 22 degrees", expect=[on("bedroom.ac_2", 30, target_temperature=22)]),
        case("NAMES", "10 minutes after the dryer finishes, turn AC 1 on, cooling, fan on high",
             setup={**running("bathroom.dryer", 20), "living_room.ac_1": {"mode": "heat"}},
             expect=[on("living_room.ac_1", 30, state="on", mode="cool", fan_speed="high")]),
        case("NAMES", "in 3 minutes turn on AC 1 and in 8 minutes turn on AC 2",
             expect=[on("living_room.ac_1", 3), on("bedroom.ac_2", 8)]),
        case("NAMES", "in twenty minutes set AC 1 to heat", expect=[on("living_room.ac_1", 20, mode="heat")]),
    ]


def repeat_cases(rng: random.Random) -> list[dict[str, Any]]:
    """A request that repeats is a rule, offered back and added only on a yes (2 Dec 2026 is a Wednesday)."""
    return [
        case("REPEAT", "every day at 3:10 pm turn on the kitchen light", answer="yes", expect=[on("kitchen.light", 10)]),
        case("REPEAT", "on weekdays at 15:20 turn on the desk lamp", answer="yes", expect=[on("office.desk_lamp", 20)]),
        case("REPEAT", "wednesdays at 3:30 pm turn on the hallway light", answer="yes", expect=[on("hallway.light", 30)]),
        case("REPEAT", "every day at 15:15 turn off the office plug", answer="yes", expect=[on("office.plug", 15, state="off")]),
        case("REPEAT", "daily at twenty five past three pm turn on the bedroom fan", answer="yes", expect=[on("bedroom.fan", 25)]),
        case("REPEAT", "at 15:12 every day turn on the floor lamp", answer="yes", expect=[on("living_room.floor_lamp", 12)]),
        case("REPEAT", "mondays at 15:10 turn on the tv", answer="yes", expect=[]),
    ]


def repeat_infeasible(rng: random.Random) -> list[dict[str, Any]]:
    return [
        case("REPEAT-X", "every day at 3:10 pm turn on the kitchen light", answer="no", why="no rule"),
        case("REPEAT-X", "every day at 7 turn on the kitchen light", why="morning or in the evening"),
        case("REPEAT-X", "every day turn on the kitchen light", why="what time"),
        case("REPEAT-X", "on weekdays at 8 open the bedroom curtains", why="morning or in the evening"),
    ]


def pause_cases(rng: random.Random) -> list[dict[str, Any]]:
    """Pausing and resuming a programme where the appliance can (the washer and dishwasher here; the dryer cannot)."""
    both = {**running("bathroom.washer", 50), **running("kitchen.dishwasher", 20)}
    return [
        case("PAUSE", "pause the washer when the dishwasher finishes", setup=both,
             expect=[on("bathroom.washer", 20, operational_state="paused")]),
        case("PAUSE", "once the dishwasher is done, pause the washer", setup=both,
             expect=[on("bathroom.washer", 20, operational_state="paused")]),
        case("PAUSE", "start the washer now and pause it when the dishwasher finishes",
             expect=[on("bathroom.washer", 0), on("bathroom.washer", 40, operational_state="paused")]),
        case("PAUSE", "pause the washer in 5 minutes and resume it 10 minutes later", setup=running("bathroom.washer", 50),
             expect=[on("bathroom.washer", 5, operational_state="paused"), on("bathroom.washer", 15, operational_state="running")]),
        case("PAUSE", "in 12 minutes pause the dishwasher", expect=[on("kitchen.dishwasher", 12, operational_state="paused")]),
        case("PAUSE", "resume the washer in 10 minutes",
             setup={"bathroom.washer": {"state": "on", "operational_state": "paused", "remaining_time": 30}},
             expect=[on("bathroom.washer", 10, operational_state="running")]),
        case("PAUSE", "10 minutes after the dryer finishes, resume the dishwasher",
             setup={**running("bathroom.dryer", 15), "kitchen.dishwasher": {"state": "on", "operational_state": "paused",
                                                                             "remaining_time": 25}},
             expect=[on("kitchen.dishwasher", 25, operational_state="running")]),
        case("PAUSE", "at half past three pause the dishwasher", expect=[on("kitchen.dishwasher", 30, operational_state="paused")]),
    ]


def pause_infeasible(rng: random.Random) -> list[dict[str, Any]]:
    return [
        case("PAUSE-X", "pause the dryer when the dishwasher finishes", setup=running("bathroom.dryer", 60), why="can't be paused"),
        case("PAUSE-X", "in 10 minutes pause the dryer", setup=running("bathroom.dryer", 60), why="can't be paused"),
        case("PAUSE-X", "pause the washer when the dishwasher finishes", setup=stopped("kitchen.dishwasher"), why="not running"),
        case("PAUSE-X", "pause the jacuzzi in 5 minutes", why="jacuzzi"),
    ]


def more_conflicts(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i, (left, n) in enumerate([(30, 10), (55, 25), (70, 40), (45, 5)]):
        device, words, state = SWITCHABLE[(i + 4) % len(SWITCHABLE)]
        verb, new = flip(state)
        out.append(case("CONFLICT", f"at {clock_words(left - n, i % 2)}, which is {n} minutes before the dishwasher finishes, "
                                    f"{verb} {words}", setup=running("kitchen.dishwasher", left),
                        expect=[on(device, left - n, state=new)]))
    for i, n in enumerate([5, 18, 33, 50]):
        device, words, state = SWITCHABLE[(i + 7) % len(SWITCHABLE)]
        verb, new = flip(state)
        out.append(case("CONFLICT", f"{verb} {words} at {at(n)}, that is in {n} minutes",
                        expect=[on(device, n, state=new)]))
    for i, (said, real) in enumerate([(30, 20), (12, 21), (50, 5), (25, 35)]):
        _, words, state = SWITCHABLE[(i + 1) % len(SWITCHABLE)]
        verb, _ = flip(state)
        out.append(case("CONFLICT-X", f"{verb} {words} at {at(said)}, that is in {real} minutes", why=at(real)))
    for i, (said, left, n) in enumerate([(20, 45, 15), (35, 80, 30), (10, 25, 10), (40, 60, 5)]):
        _, words, state = SWITCHABLE[(i + 2) % len(SWITCHABLE)]
        verb, _ = flip(state)
        out.append(case("CONFLICT-X", f"at {at(said)}, {n} minutes before the dishwasher finishes, {verb} {words}",
                        setup=running("kitchen.dishwasher", left), why=at(left - n)))
    return out


def more_before(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i, (appliance, left, n) in enumerate([("washer", 60, 15), ("dryer", 45, 10), ("dishwasher", 35, 20),
                                              ("washer", 25, 5), ("dishwasher", 80, 60), ("dryer", 30, 25),
                                              ("washer", 90, 30), ("dishwasher", 15, 10)]):
        device_id = {"washer": "bathroom.washer", "dryer": "bathroom.dryer", "dishwasher": "kitchen.dishwasher"}[appliance]
        device, words, state = SWITCHABLE[(i + 3) % len(SWITCHABLE)]
        verb, new = flip(state)
        said = ["{n} minutes before the {a} is done, {v} {w}", "{v} {w} {n} minutes before the {a} finishes",
                "when the {a} has {n} minutes left, {v} {w}"][i % 3]
        out.append(case("BEFORE", said.format(n=n, a=appliance, v=verb, w=words), setup=running(device_id, left),
                        expect=[on(device, left - n, state=new)]))
    for left, n in [(10, 15), (20, 45), (5, 10), (30, 31)]:
        out.append(case("BEFORE-X", f"{n} minutes before the washer finishes, turn on the hallway light",
                        setup=running("bathroom.washer", left), why=at(left)))
    return out


def more_names_and_chains(rng: random.Random) -> list[dict[str, Any]]:
    out = [
        case("NAMES", "in 4 minutes set AC 1 to 21 degrees", expect=[on("living_room.ac_1", 4, target_temperature=21)]),
        case("NAMES", "turn off AC 2 at 15:40", setup={"bedroom.ac_2": {"state": "on"}}, expect=[on("bedroom.ac_2", 40, state="off")]),
        case("NAMES", "at half past three set AC 2 to dry", expect=[on("bedroom.ac_2", 30, mode="dry")]),
        case("NAMES", "5 minutes after the washer finishes turn on AC 1", setup=running("bathroom.washer", 20),
             expect=[on("living_room.ac_1", 25)]),
        case("NAMES", "in 7 minutes set AC 1 to 19", expect=[on("living_room.ac_1", 7, target_temperature=19)]),
        case("NAMES", "in 2 minutes turn on AC 2, and 6 minutes after that set AC 2 to 23 degrees",
             expect=[on("bedroom.ac_2", 2), on("bedroom.ac_2", 8, target_temperature=23)]),
    ]
    trios = [("the kitchen light", "kitchen.light", "the desk lamp", "office.desk_lamp", "the hallway light", "hallway.light"),
             ("the bathroom light", "bathroom.light", "the bedroom fan", "bedroom.fan", "the floor lamp", "living_room.floor_lamp"),
             ("the tv", "living_room.tv", "the bedroom light", "bedroom.light", "the bathroom fan", "bathroom.fan")]
    for i, (aw, a, bw, b, cw, c) in enumerate(trios):
        t1, t2, t3 = 2 + i, 6 + 2 * i, 11 + 3 * i
        out.append(case("CHAIN", f"in {t1} minutes turn on {aw}, in {t2} minutes turn on {bw} and in {t3} minutes turn on {cw}",
                        expect=[on(a, t1), on(b, t2), on(c, t3)]))
        out.append(case("CHAIN", f"{t1} minutes from now turn on {aw}; {t2 - t1} minutes after that turn on {bw}; then "
                                 f"{t3 - t2} minutes later turn off {aw}",
                        expect=[on(a, t1), on(b, t2), on(a, t3, state="off")]))
    return out


def spoken_infeasible(rng: random.Random) -> list[dict[str, Any]]:
    return [
        case("SPOKEN-X", "today at half past two turn on the kitchen light", why="already passed"),
        case("SPOKEN-X", "today at quarter to one turn on the desk lamp", why="already passed"),
        case("SPOKEN-X", "tonight turn on the hallway light", why="When should I do that"),
        case("SPOKEN-X", "turn on the bedroom light later on", why="When should I do that"),
        case("SPOKEN-X", "in twenty minutes turn on the sauna light", why="sauna"),
        case("SPOKEN-X", "at half past four turn on the garden sprinkler", why=["garden", "sprinkler"]),
    ]


def main() -> None:
    rng = random.Random(0)
    cases = (time_cases(rng) + time_infeasible(rng) + event_cases(rng) + event_infeasible(rng) + align_cases(rng)
             + align_infeasible(rng) + spoken_cases(rng) + chain_cases(rng) + before_cases(rng) + before_infeasible(rng)
             + conflict_cases(rng) + conflict_infeasible(rng) + names_cases(rng) + repeat_cases(rng) + repeat_infeasible(rng)
             + pause_cases(rng) + pause_infeasible(rng) + more_conflicts(rng) + more_before(rng) + more_names_and_chains(rng)
             + spoken_infeasible(rng))
    counters: dict[str, int] = {}
    with (HERE / "cases.jsonl").open("w", encoding="utf-8") as f:
        for c in cases:
            counters[c["group"]] = counters.get(c["group"], 0) + 1
            f.write(json.dumps({"id": f"{c['group'].lower()}-{counters[c['group']]:02d}", **c}) + "\n")
    print(counters)


if __name__ == "__main__":
    main()
