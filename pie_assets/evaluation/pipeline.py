"""One checkpoint's evaluation, from the test pairs to PIE's metrics, in two steps: prompts →
generations → measurement per problem (`generate_and_measure`, the per checkpoint × problem
tables), then `score` over every problem of the checkpoint (`model_evaluations`). The Dagster
assets run both; `pie eval`, the sensor and the schedule go through them.

What each kind of checkpoint "generates" for a pair:
- a model (transformers, peft, OpenAI-compatible): `n` samples per (strategy, pair), the program
  extracted from each response;
- `identity`: the slow program itself (speedup 1.0 by construction: the floor of the metric);
- `nearest-pair`: the fast program of the training pair whose slow program is nearest to the
  query's (the retrieval index's first hit), i.e. what copying the closest known edit gives;
- `human-target` / `human-fastest`: the pair's human tgt / the problem's fastest correct human
  program (PIE's human references, not clipped at 1).
The non-model ones make one sample per pair under strategy `none` (no prompt).

Generation requests and measurement run on the simulator config's engine (`[measure] engine`,
`$PIE_ENGINE`, `--engine`): threads here, or tasks on a Ray cluster.

Every program (generation and src alike) is measured here by the same compile → sandbox → judge →
backend path as human submissions, on the problem's tests of the runtime test set (the simulator
config's `[tests] runtime_set`, recorded in every row as `test_set`; fast mode: at most
`tests_per_problem` of them, the same for every program), so src and generation costs come from
one backend, one config and one test set; programs are keyed by content, so a generation identical to an
earlier program costs nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from pie_assets.evaluation.checkpoints import CheckpointSpec
from pie_assets.evaluation.comparisons import OUTCOME_PROVENANCE
from pie_assets.evaluation.config import EvaluationConfig, FastMode
from pie_assets.evaluation.extract import extract_program
from pie_assets.evaluation.generate import generate_samples
from pie_assets.evaluation.generators import make_generator
from pie_assets.evaluation.metrics import best_at_k, evaluate, pair_outcomes
from pie_assets.evaluation.prompts import prompt_hash, strategy, strategy_names
from pie_assets.evaluation.retrieval import RetrievalIndex
from pie_assets.evaluation.sampling import GenerationRequest, SamplingSettings
from pie_assets.evaluation.schemas import (
    GENERATION_RUNTIME_SCHEMA,
    GENERATION_SCHEMA,
    MODEL_EVALUATION_SCHEMA,
    PROMPT_SCHEMA,
)
from pie_assets.progress import StageCounter
from pie_assets.runtime.annotate import ANNOTATION_SCHEMA, Annotator, Program, TestCase, runtime_cases
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.statuses import NO_CODE
from pie_assets.runtime.test_sets import TestSelection

NO_STRATEGY = "none"  # baselines and human references are not prompted


@dataclass(frozen=True)
class EvalInputs:
    """What generation reads: the test pairs of the problems being evaluated, their tests of the
    runtime test set, and the retrieval index (None when the lake has no training pairs)."""

    pairs: pl.DataFrame  # eval_pairs rows
    tests: dict[str, TestSelection]  # problem -> its tests of the runtime set (`select_tests`)
    index: RetrievalIndex | None


@dataclass(frozen=True)
class Provenance:
    """What produced a checkpoint's generations, carried on every generation_runtimes row so
    `model_evaluations` describes the generations it scores, not the checkpoint as it is later."""

    kind: str
    checkpoint_version: str
    evaluation_config_hash: str
    inputs_fingerprint: str


@dataclass
class Generated:
    """One checkpoint's generations on some problems, measured (the per-problem tables)."""

    prompts: pl.DataFrame
    generations: pl.DataFrame
    generation_runtimes: pl.DataFrame
    errors: dict[str, str] = field(default_factory=dict)  # request -> why its samples are missing
    mode: str = "full"


@dataclass
class Scored:
    """One checkpoint's `model_evaluations` and, per strategy, best@n per pair (the plots)."""

    model_evaluations: pl.DataFrame
    per_pair: dict[str, pl.DataFrame]
    mode: str
    inputs_fingerprint: str


def eval_cases(tests: TestSelection, fast: FastMode | None) -> list[TestCase]:
    """The problem's tests of the runtime set; in fast mode their first `tests_per_problem` by
    sha256 of the input (a fixed, content-derived choice: every program of the problem gets the
    same tests)."""
    cases = runtime_cases(tests.tests)
    if fast is None:
        return cases
    chosen = sorted(cases, key=lambda c: hashlib.sha256(c.input_sha256.encode()).hexdigest())
    return sorted(chosen[: fast.tests_per_problem], key=lambda c: c.test_id)


def select_pairs(pairs: pl.DataFrame, fast: FastMode | None) -> pl.DataFrame:
    return pairs if fast is None else pairs.filter(pl.col("fast_rank") <= fast.pairs_per_problem)


def generation_id(
    checkpoint: str, strategy_name: str, src_id: str, tgt_id: str, sample_index: int, prompt_digest: str | None
) -> str:
    material = f"{checkpoint}|{strategy_name}|{src_id}|{tgt_id}|{sample_index}|{prompt_digest or ''}"
    return "g" + hashlib.sha256(material.encode()).hexdigest()[:19]


def build_prompts(
    spec: CheckpointSpec, strategies: Sequence[str], pairs: pl.DataFrame, index: RetrievalIndex | None, k: int
) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    codes = pairs["src_code"].to_list()
    for name in strategies:
        chosen = strategy(name)
        if chosen.needs_examples and index is None:
            raise ValueError(f"strategy {chosen.name!r} needs the retrieval index, and the lake has no training pairs")
        examples = index.search(codes, k) if chosen.needs_examples and index is not None else [()] * len(codes)
        for pair, shots in zip(pairs.iter_rows(named=True), examples, strict=True):
            prompt = chosen.build(pair["src_code"], shots)
            rows.append(
                {
                    "checkpoint": spec.name,
                    "strategy": chosen.name,
                    "strategy_version": chosen.version,
                    "problem_id": pair["problem_id"],
                    "src_id": pair["src_id"],
                    "tgt_id": pair["tgt_id"],
                    "prompt": prompt,
                    "prompt_hash": prompt_hash(prompt),
                    "example_src_ids": [e.src_id for e in shots],
                }
            )
    return pl.DataFrame(rows, schema=PROMPT_SCHEMA, orient="row")


def _generation_row(
    spec: CheckpointSpec,
    strategy_name: str,
    pair: dict[str, Any],
    sample_index: int,
    prompt_digest: str | None,
    code: str,
    status: str,
    response: str | None = None,
    finish_reason: str | None = None,
    cached: bool = False,
) -> dict[str, Any]:
    return {
        "generation_id": generation_id(
            spec.name, strategy_name, pair["src_id"], pair["tgt_id"], sample_index, prompt_digest
        ),
        "checkpoint": spec.name,
        "strategy": strategy_name,
        "problem_id": pair["problem_id"],
        "src_id": pair["src_id"],
        "tgt_id": pair["tgt_id"],
        "sample_index": sample_index,
        "prompt_hash": prompt_digest,
        "code": code,
        "code_sha256": hashlib.sha256(code.encode()).hexdigest() if code else None,
        "extraction_status": status,
        "finish_reason": finish_reason,
        "cached": cached,
        "response": response,
    }


def model_generations(
    spec: CheckpointSpec,
    config: EvaluationConfig,
    prompts: pl.DataFrame,
    pairs: pl.DataFrame,
    settings: SamplingSettings,
    cache_root: str | None,
    engine: SimulatorConfig | None = None,
    progress: StageCounter | None = None,
) -> tuple[pl.DataFrame, dict[str, str]]:
    """The model's samples of every prompt, requested on the engine `engine` names (the
    simulator config's `[measure] engine`: threads here or Ray tasks; None: here)."""
    by_pair = {(p["src_id"], p["tgt_id"]): p for p in pairs.iter_rows(named=True)}
    requests = [
        GenerationRequest(
            key=f"{r['strategy']}|{r['src_id']}|{r['tgt_id']}",
            prompt=r["prompt"],
            src_code=by_pair[(r["src_id"], r["tgt_id"])]["src_code"],
            problem_id=r["problem_id"],
        )
        for r in prompts.iter_rows(named=True)
    ]
    if progress:
        progress.plan(generations=len(requests) * settings.n)
    result = generate_samples(
        make_generator(spec, config),
        requests,
        settings,
        cache_root,
        concurrency=config.concurrency,
        engine=engine,
        on_done=(lambda count: progress.advance(generations=count)) if progress else None,
    )
    rows = []
    for row in prompts.iter_rows(named=True):
        key = f"{row['strategy']}|{row['src_id']}|{row['tgt_id']}"
        for sample in result.samples.get(key, []):
            extracted = extract_program(sample.text)
            rows.append(
                _generation_row(
                    spec,
                    row["strategy"],
                    by_pair[(row["src_id"], row["tgt_id"])],
                    sample.sample_index,
                    row["prompt_hash"],
                    extracted.code,
                    extracted.status,
                    sample.text,
                    sample.finish_reason,
                    sample.cached,
                )
            )
    return pl.DataFrame(rows, schema=GENERATION_SCHEMA, orient="row"), dict(result.errors)


def reference_generations(spec: CheckpointSpec, pairs: pl.DataFrame, index: RetrievalIndex | None) -> pl.DataFrame:
    """What a baseline or a human reference gives for each pair (see the module docstring)."""
    pair_rows = list(pairs.iter_rows(named=True))
    if spec.name == "nearest-pair":
        hits = index.search([p["src_code"] for p in pair_rows], 1) if index is not None else [[] for _ in pair_rows]
        codes = [h[0].tgt_code if h else None for h in hits]
    else:
        column = {"identity": "src_code", "human-target": "tgt_code", "human-fastest": "fastest_code"}.get(spec.name)
        if column is None:
            raise ValueError(f"unknown built-in checkpoint {spec.name!r}")
        codes = [p[column] for p in pair_rows]
    rows = [
        _generation_row(spec, NO_STRATEGY, pair, 0, None, code or "", "reference" if code else "empty")
        for pair, code in zip(pair_rows, codes, strict=True)
    ]
    return pl.DataFrame(rows, schema=GENERATION_SCHEMA, orient="row")


def _summary_fields(summary: dict[str, Any] | None) -> dict[str, Any]:
    if summary is None:  # nothing to measure (an empty extraction)
        return {
            "status": NO_CODE,
            "all_pass": False,
            "n_tests": 0,
            "n_passed": 0,
            "mean_accuracy": 0.0,
            "agg_cost": None,
            "peak_memory_kb": None,
            "binary_sha256": None,
        }
    return {
        k: summary.get(k)
        for k in (
            "status",
            "all_pass",
            "n_tests",
            "n_passed",
            "mean_accuracy",
            "agg_cost",
            "peak_memory_kb",
            "binary_sha256",
        )
    }


def measure(
    annotator: Annotator,
    generations: pl.DataFrame,
    pairs: pl.DataFrame,
    cases: dict[str, list[TestCase]],
    workers: int,
    mode: str,
    n_samples: int,
    provenance: Provenance,
    progress: StageCounter | None = None,
    test_sets: dict[str, str] | None = None,
) -> pl.DataFrame:
    """generation_runtimes: every generation measured on its problem's cases, beside its pair's
    src measured the same way; `test_sets`: problem -> the resolved set its cases are of."""
    jobs: dict[str, tuple[str, Program]] = {}
    for pair in pairs.iter_rows(named=True):
        jobs[f"src:{pair['src_id']}"] = (pair["problem_id"], Program.from_text(pair["src_id"], pair["src_code"]))
    for g in generations.filter(pl.col("code") != "").iter_rows(named=True):
        jobs[g["generation_id"]] = (g["problem_id"], Program.from_text(g["generation_id"], g["code"]))

    if progress:
        progress.plan(programs=len(jobs))
    summaries: dict[str, dict[str, Any]] = {}
    with annotator.executor(workers) as pool:  # the configured engine: threads here, or Ray tasks
        futures = {
            pool.submit(annotator.measure_program, program, problem_id, cases[problem_id]): key
            for key, (problem_id, program) in jobs.items()
        }
        for future in as_completed(futures):
            summaries[futures[future]] = future.result().summary
            if progress:
                progress.advance(programs=1)
    rows = []
    for g in generations.iter_rows(named=True):
        src = summaries[f"src:{g['src_id']}"]
        rows.append(
            {
                "generation_id": g["generation_id"],
                "checkpoint": g["checkpoint"],
                "strategy": g["strategy"],
                "mode": mode,
                "problem_id": g["problem_id"],
                "src_id": g["src_id"],
                "tgt_id": g["tgt_id"],
                "sample_index": g["sample_index"],
                **_summary_fields(summaries.get(g["generation_id"])),
                "src_agg_cost": src.get("agg_cost"),
                "src_peak_memory_kb": src.get("peak_memory_kb"),
                "backend": annotator.backend.name,
                "config_hash": annotator.config.hash,
                "profile": annotator.config.profile,
                "test_set": (test_sets or {}).get(g["problem_id"]),
                "n_samples": n_samples,
                **asdict(provenance),
            }
        )
    return pl.DataFrame(rows, schema=GENERATION_RUNTIME_SCHEMA, orient="row")


def human_costs(human_tests: pl.DataFrame, cases: dict[str, list[TestCase]]) -> pl.DataFrame:
    """Per correct human program, its cost summed over the evaluation's cases of its problem
    (the full runtime test set: its agg_cost; fast mode: the same subset the generations ran)."""
    wanted = pl.DataFrame(
        [{"problem_id": p, "test_id": c.test_id} for p, cs in cases.items() for c in cs],
        schema={"problem_id": pl.Utf8, "test_id": pl.Utf8},
        orient="row",
    )
    per_test = human_tests.join(wanted, on=["problem_id", "test_id"])
    n_cases = wanted.group_by("problem_id").len("n_cases")
    return (
        per_test.group_by("problem_id", "submission_id")
        .agg(pl.len().alias("n"), (pl.col("status") == "OK").all().alias("ok"), pl.col("cost").sum().alias("agg_cost"))
        .join(n_cases, on="problem_id")
        .filter(pl.col("ok") & (pl.col("n") == pl.col("n_cases")))
        .select("problem_id", "agg_cost")
    )


def generate_and_measure(
    spec: CheckpointSpec,
    config: EvaluationConfig,
    annotator: Annotator,
    inputs: EvalInputs,
    *,
    inputs_fingerprint: str,
    strategies: Sequence[str] = (),
    n: int | None = None,
    fast: bool = False,
    cache_root: str | None = None,
    workers: int = 2,
    progress: StageCounter | None = None,
) -> Generated:
    """Prompts, generations and their measurement for the pairs of `inputs` (any set of problems:
    the asset runs it once per checkpoint over a run's problem partitions)."""
    fast_mode = config.fast if fast else None
    mode = "fast" if fast else "full"
    pairs = select_pairs(inputs.pairs, fast_mode)
    settings = config.sampling(n)
    errors: dict[str, str] = {}
    if spec.is_model:
        chosen = strategy_names(strategies or spec.strategies or config.strategies, f"{spec.name}'s strategies")
        prompts = build_prompts(spec, chosen, pairs, inputs.index, config.retrieval_k)
        generations, errors = model_generations(
            spec, config, prompts, pairs, settings, cache_root, annotator.config, progress
        )
        n_samples = settings.n
    else:
        prompts = pl.DataFrame(schema=PROMPT_SCHEMA)
        generations = reference_generations(spec, pairs, inputs.index)
        n_samples = 1
    problems = pairs["problem_id"].unique().to_list()
    cases = {problem: eval_cases(inputs.tests[problem], fast_mode) for problem in problems}
    test_sets = {problem: inputs.tests[problem].name for problem in problems}
    provenance = Provenance(spec.kind, spec.version, config.hash, inputs_fingerprint)
    runtimes = measure(annotator, generations, pairs, cases, workers, mode, n_samples, provenance, progress, test_sets)
    return Generated(prompts, generations, runtimes, errors, mode)


def problem_test_sets(runtimes: pl.DataFrame, problems: Sequence[str], configured: str) -> dict[str, str]:
    """problem -> the test set its generations were measured on (generation_runtimes.test_set),
    else (a problem prompted but with no generation measured) the `configured` one."""
    if "test_set" not in runtimes.columns:  # rows written before the column
        return dict.fromkeys(problems, configured)
    recorded = dict(runtimes.group_by("problem_id").agg(pl.col("test_set").drop_nulls().first()).iter_rows())
    return {problem: recorded.get(problem) or configured for problem in problems}


# The human programs' test runs of an evaluation that scores none (fast mode's view): none.
NO_HUMAN_TESTS = pl.DataFrame(
    schema={c: ANNOTATION_SCHEMA[c] for c in ("problem_id", "submission_id", "test_id", "status", "cost")}
)


def _n_samples(runtimes: pl.DataFrame) -> int:
    return int(runtimes.select(pl.col("n_samples").max()).item())


def _single(runtimes: pl.DataFrame, column: str, checkpoint: str) -> str:
    values = runtimes[column].unique().to_list()
    if len(values) != 1:
        raise ValueError(
            f"generation_runtimes of {checkpoint} mix {column} values {sorted(map(str, values))}: "
            "some problems were generated by another evaluation; evaluate the checkpoint again"
        )
    return values[0]


def _metric_pairs(runtimes: pl.DataFrame, prompts: pl.DataFrame) -> pl.DataFrame:
    """The test pairs of a checkpoint's evaluation: those prompted or generated, each with the
    src cost measured beside its generations."""
    keys = ["problem_id", "src_id", "tgt_id"]
    src = runtimes.group_by(keys).agg(pl.col("src_agg_cost").first(), pl.col("src_peak_memory_kb").first())
    return pl.concat([prompts.select(keys), runtimes.select(keys)]).unique().sort(keys).join(src, on=keys, how="left")


def checkpoint_outcomes(checkpoint: str, runtimes: pl.DataFrame, prompts: pl.DataFrame) -> pl.DataFrame:
    """Per strategy, k in 1..n and test pair of one checkpoint's evaluation: the per-pair values
    whose means are SPEEDUP, %OPT and %Correct (`pair_outcomes`), with what must match for two
    evaluations to be compared (`OUTCOME_PROVENANCE`). The same pairs and Best@k as `score`."""
    if runtimes.is_empty():
        raise ValueError(f"{checkpoint} has no generation_runtimes")
    provenance = {column: _single(runtimes, column, checkpoint) for column in OUTCOME_PROVENANCE}
    clip = _single(runtimes, "kind", checkpoint) != "human_reference"
    n_samples = _n_samples(runtimes)
    metric_pairs = _metric_pairs(runtimes, prompts)
    strategies = sorted(set(prompts["strategy"].to_list()) | set(runtimes["strategy"].to_list()))
    frames = [
        pair_outcomes(best_at_k(metric_pairs, runtimes.filter(pl.col("strategy") == name), k, clip=clip)).with_columns(
            strategy=pl.lit(name)
        )
        for name in strategies
        for k in range(1, n_samples + 1)
    ]
    return pl.concat(frames).with_columns(
        checkpoint=pl.lit(checkpoint),
        **{column: pl.lit(value, pl.Utf8) for column, value in provenance.items()},
    )


def fast_view(
    checkpoint: str,
    config: EvaluationConfig,
    annotator: Annotator,
    runtimes: pl.DataFrame,
    prompts: pl.DataFrame,
    generations: pl.DataFrame,
    pairs: pl.DataFrame,
    tests: dict[str, TestSelection],
    workers: int = 2,
) -> pl.DataFrame:
    """What fast mode gives for a full evaluation's own generations: its pairs of fast mode
    (`select_pairs`) measured on fast mode's tests (`eval_cases`) by the same annotator, scored
    with intervals (model_evaluations' columns, mode "fast"). Fast mode on the same samples, so
    the difference from the full evaluation is fast mode's alone, not another draw of samples.
    `pairs`: the eval_pairs rows of the checkpoint's problems; `tests`: each problem's tests of
    the set its generations were measured on. Measurements are cached by content."""
    if _single(runtimes, "mode", checkpoint) != "full":
        raise ValueError(f"{checkpoint}'s latest evaluation is not in full mode")
    kept = select_pairs(pairs, config.fast).join(
        _metric_pairs(runtimes, prompts), on=["problem_id", "src_id", "tgt_id"], how="semi"
    )
    chosen = generations.join(kept, on=["src_id", "tgt_id"], how="semi")
    cases = {problem: eval_cases(tests[problem], config.fast) for problem in kept["problem_id"].unique()}
    first = runtimes.row(0, named=True)
    provenance = Provenance(
        first["kind"], first["checkpoint_version"], first["evaluation_config_hash"], first["inputs_fingerprint"]
    )
    n_samples = _n_samples(runtimes)
    test_sets = {problem: tests[problem].name for problem in cases}
    fast = measure(annotator, chosen, kept, cases, workers, "fast", n_samples, provenance, test_sets=test_sets)
    fast_prompts = prompts.join(kept, on=["src_id", "tgt_id"], how="semi")
    return score(checkpoint, config, fast, fast_prompts, tests, NO_HUMAN_TESTS).model_evaluations


def score(
    checkpoint: str,
    config: EvaluationConfig,
    runtimes: pl.DataFrame,
    prompts: pl.DataFrame,
    tests: dict[str, TestSelection],
    human_tests: pl.DataFrame,
) -> Scored:
    """PIE's metrics for one checkpoint from its generation_runtimes (every problem partition) and
    prompts: the test pairs are those prompted or generated, each src cost is the one measured
    beside its generations, and the human programs are summed over the same cases (`tests`: each
    problem's tests of the set its generations were measured on, `problem_test_sets`)."""
    if runtimes.is_empty():
        raise ValueError(
            f"{checkpoint} has no generation_runtimes: no generation request succeeded "
            "(see the failed_requests of its generations)"
        )
    mode = _single(runtimes, "mode", checkpoint)
    kind = _single(runtimes, "kind", checkpoint)
    fingerprint = _single(runtimes, "inputs_fingerprint", checkpoint)
    if _single(runtimes, "evaluation_config_hash", checkpoint) != config.hash:
        raise ValueError(
            f"the evaluation config changed since {checkpoint}'s generations were made: evaluate the checkpoint again"
        )
    fast_mode = config.fast if mode == "fast" else None
    metric_pairs = _metric_pairs(runtimes, prompts)
    cases = {problem: eval_cases(tests[problem], fast_mode) for problem in metric_pairs["problem_id"].unique()}
    humans = human_costs(human_tests, cases)
    n_samples = _n_samples(runtimes)
    clip = kind != "human_reference"
    strategies = sorted(set(prompts["strategy"].to_list()) | set(runtimes["strategy"].to_list()))
    evaluations, per_pair = [], {}
    for name in strategies:
        runs = runtimes.filter(pl.col("strategy") == name)
        table = evaluate(metric_pairs, runs, n_samples, clip=clip, human_costs=humans, intervals=config.intervals)
        evaluations.append(
            table.with_columns(
                checkpoint=pl.lit(checkpoint),
                kind=pl.lit(kind),
                strategy=pl.lit(name),
                mode=pl.lit(mode),
                n_samples=pl.lit(n_samples, pl.Int64),
                clipped=pl.lit(clip),
                backend=pl.lit(_single(runtimes, "backend", checkpoint)),
                config_hash=pl.lit(_single(runtimes, "config_hash", checkpoint)),
                profile=pl.lit(_single(runtimes, "profile", checkpoint)),
                evaluation_config_hash=pl.lit(config.hash),
                checkpoint_version=pl.lit(_single(runtimes, "checkpoint_version", checkpoint)),
            )
        )
        per_pair[name] = best_at_k(metric_pairs, runs, n_samples, clip=clip)
    model_evaluations = pl.concat(evaluations).select([pl.col(c).cast(t) for c, t in MODEL_EVALUATION_SCHEMA.items()])
    return Scored(model_evaluations, per_pair, mode, fingerprint)
