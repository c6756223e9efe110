"""Writes the grounding cases, one file per home (tests/bench/grounding/home*.jsonl), from the homes themselves.

Three groups, each phrased many ways and spread over the five homes (expected values are read from the home):
- QUERY: questions inside long conversational sentences; nothing may change, and the reply must state the value
  and name the room;
- VM: explicit control of several devices in long conversational sentences, where names repeat across rooms;
- IS: targets that do not exist (a device a room lacks, a room the home lacks); refused, nothing else changes.

    python -m tests.bench.grounding.make_cases
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

QUESTIONS = [
    ("temperature", "I was about to head into the {room} and was wondering how warm it is"),
    ("temperature", "Before I go and sit in the {room}, could you tell me what the temperature is in there?"),
    ("temperature", "my partner says the {room} is chilly, what's the temperature in the {room} right now"),
    ("humidity", "I think the air feels dry, how humid is the {room} at the moment?"),
    ("humidity", "quick question about the {room}: what is the humidity there, I'm thinking of airing it out"),
    ("illuminance", "How bright is it in the {room} right now, is it pleasant?"),
    ("illuminance", "I'm going to read in the {room} later, how bright is the lighting in there?"),
    ("state", "I'm heading to bed soon, is the {room} light 1 still on?"),
    ("state", "just checking before I leave the house: is light 1 in the {room} on?"),
    ("state", "the kids were in the {room} earlier, could you tell me whether the {room} light 1 is on"),
]

COMMANDS = [  # (text, the first room's light 1, the second room's light 1)
    ("I'm about to start cooking, so please turn on the {r1} light 1 and switch off the {r2} light 1", "on", "off"),
    ("when you get a chance, turn off light 1 in the {r1} and turn on light 1 in the {r2}, thanks", "off", "on"),
    ("we're going out for a while, so switch the {r1} light 1 off and the {r2} light 1 on please", "off", "on"),
    ("it's getting late, could you turn off the light 1 in the {r1} and then turn on the {r2} light 1", "off", "on"),
    ("I'd like the {r1} light 1 on and the {r2} light 1 off before the guests arrive", "on", "off"),
    ("turn on light 1 in the {r1}, and also light 1 in the {r2}, I need to find my keys", "on", "on"),
]

MISSING = [
    ("room", "please turn on light 1 in the {absent}, I left my glasses there"),
    ("room", "I'm going into the {absent} now, switch on the light 1 in the {absent}"),
    ("dimmer", "it's a bit dark in the {room}, could you turn on the {room} dimmer light 1"),
    ("dimmer", "set the dimmer light 1 in the {room} to 50 percent, I want to read"),
    ("light2", "turn off the {room} light 2 please, nobody is in there"),
    ("kind", "I'm working in the {room} all afternoon, turn on the {room} fan"),
]

ABSENT_ROOMS = ["garage", "attic", "cellar", "sauna", "conservatory", "porch"]


def _say(value: Any) -> list[str]:
    if isinstance(value, float) and value.is_integer():
        return [str(int(value)), str(value)]
    return [str(value)]


def cases_for(home: dict[str, Any], h: int) -> list[dict[str, Any]]:
    rng = random.Random(h)
    devices = {d["id"]: d for d in home["devices"]}
    rooms = sorted({d["room"] for d in home["devices"]})
    has = {(d["room"], d["name"]) for d in home["devices"]}
    out: list[dict[str, Any]] = []

    for i, (what, text) in enumerate(rng.sample(QUESTIONS, 7)):
        room = rng.choice(rooms)
        if what == "state":
            value = devices[f"{room.replace(' ', '_')}.light_1"]["attributes"]["state"]["value"]
        else:
            key = "light_sensor" if what == "illuminance" else "climate_sensor"
            value = devices[f"{room.replace(' ', '_')}.{key}"]["attributes"][what]["value"]
        out.append({"id": f"h{h}-q{i + 1}", "category": "QUERY", "command": text.format(room=room),
                    "reply_all": [_say(value), [room]]})
    for i, (text, first, second) in enumerate(rng.sample(COMMANDS, 6)):
        r1, r2 = rng.sample(rooms, 2)
        expect = {f"{r1.replace(' ', '_')}.light_1": {"state": first}, f"{r2.replace(' ', '_')}.light_1": {"state": second}}
        out.append({"id": f"h{h}-c{i + 1}", "category": "VM", "command": text.format(r1=r1, r2=r2), "expect": expect})
    for i, (what, text) in enumerate(rng.sample(MISSING, 6)):
        absent = rng.choice([r for r in ABSENT_ROOMS if r not in rooms])
        lacking = {"dimmer": "Dimmer Light 1", "light2": "Light 2", "kind": "Fan"}.get(what)
        room = rng.choice([r for r in rooms if (r, lacking) not in has]) if lacking else rng.choice(rooms)
        out.append({"id": f"h{h}-m{i + 1}", "category": "IS", "command": text.format(room=room, absent=absent),
                    "refuse": True})
    return out


def main() -> None:
    for path in sorted(HERE.glob("home*.json")):
        home = json.loads(path.read_text(encoding="utf-8"))
        h = int(path.stem.removeprefix("home"))
        cases = cases_for(home, h)
        path.with_suffix(".jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
        print(f"{path.with_suffix('.jsonl').name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
