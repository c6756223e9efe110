"""Remembering and retrieving: memories and episodes in SQLite, found again through embeddings."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from iotlm.device_drivers.model import Device
from iotlm.memory.embeddings import CachedEmbedder, Embedder
from iotlm.memory.index import VectorIndex
from iotlm.memory.store import MemoryStore

log = logging.getLogger(__name__)


def describe_device(device: Device) -> str:
    """The words a device is known by, for retrieval: name, aliases, room, type, attributes."""
    parts = [device.name, *device.aliases]
    if device.room:
        parts.append(f"in the {device.room}")
    parts.append(device.type.replace("_", " "))
    parts += [name.replace("_", " ") for name in device.attributes]
    return ", ".join(parts)


class Memory:
    def __init__(self, store: MemoryStore, embedder: Embedder, index_dir: Path) -> None:
        self.store = store
        self.embedder = CachedEmbedder(embedder, store)
        self.index = VectorIndex(embedder.dim)
        self.index_path = index_dir / "memories.faiss"
        index_dir.mkdir(parents=True, exist_ok=True)
        ids = {m["id"] for m in store.memories()}
        if not self.index.load(self.index_path) or self.index.ids() != ids:
            self.rebuild()
        self._device_cache: tuple[tuple[str, ...], np.ndarray] | None = None

    # ------------------------------------------------------------ memories

    def add(self, text: str, *, kind: str = "fact", user: str = "owner") -> int:
        memory_id = self.store.add_memory(text, kind=kind, user=user)
        self.index.add(memory_id, self.embedder.encode([text.strip()])[0])
        self.index.save(self.index_path)
        return memory_id

    def search(self, query: str, k: int = 5, *, kind: str | None = None, visible_to: str | None = None) -> list[dict[str, Any]]:
        """The memories nearest ``query``; ``visible_to``: only that person's own and the shared ones."""
        if not query.strip() or len(self.index) == 0:
            return []
        hits = self.index.search(self.embedder.encode([query])[0], k * 3 if kind or visible_to is not None else k)
        out = []
        for memory_id, score in hits:
            row = self.store.memory(memory_id)
            if row is None or (kind and row["kind"] != kind):
                continue  # deleted rows are never returned, whatever the cache says
            if visible_to is not None and row["user"] != visible_to and not row["shared"]:
                continue
            out.append({**row, "score": round(score, 4)})
        return out[:k]

    def forget(self, memory_id: int) -> bool:
        if not self.store.forget(memory_id):
            return False
        self.index.remove(memory_id)
        self.index.save(self.index_path)
        return True

    def rebuild(self) -> int:
        rows = self.store.memories()
        vectors = self.embedder.encode([r["text"] for r in rows]) if rows else np.zeros((0, self.index.dim), dtype=np.float32)
        self.index.build([r["id"] for r in rows], vectors)
        self.index.save(self.index_path)
        log.info("memory index rebuilt from SQLite: %d memories", len(rows))
        return len(rows)

    def export(self, visible_to: str | None = None) -> dict[str, Any]:
        """Everything remembered; ``visible_to``: that person's own memories and episodes, and the shared memories."""
        return {"exported": time.time(), "memories": self.store.memories(visible_to=visible_to),
                "episodes": self.store.episodes(user=visible_to)}

    # ------------------------------------------------------------ retrieval for the agent

    def relevant_devices(self, text: str, devices: list[Device], k: int = 8) -> list[Device]:
        """The ``k`` devices whose description is nearest the sentence."""
        if not devices:
            return []
        descriptions = tuple(describe_device(d) for d in devices)
        if self._device_cache is None or self._device_cache[0] != descriptions:
            self._device_cache = (descriptions, self.embedder.encode(list(descriptions)))
        scores = self._device_cache[1] @ self.embedder.encode([text])[0]
        order = np.argsort(-scores)[:k]
        return [devices[int(i)] for i in order]

    def similar_episodes(self, text: str, k: int = 3) -> list[dict[str, Any]]:
        """The successful episodes nearest in meaning to ``text``; nearest in words while the embedder is not loaded
        yet, so that a first model request does not wait seconds for it (a warm-up or the goal head loads it)."""
        episodes = self.store.episodes(successful=True, limit=2000)
        if not episodes:
            return []
        if not getattr(self.embedder, "loaded", True):
            words = set(re.findall(r"[a-z]+", text.lower()))
            return sorted(episodes, key=lambda e: -len(words & set(re.findall(r"[a-z]+", e["utterance"].lower()))))[:k]
        vectors = self.embedder.encode([e["utterance"] for e in episodes])
        scores = vectors @ self.embedder.encode([text])[0]
        return [episodes[int(i)] for i in np.argsort(-scores)[:k]]


__all__ = ["Memory", "describe_device"]
