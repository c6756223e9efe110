"""Writes the sensor-context cases (``cases.jsonl``, one line per case with its ``home``) from the five homes: three
query types, each feasible and infeasible, in many phrasings:

- INQ / INQ-X: questions about a room's conditions; the reply must give the value, the unit's number and the room,
  or say why it cannot (nothing there measures it, no such room), and nothing changes;
- GOAL / GOAL-X: implicit requests ("it's stuffy in here"); one of the plans that move the condition the right way
  must hold and nothing else changes; infeasible ones (nothing there can, or it already does all it can) change
  nothing and say why;
- SIT / SIT-X: situations ("I'm leaving", "movie time"); infeasible ones (no TV, no such room) change nothing.

The expectations are written from the homes' devices and readings by the rules in each helper below, not by iotlm.

    python -m tests.bench.context.make_cases
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
Home = dict[str, Any]


def load(h: int) -> Home:
    return json.loads((HERE / f"home{h}.json").read_text(encoding="utf-8"))


def rooms(home: Home) -> list[str]:
    return list(dict.fromkeys(d["room"] for d in home["devices"]))


def reading(home: Home, room: str, attr: str) -> float | None:
    for d in home["devices"]:
        if d["room"] == room and d["type"] == "sensor" and attr in d["attributes"]:
            return d["attributes"][attr]["value"]
    return None


def devices(home: Home, room: str | None = None, *, name: str | None = None, type_: str | None = None) -> list[dict[str, Any]]:
    return [d for d in home["devices"] if (room is None or d["room"] == room) and (name is None or name in d["name"])
            and (type_ is None or d["type"] == type_)]


def num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


# ------------------------------------------------------------ questions

INQ = {
    "temperature": ["how warm is it in the {room}?", "what's the temperature in the {room} right now?",
                    "is the {room} cold?", "how hot is the {room}?"],
    "humidity": ["how humid is the {room}?", "is it humid in the {room}?", "what's the humidity like in the {room}",
                 "is the air in the {room} dry?"],
    "illuminance": ["how bright is it in the {room}?", "is the {room} dim?", "how bright is the lighting in the {room} right now, "
                    "is it pleasant?", "what's the light level in the {room}?"],
    "air": ["how's the air in the {room}?", "what's the air quality in the {room}?", "what's the co2 level in the {room}?",
            "is the air in the {room} ok?"],
}
_ATTR = {"temperature": "temperature", "humidity": "humidity", "illuminance": "illuminance", "air": "co2"}


def inquiries(home: Home, h: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ok, bad = [], []
    for i, (condition, room) in enumerate(itertools.product(INQ, rooms(home))):
        phrase = INQ[condition][(i + h) % len(INQ[condition])]
        if condition == "humidity" and "dry" in phrase:
            phrase = INQ[condition][0]
        value = reading(home, room, _ATTR[condition])
        if value is None and condition == "air":
            value = reading(home, room, "pm10")
        case = {"command": phrase.format(room=room)}
        if value is not None:
            ok.append({**case, "category": "INQ", "reply_all": [[num(value)], [room]]})
        else:
            bad.append({**case, "category": "INQ-X", "reply_all": [[room], ["measures"]]})
    first, second = rooms(home)[0], rooms(home)[2]
    t, hum = reading(home, second, "temperature"), reading(home, first, "humidity")
    ok.append({"command": f"is it humid in the {first}, and how warm is the {second}?", "category": "INQ",
               "reply_all": [[num(hum)], [first], [num(t)], [second]]})  # type: ignore[arg-type]
    ok.append({"command": "how warm is it in here?", "category": "INQ", "context_room": second, "reply_all": [[num(t)], [second]]})  # type: ignore[arg-type]
    for place in ("sauna", "attic", "wine cellar"):
        bad.append({"command": f"how warm is it in the {place}?", "category": "INQ-X", "reply_all": [[place], ["no room"]]})
    bad.append({"command": f"how noisy is the {first}?", "category": "INQ-X", "reply_all": [[first], ["measures"]]})
    return ok, bad


# ------------------------------------------------------------ implicit intent

GOALS = {
    ("temperature", "down"): ["the {room} is a bit too warm", "it's boiling in the {room}", "the {room} must be too warm",
                              "it's so hot in the {room}"],
    ("temperature", "up"): ["it's freezing in the {room}", "the {room} feels chilly", "the {room} is too cold", "it's a bit cold in the {room}"],
    ("humidity", "up"): ["the {room} air feels dry", "it's so dry in the {room}", "the {room} is too dry"],
    ("humidity", "down"): ["the {room} is so damp", "it's muggy in the {room}", "it feels humid in the {room}"],
    ("illuminance", "up"): ["I can barely see in the {room}", "it's too dark in the {room}", "the {room} is so gloomy"],
    ("air", "stuffy"): ["it's stuffy in the {room}", "the air in the {room} is so stuffy", "the {room} feels stale"],
    ("air", "dusty"): ["it's dusty in the {room}", "the {room} is so dusty"],
}


def _on(d: dict[str, Any]) -> bool:
    return d["attributes"].get("state", {}).get("value") in ("on", "open")


def _alternative(d: dict[str, Any], key: tuple[str, str], temp: float | None) -> dict[str, Any] | str | None:
    """What ``d`` must end as to serve the goal ``key``; "limit" when it already does all it can; None: it cannot."""
    a, name, kind = d["attributes"], d["name"], d["type"]
    maxed = _on(d) and a.get("intensity", {}).get("value", 0) >= a.get("intensity", {}).get("max", 10**9)
    rules: dict[tuple[str, str], list[tuple[bool, dict[str, Any], bool]]] = {  # (applies, target state, at its limit)
        ("temperature", "down"): [
            (name == "Air Conditioner 1", {"state": "on", "mode": "cool", "temperature": {"<": temp}},
             _on(d) and a.get("mode", {}).get("value") == "cool" and a.get("temperature", {}).get("value") == a.get("temperature", {}).get("min")),
            (name == "Heat Pump", {"state": "on", "mode": "cool", "temperature": {"<": temp}}, False),
            (kind == "fan", {"state": "on"}, _on(d) and a.get("speed", {}).get("value") == "high")],
        ("temperature", "up"): [(name in ("Heater", "Heat Pump"), {"state": "on", "temperature": {">": temp}}, False),
                                (name == "Air Conditioner 1", {"state": "on", "mode": "heat", "temperature": {">": temp}}, False)],
        ("humidity", "up"): [(name == "Humidifier", {"state": "on"}, maxed)],
        ("humidity", "down"): [(name == "Dehumidifier", {"state": "on"}, maxed),
                               (name in ("Air Conditioner 1", "Heat Pump"), {"state": "on", "mode": "dry"}, False)],
        ("illuminance", "up"): [(kind == "light", {"state": "on"}, _on(d) and a.get("brightness", {}).get("value", 100) >= 100),
                                (name in ("Blinds", "Curtains"), {"state": "open"}, False)],  # decided at noon: daylight
        ("air", "stuffy"): [(name in ("Window", "Air Purifier") or kind == "fan", {"state": "on" if name != "Window" else "open"}, False)],
        ("air", "dusty"): [(name == "Air Purifier", {"state": "on"}, False)],
    }
    for applies, target, limit in rules[key]:
        if applies:
            return "limit" if limit else target
    return None


def goal_alternatives(home: Home, room: str, key: tuple[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    """(alternatives that would move the condition the right way, the devices that could but are at their limit)."""
    alts: list[dict[str, Any]] = []
    limit: list[str] = []
    temp = reading(home, room, "temperature")
    for d in devices(home, room):
        found = _alternative(d, key, temp)
        if found == "limit":
            limit.append(d["id"])
        elif isinstance(found, dict):
            alts.append({d["id"]: found})
    return alts, limit


def implicit(home: Home, h: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ok, bad = [], []
    for i, (key, room) in enumerate(itertools.product(GOALS, rooms(home))):
        phrases = GOALS[key]
        phrase = phrases[(i + h) % len(phrases)]
        alts, limit = goal_alternatives(home, room, key)
        if alts:
            case = {"command": phrase.format(room=room), "category": "GOAL", "expect_any": alts}
            value = {"temperature": "temperature", "humidity": "humidity", "illuminance": "illuminance"}.get(key[0])
            if key == ("air", "dusty"):
                value = "pm25"
            if key == ("air", "stuffy") and any(".window" in d for alt in alts for d in alt):
                value = "co2"  # a fan only moves the air about: no change to check
            if value:
                case["moves"] = {"room": room, "value": value, "direction": "up" if key[1] == "up" else "down"}
            ok.append(case)
        elif (i + h) % 2 == 0 or limit:
            bad.append({"command": phrase.format(room=room), "category": "GOAL-X", "refuse": True})
    # said where the person is, with --room
    for room in rooms(home)[:2]:
        alts, _ = goal_alternatives(home, room, ("temperature", "down"))
        case = {"command": "it's too warm in here", "context_room": room}
        ok.append({**case, "category": "GOAL", "expect_any": alts}) if alts else bad.append({**case, "category": "GOAL-X", "refuse": True})
    bad.append({"command": "it's far too warm", "category": "GOAL-X", "reply_any": ["which room"]})
    bad.append({"command": "it's so stuffy in the sauna", "category": "GOAL-X", "refuse": True})
    return ok, bad


# ------------------------------------------------------------ situations

LEAVING = ["I'm leaving", "ok, I'm heading out", "we're going out now", "I'm off to work"]
NIGHT = ["good night", "I'm going to bed", "time for bed", "goodnight everyone"]
HOME = ["I'm home", "we're back", "honey I'm home"]
MOVIE = ["movie time", "let's watch a movie", "I want to watch a film", "it's movie night"]


def situations(home: Home, h: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ok, bad = [], []
    lights_on = [d for d in home["devices"] if d["type"] == "light" and _on(d)]
    tvs_on = [d for d in home["devices"] if d["type"] == "media_player" and _on(d)]
    locks = [d for d in home["devices"] if d["type"] == "lock"]
    heaters = [d for d in home["devices"] if d["name"] in ("Heater", "Heat Pump") and d["attributes"]["state"]["value"] == "on"]
    off = {d["id"]: {"state": "off"} for d in lights_on + tvs_on}
    locked = {d["id"]: {"state": "locked"} for d in locks}
    for phrase in LEAVING:
        may = {d["id"]: {"temperature": 17} for d in home["devices"] if d["name"] in ("Heater", "Heat Pump")}
        may.update({d["id"]: {"state": "off"} for d in home["devices"] if d["name"] == "Air Conditioner 1"})
        ok.append({"command": phrase, "category": "SIT", "yes": True, "expect": {**off, **locked}, "may": may})
    for phrase in NIGHT:
        may = {d["id"]: {"temperature": 18} for d in heaters}
        ok.append({"command": phrase, "category": "SIT", "yes": True, "expect": {**off, **locked}, "may": may})
    tv_rooms = [d["room"] for d in home["devices"] if d["name"] == "TV"]
    for i, phrase in enumerate(MOVIE):
        if not tv_rooms:
            continue
        room = tv_rooms[0]
        expect = {d["id"]: {"state": "on"} for d in devices(home, room, name="TV")}
        may = {d["id"]: {"brightness": 20, "state": "off"} for d in devices(home, room, type_="light")}
        may.update({d["id"]: {"state": "closed", "position": 0} for d in devices(home, room, type_="cover")})
        ok.append({"command": phrase, "category": "SIT", "expect": expect, "may": may,
                   **({"context_room": room} if i % 2 else {})})
    for phrase in HOME[: 1 + h % 2]:
        may = {d["id"]: {"state": "on"} for d in home["devices"] if d["type"] == "light"}
        may.update({d["id"]: {"state": "on", "temperature": 21} for d in home["devices"] if d["name"] in ("Heater", "Heat Pump")})
        ok.append({"command": phrase, "category": "SIT", "may": may, "reply_any": ["welcome"]})
    # infeasible: movie time where there is no TV, or in a room that does not exist
    no_tv = [r for r in rooms(home) if r not in tv_rooms]
    for i, phrase in enumerate(MOVIE):
        bad.append({"command": f"{phrase} in the {no_tv[(i + h) % len(no_tv)]}", "category": "SIT-X", "refuse": True})
    for phrase in ("good night in the sauna", "movie time in the cinema room"):
        bad.append({"command": phrase, "category": "SIT-X", "refuse": True})
    return ok, bad


def main() -> None:
    out = []
    for h in range(1, 6):
        home = load(h)
        for group in (inquiries(home, h), implicit(home, h), situations(home, h)):
            for case in group[0] + group[1]:
                out.append({"home": f"home{h}.json", **case})
    counts: dict[str, int] = {}
    with (HERE / "cases.jsonl").open("w", encoding="utf-8") as f:
        for n, case in enumerate(out, start=1):
            case = {"id": f"c{n:03d}", **case}
            counts[case["category"]] = counts.get(case["category"], 0) + 1
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(f"{len(out)} cases:", counts)


if __name__ == "__main__":
    main()
