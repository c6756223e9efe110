"""The learned reader: heads over all-MiniLM-L6-v2 that read a sentence the rules could not into a frame.

One pass of the packaged sentence model gives a vector per word and one for the sentence. A softmax layer on the
sentence says what is asked (:data:`~.reader_data.OPS`) and of which attribute (:data:`~.reader_data.CONCEPTS`); a
softmax layer on each word (with its neighbours and the sentence) tags the words naming the device, the room, the
value and a time. Trained by ``python -m iotlm.agent.understand.train_reader`` on Home Assistant's community templates
(:mod:`.reader_data`); the weights ship with the package (``reader_heads.npz``).

It proposes; the home decides. The words it tags are read by the home's own index (names, aliases, kinds, rooms),
the parser grounds the frame as its own, and the reader gives nothing (so the turn asks, or goes to the model) when:
it is not sure of the operation; no word of the sentence said that operation in its training sentences (an
unknown verb: "douse the lights" is not read as switching them on); it tags a time (a request about later is never done now); a room it tags is not
one of this home's; or the device words point at nothing here.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any, cast

import numpy as np

from iotlm.agent.understand.frame import Frame
from iotlm.agent.understand.index import HomeIndex
from iotlm.agent.understand.lexicon import Intent
from iotlm.agent.understand.reader_data import CONCEPTS, OPS, TAGS
from iotlm.agent.understand.templates import home_words
from iotlm.agent.understand.text import normalise

log = logging.getLogger(__name__)

WEIGHTS = "reader_heads.npz"
EVIDENCE_SIMILARITY = 0.8
"""How near in meaning (cosine of the packaged model's vectors) a word must be to one that said an operation in
training to say it too: inflections and close synonyms pass, unrelated verbs do not (measured on a few: 0.85 vs
0.28-0.48, ``tests/agent/test_learned_reader.py``)."""
WORD_CACHE = 4096
"""How many words' vectors the reader keeps for judging evidence by meaning (1.5 KB each)."""
_OWN_KIND = {"start": "vacuum", "dock": "vacuum"}
"""An operation only one kind of device has: starting and docking are a vacuum's, whatever it is called."""


def features(words: np.ndarray, sentence: np.ndarray) -> np.ndarray:
    """Each word's features for the tagger: its vector, its neighbours' (zeros past the ends) and the sentence's."""
    zero = np.zeros((1, words.shape[1]), dtype=words.dtype)
    before = np.vstack([zero, words[:-1]])
    after = np.vstack([words[1:], zero])
    return np.hstack([words, before, after, np.repeat(sentence[None, :], len(words), axis=0)])


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=-1, keepdims=True))


def spans(tags: list[str]) -> dict[str, list[list[int]]]:
    """Word positions of each tagged span, by field ("target", "room", "value", "time"); an I- tag after nothing of
    its field opens a span."""
    found: dict[str, list[list[int]]] = {}
    last = ""
    for i, tag in enumerate(tags):
        if tag == "O":
            last = ""
            continue
        kind, field = tag.split("-", 1)
        if kind == "B" or field != last:
            found.setdefault(field, []).append([i])
        else:
            found[field][-1].append(i)
        last = field
    return found


class Reading:
    """What the heads made of one sentence."""

    def __init__(self, words: list[str], op: str, op_p: float, concept: str, tags: list[str]) -> None:
        self.words, self.op, self.op_p, self.concept, self.tags = words, op, op_p, concept, tags

    def phrases(self, field: str) -> list[str]:
        return [" ".join(self.words[i] for i in span) for span in spans(self.tags).get(field, [])]


class LearnedReader:
    """Built once per home (the heads come from the package once per process)."""

    name = "learned"
    exact = False

    def __init__(self, index: HomeIndex, embedder: Callable[[], Any] | None = None, *,
                 heads: dict[str, np.ndarray] | None = None, min_confidence: float | None = None) -> None:
        """``min_confidence``: the op head's least probability to act on (default: the one training chose, where
        the head was right 97 % of the times it would act on templates it never saw)."""
        self.index = index
        self.embedder = embedder or _numpy_words
        """What gives word and sentence vectors (``words``): by default the NumPy MiniLM (:mod:`iotlm.memory.minilm`),
        which needs no PyTorch; the PyTorch embedder gives the same vectors (training uses it)."""
        self.heads = heads if heads is not None else load_heads()
        self.min_confidence = float(self.heads["min_confidence"]) if min_confidence is None else min_confidence
        self.evidence = frozenset(str(x) for x in self.heads.get("evidence", ()))
        """"op word": the words that said each operation in training (see :func:`.train_reader.evidence`)."""
        self._vectors: dict[str, np.ndarray | None] = {}
        self._by_op: dict[str, np.ndarray] | None = None

    def _says(self, op: str, word: str) -> bool:
        """Whether ``word`` said ``op`` in training, or is so near in meaning to a word that did (the packaged model's
        vectors, cosine at least :data:`EVIDENCE_SIMILARITY`): "low" as "lower" (0.85), "bright" as "brighter"
        (0.85), never "douse" as "on" (0.35)."""
        if f"{op} {word}" in self.evidence:
            return True
        said = self._evidence_vectors().get(op)
        vector = self._word_vector(word)
        return said is not None and vector is not None and float((said @ vector).max()) >= EVIDENCE_SIMILARITY

    def _names_an_act(self, op: str, word: str) -> bool:
        """Whether a word tagged as the device is the act itself ("get the *cleaning* on"): it said ``op`` in training
        and names no device here (the vacuum's own name is no request to start it)."""
        if f"{op} {word}" not in self.evidence:
            return False
        said = self.index.read(f"switch the {word}")
        return not said.named and not said.kinds

    def _word_vector(self, word: str) -> np.ndarray | None:
        if word not in self._vectors:
            if len(self._vectors) >= WORD_CACHE:  # a long-running service hears ever more words: kept bounded
                self._vectors.clear()
            embed = getattr(self.embedder(), "words", None)
            found = embed([[word]])[1][0] if embed is not None else None
            self._vectors[word] = None if found is None else found / (np.linalg.norm(found) or 1.0)
        return self._vectors[word]

    def _evidence_vectors(self) -> dict[str, np.ndarray]:
        if self._by_op is None:
            by_op: dict[str, list[np.ndarray]] = {}
            for item in sorted(self.evidence):
                op, word = item.split(" ", 1)
                vector = self._word_vector(word)
                if vector is not None:
                    by_op.setdefault(op, []).append(vector)
            self._by_op = {op: np.vstack(vs) for op, vs in by_op.items()}
        return self._by_op

    def reading(self, words: list[str]) -> Reading | None:
        """The heads' reading of ``words``; None where the embedder cannot give word vectors of the heads' size."""
        embed = getattr(self.embedder(), "words", None)
        if embed is None or not words:
            return None
        vectors, sentence = embed([words])
        if sentence.shape[1] != self.heads["op_w"].shape[0]:
            return None
        op_p = softmax(sentence[0] @ self.heads["op_w"] + self.heads["op_b"])
        concept_p = softmax(sentence[0] @ self.heads["concept_w"] + self.heads["concept_b"])
        tag_p = softmax(features(vectors[0], sentence[0]) @ self.heads["tag_w"] + self.heads["tag_b"])
        best = int(op_p.argmax())
        return Reading(words, OPS[best], float(op_p[best]), CONCEPTS[int(concept_p.argmax())],
                       [TAGS[int(t)] for t in tag_p.argmax(axis=1)])

    def read(self, text: str, room: str | None) -> tuple[Frame, tuple[str, ...]] | None:
        """A frame for ``text`` (normalised), and the words it used; None when unsure or about later (see above)."""
        found = self.reading(text.split())
        if found is None or found.op in ("none", "query") or found.op_p < self.min_confidence:
            return None
        if found.phrases("time"):
            return None  # "at three", "in ten minutes": never now
        if not any(self._says(found.op, w) if t == "O" else t.endswith("target") and self._names_an_act(found.op, w)
                   for w, t in zip(found.words, found.tags, strict=True)):
            return None  # no word of it says that operation as the training sentences did ("douse the lights")
        frame = Frame(text=text, intent=cast(Intent, found.op))  # every acting op is an Intent (a test checks)
        for phrase in found.phrases("room"):
            if set(phrase.split()) <= whole_home():
                continue  # "the house", "my flat": everywhere, no one room
            rooms = self.index.read(phrase).rooms or self.index.read(phrase.replace(" ", "")).rooms  # "bed room"
            if not rooms:
                return None  # a place this home does not have: the rules say so, or the model asks
            frame.rooms += [r for r in rooms if r not in frame.rooms]
        for phrase in found.phrases("target"):
            said = self.index.read(f"switch the {phrase}")  # the phrase as the object of a verb, as the rules read one
            frame.named += [d for d in said.named if d not in frame.named]
            frame.kinds += [k for k in said.kinds if k not in frame.kinds]
            frame.rooms += [r for r in said.rooms if r not in frame.rooms]
            frame.plural = frame.plural or said.plural
        if not frame.named and not frame.kinds:
            if found.op not in _OWN_KIND:
                return None
            frame.kinds = [_OWN_KIND[found.op]]
        for phrase in found.phrases("value"):
            value = self.index.read(phrase)
            frame.number, frame.unit, frame.word_value = value.number, value.unit, value.word_value
        if found.op in ("set", "up", "down") and found.concept != "none":
            frame.concept = found.concept
        if found.op == "set" and frame.number is None and frame.word_value is None:
            return None  # "set the lights": to what? the rules or the model ask
        used = tuple(w for w, t in zip(found.words, found.tags, strict=True) if t != "O")
        return frame, (found.op, *used)


WAY_SURE = 0.5
"""How sure the operation head must be of "up" or "down" to judge which way a planned change goes."""


def asked_way(text: str, frame: Frame, readers: Sequence[Any]) -> tuple[str, str | None] | None:
    """Which way the words ask a level to go, and of what: ("down", "brightness") for "make a room darker". The
    rules' reading first; else the learned reader's operation head when it is sure enough (:data:`WAY_SURE`), even
    where it was not sure enough to act. For judging what the model or the goal ranker planned, never to act."""
    if frame.intent in ("up", "down"):
        return str(frame.intent), frame.concept
    reader = next((r for r in readers if isinstance(r, LearnedReader)), None)
    reading = reader.reading(normalise(text).split()) if reader is not None else None
    if reading is not None and reading.op in ("up", "down") and reading.op_p >= WAY_SURE:
        return reading.op, reading.concept if reading.concept != "none" else None
    return None


@functools.lru_cache(maxsize=1)
def whole_home() -> frozenset[str]:
    """Words for the whole home, with the determiners said with them: Home Assistant's own ``<home>`` expansion
    ("home", "house", "apartment", "flat"), read from its package."""
    return home_words() | {"the", "my", "our", "whole", "entire"}


def _numpy_words() -> Any:
    from iotlm.memory.minilm import NumpyWords

    return NumpyWords()


@functools.lru_cache(maxsize=1)
def load_heads() -> dict[str, np.ndarray]:
    with resources.files("iotlm.agent.understand").joinpath(WEIGHTS).open("rb") as f:
        data = np.load(f)
        heads = {k: data[k] for k in data.files}
    if [str(x) for x in heads["ops"]] != list(OPS) or [str(x) for x in heads["tags"]] != list(TAGS):
        raise ValueError("the reader's heads were trained for other labels; retrain them with train_reader")
    return heads


__all__ = ["EVIDENCE_SIMILARITY", "WAY_SURE", "WEIGHTS", "LearnedReader", "Reading", "asked_way", "features", "load_heads",
           "softmax", "spans", "whole_home"]
