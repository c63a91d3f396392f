"""Retrieval over real FAISS indexes, and the hashed n-gram embedder
(tests/integration/test_retrieval_encoder.py: a tiny real transformers encoder)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
from support.retrieval_pairs import (
    DP_RECURSIVE,
    KNAPSACK,
    PAIRS,
    SORT_BUBBLE,
    SORT_STD,
    SUM_CIN,
    SUM_SCANF,
    pairs_frame,
)

from pie_assets.evaluation.embeddings import HashedNgramEmbedder, make_embedder
from pie_assets.evaluation.examples import Example
from pie_assets.evaluation.retrieval import RetrievalIndex


@pytest.fixture(scope="module")
def embedder() -> HashedNgramEmbedder:
    return HashedNgramEmbedder()


@pytest.fixture(scope="module")
def index(embedder) -> RetrievalIndex:
    return RetrievalIndex.build(pairs_frame(), embedder)


def ids(examples: list[Example]) -> list[str]:
    return [e.src_id for e in examples]


def test_unique_src_code_keeps_the_fastest_pair_in_src_id_order(index, embedder):
    kept = [(e.src_id, e.tgt_id, e.speedup) for e in index.examples()]
    assert kept == [("s1", "t1", 40.0), ("s2", "t2", 1000.0), ("s3", "t8", 3.5), ("s4", "t4", 1.5)]
    assert len(index) == 4
    shuffled = RetrievalIndex.build(pairs_frame(PAIRS[::-1]), embedder)
    assert shuffled.examples() == index.examples()
    assert shuffled.content_hash == index.content_hash
    fewer = RetrievalIndex.build(pairs_frame(PAIRS[:-1]), embedder)
    assert fewer.content_hash != index.content_hash


def test_missing_columns_and_nulls_are_refused(embedder):
    with pytest.raises(ValueError, match="speedup"):
        RetrievalIndex.build(pairs_frame().drop("speedup"), embedder)
    with pytest.raises(ValueError, match="nulls in: tgt_code"):
        RetrievalIndex.build(pairs_frame().with_columns(pl.lit(None, pl.Utf8).alias("tgt_code")), embedder)


def test_an_edited_program_finds_its_original_last(index):
    edited = SORT_BUBBLE.replace("swap(a[j], a[j + 1]);", "{ int t = a[j]; a[j] = a[j + 1]; a[j + 1] = t; }")
    [found] = index.search([edited], k=3)
    assert len(found) == 3
    assert found[-1].src_id == "s1" and found[-1].tgt_code == SORT_STD
    edited_sum = SUM_CIN.replace("total", "sum")
    [found_sum] = index.search([edited_sum], k=2)
    assert found_sum[-1] == Example("s3", "t8", "p1", SUM_CIN, SUM_SCANF, 3.5)


def test_k_beyond_the_corpus_and_self_exclusion(index):
    fresh, own = index.search(["int main() { return 0; }", DP_RECURSIVE], k=10)
    assert sorted(ids(fresh)) == ["s1", "s2", "s3", "s4"]
    assert sorted(ids(own)) == ["s1", "s3", "s4"]  # never its own example
    assert index.search([DP_RECURSIVE], k=0) == [[]]
    assert index.search([], k=4) == []


def test_equal_distances_go_by_index_order(embedder):
    # Whitespace does not count in the hashed embedding: these three have the same vector.
    spaced = [SUM_SCANF.replace("\n", "\n" + " " * i) for i in (1, 2, 3)]
    rows = [
        ("z9", "z9t", "p9", spaced[0], SUM_SCANF, 2.0),
        ("a1", "a1t", "p9", spaced[1], SUM_SCANF, 2.0),
        ("m5", "m5t", "p9", spaced[2], SUM_SCANF, 2.0),
    ] + PAIRS[4:]
    tied = RetrievalIndex.build(pairs_frame(rows), embedder)
    np.testing.assert_array_equal(embedder.embed(spaced[:1]), embedder.embed(spaced[2:]))
    for _ in range(3):
        assert ids(tied.search([SUM_SCANF], k=1)[0]) == ["a1"]
        assert ids(tied.search([SUM_SCANF], k=3)[0]) == ["z9", "m5", "a1"]
        assert ids(tied.search([spaced[1]], k=2)[0]) == ["z9", "m5"]  # itself skipped, the tie kept


def test_save_load_same_results_and_version_check(index, embedder, tmp_path):
    path = index.save(str(tmp_path / "retrieval"))
    assert sorted(os.listdir(path)) == ["corpus.parquet", "index.faiss", "meta.json"]
    meta = json.loads((tmp_path / "retrieval" / "meta.json").read_text())
    assert meta == {
        "embedder": {"name": "hashed-ngrams", "version": embedder.version, "dim": 1024},
        "rows": 4,
        "content_hash": index.content_hash,
    }
    loaded = RetrievalIndex.load(path, HashedNgramEmbedder())
    queries = [SORT_BUBBLE + "// edited\n", DP_RECURSIVE, SUM_SCANF]
    assert loaded.search(queries, k=3) == index.search(queries, k=3)
    assert loaded.content_hash == index.content_hash and len(loaded) == 4
    with pytest.raises(ValueError, match="embedder version"):
        RetrievalIndex.load(path, HashedNgramEmbedder(dim=512))
    with pytest.raises(ValueError, match="embedder version"):
        RetrievalIndex.load(path, HashedNgramEmbedder(ngram_max=2))


def test_save_replaces_the_old_index_whole(index, embedder, tmp_path):
    target = tmp_path / "retrieval"
    index.save(str(target))
    smaller = RetrievalIndex.build(pairs_frame(PAIRS[4:]), embedder)
    smaller.save(str(target))
    assert os.listdir(tmp_path) == ["retrieval"]  # no staging or retired directories left
    assert sorted(os.listdir(target)) == ["corpus.parquet", "index.faiss", "meta.json"]
    reloaded = RetrievalIndex.load(str(target), embedder)
    assert ids(reloaded.examples()) == ["s1", "s2", "s4"]
    assert reloaded.content_hash == smaller.content_hash


def test_empty_corpus(embedder, tmp_path):
    empty = RetrievalIndex.build(pairs_frame([]), embedder)
    assert len(empty) == 0 and empty.search([SUM_CIN], k=4) == [[]]
    assert len(RetrievalIndex.load(empty.save(str(tmp_path / "empty")), embedder)) == 0


def test_hashed_embedding_values_by_hand():
    embedder = HashedNgramEmbedder(dim=1 << 20, ngram_max=2)
    one_each = embedder.embed(["a<<b"])[0]
    # tokens a, <<, b: five features of count 1, each ±1 in its own bucket, then normalised
    assert sorted(np.abs(one_each[one_each != 0]).tolist()) == pytest.approx([1 / math.sqrt(5)] * 5)
    np.testing.assert_array_equal(embedder.embed(["a << b"]), embedder.embed(["a<<b"]))
    assert not np.array_equal(embedder.embed(["a < < b"]), embedder.embed(["a<<b"]))
    repeated = embedder.embed(["x x"])[0]  # "x" twice: 1 + ln 2; "x x" once: 1
    norm = math.hypot(1 + math.log(2), 1)
    assert sorted(np.abs(repeated[repeated != 0]).tolist()) == pytest.approx([1 / norm, (1 + math.log(2)) / norm])
    vectors = HashedNgramEmbedder().embed(["", SUM_CIN])
    assert vectors.dtype == np.float32 and vectors.shape == (2, 1024)
    assert not vectors[0].any()  # empty text: the zero vector
    assert np.linalg.norm(vectors[1]) == pytest.approx(1.0, abs=1e-6)


def test_hashed_embedding_is_the_same_in_another_process():
    script = (
        "import sys; from pie_assets.evaluation.embeddings import HashedNgramEmbedder; "
        "sys.stdout.write(HashedNgramEmbedder().embed([sys.stdin.read()]).tobytes().hex())"
    )
    here = HashedNgramEmbedder().embed([KNAPSACK]).tobytes().hex()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script], input=KNAPSACK, capture_output=True, text=True, env=env, check=True
        ).stdout
        assert out == here


def test_make_embedder_reads_its_own_keys():
    hashed = make_embedder({"encoder": "hashed-ngrams", "dim": 256, "ngram_max": 2, "max_length": 512, "k": 4})
    assert isinstance(hashed, HashedNgramEmbedder) and (hashed.dim, hashed.ngram_max) == (256, 2)
    assert make_embedder({}).version == HashedNgramEmbedder().version
    assert HashedNgramEmbedder(dim=256).version != HashedNgramEmbedder().version
