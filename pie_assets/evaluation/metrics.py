"""PIE's evaluation metrics (`gem5_eval.py`, `report_results`) over measured generations.

PIE's rules, as in `/work/shared/pie_reference.md`:
- Every test pair of the split is in the denominator; a pair with no usable generation counts as
  runtime infinite and accuracy 0.
- A generation whose accuracy is below 1.0 has runtime infinite.
- Best@k: over the first k generations in sampling order, runtime = the minimum, accuracy = the
  maximum.
- speedup@k = max(1.0, src_runtime / best_runtime@k): 1.0 when nothing is correct, never below 1.
  SPEEDUP = the mean over pairs. %OPT@k = the share of pairs with speedup@k >= 1.10.
  %Correct@k = the share of pairs whose best accuracy@k == 1.0. Percentages are 0-100.
- The human reference speedup (tgt over src) is not clipped at 1 (`clip=False`).

Where PIE is silent, these are this project's rules:
- "The first k generations" are those with sample_index < k (0-based): a sample missing from
  `runs` is a generation without a runtime, never replaced by a later one. A pair with fewer
  samples than k uses what it has.
- Duplicate rows for one (src_id, tgt_id, sample_index) count once: the first in input order.
  Identical code in two samples is two samples. Runs of a pair not in `pairs` are ignored.
- A generation has a runtime only when all_pass is true, mean_accuracy == 1.0 and agg_cost is not
  NULL. A NULL mean_accuracy (did not compile) is 0; a NULL all_pass is false.
- A src without a cost (src_agg_cost NULL) gives speedup 1.0: nothing measurable to improve. The
  pair stays in the denominator and is counted in n_src_unmeasured.
- Unclipped (`clip=False`): speedup = src / best when a best runtime exists, else 1.0.
- best_peak_memory_kb is that of the generation giving best_cost (ties: the lowest sample_index).
- memory_reduction = the mean over all pairs of src_peak_memory_kb / best_peak_memory_kb, 1.0 for
  a pair without a correct generation or without both (positive) memories. Not clipped: a
  generation using more memory gives less than 1.
- percentile = 100 * the mean over all pairs of the share of the problem's correct human
  programs (`human_costs`, NULL costs left out) whose cost is strictly greater than best_cost;
  0 for a pair without a correct generation or a problem without human costs; NULL when
  `human_costs` is not given.
- n_pairs_with_generation counts the pairs with at least one run among their first k samples.
- With no pairs at all, the means (speedup, pct_*, memory_reduction, percentile) are NULL.
- A pair listed twice in `pairs`, or a run without a 0-based sample_index, is a ValueError.

Intervals (this project's, PIE reports none): SPEEDUP, %OPT (at 1.10) and %Correct carry a
percentile interval from a bootstrap over test problems (`bootstrap`: resample problems, keep
their pairs); NULL without pairs, or when `evaluate` is given no `intervals` settings.
"""

from __future__ import annotations

from typing import cast

import polars as pl

from pie_assets.evaluation.bootstrap import Bootstrap, mean_intervals
from pie_assets.lake.schema import ColumnTypes

OPT_THRESHOLDS: tuple[float, ...] = (1.10, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)
PIE_OPT_THRESHOLD = 1.10

_PAIR_KEY = ["src_id", "tgt_id"]
_PAIR_DTYPES: ColumnTypes = {
    "problem_id": pl.Utf8,
    "src_id": pl.Utf8,
    "tgt_id": pl.Utf8,
    "src_agg_cost": pl.Float64,
    "src_peak_memory_kb": pl.Int64,
}
_RUN_DTYPES: ColumnTypes = {
    "src_id": pl.Utf8,
    "tgt_id": pl.Utf8,
    "sample_index": pl.Int64,
    "mean_accuracy": pl.Float64,
    "all_pass": pl.Boolean,
    "agg_cost": pl.Float64,
    "peak_memory_kb": pl.Int64,
}
_HUMAN_DTYPES: ColumnTypes = {"problem_id": pl.Utf8, "agg_cost": pl.Float64}
BEST_AT_K_COLUMNS: tuple[str, ...] = (
    "problem_id",
    "src_id",
    "tgt_id",
    "k",
    "src_agg_cost",
    "best_cost",
    "best_accuracy",
    "best_peak_memory_kb",
    "speedup",
    "n_samples_used",
)


def opt_column(threshold: float) -> str:
    """%OPT's column for a speedup threshold: PIE's 1.10 is plain `pct_opt`, others carry theirs."""
    if threshold == PIE_OPT_THRESHOLD:
        return "pct_opt"
    return "pct_opt_" + f"{threshold:g}".replace(".", "_")


# The metrics that carry an interval, and the per-pair value each is the mean of (a share for %).
INTERVAL_METRICS: tuple[str, ...] = ("speedup", "pct_opt", "pct_correct")
INTERVAL_COLUMNS: tuple[str, ...] = tuple(f"{m}_{end}" for m in INTERVAL_METRICS for end in ("low", "high"))
EVALUATION_SCHEMA: ColumnTypes = {
    "k": pl.Int64,
    "n_pairs": pl.Int64,
    "n_problems": pl.Int64,
    "speedup": pl.Float64,
    "speedup_low": pl.Float64,
    "speedup_high": pl.Float64,
    **{opt_column(t): pl.Float64 for t in OPT_THRESHOLDS},
    "pct_opt_low": pl.Float64,
    "pct_opt_high": pl.Float64,
    "pct_correct": pl.Float64,
    "pct_correct_low": pl.Float64,
    "pct_correct_high": pl.Float64,
    "memory_reduction": pl.Float64,
    "percentile": pl.Float64,
    "n_pairs_with_generation": pl.Int64,
    "n_src_unmeasured": pl.Int64,
}


def _columns(df: pl.DataFrame, dtypes: ColumnTypes, name: str) -> pl.DataFrame:
    missing = [c for c in dtypes if c not in df.columns]
    if missing:
        raise ValueError(f"{name} lacks the columns {missing}")
    return df.select(pl.col(c).cast(t) for c, t in dtypes.items())


def _clean_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    pairs = _columns(pairs, _PAIR_DTYPES, "pairs")
    duplicates = pairs.filter(pl.struct(_PAIR_KEY).is_duplicated()).select(_PAIR_KEY).unique()
    if duplicates.height:
        raise ValueError(
            f"pairs has {duplicates.height} (src_id, tgt_id) more than once, "
            f"e.g. {duplicates.row(0)}: each test pair must be one row"
        )
    return pairs


def _clean_runs(pairs: pl.DataFrame, runs: pl.DataFrame) -> pl.DataFrame:
    """One row per (pair, sample) of the known pairs, with its accuracy and its runtime (NULL =
    infinite)."""
    runs = _columns(runs, _RUN_DTYPES, "runs")
    bad = runs.filter(pl.col("sample_index").is_null() | (pl.col("sample_index") < 0))
    if bad.height:
        raise ValueError(f"runs has {bad.height} rows without a 0-based sample_index")
    accuracy = pl.col("mean_accuracy").fill_null(0.0)
    usable = pl.col("all_pass").fill_null(False) & (accuracy == 1.0) & pl.col("agg_cost").is_not_null()
    return (
        runs.unique(subset=[*_PAIR_KEY, "sample_index"], keep="first", maintain_order=True)
        .join(pairs.select(_PAIR_KEY), on=_PAIR_KEY, how="semi")
        .select(
            *_PAIR_KEY,
            "sample_index",
            "peak_memory_kb",
            accuracy.alias("accuracy"),
            pl.when(usable).then(pl.col("agg_cost")).alias("cost"),
        )
    )


def _per_pair(pairs: pl.DataFrame, runs: pl.DataFrame, k: int, clip: bool) -> pl.DataFrame:
    """Best@k of every pair, on cleaned inputs; keeps src_peak_memory_kb for memory_reduction."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    correct = pl.col("cost").is_not_null()
    # Within a group, rows keep the frame's order: the best cost first, then the lowest index.
    best = (
        runs.filter(pl.col("sample_index") < k)
        .sort(["cost", "sample_index"], nulls_last=True)
        .group_by(_PAIR_KEY)
        .agg(
            pl.len().alias("n_samples_used"),
            pl.col("accuracy").max().alias("best_accuracy"),
            pl.col("cost").min().alias("best_cost"),
            pl.col("peak_memory_kb").filter(correct).first().alias("best_peak_memory_kb"),
        )
    )
    ratio = pl.col("src_agg_cost") / pl.col("best_cost")
    measurable = pl.col("src_agg_cost").is_not_null() & pl.col("best_cost").is_not_null()
    speedup = pl.when(measurable).then(ratio.clip(lower_bound=1.0) if clip else ratio).otherwise(1.0)
    return (
        pairs.join(best, on=_PAIR_KEY, how="left", maintain_order="left")
        .with_columns(
            pl.lit(k, pl.Int64).alias("k"),
            pl.col("n_samples_used").fill_null(0).cast(pl.Int64),
            pl.col("best_accuracy").fill_null(0.0),
        )
        .with_columns(speedup.alias("speedup"))
    )


def best_at_k(pairs: pl.DataFrame, runs: pl.DataFrame, k: int, *, clip: bool = True) -> pl.DataFrame:
    """One row per pair: its Best@k runtime (best_cost, NULL = infinite), accuracy and speedup."""
    pairs = _clean_pairs(pairs)
    return _per_pair(pairs, _clean_runs(pairs, runs), k, clip).select(BEST_AT_K_COLUMNS)


def _percentile(per_pair: pl.DataFrame, human_costs: pl.DataFrame) -> pl.Series:
    """Each pair's share of the problem's correct human programs that its best generation beats."""
    humans = _columns(human_costs, _HUMAN_DTYPES, "human_costs").drop_nulls("agg_cost")
    shares = (
        per_pair.select(*_PAIR_KEY, "problem_id", "best_cost")
        .join(humans, on="problem_id", how="inner")
        .group_by(_PAIR_KEY)
        .agg((pl.col("agg_cost") > pl.col("best_cost")).fill_null(False).mean().alias("beats"))
    )
    return per_pair.join(shares, on=_PAIR_KEY, how="left")["beats"].fill_null(0.0)


def _summary(per_pair: pl.DataFrame, k: int, human_costs: pl.DataFrame | None) -> dict[str, object]:
    speedup = per_pair["speedup"]
    memory = pl.col("src_peak_memory_kb") / pl.col("best_peak_memory_kb")
    has_memory = (
        pl.col("best_cost").is_not_null()
        & pl.col("src_peak_memory_kb").is_not_null()
        & (pl.col("best_peak_memory_kb") > 0)
    )
    reduction = per_pair.select(pl.when(has_memory).then(memory).otherwise(1.0))
    percentile = None if human_costs is None else _percentile(per_pair, human_costs)
    return {
        "k": k,
        "n_pairs": per_pair.height,
        "n_problems": per_pair["problem_id"].n_unique(),
        "speedup": speedup.mean(),
        **{opt_column(t): _pct(speedup >= t) for t in OPT_THRESHOLDS},
        "pct_correct": _pct(per_pair["best_accuracy"] == 1.0),
        "memory_reduction": reduction.to_series().mean(),
        "percentile": _pct(percentile),
        "n_pairs_with_generation": int((per_pair["n_samples_used"] > 0).sum()),
        "n_src_unmeasured": per_pair["src_agg_cost"].null_count(),
    }


def _pct(shares: pl.Series | None) -> float | None:
    """100 x the mean of booleans or of shares in [0, 1]; None without them or when there are none."""
    share = None if shares is None else shares.mean()
    return None if share is None else 100.0 * cast(float, share)  # polars types a mean as any literal


def pair_outcomes(per_pair: pl.DataFrame) -> pl.DataFrame:
    """Per pair and k, the values whose means over pairs are SPEEDUP, %OPT and %Correct (the
    two shares as booleans): what the intervals and the paired comparisons resample."""
    return per_pair.select(
        "problem_id",
        *_PAIR_KEY,
        "k",
        "speedup",
        (pl.col("speedup") >= PIE_OPT_THRESHOLD).alias("pct_opt"),
        (pl.col("best_accuracy") == 1.0).alias("pct_correct"),
    )


def _intervals(outcomes: pl.DataFrame, settings: Bootstrap) -> pl.DataFrame:
    """Per k, the `INTERVAL_COLUMNS` (percentages 0-100, as the point estimates)."""
    found = mean_intervals(outcomes, "k", INTERVAL_METRICS, settings)
    return found.with_columns(pl.col(c) * 100.0 for c in INTERVAL_COLUMNS if c.startswith("pct_"))


def evaluate(
    pairs: pl.DataFrame,
    runs: pl.DataFrame,
    n: int,
    *,
    clip: bool = True,
    human_costs: pl.DataFrame | None = None,
    intervals: Bootstrap | None = None,
) -> pl.DataFrame:
    """PIE's table of Best@k metrics, one row per k in 1..n (schema `EVALUATION_SCHEMA`), with
    intervals when `intervals` says how to draw them."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    pairs = _clean_pairs(pairs)
    runs = _clean_runs(pairs, runs)
    per_k = [_per_pair(pairs, runs, k, clip) for k in range(1, n + 1)]
    rows = [_summary(per_pair, k, human_costs) for k, per_pair in enumerate(per_k, start=1)]
    table = pl.DataFrame(rows, schema={c: t for c, t in EVALUATION_SCHEMA.items() if c not in INTERVAL_COLUMNS})
    if intervals is None:
        return table.with_columns(pl.lit(None, pl.Float64).alias(c) for c in INTERVAL_COLUMNS).select(
            list(EVALUATION_SCHEMA)
        )
    found = _intervals(pair_outcomes(pl.concat(per_k)), intervals)
    return table.join(found, on="k", how="left").select(list(EVALUATION_SCHEMA))
