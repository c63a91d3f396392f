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

Engine: requests run where `[measure] engine` says (`engine`: the simulator config; none: here),
threads here or Ray tasks (`runtime.engine.make_generation_executor`), at most `concurrency` in
flight either way. A task only calls the generator and returns its completions (a backend error
is returned as its message, never raised, so Ray retries only a dead worker); the driver checks
them and writes the cache, so a task Ray ran twice still gives each sample index one entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass

from pie_assets.evaluation.sampling import Completion, GenerationRequest, Generator, SamplingSettings
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.engine import make_generation_executor
from pie_assets.runtime.store import ContentStore

CACHE_KIND = "generation"


@dataclass(frozen=True)
class Sample:
    request_key: str
    sample_index: int  # 0-based, in sampling order
    text: str
    finish_reason: str | None
    cached: bool  # came from the cache, no query made


class GenerationError(RuntimeError):
    """Some requests got no (or not all of their) samples; raised by `raise_for_errors`."""


@dataclass(frozen=True)
class GenerationResult:
    samples: dict[str, list[Sample]]  # every request key; fewer than n samples only when in errors
    errors: dict[str, str]  # request key -> "ExceptionType: message" of its failed call

    def raise_for_errors(self) -> None:
        if self.errors:
            key, message = next(iter(self.errors.items()))
            raise GenerationError(
                f"{len(self.errors)} of {len(self.samples)} generation requests failed; first: {key}: {message}"
            )


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


def generate_samples(
    generator: Generator,
    requests: Sequence[GenerationRequest],
    settings: SamplingSettings,
    cache_root: str | None,
    *,
    concurrency: int = 4,
    engine: SimulatorConfig | None = None,
    on_done: Callable[[int], None] | None = None,
) -> GenerationResult:
    """`settings.n` samples for every request, at most `concurrency` backend calls in flight, on
    the engine `engine` names (None: threads here).

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
            samples[key] = [Sample(key, i, c.text, c.finish_reason, True) for i, c in enumerate(job.cached)] + [
                Sample(key, i, c.text, c.finish_reason, False) for i, c in enumerate(fresh, start=len(job.cached))
            ]
            if error is not None:
                errors[key] = error
            if on_done is not None:
                on_done(len(samples[key]))

    waiting = []
    for job in jobs:
        if len(job.cached) >= settings.n:
            finish(job, [], None)
        else:
            waiting.append(job)
    if waiting:
        with make_generation_executor(engine, generator.task_cpus, concurrency) as pool:
            for job, outcome in _in_flight(pool, generator, waiting, settings, concurrency):
                # One request's failure must not cost the others their samples.
                finish(job, *_record(generator, job, settings, store, outcome))
    return GenerationResult(samples={key: samples[key] for key in keys}, errors=errors)


def _in_flight(
    pool: Executor, generator: Generator, jobs: list[_Job], settings: SamplingSettings, concurrency: int
) -> Iterator[tuple[_Job, Future]]:
    """(job, its future) as each finishes, never more than `concurrency` submitted and unfinished."""
    queue = iter(jobs)
    running: dict[Future, _Job] = {}

    def top_up() -> None:
        while len(running) < max(1, concurrency) and (job := next(queue, None)) is not None:
            first = len(job.cached)
            running[pool.submit(request_completions, generator, job.request, settings.n - first, settings, first)] = job

    top_up()
    while running:
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            yield running.pop(future), future
        top_up()


def _plan(
    generator: Generator, requests: Sequence[GenerationRequest], settings: SamplingSettings, store: ContentStore | None
) -> list[_Job]:
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


def request_completions(
    generator: Generator, request: GenerationRequest, count: int, settings: SamplingSettings, first: int
) -> list[Completion] | str:
    """One backend call (a task: here or on a Ray worker): the completions, or the error's message."""
    try:
        # first_index only when resuming: generators that are never cached may not take it.
        return (
            generator.generate(request, count, settings, first_index=first)
            if first
            else generator.generate(request, count, settings)
        )
    except Exception as exc:  # a value, so a Ray task fails (and is retried) only when its worker dies
        return _message(exc)


def _message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _record(
    generator: Generator, job: _Job, settings: SamplingSettings, store: ContentStore | None, outcome: Future
) -> tuple[list[Completion], str | None]:
    """The driver's side of a finished call: (its new samples, cached here; or none and the error)."""
    try:
        completions = outcome.result()
    except Exception as exc:  # the task itself failed: its worker died more often than Ray retries
        return [], _message(exc)
    if isinstance(completions, str):
        return [], completions
    count = settings.n - len(job.cached)
    if len(completions) != count:
        return [], f"RuntimeError: {generator.name} returned {len(completions)} completions, {count} were asked for"
    if store is not None:
        for index, completion in enumerate(completions, start=len(job.cached)):
            store.put(
                sample_cache_key(generator.identity, job.request.prompt, index, settings),
                {"text": completion.text, "finish_reason": completion.finish_reason},
            )
    return completions, None
