"""RRTF's loss on hand-computed values: the ranking hinge on length-normalised log-probabilities
plus the cross-entropy of the best-ranked response (PanGu-Coder2; ../shared/pie_reference.md)."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("torch")

import torch

from pie_assets.training.rrtf_loss import response_logprobs, rrtf_loss


def test_one_prompt_hinge_over_ordered_pairs_plus_sft_on_the_best() -> None:
    # p = (-1.0, -2.0, -0.5) for ranks (1, 2, 3); pairs with rank_a better than rank_b:
    #   (1, 2): max(0, p_2 - p_1) = max(0, -2.0 + 1.0) = 0
    #   (1, 3): max(0, p_3 - p_1) = max(0, -0.5 + 1.0) = 0.5
    #   (2, 3): max(0, p_3 - p_2) = max(0, -0.5 + 2.0) = 1.5
    # hinge = 2.0; SFT on the best (rank 1) = -p_1 = 1.0; loss = 3.0
    p = torch.tensor([-1.0, -2.0, -0.5], requires_grad=True)
    loss = rrtf_loss(p, torch.tensor([1, 2, 3]))
    assert loss.item() == pytest.approx(3.0)
    loss.backward()
    # d/dp_1: -1 (from (1,3)) - 1 (SFT) = -2; d/dp_2: -1 (from (2,3)); d/dp_3: +1 +1 = 2
    assert p.grad.tolist() == pytest.approx([-2.0, -1.0, 2.0])


def test_a_correct_order_costs_only_the_sft_term() -> None:
    # p falls with the rank: every hinge is 0; loss = -p_best = 0.25
    assert rrtf_loss(torch.tensor([-0.25, -1.0, -3.0]), torch.tensor([1, 2, 3])).item() == pytest.approx(0.25)


def test_ties_are_no_pair_and_share_the_sft_term() -> None:
    # ranks (1, 1, 2), p = (-1, -3, -2): pairs (1a, 2) and (1b, 2) only (1a, 1b tie):
    #   max(0, -2 + 1) = 0, max(0, -2 + 3) = 1 -> hinge 1
    # SFT: mean of -p over both rank-1 responses = (1 + 3) / 2 = 2; loss = 3
    assert rrtf_loss(torch.tensor([-1.0, -3.0, -2.0]), torch.tensor([1, 1, 2])).item() == pytest.approx(3.0)


def test_a_batch_is_the_mean_over_its_prompts() -> None:
    # prompt 0: p = (-1, -2, -0.5), ranks (1, 2, 3) -> 3.0 (the first test)
    # prompt 1: p = (-0.5, -1.5), ranks (2, 1): the one pair is rank 1 (p = -1.5) over rank 2
    #   (p = -0.5): max(0, -0.5 + 1.5) = 1.0; SFT = -(-1.5) = 1.5 -> 2.5
    # mean = (3.0 + 2.5) / 2 = 2.75
    p = torch.tensor([-1.0, -2.0, -0.5, -0.5, -1.5])
    ranks = torch.tensor([1, 2, 3, 2, 1])
    groups = torch.tensor([0, 0, 0, 1, 1])
    assert rrtf_loss(p, ranks, groups).item() == pytest.approx(2.75)


def test_response_logprobs_are_the_mean_over_response_tokens() -> None:
    # One sequence [7, 1, 0] over a vocabulary of 8 with mask (0, 1, 1): token 1 is predicted by
    # position 0's logits, token 0 by position 1's. Logits = log of the probabilities:
    #   position 0: P(1) = 0.25 -> log 0.25; position 1: P(0) = 0.5 -> log 0.5
    #   p = (log 0.25 + log 0.5) / 2 = -1.5 log 2 = -1.0397
    # A second sequence [7, 1, 0] with mask (0, 0, 1): p = log 0.5 (the prompt token is not scored).
    probs = torch.empty(3, 8)
    probs[0], probs[0, 1] = 0.75 / 7, 0.25
    probs[1], probs[1, 0] = 0.5 / 7, 0.5
    probs[2] = 1 / 8  # the last position predicts nothing
    assert probs.sum(-1).tolist() == pytest.approx([1.0, 1.0, 1.0])
    logits = probs.log().expand(2, 3, 8)
    ids = torch.tensor([[7, 1, 0], [7, 1, 0]])
    mask = torch.tensor([[0, 1, 1], [0, 0, 1]])
    p = response_logprobs(logits, ids, mask)
    assert p.tolist() == pytest.approx([-1.5 * math.log(2), math.log(0.5)])
