"""What every test source yields and what validation writes: the contract of `pie_assets.testgen`.

A `Candidate` is an input with its provenance. Validation runs the problem's accepted programs on
it natively (sandboxed), keeps it only on their consensus, and writes a `generated_tests` row
(the columns of `test_cases`, origin `generated`, plus provenance) or, in any case, a
`generated_test_trials` row saying what became of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from pie_assets.codenet.test_cases import TEST_CASE_SCHEMA
from pie_assets.lake.schema import ColumnTypes

ORIGIN = "generated"  # test_cases.origin of a generated test


@dataclass(frozen=True)
class Candidate:
    """One input to try. `generator` names the source (`mutate`, `scale`, `model:<checkpoint>`);
    `generator_version` is its code version or the model's version, so a changed generator is a
    new candidate; `parent_test_id` is the test it was derived from (None for a model's)."""

    problem_id: str
    input: str
    generator: str
    generator_version: str
    seed: int
    scale: int
    parent_test_id: str | None


class TrialOutcome(StrEnum):
    """What became of a candidate (`generated_test_trials.outcome`)."""

    KEPT = "kept"  # every accepted program agreed: a generated test
    NOT_SELECTED = "not_selected"  # agreed on, but the sizing kept others (cap N, cost spread)
    DISAGREEMENT = "disagreement"  # accepted programs gave different outputs: evidence of weak tests
    FAILED = "failed"  # an accepted program did not finish OK (RE, TLE, MLE, OLE): likely invalid input
    TOO_SLOW = "too_slow"  # agreed, but the slowest accepted program is too near the native budget
    DUPLICATE = "duplicate"  # the same input as an existing test or an earlier candidate
    TOO_FEW_PROGRAMS = "too_few_programs"  # fewer accepted programs than [generated_tests] min_consensus
    INFRA = "infra"  # a harness fault: nothing said about the input; tried again next time
    # A model-written generator gave no input at this scale (no program in the response, CE, crash,
    # timeout, too much or no output, not deterministic): no input_sha256; detail says which.
    NO_INPUT = "no_input"


GENERATED_TEST_SCHEMA: ColumnTypes = {
    **TEST_CASE_SCHEMA,  # origin = "generated", runtime_test_id = test_id, source_path = the generator
    "generator": pl.Utf8,
    "generator_version": pl.Utf8,
    "seed": pl.Int64,
    "scale": pl.Int64,
    "parent_test_id": pl.Utf8,
    "consensus_size": pl.Int64,  # accepted programs that agreed
    "native_cost_min_s": pl.Float64,  # the accepted programs' native CPU seconds on it
    "native_cost_median_s": pl.Float64,
    "native_cost_max_s": pl.Float64,
}

TRIAL_SCHEMA: ColumnTypes = {
    "problem_id": pl.Utf8,
    "input_sha256": pl.Utf8,
    "generator": pl.Utf8,
    "generator_version": pl.Utf8,
    "seed": pl.Int64,
    "scale": pl.Int64,
    "parent_test_id": pl.Utf8,
    "input_bytes": pl.Int64,
    "outcome": pl.Utf8,  # a TrialOutcome
    "detail": pl.Utf8,  # why (the disagreeing outputs' digests, the failing program and status, ...)
    "n_programs": pl.Int64,  # accepted programs run on it
    "native_cost_max_s": pl.Float64,
    "test_id": pl.Utf8,  # the generated test it became (kept only)
}
