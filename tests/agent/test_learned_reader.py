"""The learned reader: the packaged heads over the packaged MiniLM read what the rules could not, and the home decides.

These use the real sentence model and the shipped weights (a test about the model is about the real one)."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest

from iotlm.agent.llm.planner import wrong_way
from iotlm.agent.understand import reader_data
from iotlm.agent.understand.learned import LearnedReader, asked_way, load_heads, spans, whole_home
from iotlm.agent.understand.lexicon import Intent
from iotlm.agent.understand.parser import Parser
from iotlm.agent.understand.train_reader import evidence, fit, score, threshold
from iotlm.device_drivers.home import load_home
from iotlm.memory.embeddings import MiniLMEmbedder
from iotlm.memory.minilm import NumpyWords
from iotlm.tools.device_tools import device_operations
from tests.conftest import EXAMPLE_HOME, ROOT

HA_HOME = ROOT / "tests" / "bench" / "devicemodel" / "ha_home.json"


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def parser() -> Parser:
    found = Parser(load_home(EXAMPLE_HOME).devices)
    found.readers.append(LearnedReader(found.index))  # the NumPy MiniLM, as the agent runs it
    return found


def test_the_numpy_minilm_gives_the_pytorch_models_vectors(embedder: MiniLMEmbedder) -> None:
    sentences = [["could", "you", "bring", "the", "lights", "down", "a", "notch"], ["douse", "the", "lamp"]]
    torch_words, torch_sentences = embedder.words(sentences)
    numpy_words, numpy_sentences = NumpyWords().words(sentences)
    assert np.abs(torch_sentences - numpy_sentences).max() < 1e-5
    assert all(np.abs(a - b).max() < 1e-4 for a, b in zip(torch_words, numpy_words, strict=True))


def acts(parser: Parser, text: str, room: str | None = "living room") -> list[tuple[str | None, object]]:
    return [(s.device_id, s.value) for c in parser.parse(text, room=room).clauses for s in c.steps]


def test_shipped_heads_match_the_labels_and_chose_their_confidence() -> None:
    assert set(reader_data.OPS) - {"none", "query"} <= set(get_args(Intent))  # every operation it acts on is an intent
    heads = load_heads()
    assert heads["op_w"].shape == (384, len(reader_data.OPS))
    assert heads["tag_w"].shape == (4 * 384, len(reader_data.TAGS))
    assert 0.3 <= float(heads["min_confidence"]) <= 0.95


@pytest.mark.parametrize(("text", "attribute", "way"), [("could you bring the lights down a notch", "brightness", -1),
                                                      ("knock the lights down a bit", "brightness", -1),
                                                      # "low" never said "down" in training; "lower" did
                                                      ("give me low lighting", "brightness", -1)])
def test_the_reader_reads_a_request_the_rules_leave_to_the_model(parser: Parser, text: str, attribute: str, way: int) -> None:
    rules = Parser(load_home(EXAMPLE_HOME).devices)
    rules.readers = rules.readers[:1]
    assert not rules.parse(text, room="living room").understood  # the rules alone do not read it
    clause = parser.parse(text, room="living room").clauses[0]
    assert clause.steps and all(s.attribute == attribute for s in clause.steps)
    assert clause.steps[0].reading["by"] == ["learned"]
    for step in clause.steps:  # moved the way it was asked, in the room where it was said
        device = parser.devices[step.device_id or ""]
        before = float(device.attributes[attribute].value)  # type: ignore[arg-type]
        assert device.room == "living room" and (float(step.value) - before) * way > 0  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    "dim the lights in the attic",  # a room this home does not have
    "dim the jacuzzi lights at 9 pm",  # a time: never now
    "what's the weather like",  # nothing a device does
    "douse the living room lights",  # a verb it never saw: the head's guess (on) has no word behind it
    "plug in the kitchen light",
    "the kitchen light is too bright",  # a complaint: the complaint reader knows which way
])
def test_the_reader_gives_nothing_where_the_home_or_the_time_says_no(parser: Parser, text: str) -> None:
    """(A word near in meaning to one that said the operation counts as saying it, "low" as "lower"; "douse" is near
    no word that said "on".)"""
    reader = parser.readers[-1]
    assert reader.read(text, "living room") is None


def test_a_time_is_tagged_and_holds_the_reading_back(parser: Parser) -> None:
    reader = parser.readers[-1]
    assert isinstance(reader, LearnedReader)
    found = reader.reading("brighten the lights in the kitchen in ten minutes".split())
    assert found is not None and found.phrases("time") and found.phrases("room") == ["kitchen"]
    assert reader.read("brighten the lights in the kitchen in ten minutes", None) is None


def test_the_whole_home_comes_from_home_assistants_own_words() -> None:
    assert {"house", "flat", "apartment", "home"} <= whole_home()


def test_spans_read_bio_tags() -> None:
    assert spans(["O", "B-target", "I-target", "B-room", "I-room", "O", "I-time"]) == {
        "target": [[1, 2]], "room": [[3, 4]], "time": [[6]]}


def test_training_data_is_mostly_home_assistants_and_tagged_from_its_slots() -> None:
    data = reader_data.examples(0, per_template=2)
    own = [e for e in data if e.source.startswith("own")]
    assert len(own) <= reader_data.OWN_SHARE * len(data) + 1
    assert all(len(e.words) == len(e.tags) for e in data)
    assert reader_data.examples(0, per_template=2)[5].words == data[5].words  # seeded
    tagged = [e for e in data if e.op == "set" and any(t.endswith("value") for t in e.tags)]
    starts = {c.split()[0] for c in reader_data.COLORS}
    assert tagged and all(any(w.isdigit() or w in starts for w, t in zip(e.words, e.tags, strict=True)
                              if t == "B-value") for e in tagged)


def test_fit_learns_and_the_threshold_is_chosen_on_held_out_data(embedder: MiniLMEmbedder) -> None:
    data = reader_data.examples(1, per_template=1)
    vectors, sentences = embedder.words([e.words for e in data])
    heads = fit(data, vectors, sentences, seed=0)
    measured = score(heads, data, vectors, sentences)
    assert measured["op"] > 80 and measured["room"] > 80
    assert 0.3 <= threshold(heads, data, vectors, sentences) <= 0.95
    assert 0.3 <= threshold(heads, data, vectors, sentences, said=frozenset(evidence(data))) <= 0.95
    chance = {k: np.zeros_like(v) for k, v in heads.items()}
    assert score(chance, data, vectors, sentences)["op"] < measured["op"]


def test_evidence_is_the_untagged_words_that_said_an_operation() -> None:
    off = reader_data.Example(["turn", "the", "light", "off"], ["O", "O", "B-target", "O"], "off", "none", "a")
    on = reader_data.Example(["turn", "the", "light", "on"], ["O", "O", "B-target", "O"], "on", "none", "b")
    found = evidence([off] * 5 + [on] * 5)
    assert "off off" in found and "on on" in found
    assert not {"off turn", "on turn", "off light", "off the"} & set(found)  # said both ways, or a device's word
    assert evidence([off] * 4) == []  # too few to count


@pytest.mark.parametrize(("text", "way"), [
    ("make a room darker", ("down", "brightness")),  # the head, unsure enough not to act, still says which way
    ("dim the lights", ("down", "brightness")),  # the rules' own reading
    ("turn the volume up", ("up", "volume")),
    ("it's too dark in here", None),  # a complaint: the complaint reader knows its way
    ("turn on the kitchen light", None),
])
def test_the_way_a_request_asks_a_level_to_go(parser: Parser, text: str, way: tuple[str, str] | None) -> None:
    assert asked_way(text, parser.read(text), parser.readers) == way


def test_a_planned_value_that_goes_the_other_way_is_asked_about_not_done(parser: Parser) -> None:
    lamp = parser.devices["living_room.floor_lamp"]
    brighter = next(o for o in device_operations(lamp) if o.operation == "set_brightness").step(lamp, {"value": 90})
    before = lamp.attributes["brightness"].value
    assert isinstance(before, int) and before < 90
    said = wrong_way(brighter, lamp, "make a room darker", parser.read("make a room darker"), parser)
    assert said == (f"That would set the living room floor lamp's brightness to 90 from {before}, up, where you asked "
                    "for less; say the level you want.")
    assert wrong_way(brighter, lamp, "make it brighter", parser.read("make it brighter"), parser) is None


def test_a_word_for_the_act_itself_says_it_but_a_device_name_alone_does_not() -> None:
    # "cleaning" is tagged as what is meant and points at no device here: it said "start" in training, so it is
    # the act; the robot vacuum's own name, said alone, asks nothing of it
    home = Parser([d for d in load_home(HA_HOME).devices if d.id != "bedroom.vacuum"])
    home.readers.append(LearnedReader(home.index))
    assert acts(home, "get the cleaning on", room=None) == [("hallway.vacuum", "cleaning")]
    assert acts(home, "the robot vacuum", room=None) == []
    # said in the living room, the rules had read "get ... on" as its lights: "cleaning" was accounted for as the
    # vacuum's state (an option of a device not acted on) and as a form of "air cleaner" (a kind never named)
    assert acts(home, "get the cleaning on", room="living room") == [("hallway.vacuum", "cleaning")]
