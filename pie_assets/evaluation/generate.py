"""The one place that runs a `Generator` over many requests: per-sample cache, bounded concurrency,
progress, and failures collected per request instead of aborting the whole evaluation.

Cache: one `ContentStore` entry per sample, keyed by (generator identity, prompt digest, sample
index, sampling settings but n). A re-run asks nothing; a run with a larger n asks only for the
samples after the cached ones. With a cache, requests with the same prompt share their samples
(one backend call), so a first run gives exactly what a re-run reads back from the cache.

Failures: a request whose backend call raises (after the backend's own retries) keeps whatever
the cache already had, and its error is recorded in `GenerationResult.errors`; everything that
succeeded is cached and returned. The caller decides: record the failed keys (the Dagster asset)
or `raise_for_errors()`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from pie_assets.evaluation.sampling import Completion, GenerationRequest, Generator, SamplingSettings
from pie_assets.runtime.store import ContentStore

CACHE_KIND = "generation"


@dataclass(frozen=True)
class Sample:
    request_key: str
    sample_index: int         # 0-based, in sampling order
    text: str
    finish_reason: str | None
    cached: bool              # came from the cache, no query made


class GenerationError(RuntimeError):
    """Some requests got no (or not all of their) samples; raised by `raise_for_errors`."""


@dataclass(frozen=True)
class GenerationResult:
    samples: dict[str, list[Sample]]   # every request key; fewer than n samples only when in errors
    errors: dict[str, str]             # request key -> "ExceptionType: message" of its failed call

    def raise_for_errors(self) -> None:
        if self.errors:
            key, message = next(iter(self.errors.items()))
            raise GenerationError(f"{len(self.errors)} of {len(self.samples)} generation requests failed; "
                                  f"first: {key}: {message}")


def sample_cache_key(identity: str, prompt: str, sample_index: int, settings: SamplingSettings) -> str:
    prompt_digest = hashlib.sha256(prompt.encode()).hexdigest()
    material = json.dumps([identity, prompt_digest, sample_index, settings.cache_fields()])
    return hashlib.sha256(material.encode()).hexdigest()


@dataclass
class _Job:
    """One backend call: a prompt, the samples the cache had, and the requests waiting on it."""
    request: GenerationRequest
    keys: list[str]
    cached: list[Completion]


def generate_samples(generator: Generator, requests: Sequence[GenerationRequest], settings: SamplingSettings,
                     cache_root: str | None, *, concurrency: int = 4,
                     on_done: Callable[[int], None] | None = None) -> GenerationResult:
    """`settings.n` samples for every request, at most `concurrency` backend calls in flight.

    `on_done(samples_count)` is called from the calling thread as each request finishes (cached
    ones included), with that request's number of samples.
    """
    keys = [request.key for request in requests]
    if len(set(keys)) != len(keys):
        raise ValueError("generation request keys must be unique")
    store = ContentStore(cache_root, CACHE_KIND) if cache_root is not None and generator.cacheable else None
    jobs = _plan(generator, requests, settings, store)

    samples: dict[str, list[Sample]] = {}
    errors: dict[str, str] = {}

    def finish(job: _Job, fresh: list[Completion], error: str | None) -> None:
        for key in job.keys:
            samples[key] = ([Sample(key, i, c.text, c.finish_reason, True) for i, c in enumerate(job.cached)]
                            + [Sample(key, i, c.text, c.finish_reason, False)
                               for i, c in enumerate(fresh, start=len(job.cached))])
            if error is not None:
                errors[key] = error
            if on_done is not None:
                on_done(len(samples[key]))

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures: dict[Future[list[Completion]], _Job] = {}
        for job in jobs:
            if len(job.cached) >= settings.n:
                finish(job, [], None)
            else:
                futures[pool.submit(_run, generator, job, settings, store)] = job
        for future in as_completed(futures):
            job = futures[future]
            try:
                finish(job, future.result(), None)
            except Exception as exc:  # one request's failure must not cost the others their samples
                finish(job, [], f"{type(exc).__name__}: {exc}")
    return GenerationResult(samples={key: samples[key] for key in keys}, errors=errors)


def _plan(generator: Generator, requests: Sequence[GenerationRequest], settings: SamplingSettings,
          store: ContentStore | None) -> list[_Job]:
    """One job per request, or with a cache one per distinct prompt, with its cached prefix."""
    if store is None:
        return [_Job(request, [request.key], []) for request in requests]
    by_prompt: dict[str, _Job] = {}
    for request in requests:
        job = by_prompt.get(request.prompt)
        if job is not None:
            job.keys.append(request.key)
            continue
        cached: list[Completion] = []
        while len(cached) < settings.n:
            record = store.get(sample_cache_key(generator.identity, request.prompt, len(cached), settings))
            if record is None:
                break
            cached.append(Completion(record["text"], record["finish_reason"]))
        by_prompt[request.prompt] = _Job(request, [request.key], cached)
    return list(by_prompt.values())


def _run(generator: Generator, job: _Job, settings: SamplingSettings, store: ContentStore | None) -> list[Completion]:
    first = len(job.cached)
    count = settings.n - first
    # first_index only when resuming: generators that are never cached may not take it.
    completions = (generator.generate(job.request, count, settings, first_index=first) if first
                   else generator.generate(job.request, count, settings))
    if len(completions) != count:
        raise RuntimeError(f"{generator.name} returned {len(completions)} completions, {count} were asked for")
    if store is not None:
        for index, completion in enumerate(completions, start=first):
            store.put(sample_cache_key(generator.identity, job.request.prompt, index, settings),
                      {"text": completion.text, "finish_reason": completion.finish_reason})
    return completions
