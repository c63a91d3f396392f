"""One problem's generated tests: candidates tried in a fixed order, judged by consensus, sized.

For each distinct existing input (every origin, by test id) its mutations, then its scaling search
(2x, 4x, ... until the programs stop agreeing or the slowest passes `max_native_s`); then any
`extra` candidates (a model's generator programs' outputs), judged alike. An input equal to an
existing test's or an earlier candidate's is a `duplicate`, not run. Candidates are screened by
the first `screen_programs` accepted programs; the sizing chooses among those they agree on, and
each chosen one is confirmed by every accepted program: one that fails confirmation takes its
verdict, leaves the choice, and the sizing chooses again, until every chosen input is confirmed.
The order is a function of the inputs and settings, so the same seed and code give the same
trials and, with the run cache warm, byte-identical tests (a cold cache re-times the programs:
the scaling search's stop and the cost-spread choice follow the machine's CPU time).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from pie_assets.codenet.text import sha256_hex
from pie_assets.runtime.annotate import Annotator
from pie_assets.testgen.candidates import GENERATED_TEST_SCHEMA, ORIGIN, TRIAL_SCHEMA, Candidate, TrialOutcome
from pie_assets.testgen.config import GeneratedTestsSettings
from pie_assets.testgen.consensus import Consensus, Verdict
from pie_assets.testgen.mutate import mutations
from pie_assets.testgen.scale import scale_candidates
from pie_assets.testgen.select import select

TEST_ID_PREFIX = "generated_"


@dataclass(frozen=True)
class Trial:
    candidate: Candidate
    input_sha256: str
    verdict: Verdict | None  # None: a duplicate, not run


@dataclass(frozen=True)
class GeneratedTests:
    tests: pl.DataFrame  # GENERATED_TEST_SCHEMA
    trials: pl.DataFrame  # TRIAL_SCHEMA
    left_out: list[str]  # accepted programs that do not compile here, with why


def generate_tests(
    problem_id: str,
    test_cases: pl.DataFrame,
    submissions: pl.DataFrame,
    settings: GeneratedTestsSettings,
    annotator: Annotator,
    pool: Executor,
    extra: Iterable[Candidate] = (),
) -> GeneratedTests:
    """The problem's generated tests and every trial (see the module docstring)."""
    consensus, left_out = Consensus.for_problem(annotator, submissions, settings, pool)
    seen = set(test_cases["input_sha256"].to_list())
    trials: list[Trial] = []

    def tried(candidate: Candidate) -> Verdict | None:
        sha = sha256_hex(candidate.input.encode())
        verdict = None if sha in seen else consensus.judge(candidate.input, settings.screen_programs)
        seen.add(sha)
        trials.append(Trial(candidate, sha, verdict))
        return verdict

    parents = test_cases.sort("test_id").unique("input_sha256", keep="first", maintain_order=True)
    for parent in parents.iter_rows(named=True):
        for candidate in mutations(problem_id, parent["test_id"], parent["input"], settings):
            tried(candidate)
        for candidate in scale_candidates(problem_id, parent["test_id"], parent["input"], settings):
            verdict = tried(candidate)
            if verdict is None or not verdict.agreed:
                break
    for candidate in extra:
        tried(candidate)
    chosen = _confirmed_choice(trials, consensus, settings)
    return _tables(problem_id, trials, chosen, left_out)


def _confirmed_choice(trials: list[Trial], consensus: Consensus, settings: GeneratedTestsSettings) -> set[int]:
    """The trials kept: chosen by the sizing among those screened as agreed, each confirmed by
    every accepted program (its trial then carries the full verdict, agreed or not)."""
    confirmed: set[int] = set()
    while True:
        agreed = [i for i, trial in enumerate(trials) if trial.verdict is not None and trial.verdict.agreed]
        chosen = {agreed[k] for k in select([_cost(trials[i]) for i in agreed], settings.max_tests)}
        if chosen <= confirmed:
            return chosen
        for i in sorted(chosen - confirmed):
            trial = trials[i]
            trials[i] = replace(trial, verdict=consensus.judge(trial.candidate.input))
            confirmed.add(i)


def _tables(problem_id: str, trials: list[Trial], chosen: set[int], left_out: list[str]) -> GeneratedTests:
    test_ids = {i: f"{TEST_ID_PREFIX}{n}" for n, i in enumerate(sorted(chosen))}
    tests: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for i, trial in enumerate(trials):
        c, verdict = trial.candidate, trial.verdict
        if verdict is None:
            outcome, detail = TrialOutcome.DUPLICATE, "the same input as an existing test or an earlier candidate"
        elif verdict.agreed:
            outcome = TrialOutcome.KEPT if i in chosen else TrialOutcome.NOT_SELECTED
            detail = f"median native cost {_cost(trial):.4f} s"
            detail += f", agreed by all {verdict.n_programs}" if i in chosen else ": not chosen by the cost spread"
        else:
            outcome, detail = verdict.outcome or TrialOutcome.INFRA, verdict.detail
        provenance = {
            "problem_id": problem_id,
            "generator": c.generator,
            "generator_version": c.generator_version,
            "seed": c.seed,
            "scale": c.scale,
            "parent_test_id": c.parent_test_id,
        }
        rows.append(
            provenance
            | {
                "input_sha256": trial.input_sha256,
                "input_bytes": len(c.input.encode()),
                "outcome": str(outcome),
                "detail": detail,
                "n_programs": verdict.n_programs if verdict else 0,
                "native_cost_max_s": max(verdict.costs) if verdict and verdict.costs else None,
                "test_id": test_ids.get(i),
            }
        )
        if i in chosen and verdict is not None:
            tests.append(
                provenance
                | {
                    "test_id": test_ids[i],
                    "origin": ORIGIN,
                    "input": c.input,
                    "expected_output": verdict.expected_output,
                    "input_sha256": trial.input_sha256,
                    "source_path": c.generator,
                    "runtime_test_id": test_ids[i],
                    "consensus_size": verdict.n_programs,
                    "native_cost_min_s": min(verdict.costs),
                    "native_cost_median_s": verdict.median_cost,
                    "native_cost_max_s": max(verdict.costs),
                }
            )
    return GeneratedTests(
        pl.DataFrame(tests, schema=GENERATED_TEST_SCHEMA, orient="row").select(list(GENERATED_TEST_SCHEMA)),
        pl.DataFrame(rows, schema=TRIAL_SCHEMA, orient="row").select(list(TRIAL_SCHEMA)),
        left_out,
    )


def _cost(trial: Trial) -> float:
    return (trial.verdict.median_cost if trial.verdict else None) or 0.0
