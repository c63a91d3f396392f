"""RRTF's loss (PanGu-Coder2), as pure functions of tensors so it can be checked by hand.

With p the length-normalised log-probability of a response (its mean token log-probability
given the prompt), one prompt's loss is

    sum over pairs (a, b) with rank_a better than rank_b of max(0, p_b - p_a)   (ranking hinge)
  + the cross-entropy of the best-ranked response                               (SFT)

Rank 1 is best and tied responses share a rank: a tie is no pair, and the SFT term is the mean
over every response of the best rank. The token-mean cross-entropy of a response is -p, so both
terms are in the same units. A batch's loss is the mean over its prompts.
"""

from __future__ import annotations

import torch


def response_logprobs(logits: torch.Tensor, input_ids: torch.Tensor, response_mask: torch.Tensor) -> torch.Tensor:
    """p per sequence: the mean log-probability of the tokens where `response_mask` is 1, each
    predicted from the logits one position before it. logits [n, T, V]; input_ids, mask [n, T]."""
    targets = input_ids[:, 1:]
    mask = response_mask[:, 1:].to(torch.float32)
    logps = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (logps * mask).sum(-1) / mask.sum(-1)


def rrtf_loss(logprobs: torch.Tensor, ranks: torch.Tensor, groups: torch.Tensor | None = None) -> torch.Tensor:
    """The mean over prompts (`groups`: the prompt index of each response; None: one prompt) of
    the ranking hinge plus the best responses' cross-entropy."""
    if groups is None:
        groups = torch.zeros_like(ranks)
    losses = []
    for group in torch.unique(groups):
        p, r = logprobs[groups == group], ranks[groups == group]
        better = r[:, None] < r[None, :]  # [a, b]: a is ranked above b
        hinge = torch.clamp(p[None, :] - p[:, None], min=0)  # [a, b]: max(0, p_b - p_a)
        losses.append(hinge[better].sum() - p[r == r.min()].mean())
    return torch.stack(losses).mean()
