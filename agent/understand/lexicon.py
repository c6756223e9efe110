"""The words of home requests: general English, not any one home or benchmark.

Device names, aliases and rooms come from the live registry; this module only knows how
people talk about devices in general (kinds of device, attributes, actions, numbers).
"""

from __future__ import annotations

import re
from typing import Literal

# A kind of device, the words people use for it, and the device types / name words it covers.
DEVICE_KINDS: dict[str, tuple[str, ...]] = {
    "light": ("light", "lights", "lamp", "lamps", "lighting", "bulb", "bulbs", "ceiling light", "chandelier", "sconce", "spotlight", "spotlights"),
    "fan": ("fan", "fans", "ceiling fan", "ventilator", "vent"),
    "tv": ("tv", "television", "telly", "tele"),
    "media_player": ("media player", "media", "speaker", "speakers", "stereo", "music", "sound system", "radio", "music player"),
    "air_conditioner": ("air conditioner", "air conditioning", "ac", "a/c", "aircon", "air con", "air-conditioner", "cooler"),
    "heater": ("heater", "heating", "radiator", "radiators", "heat", "heating system"),
    "thermostat": ("thermostat", "thermostats"),
    "curtain": ("curtain", "curtains", "drapes", "drape"),
    "blinds": ("blind", "blinds", "shade", "shades", "shutter", "shutters", "roller blind"),
    "cover": ("cover", "covers", "awning"),
    "garage_door": ("garage door", "garage"),
    "lock": ("lock", "locks", "door lock", "deadbolt", "front door", "back door", "door"),
    "vacuum": ("vacuum", "vacuum robot", "robot vacuum", "hoover", "robot", "roomba"),
    "humidifier": ("humidifier", "humidifiers"),
    "dehumidifier": ("dehumidifier", "dehumidifiers"),
    "air_purifier": ("air purifier", "air purifiers", "purifier", "purifiers", "air cleaner"),
    "aromatherapy": ("aromatherapy", "aroma diffuser", "diffuser", "aromatherapy machine", "aroma"),
    "water_heater": ("water heater", "boiler", "hot water"),
    "oven": ("oven", "stove", "cooker"),
    "coffee_machine": ("coffee machine", "coffee maker", "espresso machine"),
    "kettle": ("kettle",),
    "plug": ("plug", "smart plug", "socket", "outlet", "power strip"),
    "switch": ("switch",),
    "trash": ("trash", "trash can", "bin", "garbage", "rubbish bin", "waste bin"),
    "washing_machine": ("washing machine", "washer", "laundry machine"),
    "dishwasher": ("dishwasher",),
    "sensor": ("sensor", "sensors"),
    "camera": ("camera", "cameras"),
    "valve": ("valve", "valves", "gas valve", "tap"),
    "window": ("window", "windows", "skylight"),
    "dryer": ("dryer", "tumble dryer", "clothes dryer"),
    "fridge": ("fridge", "refrigerator", "freezer"),
}

# Which registry device types each kind can name (names and aliases match directly too).
KIND_TYPES: dict[str, tuple[str, ...]] = {
    "light": ("light",), "fan": ("fan",), "tv": ("media_player",), "media_player": ("media_player",),
    "air_conditioner": ("climate",), "heater": ("climate", "heater"), "thermostat": ("climate",),
    "curtain": ("cover",), "blinds": ("cover",), "cover": ("cover",), "garage_door": ("cover",),
    "lock": ("lock",), "vacuum": ("vacuum",), "humidifier": ("humidifier",), "dehumidifier": ("humidifier",),
    "plug": ("outlet", "switch"), "switch": ("switch", "outlet"), "sensor": ("sensor", "binary_sensor"),
    "valve": ("valve",),
}

# Attribute concepts: the attribute names a device may use for it, and the words for it.
ATTRIBUTES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "brightness": (("brightness", "level", "dimmer"),
                   ("brightness", "bright", "brighter", "brightest", "dim", "dimmer", "dimmed", "dark", "light level", "luminosity")),
    "color": (("color", "colour", "rgb", "color_xy"), ("color", "colour", "colored", "coloured")),
    "color_temp": (("color_temp", "color_temperature", "colour_temperature", "white"),
                   ("color temperature", "colour temperature", "kelvin", "warm white", "cool white", "white balance")),
    "volume": (("volume",), ("volume", "loud", "louder", "quiet", "quieter", "sound level", "loudness", "softer")),
    "temperature": (("target_temperature", "temperature", "setpoint"),
                    ("temperature", "temp", "warmer", "cooler", "colder", "hotter", "heat up", "cool down", "warm", "setpoint")),
    "current_temperature": (("current_temperature", "temperature"), ("temperature", "temp", "how warm", "how cold", "how hot")),
    "humidity": (("humidity",), ("humidity", "humid")),
    "air_quality": (("pm25", "pm2_5", "pm10", "co2", "voc"),
                    ("air quality", "pm10", "pm 10", "pm2.5", "pm25", "particulates", "co2", "carbon dioxide", "air like")),
    "position": (("position", "degree", "level", "openness"),
                 ("position", "degree", "angle", "openness", "open", "halfway", "half way", "percent open")),
    "speed": (("speed", "fan_speed"), ("speed", "fan speed", "faster", "slower")),
    "fan_speed": (("fan_speed", "speed"), ("fan speed", "fan level", "wind speed")),
    "mode": (("mode", "preset"), ("mode", "setting", "program")),
    "swing": (("swing",), ("swing", "oscillation", "oscillate")),
    "intensity": (("intensity", "level", "mist_level"), ("intensity", "strength", "strong", "stronger", "weaker", "mist")),
    "interval": (("interval",), ("interval", "every", "frequency")),
    "source": (("source", "input"), ("source", "input", "hdmi")),
    "song": (("song", "track", "media_title"), ("song", "track", "tune")),
    "artist": (("artist",), ("artist", "singer", "band")),
    "style": (("style", "genre"), ("style", "genre")),
    "area": (("area", "cleaning_area"), ("area", "cleaning area", "zone")),
    "battery": (("battery",), ("battery", "charge level")),
    "tank": (("tank", "water_level"), ("tank", "water level", "water tank")),
    "power": (("power",), ("power usage", "power draw", "watts", "consumption")),
    "noise": (("noise", "noise_level"), ("noise", "noise level", "decibels", "how noisy")),
    "occupancy": (("occupancy", "motion"), ("motion", "movement", "someone", "anyone", "occupied")),
    "contact": (("contact",), ("open", "closed", "shut")),
}

SMALL_WORDS = ("a bit", "a little", "a tad", "slightly", "somewhat", "a touch", "a smidge", "a notch")

NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "a hundred": 100, "one hundred": 100,
}

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0), "green": (0, 128, 0), "blue": (0, 0, 255), "white": (255, 255, 255), "yellow": (255, 255, 0),
    "orange": (255, 165, 0), "purple": (128, 0, 128), "violet": (238, 130, 238), "pink": (255, 192, 203),
    "cyan": (0, 255, 255), "magenta": (255, 0, 255), "warm white": (255, 214, 170), "cool white": (201, 226, 255),
    "teal": (0, 128, 128), "lime": (0, 255, 0), "gold": (255, 215, 0), "turquoise": (64, 224, 208),
    "indigo": (75, 0, 130), "lavender": (230, 230, 250), "amber": (255, 191, 0), "crimson": (220, 20, 60),
}
COLOR_TEMPS_K: dict[str, int] = {"warm white": 2700, "warm": 2700, "soft white": 3000, "neutral white": 4000, "cool white": 5000,
                                 "daylight": 6500, "cool": 5000}

FILLER = ("please", "plz", "pls", "kindly", "could you", "can you", "would you", "will you", "i want you to", "i'd like you to",
          "i would like you to", "i need you to", "go ahead and", "just", "now", "for me", "thanks", "thank you", "hey",
          "ok", "okay", "right away", "immediately", "quickly", "i want to", "i'd like to", "let's", "let us",
          "would you mind", "be so kind as to", "asap")

QUESTION_STARTS = ("is ", "are ", "what ", "what's ", "whats ", "how ", "which ", "does ", "do ", "tell me", "check ",
                   "show me", "report ", "was ", "were ", "did ", "has ", "have ", "can you tell", "status of", "state of")

ALL_WORDS = ("all", "every", "each", "everything", "all of the", "both", "whole house", "entire house", "everywhere")
PRONOUNS = ("it", "them", "that", "those", "these", "they")

# Indirect requests people make about a room: phrase -> (intent, attribute concept)
IDIOMS: dict[str, tuple[str, str | None]] = {
    "too dark": ("on", None), "can't see": ("on", None), "cant see": ("on", None), "cannot see": ("on", None),
    "need more light": ("on", None), "too bright": ("down", "brightness"), "too cold": ("up", "temperature"),
    "freezing": ("up", "temperature"), "chilly": ("up", "temperature"), "too hot": ("down", "temperature"),
    "too warm": ("down", "temperature"), "boiling": ("down", "temperature"), "can't hear": ("up", "volume"),
    "cant hear": ("up", "volume"), "cannot hear": ("up", "volume"), "too quiet": ("up", "volume"),
    "too loud": ("down", "volume"), "too noisy": ("down", "volume"), "too humid": ("on", None),
    "lights off": ("off", None), "lights on": ("on", None),
}

# Other words for common option values: option -> words people use
OPTION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "auto": ("automatic", "automatically", "auto mode"), "fan only": ("fan", "fan mode", "ventilation"),
    "dry": ("dehumidify", "drying"), "cool": ("cooling", "cold"), "heat": ("heating", "warm"),
    "low": ("lowest", "gentle", "slow"), "high": ("highest", "strong", "fast"), "medium": ("mid", "middle", "moderate"),
    "middle": ("center", "centre", "mid"), "sleep": ("night", "sleeping", "quiet"), "strong": ("powerful", "turbo", "max"),
}

# Other names people use for common rooms: room -> names (used only when the home has no room so named)
ROOM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "store room": ("storage room", "storeroom", "storage", "pantry"), "living room": ("lounge", "sitting room", "family room"),
    "bathroom": ("bath", "washroom", "restroom"), "corridor": ("hallway", "hall", "passage"), "hallway": ("hall", "corridor"),
    "foyer": ("entrance", "entryway", "entrance hall"), "study room": ("study",), "master bedroom": ("main bedroom", "primary bedroom"),
    "guest bedroom": ("guest room", "spare bedroom", "spare room"), "dining room": ("dining area",), "balcony": ("terrace",),
    "office": ("study",), "kitchen": ("kitchenette",),
}




# ------------------------------------------------------------ the parser's words

Intent = Literal["on", "off", "lock", "unlock", "open", "close", "play", "pause", "stop", "start", "dock", "pack",
                 "set", "up", "down", "query"]

# intent -> the state values that fulfil it, best first
STATE_TARGETS: dict[str, tuple[str, ...]] = {
    "on": ("on", "playing", "cleaning"), "off": ("off", "stopped", "docked", "charging"), "lock": ("locked",),
    "unlock": ("unlocked",), "open": ("open",), "close": ("closed",), "play": ("playing", "on"), "pause": ("paused",),
    "stop": ("stopped", "idle", "off"), "start": ("cleaning", "on", "playing"), "dock": ("docked", "charging", "returning"),
    "pack": ("packed",),
}
VERBS: list[tuple[str, Intent]] = sorted([
    ("turn on", "on"), ("switch on", "on"), ("power on", "on"), ("power up", "on"), ("turn it on", "on"), ("put on", "on"), ("enable", "on"),
    ("activate", "on"), ("fire up", "on"), ("boot up", "on"), ("start up", "on"),
    ("turn off", "off"), ("switch off", "off"), ("power off", "off"), ("shut off", "off"), ("shut down", "off"),
    ("turn of", "off"), ("kill", "off"), ("disable", "off"), ("deactivate", "off"), ("cut off", "off"), ("turn it off", "off"),
    ("unlock", "unlock"), ("lock", "lock"), ("open", "open"), ("close", "close"), ("shut", "close"),
    ("draw", "close"), ("play", "play"), ("resume", "play"), ("pause", "pause"), ("stop", "stop"), ("start", "start"),
    ("dock", "dock"), ("recharge", "dock"), ("charge", "dock"), ("go home", "dock"), ("back to its base", "dock"),
    ("back to base", "dock"), ("return to base", "dock"), ("return to its base", "dock"), ("back to the dock", "dock"),
    ("back to its dock", "dock"), ("return to the dock", "dock"), ("back to its charger", "dock"),
    ("pack", "pack"), ("empty", "pack"), ("take out", "pack"), ("vacuum", "start"), ("hoover", "start"),
    ("set", "set"), ("change", "set"), ("adjust", "set"), ("make", "set"), ("put", "set"), ("configure", "set"),
    ("modify", "set"), ("switch", "set"), ("turn", "set"), ("select", "set"), ("tune", "set"), ("bring", "set"),
    ("increase", "up"), ("raise", "up"), ("turn up", "up"), ("crank up", "up"), ("bump up", "up"), ("boost", "up"),
    ("brighten", "up"), ("heat up", "up"), ("decrease", "down"), ("lower", "down"), ("reduce", "down"),
    ("turn down", "down"), ("dim", "down"), ("cool down", "down"), ("drop", "down"), ("cut", "down"),
], key=lambda v: -len(v[0]))

NOUN_VERBS = frozenset({"vacuum", "hoover"})
"""Nouns that are a verb only where a request starts with them ("vacuum the bedroom", not "pause the vacuum")."""

APPLIANCES = {"oven", "coffee_machine", "kettle", "water_heater", "washing_machine", "dishwasher"}
"""Kinds whose temperature is not the room's ("make the kitchen warmer" never means the oven)."""

RELATED = {"fan_speed": ("speed", "fan")}
PLACE_WORDS = frozenset({
    "sauna", "porch", "garden", "attic", "basement", "cellar", "loft", "garage", "pantry", "nursery", "patio", "balcony",
    "terrace", "shed", "gym", "conservatory", "laundry", "kitchen", "bedroom", "bathroom", "hallway", "lounge",
    "library", "playroom", "greenhouse", "workshop", "studio", "closet", "toilet", "ensuite", "landing", "driveway",
    "yard", "backyard", "veranda", "mudroom", "utility", "cinema", "pool",
})
"""Words that name a room or a place in most homes: "the sauna light" in a home without a sauna names no room here
(it is refused as such), where "the reading light" is a kind of light and is only asked about."""

NOT_PLACES = {"morning", "evening", "afternoon", "night", "dark", "meantime", "end", "way", "moment", "background",
               "mood", "middle", "house", "home", "room", "dining", "same", "next", "first", "last", "other", "weekend"}
DONE_WORDS = {"on": "turned on", "off": "turned off", "lock": "locked", "unlock": "unlocked", "open": "opened",
               "close": "closed", "play": "played", "pause": "paused", "stop": "stopped", "start": "started",
               "dock": "docked", "pack": "packed"}
BROAD_KINDS = {"media_player", "cover", "sensor", "switch", "plug", "light"}
AMBIGUOUS = {"open", "warm", "heat", "closed", "shut", "level", "every", "setting", "strong"}
GENERIC = {p for ps in DEVICE_KINDS.values() for p in ps}
"""(``RELATED``: a concept a room lacks -> the attribute and device kind that stand for it there.)"""

COMPARATIVES: dict[str, tuple[str, str]] = {
    "brighter": ("up", "brightness"), "dimmer": ("down", "brightness"), "louder": ("up", "volume"),
    "quieter": ("down", "volume"), "softer": ("down", "volume"), "warmer": ("up", "temperature"),
    "hotter": ("up", "temperature"), "cooler": ("down", "temperature"), "colder": ("down", "temperature"),
    "faster": ("up", "speed"), "slower": ("down", "speed"), "stronger": ("up", "intensity"), "weaker": ("down", "intensity"),
}
HALF_WORDS = ("halfway", "half way", "half")
MAX_WORDS = ("max", "maximum", "maximize", "maximise", "full", "fully", "all the way", "highest", "brightest", "loudest")
MIN_WORDS = ("min", "minimum", "minimize", "minimise", "lowest", "dimmest", "quietest")

NEGATION = re.compile(r"\b(dont|do not|does not|doesnt|didnt|never|not|no need|nobody|no one|noone|shouldnt|should not|"
                       r"mustnt|must not|isnt|arent|wont|wouldnt|no longer|neither|nor)\b")
NOT_NEGATION = re.compile(r"\b(cant|cannot|can not) (see|hear|sleep)\b|\bnot (warm|bright|loud|cool|cold) enough\b")

# ------------------------------------------------------------ speech acts

Act = Literal["command", "question", "goal", "context", "statement"]

EMBEDDED_QUESTION = re.compile(
    r"\b(?:wonder|wondering|curious|(?:like|love|want|need) to know|do you know|happen to know|any idea|let me know|"
    r"tell me)\b|"
    r"\bhow (?:bright|dark|dim|warm|cold|hot|cool|chilly|humid|damp|dry|loud|noisy|quiet|stuffy|much|many|long|high|low)\b|"
    r"\bwhat (?:is|are|was|were|s)\b|\bwhether\b|\bis it (?:pleasant|ok|okay|warm|cold|hot|bright|dark|dim|humid|dry|on|off)\b")
"""A question inside a longer clause ("... and was wondering how warm it is")."""

COMPLAINT = re.compile(
    r"\b(?:too|so|very|quite|really|a bit|a little|rather|pretty|super|way too|freezing|boiling|feels?|feeling|"
    r"getting|gets|got|seems?|is|are|it|its|in here)\s+(?:a bit |a little |really |quite |so |too |very |rather |kind of |kinda )?"
    r"(?:warm|hot|cold|chilly|dark|dim|gloomy|bright|loud|noisy|quiet|dry|humid|damp|muggy|clammy|sticky|steamy|stuffy|stale|"
    r"dusty|smoky|sweltering|boiling|freezing)\b|"
    r"\b(?:can ?t|cannot|can not|barely|hardly) (?:see|hear|sleep|breathe)\b|\bneed more (?:light|air)\b|"
    r"\bnot (?:warm|bright|cool|cold|light|humid) enough\b")
"""A complaint about a room, which is a goal ("it's too warm in here", "I can barely see")."""

CONTEXT = re.compile(
    r"^(?:and |so |but |well )?(?:i|im|ive|ill|id|we|were|weve)(?: (?:am|was|will|have|had|are|just|really|also|still|"
    r"currently|now|probably|actually))* (?:thinking|about to|going|planning|doing|heading|head|trying|getting|cooking|"
    r"working|reading|watching|leaving|coming|off to|out|busy|done|finished|having|making|baking|washing|"
    r"(?!turning\b|switching\b|setting\b)[a-z]{3,}ing)\b")
"""What the person is doing or about to do ("I'm doing laundry", "we are leading a meeting"): the speaker and a
verb in -ing; context for the next clause, never a command."""

FLOOR_WORDS: dict[str, tuple[str, ...]] = {
    "upstairs": ("first floor", "1st floor", "second floor", "2nd floor", "upper floor", "top floor", "upstairs", "level 1"),
    "downstairs": ("ground floor", "main floor", "downstairs", "lower floor", "level 0"),
}
"""What people call a floor -> the names a home file may give it ("the upstairs lights" on the "first floor")."""

SIDE_WORDS: dict[str, tuple[str, ...]] = {
    "outdoors": ("outdoor", "outdoors", "outside", "exterior"),
    "indoors": ("indoor", "indoors", "interior"),
}
"""A side of the house ("the outdoor lights"); which rooms are on it is judged by the sentence model
(:mod:`iotlm.agent.understand.sides`). "inside" is left out: it is mostly a preposition ("the light inside the shed")."""

PLURALIA = frozenset({"blinds", "curtains", "drapes", "shades", "shutters"})
"""Nouns that are plural in form but name one device ("close the blinds" is one set of blinds, not every one)."""

GOALS: dict[str, tuple[str, ...]] = {
    "temperature": ("warm", "hot", "cold", "chilly", "freezing", "boiling"),
    "humidity": ("dry", "humid", "damp", "muggy"),
    "light": ("dark", "dim", "bright", "see"),
    "volume": ("loud", "noisy", "quiet", "hear"),
    "air": ("stuffy", "dusty", "smoky", "breathe"),
}
"""A complaint's words -> the condition it is about."""

GOAL_KINDS: dict[str, frozenset[str]] = {
    "temperature": frozenset({"heater", "air_conditioner", "thermostat", "fan"}),
    "humidity": frozenset({"humidifier", "dehumidifier"}),
    "light": frozenset({"light", "blinds", "curtain", "cover"}),
    "volume": frozenset({"tv", "media_player"}),
    "air": frozenset({"air_purifier", "fan", "window"}),
}
"""The kinds of device that can serve a goal about a condition: only these may act on it (the effect model of the
sensor-context work refines which way)."""

QUESTION_ONLY_WORDS = frozenset({"dark"})
"""Attribute words that name the attribute only in a question."""


__all__ = [
    "ALL_WORDS",
    "AMBIGUOUS",
    "APPLIANCES",
    "ATTRIBUTES",
    "BROAD_KINDS",
    "COLORS",
    "COLOR_TEMPS_K",
    "COMPARATIVES",
    "COMPLAINT",
    "CONTEXT",
    "DEVICE_KINDS",
    "DONE_WORDS",
    "EMBEDDED_QUESTION",
    "FILLER",
    "FLOOR_WORDS",
    "GENERIC",
    "GOALS",
    "GOAL_KINDS",
    "HALF_WORDS",
    "IDIOMS",
    "KIND_TYPES",
    "MAX_WORDS",
    "MIN_WORDS",
    "NEGATION",
    "NOT_NEGATION",
    "NOT_PLACES",
    "NOUN_VERBS",
    "NUMBER_WORDS",
    "OPTION_SYNONYMS",
    "PLACE_WORDS",
    "PLURALIA",
    "PRONOUNS",
    "QUESTION_ONLY_WORDS",
    "QUESTION_STARTS",
    "RELATED",
    "ROOM_SYNONYMS",
    "SIDE_WORDS",
    "SMALL_WORDS",
    "STATE_TARGETS",
    "VERBS",
    "Act",
    "Intent",
]
