"""Training sentences for the learned reader, made by program from public templates.

Most come from Home Assistant's community templates (``home-assistant-intents``, Apache-2.0), expanded by ``hassil``'s
sampler over homes drawn at random from the names and rooms below: each slot gets one value, so where each word came
from is known, and the words are tagged from it (the device named, the room, the value). Then by program: wake words,
polite openings and endings, fillers ("uh"), a swapped letter, a time said with it ("at 7 pm": tagged, so that the
reader never takes a request about later for one about now). iotlm's own templates add what Home Assistant's lack
(dimming, brightening, louder and quieter: a relative change); they are a minority (:data:`OWN_SHARE`).

The SLURP development set is never read here: it is for checking (``iotlm bench reader``).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from hassil import Intents
from hassil.errors import MissingListError
from hassil.expression import Sentence
from hassil.intents import SlotList, TextSlotList
from hassil.parse_expression import parse_sentence
from hassil.sample import sample_sentence
from home_assistant_intents import get_intents

from iotlm.agent.understand import lexicon as lx
from iotlm.agent.understand.templates import INTENT_DOMAIN, READ, operation, set_concept
from iotlm.agent.understand.text import normalise

OPS = ("none", "on", "off", "up", "down", "set", "open", "close", "lock", "unlock", "start", "dock", "pause", "play", "query")
"""What a sentence asks: an operation, a question (query), or nothing a device does (none: a timer, the weather)."""
CONCEPTS = ("none", "brightness", "color", "color_temp", "temperature", "position", "volume", "fan_speed")
TAGS = ("O", "B-target", "I-target", "B-room", "I-room", "B-value", "I-value", "B-time", "I-time")
OWN_SHARE = 0.2
"""The most iotlm's own templates may be of the training sentences."""

# names a home might give its devices, by Home Assistant domain (sampling vocabulary, not a list the reader matches)
NAMES = {
    "light": ["ceiling light", "desk lamp", "floor lamp", "bedside lamp", "lamp", "light", "chandelier", "spotlights",
              "strip light", "reading light", "pendant", "wall light", "night light", "led strip", "lava lamp",
              "christmas tree", "sconce", "porch light", "mirror light", "fairy lights"],
    "fan": ["fan", "ceiling fan", "desk fan", "tower fan", "extractor fan"],
    "cover": ["blinds", "curtains", "shades", "shutters", "garage door", "roller blind", "awning", "skylight"],
    "lock": ["front door", "back door", "door lock", "deadbolt", "side gate", "patio door lock"],
    "climate": ["thermostat", "heating", "radiator", "air conditioner", "ac", "heat pump", "nest"],
    "media_player": ["tv", "speaker", "sonos", "stereo", "television", "soundbar", "radio", "echo", "chromecast"],
    "vacuum": ["robot vacuum", "vacuum", "roomba", "hoover", "robot"],
    "switch": ["smart plug", "plug", "kettle", "coffee machine", "coffee maker", "socket", "fountain", "fish tank",
               "dehumidifier", "space heater", "electric blanket", "printer"],
    "valve": ["water valve", "sprinkler", "irrigation valve", "gas valve"],
}
AREAS = ["kitchen", "living room", "bedroom", "master bedroom", "bathroom", "hallway", "office", "study", "garage",
         "dining room", "kids room", "nursery", "guest room", "basement", "attic", "porch", "patio", "garden",
         "laundry room", "lounge", "den", "playroom", "balcony", "hall", "landing", "utility room", "conservatory",
         "loft", "front room", "family room", "toilet", "shed", "ensuite", "back yard"]
FLOORS = ["upstairs", "downstairs", "ground floor", "first floor", "second floor", "basement"]
COLORS = ["red", "blue", "green", "yellow", "purple", "orange", "pink", "white", "warm white", "turquoise"]
WAKE = ["hey google", "ok google", "alexa", "hey siri", "olly", "computer", "hey home", "jarvis"]
OPENINGS = ["please", "can you", "could you", "would you", "i want you to", "i'd like you to", "go ahead and",
            "will you", "would you mind to", "i need you to", "kindly"]
ENDINGS = ["please", "thanks", "thank you", "now", "right now", "for me", "if you can", "asap"]
FILLERS = ["uh", "um", "er", "like", "erm"]
TIMES = ["at 7 pm", "at seven", "in ten minutes", "in 5 minutes", "tomorrow morning", "at half past nine", "tonight",
         "after sunset", "at noon", "in an hour", "at 6 30", "every morning", "when i get home", "at midnight",
         "on monday", "at three", "in half an hour", "before bed", "at 10 am tomorrow", "later"]

# iotlm's own templates: relative changes, which Home Assistant's intents do not have (hassil's template syntax)
_SOME = "[(a bit|a little|slightly|a lot)]"
OWN = [
    ("down", "brightness", "light", "(dim|lower|turn down|reduce|decrease|bring down|soften) [the] {name} [in [the] {area}] " + _SOME),
    ("down", "brightness", "light", "(make|set) [the] {name} [in [the] {area}] (dimmer|darker|less bright|lower)"),
    ("down", "brightness", "light", "turn [the] {name} [in [the] {area}] down [(a bit|a little|slightly)]"),
    ("down", "brightness", "light", "(dim|lower) [the] lights [in [the] {area}]"),
    ("up", "brightness", "light", "(brighten|turn up|raise|increase|boost) [the] {name} [in [the] {area}] " + _SOME),
    ("up", "brightness", "light", "(make|set) [the] {name} [in [the] {area}] (brighter|lighter|more bright)"),
    ("up", "brightness", "light", "turn [the] {name} [in [the] {area}] up [(a bit|a little|slightly)]"),
    ("up", "brightness", "light", "(more|increase the) (light|brightness) [in [the] {area}]"),
    ("down", "brightness", "light", "(less|reduce the|lower the) (light|brightness) [in [the] {area}]"),
    ("up", "brightness", "light", "[(turn|put|bring)] [the] {name} [in [the] {area}] up [(a bit|a little|please)]"),
    ("down", "brightness", "light", "[(turn|put|bring)] [the] {name} [in [the] {area}] down [(a bit|a little|please)]"),
    ("up", "volume", "media_player", "(turn up|raise|increase) the volume [(on|of) [the] {name}]"),
    ("up", "volume", "media_player", "make [the] {name} louder"),
    ("down", "volume", "media_player", "(turn down|lower|decrease|reduce) the volume [(on|of) [the] {name}]"),
    ("down", "volume", "media_player", "make [the] {name} (quieter|softer)"),
    ("up", "temperature", "climate", "(turn up|raise|increase) the (heating|temperature|heat) [in [the] {area}]"),
    ("down", "temperature", "climate", "(turn down|lower|decrease|reduce) the (heating|temperature|heat) [in [the] {area}]"),
    # complaints and reports: the reader abstains (the complaint reader and the goal planner judge which way to move)
    ("none", "none", "light", "[the] {name} [in [the] {area}] (is|are|seems|looks) [(too|very|really|so)] (bright|dim|dark|harsh|strong|weak)"),
    ("none", "none", "light", "it's [(too|very|really|so)] (dark|bright|gloomy|dim) [in [the] {area}]"),
    ("none", "none", "light", "i (can't|cannot|can not) see [(anything|a thing)] [in [the] {area}]"),
    ("none", "none", "media_player", "[the] {name} (is|seems) [(too|really|so)] (loud|quiet|noisy)"),
    ("none", "none", "climate", "it's [(too|very|really|so)] (hot|cold|warm|chilly|stuffy) [in [the] {area}]"),
    ("none", "none", "light", "(someone|the kids|you) left the {name} [in [the] {area}] (on|off)"),
    ("none", "none", "light", "[the] {name} [in [the] {area}] (is|was) [still] (on|off)"),
    ("none", "none", "light", "i (turned|switched) [the] {name} [in [the] {area}] (on|off) [(earlier|yesterday)]"),
    ("start", "none", "vacuum", "(start|run|begin|launch) [the] {name} [in [the] {area}]"),
    ("start", "none", "vacuum", "(start|begin|do) [the] (cleaning|vacuuming|hoovering) [(in|of) [the] {area}]"),
    ("dock", "none", "vacuum", "(send|return) [the] {name} [back] (home|to [its] (base|dock|charger))"),
]

_DOMAIN = {**INTENT_DOMAIN, "HassClimateGetTemperature": "climate"}
"""The domain a template without one is about, for drawing its device's name."""
_NONE = ("HassGetWeather", "HassStartTimer", "HassCancelTimer", "HassCancelAllTimers", "HassTimerStatus", "HassPauseTimer",
         "HassUnpauseTimer", "HassIncreaseTimer", "HassDecreaseTimer", "HassGetCurrentTime", "HassGetCurrentDate",
         "HassNevermind", "HassShoppingListAddItem", "HassListAddItem", "HassListCompleteItem", "HassRespond",
         "HassMediaNext", "HassMediaPrevious", "HassLawnMowerDock", "HassLawnMowerStartMowing")
_VALUE_LISTS = {"brightness": (1, 100), "temperature": (16, 28), "position": (0, 100), "volume": (0, 100),
                "fan_speed": (0, 100), "volume_step_up": (1, 50), "volume_step_down": (1, 50)}
_DOMAIN_KIND_WORDS = {p for ps in lx.DEVICE_KINDS.values() for p in ps} - {v for v, _ in lx.VERBS}
ASIDE_SHARE = 0.15
"""The most that sentences iotlm does nothing for (a timer, the weather) and questions may each be of the rest."""


@dataclass
class Example:
    words: list[str]
    tags: list[str]
    op: str
    concept: str
    source: str
    """Where it came from: the intent (and template number) or "own:<n>"; held-out splits keep templates whole."""


def examples(seed: int = 0, *, per_template: int = 10) -> list[Example]:
    """The training sentences, before held-out splitting (deterministic for a seed)."""
    rng = random.Random(seed)
    found = list(_from_ha(rng, per_template))
    acts = [e for e in found if e.op not in ("none", "query")]
    cap = int(ASIDE_SHARE * len(acts))
    for aside in ("none", "query"):
        some = [e for e in found if e.op == aside]
        acts += rng.sample(some, min(cap, len(some)))
    found = acts
    own = list(_from_own(rng, per_template * 8))
    limit = int(OWN_SHARE * len(found) / (1 - OWN_SHARE))
    found += rng.sample(own, min(limit, len(own)))
    return [_augment(e, rng) for e in found]


def _from_ha(rng: random.Random, per_template: int) -> Iterator[Example]:
    data = get_intents("en")
    assert data is not None
    wanted = (READ - {"HassMediaPlayerMute", "HassMediaPlayerUnmute"}) | set(_NONE)
    intents = Intents.from_dict({**data, "intents": {k: v for k, v in data["intents"].items() if k in wanted}})
    for name, intent in intents.intents.items():
        for b, block in enumerate(intent.data):
            rules = {**intents.expansion_rules, **block.expansion_rules}
            for t, sentence in enumerate(block.sentences):
                lists = set(sentence.list_names(rules))
                if block.wildcard_list_names & lists:
                    continue
                for _ in range(per_template):
                    example = _sample(name, block, sentence, lists, intents, rules, rng)
                    if example is not None:
                        example.source = f"{name}:{b}:{t}"
                        yield example


def _sample(intent: str, block: object, sentence: Sentence, lists: set[str], intents: Intents, rules: dict[str, Sentence],
            rng: random.Random) -> Example | None:
    required = getattr(block, "requires_context", None) or {}
    fixed = getattr(block, "slots", None) or {}
    domains = required.get("domain") or fixed.get("domain") or _DOMAIN.get(intent)
    domain = rng.choice([domains] if isinstance(domains, str) else list(domains)) if domains else rng.choice(list(NAMES))
    domain = domain if domain in NAMES else rng.choice(list(NAMES))
    values: dict[str, tuple[str, str]] = {}  # list name -> (text said, tag)
    values["name"] = (rng.choice(NAMES[domain]), "target")
    values["area"] = (rng.choice(AREAS), "room")
    values["floor"] = (rng.choice(FLOORS), "room")
    concept = set_concept(intent) or "none"
    for list_name in lists:
        if list_name in _VALUE_LISTS:
            low, high = _VALUE_LISTS[list_name]
            values[list_name] = (str(rng.randint(low, high)), "value")
        elif list_name == "color":
            values[list_name] = (rng.choice(COLORS), "value")
            concept = "color"
        elif list_name in ("color_temperature", "color_temperature_names"):
            return None
    slots = {k: TextSlotList.from_tuples([(v, v)], allow_template=False) for k, (v, _) in values.items()}
    way = rng.choice(["up", "down"])  # a relative volume change: which way is this sentence's own choice
    said_way = rng.choice({"up": ["up", "increase"], "down": ["down", "decrease"]}[way])
    slots["volume_step"] = TextSlotList.from_tuples([(said_way, way)], allow_template=False)
    try:
        texts = list(itertools.islice(sample_sentence(sentence, {**intents.slot_lists, **slots}, rules, language="en"), 300))
    except MissingListError:
        return None
    if not texts:
        return None
    words = normalise(rng.choice(texts)).split()
    if "volume_step_up" in lists or "volume_step_down" in lists:  # "turn up the volume by 10"
        way = "up" if "volume_step_up" in lists else "down"
    op = way if intent == "HassSetVolumeRelative" else operation(intent, domain) or "none"
    if intent == "HassSetVolumeRelative":
        concept = "volume"
    used = {k: v for k, v in values.items() if k in lists}
    return Example(words, _tags(words, used), op, concept if op in ("set", "up", "down") else "none", "")


def _tags(words: list[str], values: dict[str, tuple[str, str]]) -> list[str]:
    """BIO tags: each slot value where it was said, then the words that name a kind of device ("lights", "fan")."""
    tags = ["O"] * len(words)
    for text, tag in sorted(values.values(), key=lambda v: -len(v[0].split())):
        _mark(words, tags, normalise(text).split(), tag)
    for i, word in enumerate(words):
        if tags[i] == "O" and word in _DOMAIN_KIND_WORDS:
            tags[i] = "B-target" if i == 0 or tags[i - 1] not in ("B-target", "I-target") else "I-target"
        if tags[i] == "O" and word in ("percent", "degrees", "kelvin") and i > 0 and tags[i - 1].endswith("value"):
            tags[i] = "I-value"
    return tags


def _mark(words: list[str], tags: list[str], span: list[str], tag: str) -> bool:
    n = len(span)
    for i in range(len(words) - n + 1):
        if words[i:i + n] == span and all(t == "O" for t in tags[i:i + n]):
            tags[i] = f"B-{tag}"
            for j in range(i + 1, i + n):
                tags[j] = f"I-{tag}"
            return True
    return False


def _from_own(rng: random.Random, per_template: int) -> Iterator[Example]:
    for n, (op, concept, domain, template) in enumerate(OWN):
        sentence = parse_sentence(template)
        for _ in range(per_template):
            values = {"name": (rng.choice(NAMES[domain]), "target"), "area": (rng.choice(AREAS), "room")}
            slots: dict[str, SlotList] = {k: TextSlotList.from_tuples([(v, v)], allow_template=False)
                                          for k, (v, _) in values.items()}
            texts = list(itertools.islice(sample_sentence(sentence, slots, {}), 300))
            words = normalise(rng.choice(texts)).split()
            yield Example(words, _tags(words, values), op, concept, f"own:{n}")


def _augment(example: Example, rng: random.Random) -> Example:
    """Said as people say it: a wake word, a polite opening or ending, a filler, a swapped letter, a time."""
    words, tags = list(example.words), list(example.tags)
    if example.op != "none" and rng.random() < 0.15:
        time = normalise(rng.choice(TIMES)).split()
        time_tags = ["B-time"] + ["I-time"] * (len(time) - 1)
        if rng.random() < 0.5:
            words, tags = time + words, time_tags + tags
        else:
            words, tags = words + time, tags + time_tags
    if rng.random() < 0.3:
        opening = rng.choice(OPENINGS).split()
        words, tags = opening + words, ["O"] * len(opening) + tags
    if rng.random() < 0.2:
        ending = rng.choice(ENDINGS).split()
        words, tags = words + ending, tags + ["O"] * len(ending)
    if rng.random() < 0.2:
        wake = rng.choice(WAKE).split()
        words, tags = wake + words, ["O"] * len(wake) + tags
    if rng.random() < 0.1 and len(words) > 1:
        at = rng.randrange(1, len(words))
        if not tags[at].startswith("I-"):
            words.insert(at, rng.choice(FILLERS))
            tags.insert(at, "O")
    if rng.random() < 0.1:
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) > 4:
            j = rng.randrange(1, len(word) - 2)
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2:]
    return Example(words, tags, example.op, example.concept, example.source)


__all__ = ["AREAS", "CONCEPTS", "NAMES", "OPS", "OWN", "OWN_SHARE", "TAGS", "Example", "examples"]
