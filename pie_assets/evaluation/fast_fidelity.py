"""How far fast mode is from the full evaluation (`fast_mode_fidelity`), per checkpoint and over
the checkpoints' ranking.

For each checkpoint whose latest evaluation is full, fast mode is applied to the same generations
(`pipeline.fast_view`: fast mode's pairs and tests, the same backend), so the two differ by fast
mode alone. Per (checkpoint, strategy, k, metric): the full value, the fast value with its 95%
interval, fast - full, and whether the fast interval covers the full value. Across the
checkpoint x strategy rows of one (k, metric): the Spearman rank correlation of fast with full
values (average ranks for ties; NULL below 2 rows or when either side is constant): whether fast
mode orders checkpoints as the full evaluation does.
"""

from __future__ import annotations

import polars as pl

from pie_assets.evaluation.metrics import INTERVAL_METRICS
from pie_assets.evaluation.pie_agreement import correlation
from pie_assets.lake.schema import ColumnTypes

FIDELITY_SCHEMA: ColumnTypes = {
    "checkpoint": pl.Utf8,
    "kind": pl.Utf8,
    "strategy": pl.Utf8,
    "k": pl.Int64,
    "metric": pl.Utf8,
    "full_value": pl.Float64,
    "fast_value": pl.Float64,
    "fast_low": pl.Float64,
    "fast_high": pl.Float64,
    "difference": pl.Float64,
    "covered": pl.Boolean,
    "n_pairs_full": pl.Int64,
    "n_pairs_fast": pl.Int64,
    "n_problems": pl.Int64,
    "spearman": pl.Float64,
    "n_ranked": pl.Int64,
}
_KEY = ["checkpoint", "strategy", "k"]


def _long(evaluations: pl.DataFrame, metric: str, bounds: bool) -> pl.DataFrame:
    columns = [*_KEY, pl.lit(metric).alias("metric"), pl.col(metric).alias("value"), "n_pairs"]
    if bounds:
        columns += [pl.col(f"{metric}_low").alias("low"), pl.col(f"{metric}_high").alias("high"), "n_problems", "kind"]
    return evaluations.select(columns)


def fidelity(full: pl.DataFrame, fast: pl.DataFrame) -> pl.DataFrame:
    """Rows of FIDELITY_SCHEMA from model_evaluations rows of the full evaluations and of their
    fast views (the same checkpoints; a row without its counterpart is left out)."""
    if full.is_empty() or fast.is_empty():
        return pl.DataFrame(schema=FIDELITY_SCHEMA)
    joined = pl.concat([_long(full, m, False) for m in INTERVAL_METRICS]).join(
        pl.concat([_long(fast, m, True) for m in INTERVAL_METRICS]), on=[*_KEY, "metric"], suffix="_fast"
    )
    group = ["k", "metric"]
    return (
        joined.with_columns(
            (pl.col("value_fast") - pl.col("value")).alias("difference"),
            ((pl.col("low") <= pl.col("value")) & (pl.col("value") <= pl.col("high"))).alias("covered"),
            correlation(pl.col("value_fast"), pl.col("value"), "spearman").over(group).alias("spearman"),
            pl.len().over(group).cast(pl.Int64).alias("n_ranked"),
        )
        .select(
            "checkpoint",
            "kind",
            "strategy",
            "k",
            "metric",
            pl.col("value").alias("full_value"),
            pl.col("value_fast").alias("fast_value"),
            pl.col("low").alias("fast_low"),
            pl.col("high").alias("fast_high"),
            "difference",
            "covered",
            pl.col("n_pairs").alias("n_pairs_full"),
            pl.col("n_pairs_fast"),
            "n_problems",
            "spearman",
            "n_ranked",
        )
        .sort("metric", "k", "checkpoint", "strategy")
    )
