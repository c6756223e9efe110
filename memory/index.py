"""A faiss index over vectors kept in SQLite: a cache that can always be rebuilt.

Exact inner product (``IndexFlatIP``) up to ``approximate_over`` vectors, an IVF index
past it. Ids are the SQLite row ids, so removals are exact.
"""

from __future__ import annotations

import logging
from pathlib import Path

import faiss
import numpy as np

log = logging.getLogger(__name__)


class VectorIndex:
    def __init__(self, dim: int, *, approximate_over: int = 50_000, nprobe: int = 16) -> None:
        self.dim = dim
        self.approximate_over = approximate_over
        self.nprobe = nprobe
        self.index: faiss.Index = faiss.IndexIDMap(faiss.IndexFlatIP(dim))
        self.approximate = False

    def __len__(self) -> int:
        return int(self.index.ntotal)


    def build(self, ids: list[int], vectors: np.ndarray) -> None:
        n = len(ids)
        if n > self.approximate_over:
            nlist = int(4 * np.sqrt(n))
            quantizer = faiss.IndexFlatIP(self.dim)
            ivf = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            ivf.train(vectors)
            ivf.nprobe = self.nprobe
            self.index = faiss.IndexIDMap(ivf)
            self.approximate = True
        else:
            self.approximate = False
            self.index = faiss.IndexIDMap(faiss.IndexFlatIP(self.dim))
        if n:
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def add(self, item_id: int, vector: np.ndarray) -> None:
        self.index.add_with_ids(np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32), np.asarray([item_id], dtype=np.int64))

    def remove(self, item_id: int) -> None:
        self.index.remove_ids(np.asarray([item_id], dtype=np.int64))  # type: ignore[arg-type]  # faiss converts arrays

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if len(self) == 0:
            return []
        scores, ids = self.index.search(np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32), min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def ids(self) -> set[int]:
        inner = faiss.downcast_index(self.index)
        return set(faiss.vector_to_array(inner.id_map).tolist()) if hasattr(inner, "id_map") else set()

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        faiss.write_index(self.index, str(tmp))
        tmp.replace(path)

    def load(self, path: Path) -> bool:
        """Load the cache; False (and a log line) when it is missing or unreadable."""
        if not path.exists():
            log.info("memory index %s is missing; it will be rebuilt from SQLite", path)
            return False
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            log.warning("memory index %s is unreadable (%s); rebuilding it from SQLite", path, str(exc).splitlines()[0])
            return False
        if index.d != self.dim:
            log.warning("memory index %s has dimension %d, not %d; rebuilding it from SQLite", path, index.d, self.dim)
            return False
        self.index = index
        return True


__all__ = ["VectorIndex"]
