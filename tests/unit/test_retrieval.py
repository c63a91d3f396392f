"""Retrieval over real FAISS indexes, the hashed n-gram embedder, and a tiny real transformers encoder."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import polars as pl
import pytest

from pie_assets.evaluation.embeddings import HashedNgramEmbedder, TransformersEmbedder, make_embedder
from pie_assets.evaluation.examples import Example
from pie_assets.evaluation.retrieval import RetrievalIndex

SUM_CIN = """#include <iostream>
using namespace std;
int main() {
    int n; cin >> n;
    long long total = 0;
    for (int i = 0; i < n; i++) { long long x; cin >> x; total += x; }
    cout << total << endl;
}
"""
SUM_SCANF = """#include <cstdio>
int main() {
    int n; scanf("%d", &n);
    long long total = 0;
    for (int i = 0; i < n; i++) { long long x; scanf("%lld", &x); total += x; }
    printf("%lld\\n", total);
}
"""
SORT_BUBBLE = """#include <bits/stdc++.h>
using namespace std;
int main() {
    int n; cin >> n;
    vector<int> a(n);
    for (int i = 0; i < n; i++) cin >> a[i];
    for (int i = 0; i < n; i++)
        for (int j = 0; j + 1 < n - i; j++)
            if (a[j] > a[j + 1]) swap(a[j], a[j + 1]);
    for (int i = 0; i < n; i++) cout << a[i] << (i + 1 < n ? ' ' : '\\n');
}
"""
SORT_STD = """#include <bits/stdc++.h>
using namespace std;
int main() {
    ios::sync_with_stdio(false); cin.tie(nullptr);
    int n; cin >> n;
    vector<int> a(n);
    for (auto &x : a) cin >> x;
    sort(a.begin(), a.end());
    for (int i = 0; i < n; i++) cout << a[i] << (i + 1 < n ? ' ' : '\\n');
}
"""
DP_RECURSIVE = """#include <bits/stdc++.h>
using namespace std;
long long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main() {
    int n; cin >> n;
    cout << fib(n) % 1000000007 << endl;
}
"""
DP_TABLE = """#include <bits/stdc++.h>
using namespace std;
int main() {
    int n; cin >> n;
    vector<long long> dp(n + 2, 0);
    dp[1] = 1;
    for (int i = 2; i <= n; i++) dp[i] = (dp[i - 1] + dp[i - 2]) % 1000000007;
    cout << dp[n] << '\\n';
}
"""
KNAPSACK = """#include <bits/stdc++.h>
using namespace std;
int main() {
    int n, w; cin >> n >> w;
    vector<int> wt(n), val(n);
    for (int i = 0; i < n; i++) cin >> wt[i] >> val[i];
    vector<vector<long long>> dp(n + 1, vector<long long>(w + 1, 0));
    for (int i = 1; i <= n; i++)
        for (int c = 0; c <= w; c++) {
            dp[i][c] = dp[i - 1][c];
            if (c >= wt[i - 1]) dp[i][c] = max(dp[i][c], dp[i - 1][c - wt[i - 1]] + val[i - 1]);
        }
    cout << dp[n][w] << endl;
}
"""
KNAPSACK_1D = KNAPSACK.replace(
    "vector<vector<long long>> dp(n + 1, vector<long long>(w + 1, 0));", "vector<long long> dp(w + 1, 0);"
)

# (src_id, tgt_id, problem_id, src_code, tgt_code, speedup). SUM_CIN is in four pairs: the
# highest speedup (3.5) is shared by three, the lowest tgt_id among them (t8) by two, and of
# those the lowest src_id (s3) is kept.
PAIRS = [
    ("s5", "t7", "p1", SUM_CIN, SUM_SCANF, 2.0),
    ("s5", "t9", "p1", SUM_CIN, SUM_SCANF, 3.5),
    ("s5", "t8", "p1", SUM_CIN, SUM_SCANF, 3.5),
    ("s3", "t8", "p1", SUM_CIN, SUM_SCANF, 3.5),
    ("s1", "t1", "p2", SORT_BUBBLE, SORT_STD, 40.0),
    ("s2", "t2", "p3", DP_RECURSIVE, DP_TABLE, 1000.0),
    ("s4", "t4", "p4", KNAPSACK, KNAPSACK_1D, 1.5),
]


def pairs_frame(rows=PAIRS) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["src_id", "tgt_id", "problem_id", "src_code", "tgt_code", "speedup"], orient="row"
    )


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


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory) -> str:
    """A random-init 2-layer BERT and a WordPiece tokenizer trained here, saved as a model directory."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    path = tmp_path_factory.mktemp("tiny-bert")
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.train_from_iterator(
        [code for *_, src, tgt, _ in PAIRS for code in (src, tgt)],
        trainers.WordPieceTrainer(vocab_size=300, special_tokens=special),
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=wordpiece,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=128,
    )
    tokenizer.save_pretrained(path)
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=wordpiece.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    transformers.BertModel(config).save_pretrained(path)
    return str(path)


def test_transformers_embedder_mean_pools_over_the_mask(tiny_encoder):
    embedder = TransformersEmbedder(tiny_encoder, max_length=128, device="cpu", batch_size=8)
    assert embedder.dim == 32
    vectors = embedder.embed([SUM_CIN, KNAPSACK, "int main() {}"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(embedder.embed([SUM_CIN, KNAPSACK, "int main() {}"]), vectors)
    alone = embedder.embed(["int main() {}"])[0]
    padded = embedder.embed(["int main() {}", KNAPSACK])[0]  # padded to KNAPSACK's length
    np.testing.assert_allclose(alone, padded, atol=1e-5)
    assert not np.allclose(vectors[0], vectors[1], atol=1e-3)
    again = make_embedder({"encoder": tiny_encoder, "max_length": 128, "dim": 1024, "device": "cpu"})
    assert again.version == embedder.version and again.dim == 32
    np.testing.assert_allclose(again.embed([SUM_CIN]), vectors[:1], atol=1e-6)
    assert TransformersEmbedder(tiny_encoder, max_length=64, device="cpu").version != embedder.version
    index = RetrievalIndex.build(pairs_frame(), embedder)
    assert [len(found) for found in index.search([SUM_CIN, SORT_STD], k=2)] == [2, 2]
