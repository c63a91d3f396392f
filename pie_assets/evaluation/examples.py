"""A slow -> fast training pair shown to a model as a few-shot example: what the prompt
strategies render and the retrieval index returns (a module of its own so that reading the
strategies, as `pie --help` does, loads no FAISS)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    src_id: str
    tgt_id: str
    problem_id: str
    src_code: str
    tgt_code: str
    speedup: float
