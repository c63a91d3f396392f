"""Paired comparisons of checkpoints evaluated on the same test pairs (`checkpoint_comparisons`).

Two evaluations are compared when they ran on the same set of test pairs under the same mode,
backend, simulator config and evaluation config (`OUTCOME_PROVENANCE`): then every pair has a
result from both, and the difference of a mean over pairs is the mean of per-pair differences,
whose noise is far smaller than the two intervals side by side suggest. The rules (PIE has none):
- Strategies: A's strategy s against B's strategy s; an unprompted checkpoint (a baseline or a
  human reference, strategy `none`) against every strategy of the other, the row named by the
  prompted side's strategy. Two strategies of one checkpoint are not compared here.
- k runs from 1 to the larger n of the two; a side with fewer samples uses its Best@n beyond its n
  (the metric's own rule: a pair with fewer samples than k uses what it has).
- difference = A - B, in the metric's unit (SPEEDUP in x, %OPT and %Correct in percentage
  points); diff_low / diff_high: the paired cluster bootstrap over problems; p_value: the paired
  sign-flip permutation test over problems (`bootstrap.paired_difference`), both seeded by
  `[intervals]`. Every pair of checkpoints is there in both orders (B - A negates A - B).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import polars as pl

from pie_assets.evaluation.bootstrap import Bootstrap, paired_difference, per_problem_sums
from pie_assets.evaluation.metrics import INTERVAL_METRICS
from pie_assets.lake.schema import ColumnTypes

UNPROMPTED = "none"
_PAIR = ["src_id", "tgt_id"]
COMPARISON_SCHEMA: ColumnTypes = {
    "checkpoint_a": pl.Utf8,
    "checkpoint_b": pl.Utf8,
    "strategy": pl.Utf8,
    "k": pl.Int64,
    "metric": pl.Utf8,
    "value_a": pl.Float64,
    "value_b": pl.Float64,
    "difference": pl.Float64,
    "diff_low": pl.Float64,
    "diff_high": pl.Float64,
    "p_value": pl.Float64,
    "n_pairs": pl.Int64,
    "n_problems": pl.Int64,
    "mode": pl.Utf8,
    "backend": pl.Utf8,
    "config_hash": pl.Utf8,
    "evaluation_config_hash": pl.Utf8,
}
# What must match for two evaluations to be compared (`checkpoint_outcomes` carries it).
OUTCOME_PROVENANCE = ("mode", "backend", "config_hash", "evaluation_config_hash")
# Percent metrics are shares per pair; their sums are scaled so differences read in points.
_SCALE = np.array([100.0 if m.startswith("pct_") else 1.0 for m in INTERVAL_METRICS])


def _strategy(a: str, b: str) -> str | None:
    if a == b or b == UNPROMPTED:
        return a
    return b if a == UNPROMPTED else None


class _Unit:
    """One checkpoint x strategy's outcomes, summed per problem for every k up to its n."""

    def __init__(self, rows: pl.DataFrame) -> None:
        first = rows.row(0, named=True)
        self.checkpoint: str = first["checkpoint"]
        self.strategy: str = first["strategy"]
        self.context = tuple(first[c] for c in OUTCOME_PROVENANCE)
        at_one = rows.filter(pl.col("k") == 1)
        self.pairs = frozenset(at_one.select(_PAIR).iter_rows())
        self.problems = at_one["problem_id"].unique().sort().to_list()
        self.n = int(rows.select(pl.col("k").max()).item())
        cube = per_problem_sums(rows, self.problems, "k", INTERVAL_METRICS)
        self.sums = cube[..., :-1] * _SCALE  # problems x k x metric
        self.counts = cube[:, 0, -1]

    def at(self, ks: int) -> np.ndarray:
        """problems x ks x metric: k beyond n repeats Best@n."""
        return self.sums[:, [min(k, self.n) - 1 for k in range(1, ks + 1)]]


def _compare(a: _Unit, b: _Unit, strategy: str, settings: Bootstrap) -> Iterator[dict[str, object]]:
    ks = max(a.n, b.n)
    sums_a, sums_b = a.at(ks), b.at(ks)
    problems, metrics = len(a.problems), len(INTERVAL_METRICS)
    tests = paired_difference(sums_a.reshape(problems, -1), sums_b.reshape(problems, -1), a.counts, settings)
    total = float(a.counts.sum())
    context = dict(zip(OUTCOME_PROVENANCE, a.context, strict=True))
    for k, (m, metric) in itertools.product(range(ks), enumerate(INTERVAL_METRICS)):
        test = tests[k * metrics + m]
        yield {
            "checkpoint_a": a.checkpoint,
            "checkpoint_b": b.checkpoint,
            "strategy": strategy,
            "k": k + 1,
            "metric": metric,
            "value_a": float(sums_a[:, k, m].sum()) / total,
            "value_b": float(sums_b[:, k, m].sum()) / total,
            "difference": test.difference,
            "diff_low": test.low,
            "diff_high": test.high,
            "p_value": test.p_value,
            "n_pairs": int(total),
            "n_problems": problems,
            **context,
        }


def compare(outcomes: pl.DataFrame, settings: Bootstrap) -> pl.DataFrame:
    """`checkpoint_comparisons` from every checkpoint's `checkpoint_outcomes` (concatenated)."""
    if outcomes.is_empty():
        return pl.DataFrame(schema=COMPARISON_SCHEMA)
    units = [
        _Unit(rows)
        for _key, rows in outcomes.sort("checkpoint", "strategy").group_by(
            "checkpoint", "strategy", maintain_order=True
        )
    ]
    rows: list[dict[str, object]] = []
    for a, b in itertools.combinations(units, 2):
        strategy = _strategy(a.strategy, b.strategy)
        if a.checkpoint == b.checkpoint or strategy is None or a.context != b.context or a.pairs != b.pairs:
            continue
        rows.extend(_compare(a, b, strategy, settings))
    table = pl.DataFrame(rows, schema=COMPARISON_SCHEMA, orient="row")
    mirrored = table.with_columns(
        checkpoint_a=pl.col("checkpoint_b"),
        checkpoint_b=pl.col("checkpoint_a"),
        value_a=pl.col("value_b"),
        value_b=pl.col("value_a"),
        difference=-pl.col("difference"),
        diff_low=-pl.col("diff_high"),
        diff_high=-pl.col("diff_low"),
    )
    return pl.concat([table, mirrored]).sort("checkpoint_a", "checkpoint_b", "strategy", "metric", "k")
