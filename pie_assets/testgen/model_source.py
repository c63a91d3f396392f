"""Model-written test generators: a checkpoint writes C++ programs that print inputs of a given
scale; each program is untrusted code, compiled and run in the sandbox like any submission.

Per problem: `settings.model_samples` responses to `generator_prompt` (through the evaluation's
generation backends and cache: the same checkpoint, prompt and sampling settings ask nothing
twice); each program is compiled with the simulator config's cached compile and run as
`prog SCALE SEED` for every scale of `settings.model_scales` (ascending) with seed `settings.seed`,
natively under the config's native budget with stdout capped at `MAX_INPUT_BYTES`, twice: two runs
that print different inputs break the prompt's determinism rule. Every (program, scale) gives a
`Candidate` or a `Rejection` saying why not; a program that ran out of CPU, memory or output at a
scale is not run at the larger ones (it would only take longer), and those are rejected too.

Runs are cached by content (binary, scale, seed, budget), so the same model responses give
byte-identical candidates on every re-materialisation, whatever the generator does with the clock.
Sampling is fixed here (`SAMPLING`), not read from the evaluation config: the sample cache keys on
it, so editing the evaluation's sampling must not make every problem ask its generators afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, NamedTuple

from pie_assets.evaluation.generate import generate_samples
from pie_assets.evaluation.sampling import GenerationRequest, Generator, SamplingSettings
from pie_assets.runtime.annotate import Annotator
from pie_assets.runtime.backends.base import Budget
from pie_assets.runtime.statuses import HARNESS_FAULTS
from pie_assets.runtime.store import ContentStore
from pie_assets.testgen.candidates import Candidate, TrialOutcome
from pie_assets.testgen.config import GeneratedTestsSettings
from pie_assets.testgen.generator_prompt import generator_program, generator_prompt
from pie_assets.versions import digest

log = logging.getLogger(__name__)

# PIE's temperature, for different programs per sample; room for a generator and a few words.
SAMPLING = SamplingSettings(n=1, temperature=0.7, max_new_tokens=2048, top_p=1.0)
MAX_INPUT_BYTES = 4 << 20  # a bigger input is no test a simulator should run (cachegrind ~50x slower)
RUN_CACHE_KIND = "generator_run"
RUN_FORMAT = 1  # of the cached run records, part of their key
STOPPING = ("TLE", "MLE", "OLE")  # out of CPU, memory or output: a larger scale would be too


@dataclass(frozen=True)
class Rejection:
    """A (generator program, scale) that gave no candidate. Outcome NO_INPUT is the program's
    fault (recorded, cached with its run); INFRA is the harness's or the backend's, tried again on
    the next materialisation."""

    problem_id: str
    generator: str
    generator_version: str
    seed: int
    scale: int
    outcome: TrialOutcome
    reason: str

    def trial_row(self) -> dict[str, Any]:
        """Its `generated_test_trials` row (TRIAL_SCHEMA): no input, so no input digest or size."""
        return {
            "problem_id": self.problem_id,
            "input_sha256": None,
            "generator": self.generator,
            "generator_version": self.generator_version,
            "seed": self.seed,
            "scale": self.scale,
            "parent_test_id": None,
            "input_bytes": None,
            "outcome": str(self.outcome),
            "detail": self.reason,
            "n_programs": 0,
            "native_cost_max_s": None,
            "test_id": None,
        }


class ModelCandidates(NamedTuple):
    candidates: list[Candidate]  # in sample order, then scale order
    rejections: list[Rejection]


@dataclass(frozen=True)
class _Run:
    """One scale's result: the input printed (outcome None), or the outcome and reason of none."""

    input: str
    outcome: TrialOutcome | None
    reason: str
    status: str  # the run's status (OK, TLE, ...), or the compile's when it did not compile

    @classmethod
    def failed(cls, outcome: TrialOutcome, reason: str, status: str) -> _Run:
        return cls("", outcome, reason, status)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> _Run:
        outcome = None if record["outcome"] is None else TrialOutcome(record["outcome"])
        return cls(record["input"], outcome, record["reason"], record["status"])


def model_candidates(
    problem_id: str,
    statement: str,
    sample_inputs: Sequence[str],
    settings: GeneratedTestsSettings,
    annotator: Annotator,
    generator: Generator,
) -> ModelCandidates:
    """The candidates of `settings.model`'s generator programs for one problem, and the rejected
    runs. `generator` is that checkpoint's backend (`evaluation.generators.make_generator`); its
    identity is the checkpoint's version in every generator_version."""
    if not settings.model:
        raise ValueError("[generated_tests] model is empty: name a checkpoint that writes generator programs")
    name = f"model:{settings.model}"
    prompt = generator_prompt(statement, sample_inputs)
    prompt_version = digest(prompt)
    scales = sorted(set(settings.model_scales))
    result = generate_samples(
        generator,
        [GenerationRequest(key=problem_id, prompt=prompt, src_code="", problem_id=problem_id)],
        replace(SAMPLING, n=settings.model_samples),
        annotator.cache_root,
        concurrency=1,
        engine=annotator.config,
    )
    candidates: list[Candidate] = []
    rejections: list[Rejection] = []
    samples = result.samples[problem_id]
    for sample in samples:
        program = generator_program(sample.text)
        version = _version(generator.identity, prompt_version, program or "")
        if program is None:
            why = f"no program in response {sample.sample_index} (finish reason {sample.finish_reason})"
            runs = {scale: _Run.failed(TrialOutcome.NO_INPUT, why, "NO_CODE") for scale in scales}
        else:
            runs = generated_inputs(annotator, program, scales, settings.seed)
        for scale, run in runs.items():
            if run.outcome is None:
                candidates.append(Candidate(problem_id, run.input, name, version, settings.seed, scale, None))
            else:
                rejections.append(Rejection(problem_id, name, version, settings.seed, scale, run.outcome, run.reason))
    if problem_id in result.errors:
        missing = settings.model_samples - len(samples)
        why = f"generation failed, {missing} of {settings.model_samples} responses missing: {result.errors[problem_id]}"
        version = _version(generator.identity, prompt_version, "")
        rejections.extend(
            Rejection(problem_id, name, version, settings.seed, scale, TrialOutcome.INFRA, why) for scale in scales
        )
    log.info(f"{problem_id}: {name} gave {len(candidates)} candidates, {len(rejections)} runs without one")
    return ModelCandidates(candidates, rejections)


def _version(identity: str, prompt_version: str, program: str) -> str:
    """The checkpoint's version (its backend identity), the prompt's digest and the program's sha256."""
    program_sha256 = hashlib.sha256(program.encode()).hexdigest()
    return digest(f"{identity}\0{prompt_version}\0{program_sha256}")


def generated_inputs(annotator: Annotator, program: str, scales: Sequence[int], seed: int) -> dict[int, _Run]:
    """What `program` prints for each scale (ascending), compiled and run sandboxed."""
    code = program.encode()
    compiled = annotator.compile(code, hashlib.sha256(code).hexdigest())
    if not compiled.ok:
        outcome = TrialOutcome.INFRA if compiled.status in HARNESS_FAULTS else TrialOutcome.NO_INPUT
        why = f"{compiled.status}: {compiled.error}"
        return {scale: _Run.failed(outcome, why, compiled.status) for scale in scales}
    base = annotator.config.native_budget()
    budget = replace(base, output_bytes=min(base.output_bytes, MAX_INPUT_BYTES))
    store = ContentStore(annotator.cache_root, RUN_CACHE_KIND)
    runs: dict[int, _Run] = {}
    stopped: tuple[int, _Run] | None = None
    for scale in scales:
        if stopped is not None:
            at, run = stopped
            why = f"not run: {run.status} at scale {at} already ({run.reason})"
            runs[scale] = _Run.failed(TrialOutcome.NO_INPUT, why, run.status)
            continue
        key = _run_key(compiled.binary_sha256, scale, seed, budget)
        cached = store.get(key)
        run = _Run.from_record(cached) if cached else _run(annotator, compiled.binary, scale, seed, budget)
        if cached is None and run.outcome != TrialOutcome.INFRA:
            store.put(key, asdict(run))
        if run.status in STOPPING:
            stopped = scale, run
        runs[scale] = run
    return runs


def _run_key(binary_sha256: str | None, scale: int, seed: int, budget: Budget) -> str:
    material = json.dumps([RUN_FORMAT, binary_sha256, scale, seed, asdict(budget)], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


def _run(annotator: Annotator, binary: str, scale: int, seed: int, budget: Budget) -> _Run:
    """Two runs of `prog SCALE SEED`: the input both printed, or why there is none."""
    args = (str(scale), str(seed))
    first = annotator.run_uncached(binary, args, budget)
    if first.status != "OK":
        outcome = TrialOutcome.INFRA if first.status in HARNESS_FAULTS else TrialOutcome.NO_INPUT
        return _Run.failed(outcome, f"{first.status}: {first.detail}", first.status)
    second = annotator.run_uncached(binary, args, budget)
    if second.status in HARNESS_FAULTS:
        return _Run.failed(TrialOutcome.INFRA, f"{second.status} on the second run: {second.detail}", second.status)
    if second.status != "OK" or second.stdout != first.stdout:
        why = "not deterministic: two runs with the same scale and seed printed different inputs"
        return _Run.failed(TrialOutcome.NO_INPUT, why, "OK")
    try:
        text = first.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return _Run.failed(TrialOutcome.NO_INPUT, "printed bytes that are not UTF-8 text", "OK")
    if not text.strip():
        return _Run.failed(TrialOutcome.NO_INPUT, "printed nothing", "OK")
    return _Run(text, None, "", "OK")
