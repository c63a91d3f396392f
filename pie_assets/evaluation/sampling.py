"""What every generation backend shares: the sampling settings, a request, a completion, and the
`Generator` protocol that the OpenAI-compatible, transformers and model-free backends implement.

`n` is kept out of the settings' cache fields on purpose: sample i of a prompt is the same sample
whether 8 or 16 were asked for, so a run with a larger n reuses the samples already made.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SamplingSettings:
    n: int = 8  # samples per prompt (PIE: 8)
    temperature: float = 0.7  # PIE: 0.7
    max_new_tokens: int = 1024
    top_p: float = 1.0

    def cache_fields(self) -> str:
        """Canonical JSON of every field that changes a sample, i.e. all but `n`."""
        fields = dataclasses.asdict(self)
        del fields["n"]
        return json.dumps(fields, sort_keys=True)


@dataclass(frozen=True)
class GenerationRequest:
    key: str  # the caller's id of this request (e.g. "src_id|tgt_id")
    prompt: str
    src_code: str  # the slow program: model-free baselines use it; models only see the prompt
    problem_id: str


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str | None  # "stop", "length", ... as the backend says


class Generator(Protocol):
    name: str  # human readable, e.g. "openai-chat gpt-4o-mini @ http://..."
    identity: str  # stable id of the model for cache keys (model + endpoint, or weights version)
    cacheable: bool  # False for cheap deterministic baselines: recomputing beats a cache lookup
    # CPUs one request holds on a Ray worker (`[measure] engine = "ray"`): 0 when it only waits on
    # a remote endpoint, 1 for a local model. On Ray a generator travels pickled: as its recipe
    # (`__reduce__`), rebuilt once per worker process, never with loaded weights or open clients.
    task_cpus: float

    def generate(
        self, request: GenerationRequest, n: int, settings: SamplingSettings, *, first_index: int = 0
    ) -> list[Completion]:
        """`n` completions of `request.prompt`, in sampling order (`settings.n` is ignored).

        `first_index` is the sampling index of the first completion asked for: `generate_samples`
        asks only for the samples missing from the cache, and a seeded backend must not repeat the
        ones it made before. It is passed only when not 0, which only a cache can cause, so a
        generator that is not cacheable may leave it out.
        """
        ...
