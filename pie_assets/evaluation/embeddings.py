"""Program embeddings for retrieval few-shot prompting.

PIE embedded the training slow programs with `neulab/codebert-cpp` (mean pooled, through
sentence-transformers). Those weights cannot be assumed here, so the default encoder is hashed
token n-grams: no weights, offline, and the same vectors in every process and on every machine.
`TransformersEmbedder` is PIE's kind of encoder for users who have the weights.

Every embedder returns float32 rows of unit L2 norm (an empty text embeds as the zero vector),
and names a `version` that changes whenever its vectors would: a saved retrieval index is only
reused with the embedder version that built it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol

import numpy as np


class Embedder(Protocol):
    name: str
    version: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)


def _short_hash(values: Any) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


# C++ tokens: identifiers, numbers (with suffixes and exponents), the multi-character operators,
# then any other single non-space character. Whitespace and layout never count.
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|<<=|>>=|->\*?|::|\+\+|--|<<|>>|&&|\|\||[-+*/%&|^!=<>]=|\S")


@lru_cache(maxsize=1 << 18)
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    """Feature hashing with blake2b, never Python's salted `hash()`: the same bucket and sign in
    every process. Cached because the n-grams of C++ programs repeat heavily across a corpus."""
    value = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return value % dim, (1.0 if value >> 63 else -1.0)


class HashedNgramEmbedder:
    """Token n-grams (1..ngram_max) hashed into `dim` signed buckets, sublinear tf (1 + log count),
    L2-normalised: programs sharing identifiers, library calls and idioms come out close."""

    name = "hashed-ngrams"

    def __init__(self, dim: int = 1024, ngram_max: int = 3) -> None:
        if dim < 1 or ngram_max < 1:
            raise ValueError(f"hashed-ngrams needs dim >= 1 and ngram_max >= 1, got {dim}, {ngram_max}")
        self.dim = dim
        self.ngram_max = ngram_max
        self.version = "hashed-ngrams-" + _short_hash(
            {
                "token_pattern": _TOKEN.pattern,
                "hash": "blake2b-64",
                "tf": "1+log",
                "dim": dim,
                "ngram_max": ngram_max,
            }
        )

    def _features(self, text: str) -> Counter[str]:
        tokens = _TOKEN.findall(text)
        return Counter(
            "\x1f".join(tokens[i : i + n]) for n in range(1, self.ngram_max + 1) for i in range(len(tokens) - n + 1)
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float64)
        for row, text in enumerate(texts):
            for feature, count in self._features(text).items():
                column, sign = _bucket(feature, self.dim)
                vectors[row, column] += sign * (1.0 + math.log(count))
        return _normalise(vectors)


def _directory_fingerprint(path: str) -> str:
    """Names and sizes of a local model directory's files (config, tokenizer, weights): new
    weights or a new tokenizer change it without reading gigabytes to hash them."""
    files = sorted(
        (os.path.relpath(os.path.join(root, name), path), os.path.getsize(os.path.join(root, name)))
        for root, _, names in os.walk(path)
        for name in names
    )
    return _short_hash(files)


class TransformersEmbedder:
    """A transformers encoder, mean pooled over the attention mask (sentence-transformers' mean
    pooling, as PIE used `neulab/codebert-cpp`) and L2-normalised. `model` is a local directory
    or a hub name; texts are cut to `max_length` tokens."""

    def __init__(self, model: str, *, max_length: int = 512, device: str = "auto", batch_size: int = 16) -> None:
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as err:
            raise ImportError(
                f"the transformers encoder {model!r} needs torch and transformers: "
                "install the `ml` extra (pip install 'pie-lakehouse[ml]')"
            ) from err
        self._torch = torch
        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.model = AutoModel.from_pretrained(model).to(self.device).eval()
        self.name = model
        self.dim = int(self.model.config.hidden_size)
        self.max_length = max_length
        self.batch_size = batch_size
        source = _directory_fingerprint(model) if os.path.isdir(model) else "hub"
        self.version = f"{model}-" + _short_hash({"source": source, "max_length": max_length, "pooling": "mean"})

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        chunks = [np.zeros((0, self.dim), dtype=np.float32)]
        for start in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(
                list(texts[start : start + self.batch_size]),
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device)
            with torch.inference_mode():
                hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            chunks.append(pooled.float().cpu().numpy())
        return _normalise(np.concatenate(chunks))


def make_embedder(settings: Mapping[str, Any]) -> Embedder:
    """The embedder a `[retrieval]` config section names: `encoder = "hashed-ngrams"` (the default;
    reads `dim`, `ngram_max`) or a transformers model directory / hub name (reads `max_length`,
    `device`, `batch_size`). One section serves both kinds, so the other kind's keys are ignored."""
    encoder = settings.get("encoder", "hashed-ngrams")
    if encoder == "hashed-ngrams":
        return HashedNgramEmbedder(dim=int(settings.get("dim", 1024)), ngram_max=int(settings.get("ngram_max", 3)))
    return TransformersEmbedder(
        encoder,
        max_length=int(settings.get("max_length", 512)),
        device=str(settings.get("device", "auto")),
        batch_size=int(settings.get("batch_size", 16)),
    )
