"""PIE's retrieval over the training slow programs: the nearest training pairs of a query program,
the examples of the retrieval few-shot prompt.

A FAISS `IndexFlatL2` (exact search, as PIE's) over the embeddings of the UNIQUE training
src_code. When a src_code is in several pairs, the example kept for it is the pair with the
highest speedup (PIE's rule), ties broken by the lowest tgt_id, then the lowest src_id. The kept
examples are in (src_id, tgt_id, src_code) order, whatever the order of the input rows, so the
same pairs build the same index and the same content hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import fields

import faiss
import numpy as np
import polars as pl

from pie_assets.evaluation.embeddings import Embedder
from pie_assets.evaluation.examples import Example

EXAMPLE_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Example))
_SCHEMA = {name: (pl.Float64 if name == "speedup" else pl.Utf8) for name in EXAMPLE_COLUMNS}
_INDEX, _CORPUS, _META = "index.faiss", "corpus.parquet", "meta.json"
# Squared L2 distances are within 4 for unit vectors; float32 rounding is far below this margin.
_TIE_MARGIN = 1e-4


def _keep_fastest_pair(pairs: pl.DataFrame) -> pl.DataFrame:
    missing = [name for name in EXAMPLE_COLUMNS if name not in pairs.columns]
    if missing:
        raise ValueError("retrieval pairs lack column(s): " + ", ".join(missing))
    rows = pairs.select(pl.col(name).cast(dtype) for name, dtype in _SCHEMA.items())
    nulls = [name for name in EXAMPLE_COLUMNS if rows[name].null_count()]
    if nulls:
        raise ValueError("retrieval pairs hold nulls in: " + ", ".join(nulls))
    return (
        rows.sort(["speedup", "tgt_id", "src_id"], descending=[True, False, False])
        .unique(subset="src_code", keep="first", maintain_order=True)
        .sort(["src_id", "tgt_id", "src_code"])
    )


class RetrievalIndex:
    def __init__(self, index: faiss.Index, corpus: pl.DataFrame, embedder: Embedder) -> None:
        self._index = index
        self._corpus = corpus
        self._embedder = embedder
        self._examples = [Example(**row) for row in corpus.iter_rows(named=True)]
        self._row_of_code = {example.src_code: row for row, example in enumerate(self._examples)}
        self._content_hash = self._hash(corpus, embedder.version)

    @staticmethod
    def _hash(corpus: pl.DataFrame, embedder_version: str) -> str:
        """The retrieval's data version: the embedder's version and every kept row, in index order."""
        digest = hashlib.sha256(embedder_version.encode())
        for row in corpus.iter_rows():
            digest.update(json.dumps(row, ensure_ascii=False).encode() + b"\n")
        return digest.hexdigest()[:16]

    @classmethod
    def build(cls, pairs: pl.DataFrame, embedder: Embedder) -> RetrievalIndex:
        """`pairs`: the TRAIN split's pairs (src_id, tgt_id, problem_id, src_code, tgt_code, speedup)."""
        corpus = _keep_fastest_pair(pairs)
        index = faiss.IndexFlatL2(embedder.dim)
        if corpus.height:
            index.add(embedder.embed(corpus["src_code"].to_list()))
        return cls(index, corpus, embedder)

    @property
    def content_hash(self) -> str:
        return self._content_hash

    def __len__(self) -> int:
        return len(self._examples)

    def search(self, codes: Sequence[str], k: int) -> list[list[Example]]:
        """Per query, its k nearest examples, the MOST SIMILAR LAST (PIE puts the nearest next to
        the query). The example whose src_code is the query itself is never returned; fewer than
        k come back when the corpus is smaller. Equal distances go by index order."""
        if not codes:
            return []
        if k <= 0 or not self._examples:
            return [[] for _ in codes]
        queries = self._embedder.embed(codes)
        results = []
        for code, query, rows in zip(codes, queries, self._candidates(queries, min(k + 1, len(self))), strict=True):
            rows = rows[rows != self._row_of_code.get(code, -1)]
            if rows.size:
                exact = ((self._index.reconstruct_batch(rows).astype(np.float64) - query) ** 2).sum(axis=1)
                rows = rows[np.lexsort((rows, exact))][:k]
            results.append([self._examples[row] for row in reversed(rows)])
        return results

    def _candidates(self, queries: np.ndarray, need: int) -> np.ndarray:
        """Per query, FAISS's nearest rows, widened until every row tied with the need-th (within a
        margin far above float32 rounding) is among them: FAISS's order among equal distances is
        not part of its contract, so the caller re-ranks these on exact distances, then by row."""
        width = min(need + 1, len(self))
        while True:
            distances, rows = self._index.search(queries, width)
            if width == len(self) or bool(np.all(distances[:, -1] > distances[:, need - 1] + _TIE_MARGIN)):
                return rows
            width = min(2 * width, len(self))

    def save(self, directory: str) -> str:
        """Writes index.faiss, corpus.parquet (the kept examples in index order) and meta.json into
        a temp dir beside `directory`, then renames it into place (an old index is moved aside
        first and removed): readers see the old index or the new one, never a half-written one."""
        directory = os.path.abspath(directory)
        parent, name = os.path.split(directory)
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent)
        try:
            faiss.write_index(self._index, os.path.join(staging, _INDEX))
            self._corpus.write_parquet(os.path.join(staging, _CORPUS))
            meta = {
                "embedder": {"name": self._embedder.name, "version": self._embedder.version, "dim": self._embedder.dim},
                "rows": len(self),
                "content_hash": self.content_hash,
            }
            with open(os.path.join(staging, _META), "w") as f:
                json.dump(meta, f, indent=2, sort_keys=True)
            retired = None
            if os.path.exists(directory):
                retired = tempfile.mkdtemp(prefix=f".{name}.old-", dir=parent)
                os.replace(directory, retired)  # onto an empty directory: POSIX rename allows it
            os.replace(staging, directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if retired:
            shutil.rmtree(retired, ignore_errors=True)
        return directory

    @classmethod
    def load(cls, directory: str, embedder: Embedder) -> RetrievalIndex:
        """A saved index, refused when it was built by another embedder version (its vectors would
        not be comparable with the queries') or when its files disagree with its meta.json."""
        with open(os.path.join(directory, _META)) as f:
            meta = json.load(f)
        built_by = meta["embedder"]["version"]
        if built_by != embedder.version:
            raise ValueError(
                f"retrieval index {directory} was built with embedder version {built_by!r}, "
                f"not {embedder.version!r}: rebuild it with this embedder"
            )
        index = faiss.read_index(os.path.join(directory, _INDEX))
        corpus = pl.read_parquet(os.path.join(directory, _CORPUS)).select(
            pl.col(name).cast(dtype) for name, dtype in _SCHEMA.items()
        )
        loaded = cls(index, corpus, embedder)
        if index.ntotal != len(loaded) or loaded.content_hash != meta["content_hash"]:
            raise ValueError(
                f"retrieval index {directory} is inconsistent: {index.ntotal} vectors, "
                f"{len(loaded)} corpus rows, content hash {loaded.content_hash} "
                f"(meta.json says {meta['rows']} rows, {meta['content_hash']})"
            )
        return loaded

    def examples(self) -> list[Example]:
        """The kept examples in index order."""
        return list(self._examples)
