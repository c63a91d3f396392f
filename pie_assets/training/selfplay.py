"""PIE's self-play synthetic pairs (its `data_augmentation/`): new programs for a problem's input
format, kept when they behave in a way no known program does, then optimised by the same backend;
a pair is kept when the optimised version is correct and `min_speedup` times cheaper.

The stages, and where PIE's rules (../shared/pie_reference.md) leave a choice, the one made here:

1. Seeds: per train-split problem with at least `min_tests` runtime tests, the fastest correct
   human program (`fastest_human`) and the problem statement (empty when the lake has none).
2. New programs: `new_programs` samples (top_p 0.9) of a prompt holding the statement, the seed
   and the instruction to write a different program reading the same input (our wording: PIE's is
   not in the reference). The model-free baseline (`SeedGenerator`, checkpoint `identity`)
   returns the seed itself, so offline nothing new is found: that is the honest result.
3. Kept programs: one that compiles and runs every test cleanly (native run, sandboxed, within the
   simulator config's budget). Its behaviour is its outputs on the tests. Outputs agree when the
   judge (`judge.accuracy`, float tolerance included) matches them in both directions, so an extra
   line is a difference. Novelty is judged against the known programs: a program is new when on
   at least one test its output differs from the expected output (what every correct human
   program prints). New programs whose outputs agree on every test are one group, named
   `<problem>:<k>` in generation order; a program agreeing with an earlier group joins it instead
   of founding one (it is no new behaviour), and the group's first program represents it.
4. Pairs: the representative is optimised with the evaluation's `instruction` prompt,
   `optimizations` samples. The representative and each distinct candidate are measured on the
   tests with the representative's own outputs as the expected ones; a candidate is kept when it
   passes every one and `src_agg_cost / tgt_agg_cost >= min_speedup`, the fastest first, at most
   `max_pairs_per_group` per group. A representative that fails under the measuring backend (say
   over the instruction budget) yields no pair.

Ids are the evaluation's generation ids (`pipeline.generation_id`): strategy `selfplay-new` for
new programs (src = the seed's submission id), `instruction` for optimisations (src = the
representative's id). Every stage's count is in `StageCounts`, and `StageCounts.explain` says in
words why a run found no pair.

Generations and every compile, run and measurement go to the simulator config's engine
(`[measure] engine`: threads here, or Ray tasks), through `generate_samples` and
`Annotator.executor`, as the evaluation's do; the functions a task runs are module-level and
take the annotator, which travels to a Ray worker as its recipe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, fields
from typing import Any

import polars as pl

from pie_assets.evaluation.checkpoints import CheckpointSpec
from pie_assets.evaluation.config import EvaluationConfig
from pie_assets.evaluation.extract import extract_program
from pie_assets.evaluation.generate import generate_samples
from pie_assets.evaluation.generators import make_generator
from pie_assets.evaluation.pipeline import generation_id
from pie_assets.evaluation.prompts import strategy
from pie_assets.evaluation.sampling import Completion, GenerationRequest, Generator, SamplingSettings
from pie_assets.lake.schema import ColumnTypes
from pie_assets.runtime.annotate import Annotator, Program, TestCase, runtime_cases
from pie_assets.runtime.judge import accuracy
from pie_assets.training.config import TrainingConfig

SECTION = "selfplay"
NEW_PROGRAM_STRATEGY = "selfplay-new"
OPTIMIZE_STRATEGY = "instruction"
SELFPLAY_SCHEMA: ColumnTypes = {
    "problem_id": pl.Utf8,
    "group_id": pl.Utf8,
    "src_id": pl.Utf8,
    "tgt_id": pl.Utf8,
    "src_code": pl.Utf8,
    "tgt_code": pl.Utf8,
    "src_agg_cost": pl.Float64,
    "tgt_agg_cost": pl.Float64,
    "speedup": pl.Float64,
    "generator": pl.Utf8,
    "synthetic": pl.Boolean,
}
_NEW_PROGRAM_TASK = (
    "Below is a competitive programming problem and a C++ program that solves it. Write a different "
    "C++ program that reads exactly the same input format. It may compute and print something else "
    "from that input; it must read the whole input as described and run on every valid input."
)
_ANSWER = "Answer with the complete new program, ready to compile with g++ -std=c++17 -O3, in one ```cpp code block."


@dataclass(frozen=True)
class SelfPlaySettings:
    generator: str = "identity"  # checkpoint name; identity: the seed itself (model-free)
    min_tests: int = 20  # PIE: problems with at least 20 tests
    new_programs: int = 5  # PIE: 5 samples per seed
    top_p: float = 0.9  # PIE
    temperature: float = 0.7  # PIE's sampling temperature elsewhere
    max_new_tokens: int = 1024
    optimizations: int = 8  # samples per group representative (PIE's n at evaluation)
    min_speedup: float = 5.0  # PIE: pairs at least 5x faster
    max_pairs_per_group: int = 3  # PIE: at most 3 per group

    def __post_init__(self) -> None:
        for name in (
            "min_tests",
            "new_programs",
            "max_new_tokens",
            "optimizations",
            "max_pairs_per_group",
            "min_speedup",
            "temperature",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"[{SECTION}] {name} must be positive, got {getattr(self, name)!r}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"[{SECTION}] top_p must be in (0, 1], got {self.top_p!r}")

    @classmethod
    def from_section(cls, values: Mapping[str, Any]) -> SelfPlaySettings:
        """A `[selfplay]` table: PIE's values for absent keys; an unknown key or a mistyped value
        is a ValueError naming it."""
        types = {f.name: f.type for f in fields(cls)}
        unknown = set(values) - set(types)
        if unknown:
            raise ValueError(f"[{SECTION}]: unknown keys {', '.join(sorted(unknown))}")
        checked: dict[str, Any] = {}
        for name, value in values.items():
            kind = types[name]
            if (kind == "str" and isinstance(value, str)) or (
                kind == "int" and isinstance(value, int) and not isinstance(value, bool)
            ):
                checked[name] = value
            elif kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
                checked[name] = float(value)
            else:
                raise ValueError(f"[{SECTION}] {name} = {value!r} is not a {kind}")
        return cls(**checked)

    @classmethod
    def load(cls, config: TrainingConfig | None = None) -> SelfPlaySettings:
        """From the training config's `[selfplay]` section ($PIE_TRAINING_CONFIG or training.toml)."""
        return cls.from_section((config or TrainingConfig.load()).section(SECTION))

    def sampling(self, n: int) -> SamplingSettings:
        return SamplingSettings(n=n, temperature=self.temperature, max_new_tokens=self.max_new_tokens, top_p=self.top_p)


@dataclass(frozen=True)
class Seed:
    problem_id: str
    submission_id: str
    code: str
    statement: str
    cases: tuple[TestCase, ...]


class SeedGenerator:
    """The model-free baseline: every sample is the program it was shown (`request.src_code`), the
    seed when asked for new programs and the representative when asked to optimise it."""

    name = "identity (the program shown)"
    identity = "baseline:identity"
    cacheable = False
    task_cpus = 0.0

    def generate(
        self, request: GenerationRequest, n: int, settings: SamplingSettings, *, first_index: int = 0
    ) -> list[Completion]:
        return [Completion(f"```cpp\n{request.src_code.rstrip()}\n```", "stop") for _ in range(n)]


def selfplay_generator(spec: CheckpointSpec, config: EvaluationConfig) -> Generator:
    """A model's backend, or `SeedGenerator` for the `identity` baseline; other baselines and the
    human references cannot write new programs."""
    if spec.kind == "baseline" and spec.name == "identity":
        return SeedGenerator()
    if spec.is_model:
        return make_generator(spec, config)
    raise ValueError(
        f"checkpoint {spec.name!r} ({spec.kind}) cannot generate self-play programs; "
        "use a model or the identity baseline"
    )


def new_program_prompt(statement: str, code: str) -> str:
    problem = statement.strip() or "(no statement in the lake: the program below shows the input format)"
    return f"{_NEW_PROGRAM_TASK}\n\n### Problem:\n{problem}\n\n### Program:\n```cpp\n{code}\n```\n\n{_ANSWER}"


def build_seeds(rows: pl.DataFrame, tests: Mapping[str, pl.DataFrame], min_tests: int) -> list[Seed]:
    """`rows` (problem_id, submission_id, code, statement): one per train problem; a problem with
    fewer than `min_tests` runtime tests (`runtime_cases`) is no seed."""
    seeds = []
    for row in rows.sort("problem_id").iter_rows(named=True):
        cases = runtime_cases(tests[row["problem_id"]])
        if len(cases) >= min_tests:
            seeds.append(
                Seed(row["problem_id"], row["submission_id"], row["code"], row["statement"] or "", tuple(cases))
            )
    return seeds


@dataclass
class StageCounts:
    seeds: int = 0
    programs_asked: int = 0
    compiled: int = 0
    ran_every_test: int = 0
    new_behaviour: int = 0
    groups: int = 0
    optimisations_asked: int = 0
    optimisations_correct: int = 0  # distinct optimised programs passing every test of their group
    kept_pairs: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def explain(self, settings: SelfPlaySettings) -> str | None:
        """Why no pair was kept, from the first stage that came up empty; None when one was."""
        if self.kept_pairs:
            return None
        if not self.seeds:
            return (
                f"no seeds: no train-split problem has a fastest program and at least {settings.min_tests} "
                "runtime tests"
            )
        if not self.compiled:
            return "no generated program compiled"
        if not self.ran_every_test:
            return "no generated program ran every test cleanly"
        if not self.new_behaviour:
            return (
                "every generated program that ran printed the expected output on every test: no new behaviour "
                "(the identity baseline returns the seed itself)"
            )
        if not self.optimisations_correct:
            return "no optimised program (other than the representative itself) was correct on its group's tests"
        return f"no correct optimised program was at least {settings.min_speedup:g}x cheaper"


@dataclass(frozen=True)
class SelfPlayResult:
    pairs: pl.DataFrame  # SELFPLAY_SCHEMA
    counts: StageCounts
    errors: dict[str, str]  # generation request key -> the backend's error


@dataclass(frozen=True)
class _Program:
    program_id: str
    problem_id: str
    code: str
    outputs: tuple[str, ...]


@dataclass
class _Group:
    group_id: str
    representative: _Program
    cases: tuple[TestCase, ...]  # the problem's tests, expecting the representative's outputs


def _agree(a: str, b: str, tolerance: float) -> bool:
    return accuracy(a, b, tolerance) == 1.0 and accuracy(b, a, tolerance) == 1.0


def _program(text: str) -> tuple[str, str]:
    code = extract_program(text).code
    return code, hashlib.sha256(code.encode()).hexdigest()


def self_play(
    seeds: Sequence[Seed],
    generator: Generator,
    checkpoint: str,
    annotator: Annotator,
    settings: SelfPlaySettings,
    *,
    cache_root: str | None = None,
    concurrency: int = 4,
) -> SelfPlayResult:
    """Every stage over every seed; generations are cached under `cache_root` (`generate_samples`)."""
    counts = StageCounts(seeds=len(seeds))
    requests = [
        GenerationRequest(seed.submission_id, new_program_prompt(seed.statement, seed.code), seed.code, seed.problem_id)
        for seed in seeds
    ]
    counts.programs_asked = len(requests) * settings.new_programs
    generated = generate_samples(
        generator,
        requests,
        settings.sampling(settings.new_programs),
        cache_root,
        concurrency=concurrency,
        engine=annotator.config,
    )
    errors = dict(generated.errors)
    groups: list[_Group] = []
    with annotator.executor() as pool:  # the configured engine: threads here, or Ray tasks
        submitted = []  # every seed's candidates in flight at once, then grouped seed by seed
        for seed, request in zip(seeds, requests, strict=True):
            digest = hashlib.sha256(request.prompt.encode()).hexdigest()
            candidates = [
                (
                    generation_id(checkpoint, NEW_PROGRAM_STRATEGY, seed.submission_id, "", s.sample_index, digest),
                    *_program(s.text),
                )
                for s in generated.samples[seed.submission_id]
            ]
            submitted.append(
                (
                    seed,
                    candidates,
                    [pool.submit(_behaviour, annotator, code, sha, seed.cases) for _, code, sha in candidates],
                )
            )
        for seed, candidates, futures in submitted:
            behaviours = [future.result() for future in futures]
            counts.compiled += sum(compiles for compiles, _ in behaviours)
            ran = [
                _Program(c[0], seed.problem_id, c[1], outputs)
                for c, (_, outputs) in zip(candidates, behaviours, strict=True)
                if outputs is not None
            ]
            counts.ran_every_test += len(ran)
            groups += _group(seed, ran, annotator.config.float_tolerance, counts)
        counts.groups = len(groups)
        rows = _optimise(
            groups, generator, checkpoint, annotator, settings, cache_root, concurrency, pool, counts, errors
        )
    counts.kept_pairs = len(rows)
    return SelfPlayResult(pl.DataFrame(rows, schema=SELFPLAY_SCHEMA, orient="row"), counts, errors)


def _behaviour(
    annotator: Annotator, code: str, code_sha256: str, cases: Sequence[TestCase]
) -> tuple[bool, tuple[str, ...] | None]:
    """Whether the program compiles, and its outputs on every case (None once a run is not clean)."""
    data = code.encode()
    if not code or not annotator.compile(data, code_sha256).ok:
        return False, None
    outputs = []
    for case in cases:
        output = annotator.native_output(data, code_sha256, case.input)
        if output is None:
            return True, None
        outputs.append(output)
    return True, tuple(outputs)


def _group(seed: Seed, programs: Sequence[_Program], tolerance: float, counts: StageCounts) -> list[_Group]:
    """The groups of the programs with new behaviour; a program agreeing with an earlier group joins it."""
    groups: list[_Group] = []
    expected = [case.expected for case in seed.cases]
    for program in programs:
        if all(_agree(out, want, tolerance) for out, want in zip(program.outputs, expected, strict=True)):
            continue
        counts.new_behaviour += 1
        if any(
            all(_agree(a, b, tolerance) for a, b in zip(program.outputs, g.representative.outputs, strict=True))
            for g in groups
        ):
            continue
        cases = tuple(
            TestCase(c.test_id, c.input, out, c.input_sha256, c.input_test_ids)
            for c, out in zip(seed.cases, program.outputs, strict=True)
        )
        groups.append(_Group(f"{seed.problem_id}:{len(groups)}", program, cases))
    return groups


def _optimise(
    groups: Sequence[_Group],
    generator: Generator,
    checkpoint: str,
    annotator: Annotator,
    settings: SelfPlaySettings,
    cache_root: str | None,
    concurrency: int,
    pool: Executor,
    counts: StageCounts,
    errors: dict[str, str],
) -> list[dict[str, Any]]:
    prompt = strategy(OPTIMIZE_STRATEGY)
    requests = [
        GenerationRequest(
            g.representative.program_id,
            prompt.build(g.representative.code),
            g.representative.code,
            g.representative.problem_id,
        )
        for g in groups
    ]
    counts.optimisations_asked = len(requests) * settings.optimizations
    generated = generate_samples(
        generator,
        requests,
        settings.sampling(settings.optimizations),
        cache_root,
        concurrency=concurrency,
        engine=annotator.config,
    )
    errors.update(generated.errors)
    jobs = []
    for group, request in zip(groups, requests, strict=True):
        src = group.representative
        digest = hashlib.sha256(request.prompt.encode()).hexdigest()
        seen = {hashlib.sha256(src.code.encode()).hexdigest()}
        targets = []
        for sample in generated.samples[src.program_id]:
            code, sha = _program(sample.text)
            if code and sha not in seen:
                seen.add(sha)
                targets.append(
                    Program(
                        generation_id(checkpoint, OPTIMIZE_STRATEGY, src.program_id, "", sample.sample_index, digest),
                        code.encode(),
                        sha,
                    )
                )
        jobs.append((group, targets))
    measured = [
        future.result()
        for future in [pool.submit(_pairs, group, targets, checkpoint, annotator, settings) for group, targets in jobs]
    ]
    counts.optimisations_correct = sum(correct for _, correct in measured)
    return [row for rows, _ in measured for row in rows]


def _pairs(
    group: _Group, targets: Sequence[Program], checkpoint: str, annotator: Annotator, settings: SelfPlaySettings
) -> tuple[list[dict[str, Any]], int]:
    """The group's kept pairs, fastest first, and how many targets passed every test."""
    src = group.representative
    problem, cases = src.problem_id, list(group.cases)
    source = Program.from_text(src.program_id, src.code)
    src_cost = annotator.measure_program(source, problem, cases).summary["agg_cost"]
    kept, correct = [], 0
    for target in targets:
        summary = annotator.measure_program(target, problem, cases).summary
        if not summary["all_pass"]:
            continue
        correct += 1
        if src_cost is not None and summary["agg_cost"] > 0 and src_cost / summary["agg_cost"] >= settings.min_speedup:
            kept.append(
                {
                    "problem_id": problem,
                    "group_id": group.group_id,
                    "src_id": src.program_id,
                    "tgt_id": target.program_id,
                    "src_code": src.code,
                    "tgt_code": target.code.decode(),
                    "src_agg_cost": src_cost,
                    "tgt_agg_cost": summary["agg_cost"],
                    "speedup": src_cost / summary["agg_cost"],
                    "generator": checkpoint,
                    "synthetic": True,
                }
            )
    kept.sort(key=lambda row: -row["speedup"])
    return kept[: settings.max_pairs_per_group], correct
