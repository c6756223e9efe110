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


def main() -> None:
    rng = random.Random(0)
    cases = (time_cases(rng) + time_infeasible(rng) + event_cases(rng) + event_infeasible(rng) + align_cases(rng)
             + align_infeasible(rng))
    counters: dict[str, int] = {}
    with (HERE / "cases.jsonl").open("w", encoding="utf-8") as f:
        for c in cases:
            counters[c["group"]] = counters.get(c["group"], 0) + 1
            f.write(json.dumps({"id": f"{c['group'].lower()}-{counters[c['group']]:02d}", **c}) + "\n")
    print(counters)


if __name__ == "__main__":
    main()
