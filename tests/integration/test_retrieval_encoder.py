"""Retrieval through a tiny real transformers encoder (a random-init BERT and a tokenizer trained here)."""

from __future__ import annotations

import numpy as np
import pytest
from support.retrieval_pairs import KNAPSACK, PAIRS, SORT_STD, SUM_CIN, pairs_frame

from pie_assets.evaluation.embeddings import TransformersEmbedder, make_embedder
from pie_assets.evaluation.retrieval import RetrievalIndex


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
