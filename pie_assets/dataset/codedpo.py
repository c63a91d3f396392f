"""CodeDPO's self-verification: scores for each problem's programs and tests from which program
passes which test (Link(c, t)), a PageRank-like fixed point.

All scores start at 1. Each round updates both kinds from the previous round's scores (a Jacobi
step, so neither kind sees the other's new scores first):

    s(c) <- (1 - d) s(c) + d * sum_t s(t) Link(c, t)
    s(t) <- (1 - d) s(t) + d * sum_c s(c) Link(c, t)

then divides each kind by its maximum within the problem, so a problem's best program and best
test score 1 and the all-ones start is already normalised (the fixed point is the same for any
positive per-kind scale: the top singular vectors of the problem's Link matrix). A problem stops
after the first round in which no score of it moved by more than `tolerance`, or after
`max_rounds` (then it is recorded as not converged); its scores are those of its last round.

Every problem is iterated at once, vectorised over one polars frame of links. Sums over links
run in a fixed order (the links sorted by index, summed as lists), so the same links give
bit-identical scores whatever their row order or the thread count: ties between programs with
the same links stay exact ties.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from pie_assets.lake.schema import ColumnTypes

KINDS = ("code", "test")
LINK_COLUMNS = ("problem_id", "program_id", "test_id", "passed")
SCORES_SCHEMA: ColumnTypes = {
    "problem_id": pl.Utf8,
    "kind": pl.Utf8,
    "id": pl.Utf8,
    "score": pl.Float64,
    "rounds": pl.Int32,
    "converged": pl.Boolean,
}
VARS = {"damping": "codedpo_damping", "tolerance": "codedpo_tolerance", "max_rounds": "codedpo_max_rounds"}


@dataclass(frozen=True)
class Params:
    damping: float
    tolerance: float
    max_rounds: int

    def __post_init__(self) -> None:
        if not 0 < self.damping <= 1:
            raise ValueError(f"codedpo_damping must be in (0, 1], not {self.damping}")
        if self.tolerance < 0:
            raise ValueError(f"codedpo_tolerance must be >= 0, not {self.tolerance}")
        if self.max_rounds < 1:
            raise ValueError(f"codedpo_max_rounds must be >= 1, not {self.max_rounds}")

    @classmethod
    def from_vars(cls, variables: Mapping[str, Any]) -> Params:
        """The dataset config's `[vars]` (codedpo_damping, codedpo_tolerance, codedpo_max_rounds)."""
        missing = [name for name in VARS.values() if name not in variables]
        if missing:
            raise KeyError(f"the dataset config's [vars] lacks {', '.join(missing)}")
        return cls(
            float(variables[VARS["damping"]]), float(variables[VARS["tolerance"]]), int(variables[VARS["max_rounds"]])
        )

    def as_vars(self) -> dict[str, Any]:
        return {VARS["damping"]: self.damping, VARS["tolerance"]: self.tolerance, VARS["max_rounds"]: self.max_rounds}


def _nodes(links: pl.DataFrame, column: str, problems: pl.DataFrame) -> pl.DataFrame:
    """One row per (problem, id) of one kind, sorted, with its index and its problem's index."""
    return (
        links.select("problem_id", pl.col(column).alias("id"))
        .unique()
        .sort("problem_id", "id")
        .with_row_index("node")
        .join(problems, on="problem_id", how="left", maintain_order="left")
    )


def _sums(weights: pl.Series, source: pl.Series, target: pl.Series, size: int) -> pl.Series:
    """sum of weights[source] per target (0 where a target has no link). `source`/`target` are
    sorted by (target, source) and group_by keeps each group's row order, so each sum adds the
    same terms in the same order every time."""
    terms = pl.DataFrame({"target": target, "w": weights.gather(source)})
    per = terms.group_by("target").agg(pl.col("w")).with_columns(pl.col("w").list.sum())
    return pl.zeros(size, pl.Float64, eager=True).scatter(per["target"], per["w"])


def _normalised(scores: pl.Series, problem: pl.Series) -> pl.Series:
    """Each score divided by its problem's maximum (left as is where that maximum is 0)."""
    frame = pl.DataFrame({"s": scores, "p": problem})
    top = pl.col("s").max().over("p")
    return frame.select(pl.when(top > 0).then(pl.col("s") / top).otherwise(pl.col("s")))["s"]


def _moved(old: pl.Series, new: pl.Series, problem: pl.Series) -> pl.DataFrame:
    return pl.DataFrame({"p": problem, "m": (new - old).abs()})


def self_verification_scores(links: pl.DataFrame, params: Params) -> pl.DataFrame:
    """SCORES_SCHEMA rows, sorted by (problem_id, kind, id): a score for every program and every
    test of `links` (LINK_COLUMNS: every (program, test) outcome, passed = Link(c, t)), with the
    rounds its problem ran and whether it converged."""
    missing = [c for c in LINK_COLUMNS if c not in links.columns]
    if missing:
        raise ValueError(f"links lack the columns {', '.join(missing)}")
    if links.is_empty():
        return pl.DataFrame(schema=SCORES_SCHEMA)
    problems = links.select("problem_id").unique().sort("problem_id").with_row_index("problem")
    codes = _nodes(links, "program_id", problems)
    tests = _nodes(links, "test_id", problems)
    edges = (
        links.filter(pl.col("passed"))
        .join(
            codes.select("problem_id", pl.col("id").alias("program_id"), pl.col("node").alias("c")),
            on=["problem_id", "program_id"],
        )
        .join(
            tests.select("problem_id", pl.col("id").alias("test_id"), pl.col("node").alias("t")),
            on=["problem_id", "test_id"],
        )
        .select("c", "t")
        .unique()
    )
    by_code, by_test = edges.sort("c", "t"), edges.sort("t", "c")
    n_codes, n_tests, n_problems = codes.height, tests.height, problems.height
    code_problem, test_problem = codes["problem"], tests["problem"]

    d = params.damping
    s_code = pl.Series("s", [1.0] * n_codes)
    s_test = pl.Series("s", [1.0] * n_tests)
    active = pl.Series("active", [True] * n_problems)
    rounds = pl.Series("rounds", [0] * n_problems, dtype=pl.Int32)
    converged = pl.Series("converged", [False] * n_problems)
    for _ in range(params.max_rounds):
        new_code = _normalised((1 - d) * s_code + d * _sums(s_test, by_code["t"], by_code["c"], n_codes), code_problem)
        new_test = _normalised((1 - d) * s_test + d * _sums(s_code, by_test["c"], by_test["t"], n_tests), test_problem)
        moved = (
            pl.concat([_moved(s_code, new_code, code_problem), _moved(s_test, new_test, test_problem)])
            .group_by("p")
            .agg(pl.col("m").max())
        )
        settled = pl.Series([False] * n_problems).scatter(moved["p"], moved["m"] <= params.tolerance)
        s_code = new_code.zip_with(active.gather(code_problem), s_code)
        s_test = new_test.zip_with(active.gather(test_problem), s_test)
        rounds = rounds + active.cast(pl.Int32)
        converged = converged | (active & settled)
        active = active & ~settled
        if not active.any():
            break

    per_problem = problems.with_columns(rounds=rounds, converged=converged)
    scored = pl.concat(
        [
            codes.select("problem_id", pl.lit(KINDS[0]).alias("kind"), "id", pl.Series("score", s_code), "problem"),
            tests.select("problem_id", pl.lit(KINDS[1]).alias("kind"), "id", pl.Series("score", s_test), "problem"),
        ]
    )
    return (
        scored.join(per_problem.drop("problem_id"), on="problem", how="left")
        .select(list(SCORES_SCHEMA))
        .cast(pl.Schema(SCORES_SCHEMA))
        .sort("problem_id", "kind", "id")
    )
