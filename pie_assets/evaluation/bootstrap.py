"""Sampling intervals and paired tests over test problems, for means over test pairs.

The pairs of one problem share its tests, its src programs and the model's habits on it: they are
not independent draws. So the unit of resampling is the problem (a cluster bootstrap): a resample
draws as many problems as there are, with replacement, and keeps every pair of each draw. A
statistic is a mean over pairs, so a resample's value is (counts @ per-problem sums) / (counts @
per-problem pair counts), one matrix product for every resample, k and metric at once.

This project's rules (PIE reports point estimates only):
- The interval is the percentile interval of the resampled means at `confidence` (0.95: the 2.5th
  and 97.5th percentiles, numpy's linear method). The point estimate stays the plain mean.
- Problems are ordered by id before drawing, and the draws come from numpy's PCG64 seeded with
  `seed`: the same pairs and settings give the same interval on every machine.
- A constant per-pair value (identity: speedup 1, never >= 1.10, always correct) gives that value
  exactly at both ends. With one problem every resample is the sample: the interval has zero
  width and says nothing about sampling noise; `n_problems` beside it says so.
- Paired differences (two checkpoints on the same pairs): the interval comes from the same
  cluster bootstrap of the per-problem differences; the p-value from a paired sign-flip
  permutation test over problems (under "no difference", swapping the two checkpoints' results
  on a problem changes nothing), two-sided, as (1 + #{|D*| >= |D|}) / (1 + resamples), so never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from pie_assets.lake.schema import ColumnTypes


@dataclass(frozen=True)
class Bootstrap:
    """How intervals are drawn (`[intervals]` of the evaluation config)."""

    resamples: int
    seed: int
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.resamples < 1:
            raise ValueError(f"[intervals] resamples must be at least 1, got {self.resamples}")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"[intervals] confidence must be between 0 and 1, got {self.confidence}")

    @property
    def percentiles(self) -> tuple[float, float]:
        tail = 100.0 * (1.0 - self.confidence) / 2.0
        return tail, 100.0 - tail


def problem_counts(n_problems: int, settings: Bootstrap) -> np.ndarray:
    """(resamples x n_problems): how often each problem is drawn in each resample."""
    rng = np.random.default_rng(settings.seed)
    draws = rng.integers(0, n_problems, size=(settings.resamples, n_problems))
    offsets = np.arange(settings.resamples)[:, None] * n_problems
    return np.bincount((draws + offsets).ravel(), minlength=settings.resamples * n_problems).reshape(
        settings.resamples, n_problems
    )


def per_problem_sums(frame: pl.DataFrame, problems: Sequence[str], group: str, values: Sequence[str]) -> np.ndarray:
    """(problems x groups x values + 1): each problem's sum of each value per group, and its pair count."""
    groups = frame[group].unique().sort().to_list()
    sums = (
        frame.group_by("problem_id", group)
        .agg(*(pl.col(v).cast(pl.Float64).sum() for v in values), pl.len().cast(pl.Float64).alias("_n"))
        .sort("problem_id", group)
    )
    cube = np.zeros((len(problems), len(groups), len(values) + 1))
    p_index = {p: i for i, p in enumerate(problems)}
    g_index = {g: i for i, g in enumerate(groups)}
    for row in sums.iter_rows():
        cube[p_index[row[0]], g_index[row[1]]] = row[2:]
    return cube


def mean_intervals(frame: pl.DataFrame, group: str, values: Sequence[str], settings: Bootstrap) -> pl.DataFrame:
    """Per value of `group` (e.g. k): each `values` column's mean over the rows (pairs), with
    `<value>_low` and `<value>_high` from the cluster bootstrap over `problem_id`. Booleans are
    shares (0-1). An empty frame gives no rows."""
    schema: ColumnTypes = {
        group: frame.schema[group],
        **{f"{v}_{end}": pl.Float64 for v in values for end in ("low", "high")},
    }
    if frame.is_empty():
        return pl.DataFrame(schema=schema)
    problems = frame["problem_id"].unique().sort().to_list()
    cube = per_problem_sums(frame, problems, group, values)
    resampled = np.einsum("bp,pgv->bgv", problem_counts(len(problems), settings), cube)
    means = resampled[..., :-1] / resampled[..., -1:]
    low, high = np.percentile(means, settings.percentiles, axis=0)
    columns: dict[str, object] = {group: frame[group].unique().sort()}
    for i, value in enumerate(values):
        columns[f"{value}_low"], columns[f"{value}_high"] = low[:, i], high[:, i]
    return pl.DataFrame(columns, schema=schema)


@dataclass(frozen=True)
class PairedTest:
    difference: float
    low: float
    high: float
    p_value: float


def paired_difference(
    sums_a: np.ndarray, sums_b: np.ndarray, pairs: np.ndarray, settings: Bootstrap
) -> list[PairedTest]:
    """Mean over pairs of A minus B for each column of `sums_*` (problems x metrics: per-problem
    sums on the same pairs; `pairs`: each problem's pair count), with its cluster-bootstrap
    interval and its sign-flip permutation p-value (module docstring)."""
    diff = np.asarray(sums_a, dtype=float) - np.asarray(sums_b, dtype=float)
    total = float(pairs.sum())
    observed = diff.sum(axis=0) / total
    counts = problem_counts(len(pairs), settings)
    resampled = (counts @ diff) / (counts @ pairs.astype(float))[:, None]
    low, high = np.percentile(resampled, settings.percentiles, axis=0)
    rng = np.random.default_rng(settings.seed + 1)  # not the bootstrap's stream
    signs = rng.choice(np.array([-1.0, 1.0]), size=(settings.resamples, len(pairs)))
    flipped = (signs @ diff) / total
    # A relative tolerance: a flip that reproduces |D| up to rounding counts as "as extreme".
    extreme = np.abs(flipped) >= np.abs(observed) * (1 - 1e-12)
    p_values = (1 + extreme.sum(axis=0)) / (1 + settings.resamples)
    return [
        PairedTest(float(observed[i]), float(low[i]), float(high[i]), float(p_values[i])) for i in range(len(observed))
    ]
