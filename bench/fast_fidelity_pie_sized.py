"""Benchmark: how far fast mode is from the full evaluation on a generated PIE-sized test split.

What is real and what is synthetic:
- Real (the project's code, as the `fast_mode_fidelity` asset runs it): the pairs' `fast_rank`
  from the `eval_pairs` SQL model (rendered with the dataset config's vars, run by DuckDB on the
  synthetic trajectory_pairs); the baselines' and references' generations
  (`pipeline.reference_generations`) and the models' prompts (`pipeline.build_prompts`);
  measurement rows and scoring with intervals (`pipeline.measure`, `pipeline.score`); fast mode
  applied to each full evaluation's own generations (`pipeline.fast_view`: `select_pairs`,
  `eval_cases`); the table (`fast_fidelity.fidelity`). The evaluation config is the project's
  (`pie_assets/evaluation.toml`: n = 8, fast mode 1 pair and 2 tests per problem, 2,000 resamples),
  with `--tests-per-problem` / `--pairs-per-problem` overriding its `[fast]`.
- Synthetic (no model weights, no compiler, no simulator): the split, the programs and what a
  test costs. 41 problems, 978 pairs (PIE's test split), pairs per problem skewed (lognormal
  weights), 40-120 tests per problem (PIE's merged tests average ~80) whose input sizes are
  log-uniform over 10..2e5. A program is a line of parameters, "measured" by `CostModel` (a
  subclass of the project's Annotator whose measure_program is the cost model): per test, 1
  (start-up, PIE's ~1 ms) + c * (size / 1000) ** e; a test fails with the program's fail rate
  (hashed per program and test, so the same program fails the same tests in both modes).
  Human targets are faster than their src by a lognormal factor, some by a lower exponent; the
  problem's fastest beats every target. Five synthetic model checkpoints of differing quality
  sample 8 rewrites per pair (strategy `instruction`): per sample, broken (fails every test),
  partly wrong (fails a Beta(0.5, 3) share of the tests), a copy of the src, or faster by the
  checkpoint's factor; a per-problem difficulty shifts the share of correct samples, so pairs of
  one problem are correlated. Checkpoints: identity, human-target, human-fastest and the five
  models (nearest-pair is left out: its retrieval needs real programs).

Per world (--worlds seeds), `fidelity` gives per checkpoint, k and metric fast - full and whether
the fast interval covers the full value, and the Spearman of fast with full across checkpoints.
The table: per metric at Best@1 (all 8 checkpoints) and Best@8 (the 5 models), the mean and
largest |fast - full|, the share of rows covered, and Spearman (mean and lowest over the worlds).

    python bench/fast_fidelity_pie_sized.py [--worlds 3] [--tests-per-problem 2] [--pairs-per-problem 1]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import duckdb
import numpy as np
import polars as pl

from dbt_like.models import load_model, sql_dir
from pie_assets.dataset.config import DatasetConfig
from pie_assets.evaluation.checkpoints import CheckpointSpec
from pie_assets.evaluation.config import EvaluationConfig
from pie_assets.evaluation.fast_fidelity import fidelity
from pie_assets.evaluation.pipeline import (
    NO_HUMAN_TESTS,
    Provenance,
    build_prompts,
    eval_cases,
    fast_view,
    generation_id,
    measure,
    reference_generations,
    score,
)
from pie_assets.evaluation.schemas import GENERATION_SCHEMA
from pie_assets.runtime.annotate import Annotator, Program, ProgramResult, TestCase
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.statuses import OK, WA
from pie_assets.runtime.test_sets import TestSelection

PROBLEMS, PAIRS = 41, 978
STARTUP = 1.0  # cost units of a test's start-up (PIE: ~1 ms of each test)
TEST_SET = "pie"
STRATEGY = "instruction"
REFERENCES = (("identity", "baseline"), ("human-target", "human_reference"), ("human-fastest", "human_reference"))


@dataclass(frozen=True)
class Quality:
    """A synthetic checkpoint: per sample, P(broken), P(partly wrong), P(faster | correct) and
    the log-mean of its speedup factor."""

    broken: float
    partly_wrong: float
    improves: float
    log_factor: float


MODELS = {
    "model-a": Quality(0.45, 0.15, 0.15, 0.2),
    "model-b": Quality(0.30, 0.15, 0.30, 0.5),
    "model-c": Quality(0.25, 0.12, 0.35, 0.6),
    "model-d": Quality(0.15, 0.10, 0.50, 0.9),
    "model-e": Quality(0.08, 0.07, 0.65, 1.2),
}


def program(c: float, e: float, fail: float, seed: int) -> str:
    """A synthetic program: what CostModel reads."""
    return f"// synthetic c={c!r} e={e!r} fail={fail!r} seed={seed}\n"


def _parse(code: bytes) -> tuple[float, float, float, int]:
    fields = dict(part.split("=") for part in code.decode().split()[2:])
    return float(fields["c"]), float(fields["e"]), float(fields["fail"]), int(fields["seed"])


def _uniform(*keys: object) -> float:
    return int.from_bytes(hashlib.sha256("|".join(map(str, keys)).encode()).digest()[:8], "big") / 2**64


class CostModel(Annotator):
    """The Annotator with its measurement replaced by the synthetic cost model (module docstring):
    `measure` and `fast_view` call it exactly as they call the real one."""

    def __init__(self) -> None:  # no compiler, sandbox or backend: nothing is run
        self.config = SimulatorConfig.load()
        self.backend = SimpleNamespace(name="synthetic-cost-model")

    def executor(self, workers: int | None = None) -> Executor:
        return ThreadPoolExecutor(1)

    def measure_program(self, program: Program, problem_id: str, cases: list[TestCase]) -> ProgramResult:
        c, e, fail, seed = _parse(program.code)
        rows = []
        for case in cases:
            size = float(case.input.decode().split()[1])
            ok = fail == 0.0 or _uniform(seed, case.input_sha256) >= fail
            rows.append(
                {
                    "test_id": case.test_id,
                    "status": OK if ok else WA,
                    "accuracy": 1.0 if ok else 0.0,
                    "cost": STARTUP + c * (size / 1000.0) ** e,
                    "instructions": None,
                    "peak_memory_kb": 1000,
                    "detail": "",
                }
            )
        return ProgramResult(rows, self._summary(problem_id, SimpleNamespace(binary_sha256=program.code_sha256), rows))


@dataclass
class World:
    pairs: pl.DataFrame  # eval_pairs rows, fast_rank from the eval_pairs model
    tests: dict[str, TestSelection]
    params: dict[str, tuple[float, float]]  # src_id -> (c, e)
    difficulty: dict[str, float]


def _tests(rng: np.random.Generator, problem: str) -> TestSelection:
    count = int(rng.integers(40, 121))
    sizes = 10 ** rng.uniform(1.0, np.log10(2e5), count)
    inputs = [f"size {s:.1f} {problem} {i}\n" for i, s in enumerate(sizes)]
    ids = [f"{problem}_extra_{i}" for i in range(count)]
    frame = pl.DataFrame(
        {
            "test_id": ids,
            "input": inputs,
            "expected_output": ["ok"] * count,
            "input_sha256": [hashlib.sha256(i.encode()).hexdigest() for i in inputs],
            "origin": ["extra_dir"] * count,
            "runtime_test_id": ids,
        }
    )
    return TestSelection(TEST_SET, frame)


def _eval_pairs(trajectory_pairs: pl.DataFrame, fastest: pl.DataFrame) -> pl.DataFrame:
    """The project's eval_pairs model on the synthetic lake tables (fast_rank: its seeded md5 order)."""
    variables = {**DatasetConfig.load().vars, "eval_pairs_from": "lake"}
    model = load_model(sql_dir() / "eval_pairs.sql", variables)
    con = duckdb.connect()
    con.register("trajectory_pairs", trajectory_pairs)
    con.register("problem_splits", trajectory_pairs.select("problem_id").unique().with_columns(split=pl.lit("test")))
    con.register("fastest_human", fastest.select("problem_id", "submission_id"))
    con.register("submissions", fastest.select("submission_id", "code"))
    variables_split = variables["eval_split"]
    if variables_split != "test":
        raise ValueError(f"the dataset config's eval_split is {variables_split!r}; this bench builds a test split")
    return con.execute(model.sql).pl()


def build_world(seed: int, n_problems: int = PROBLEMS, n_pairs: int = PAIRS) -> World:
    rng = np.random.default_rng(seed)
    problems = [f"p{90100 + i}" for i in range(n_problems)]
    weights = rng.lognormal(0.0, 0.9, n_problems)
    counts = 1 + rng.multinomial(n_pairs - n_problems, weights / weights.sum())
    rows, fastest_rows, params = [], [], {}
    for problem, count in zip(problems, counts, strict=True):
        best_c, best_e = np.inf, np.inf
        for j in range(int(count)):
            c, e = float(rng.lognormal(0.5, 0.8)), float(rng.choice([1.0, 1.2, 1.5], p=[0.6, 0.25, 0.15]))
            tgt_c, tgt_e = c / float(rng.lognormal(0.7, 0.5)), e
            if rng.uniform() < 0.3:  # an algorithmic edit: a lower exponent
                tgt_e = max(1.0, e - float(rng.uniform(0.2, 0.5)))
            src_id, tgt_id = f"s{seed}-{problem}-{j}", f"t{seed}-{problem}-{j}"
            params[src_id] = (c, e)
            best_c, best_e = min(best_c, tgt_c), min(best_e, tgt_e)
            rows.append(
                {
                    "problem_id": problem,
                    "src_id": src_id,
                    "tgt_id": tgt_id,
                    "src_code": program(c, e, 0.0, int(_uniform(src_id) * 2**31)),
                    "tgt_code": program(tgt_c, tgt_e, 0.0, int(_uniform(tgt_id) * 2**31)),
                    "src_agg_cost": None,
                    "tgt_agg_cost": None,
                }
            )
        fastest_rows.append(
            {"problem_id": problem, "submission_id": f"f-{problem}", "code": program(best_c / 1.2, best_e, 0.0, 0)}
        )
    trajectory_pairs = pl.DataFrame(rows, schema_overrides={"src_agg_cost": pl.Float64, "tgt_agg_cost": pl.Float64})
    return World(
        _eval_pairs(trajectory_pairs, pl.DataFrame(fastest_rows)),
        {problem: _tests(rng, problem) for problem in problems},
        params,
        {problem: float(rng.normal(0.0, 0.8)) for problem in problems},
    )


def _sample(world: World, quality: Quality, pair: dict[str, Any], rng: np.random.Generator) -> str:
    c, e = world.params[pair["src_id"]]
    shift = world.difficulty[pair["problem_id"]]  # a hard problem breaks more samples
    broken = 1.0 / (1.0 + np.exp(-(np.log(quality.broken / (1 - quality.broken)) + shift)))
    u = rng.uniform()
    seed = int(rng.integers(2**31))
    if u < broken:
        return program(c, e, 1.0, seed)
    if u < broken + quality.partly_wrong:
        return program(c, e, float(rng.beta(0.5, 3.0)), seed)
    if rng.uniform() < quality.improves:
        return program(c / float(rng.lognormal(quality.log_factor, 0.6)), e, 0.0, seed)
    return program(c * float(rng.uniform(0.95, 1.1)), e, 0.0, seed)


def model_generations(world: World, name: str, quality: Quality, prompts: pl.DataFrame, n: int, seed: int):
    rng = np.random.default_rng([seed, sum(map(ord, name))])
    rows = []
    for pair, prompt in zip(world.pairs.iter_rows(named=True), prompts["prompt_hash"], strict=True):
        for index in range(n):
            code = _sample(world, quality, pair, rng)
            rows.append(
                {
                    "generation_id": generation_id(name, STRATEGY, pair["src_id"], pair["tgt_id"], index, prompt),
                    "checkpoint": name,
                    "strategy": STRATEGY,
                    "problem_id": pair["problem_id"],
                    "src_id": pair["src_id"],
                    "tgt_id": pair["tgt_id"],
                    "sample_index": index,
                    "prompt_hash": prompt,
                    "code": code,
                    "code_sha256": hashlib.sha256(code.encode()).hexdigest(),
                    "extraction_status": "fenced",
                    "finish_reason": "stop",
                    "cached": False,
                    "response": None,
                }
            )
    return pl.DataFrame(rows, schema=GENERATION_SCHEMA, orient="row")


def evaluate_world(world: World, config: EvaluationConfig, seed: int) -> pl.DataFrame:
    annotator = CostModel()
    n = config.sampling().n
    cases = {problem: eval_cases(selection, None) for problem, selection in world.tests.items()}
    test_sets = dict.fromkeys(world.tests, TEST_SET)
    full, fast = [], []
    checkpoints = [(name, kind, None) for name, kind in REFERENCES] + [
        (name, "transformers", quality) for name, quality in MODELS.items()
    ]
    for name, kind, quality in checkpoints:
        spec = CheckpointSpec(name, kind, version="synthetic")
        if quality is None:
            prompts = build_prompts(spec, [], world.pairs, None, config.retrieval_k)
            generations, samples = reference_generations(spec, world.pairs, None), 1
        else:
            prompts = build_prompts(spec, [STRATEGY], world.pairs, None, config.retrieval_k)
            generations, samples = model_generations(world, name, quality, prompts, n, seed), n
        provenance = Provenance(kind, "synthetic", config.hash, f"synthetic-world-{seed}")
        runtimes = measure(annotator, generations, world.pairs, cases, 1, "full", samples, provenance, None, test_sets)
        full.append(score(name, config, runtimes, prompts, world.tests, NO_HUMAN_TESTS).model_evaluations)
        fast.append(fast_view(name, config, annotator, runtimes, prompts, generations, world.pairs, world.tests, 1))
    return fidelity(pl.concat(full), pl.concat(fast))


def with_fast(config: EvaluationConfig, pairs_per_problem: int | None, tests_per_problem: int | None):
    fast = dict(config.section("fast"))
    if pairs_per_problem is not None:
        fast["pairs_per_problem"] = pairs_per_problem
    if tests_per_problem is not None:
        fast["tests_per_problem"] = tests_per_problem
    values = {**config.values, "fast": fast}
    return EvaluationConfig(values=values, hash=EvaluationConfig.content_hash(values), path=config.path)


def summary(tables: list[pl.DataFrame], n: int) -> pl.DataFrame:
    rows = []
    for metric in ("speedup", "pct_opt", "pct_correct"):
        for k in (1, n):
            chosen = [t.filter((pl.col("metric") == metric) & (pl.col("k") == k)) for t in tables]
            both = pl.concat(chosen)
            spearman = [t["spearman"][0] for t in chosen if t["spearman"][0] is not None]  # None: a constant side
            rows.append(
                {
                    "metric": metric,
                    "k": k,
                    "checkpoints": chosen[0].height,
                    "mean |fast - full|": both["difference"].abs().mean(),
                    "max |fast - full|": both["difference"].abs().max(),
                    "covered": both["covered"].cast(pl.Float64).mean(),
                    "spearman mean": statistics.fmean(spearman) if spearman else None,
                    "spearman min": min(spearman, default=None),
                }
            )
    return pl.DataFrame(rows)


def main(argv: list[str] | None = None) -> pl.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=3, help="synthetic splits, seeds 0..worlds-1")
    parser.add_argument("--pairs-per-problem", type=int, default=None, help="override [fast] pairs_per_problem")
    parser.add_argument("--tests-per-problem", type=int, default=None, help="override [fast] tests_per_problem")
    args = parser.parse_args(argv)
    config = with_fast(EvaluationConfig.load(), args.pairs_per_problem, args.tests_per_problem)
    n = config.sampling().n
    start = time.perf_counter()
    tables = []
    for seed in range(args.worlds):
        tables.append(evaluate_world(build_world(seed), config, seed))
    full_target = pl.concat(
        t.filter((pl.col("checkpoint") == "human-target") & (pl.col("metric") == "speedup")) for t in tables
    )
    print(
        f"{args.worlds} synthetic PIE-sized splits ({PROBLEMS} problems, {PAIRS} pairs), fast mode "
        f"{config.fast.pairs_per_problem} pair(s) and {config.fast.tests_per_problem} test(s) per problem, "
        f"n = {n}, {time.perf_counter() - start:.0f} s"
    )
    print(
        "human-target SPEEDUP full vs fast per world: "
        + ", ".join(f"{r['full_value']:.2f} vs {r['fast_value']:.2f}" for r in full_target.iter_rows(named=True))
    )
    table = summary(tables, n)
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, float_precision=3, tbl_hide_dataframe_shape=True):
        print(table)
    return table


if __name__ == "__main__":
    main()
