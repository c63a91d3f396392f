"""How far this project's runtime labels are from PIE's released ones, on PIE's own programs.

PIE's pairs carry gem5 runtimes (`src_agg_runtime`, `tgt_agg_runtime`, seconds summed over the
pair's tests); this project measures the same programs on the same tests with its own backend and
profile (`agg_cost`). Three numbers say how well the two agree, per problem and overall:

* `spearman_cost`: the rank correlation of our agg cost with PIE's agg runtime over the distinct
  programs (a program in several pairs counts once). Scales differ (instructions weighted by
  cache misses vs simulated seconds), ranks are what a label is used for.
* `direction_agreement`: the share of pairs on which both say the same about PIE's %OPT
  threshold: both speedups >= 1.10, or both below.
* `log_speedup_corr`: the Pearson correlation of log(src/tgt) between the two, per pair.

Only programs that pass every test here and have a positive PIE runtime count; `n_pairs` and
`n_programs` say how many did. A correlation over fewer than 2 points (or constant values) is
NULL, not 0.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from pie_assets.evaluation.metrics import PIE_OPT_THRESHOLD
from pie_assets.lake.schema import ColumnTypes

OVERALL = "all"
AGREEMENT_SCHEMA: ColumnTypes = {
    "scope": pl.Utf8,
    "n_pairs": pl.Int64,
    "n_programs": pl.Int64,
    "spearman_cost": pl.Float64,
    "direction_agreement": pl.Float64,
    "log_speedup_corr": pl.Float64,
    "median_speedup_pie": pl.Float64,
    "median_speedup_here": pl.Float64,
}


def measured_pairs(pairs: pl.DataFrame, costs: pl.DataFrame) -> pl.DataFrame:
    """PIE's pairs with both programs' cost here: `pairs` (problem_id, src_id, tgt_id,
    src_agg_runtime, tgt_agg_runtime), `costs` (program_id, agg_cost of programs that pass every
    test); one row per pair both of whose programs were measured, with both speedups."""
    cost = costs.select("program_id", "agg_cost")
    return (
        pairs.select("problem_id", "src_id", "tgt_id", "src_agg_runtime", "tgt_agg_runtime")
        .join(cost.rename({"program_id": "src_id", "agg_cost": "src_agg_cost"}), on="src_id")
        .join(cost.rename({"program_id": "tgt_id", "agg_cost": "tgt_agg_cost"}), on="tgt_id")
        .filter(
            (pl.col("src_agg_runtime") > 0)
            & (pl.col("tgt_agg_runtime") > 0)
            & (pl.col("src_agg_cost") > 0)
            & (pl.col("tgt_agg_cost") > 0)
        )
        .with_columns(
            speedup_pie=pl.col("src_agg_runtime") / pl.col("tgt_agg_runtime"),
            speedup_here=pl.col("src_agg_cost") / pl.col("tgt_agg_cost"),
        )
    )


def _programs(measured: pl.DataFrame) -> pl.DataFrame:
    """One row per distinct program of the measured pairs: its PIE runtime and its cost here."""
    sides = [
        measured.select(
            "problem_id",
            pl.col(f"{side}_id").alias("program_id"),
            pl.col(f"{side}_agg_runtime").alias("pie_runtime"),
            pl.col(f"{side}_agg_cost").alias("agg_cost"),
        )
        for side in ("src", "tgt")
    ]
    return pl.concat(sides).unique("program_id", keep="first", maintain_order=True)


def correlation(x: pl.Expr, y: pl.Expr, method: Literal["pearson", "spearman"]) -> pl.Expr:
    """NULL rather than NaN where the correlation is undefined (fewer than 2 points, a constant)."""
    value = pl.corr(x, y, method=method)
    return pl.when(pl.len() >= 2).then(value.fill_nan(None)).otherwise(None)


def runtime_agreement(pairs: pl.DataFrame, costs: pl.DataFrame) -> pl.DataFrame:
    """Rows of AGREEMENT_SCHEMA: one per problem with a measured pair, then `all`."""
    measured = measured_pairs(pairs, costs)
    programs = _programs(measured)
    pair_stats = [
        pl.len().alias("n_pairs"),
        ((pl.col("speedup_pie") >= PIE_OPT_THRESHOLD) == (pl.col("speedup_here") >= PIE_OPT_THRESHOLD))
        .mean()
        .alias("direction_agreement"),
        correlation(pl.col("speedup_pie").log(), pl.col("speedup_here").log(), "pearson").alias("log_speedup_corr"),
        pl.col("speedup_pie").median().alias("median_speedup_pie"),
        pl.col("speedup_here").median().alias("median_speedup_here"),
    ]
    program_stats = [
        pl.len().alias("n_programs"),
        correlation(pl.col("agg_cost"), pl.col("pie_runtime"), "spearman").alias("spearman_cost"),
    ]
    per_problem = (
        measured.group_by("problem_id")
        .agg(pair_stats)
        .join(programs.group_by("problem_id").agg(program_stats), on="problem_id")
        .rename({"problem_id": "scope"})
        .sort("scope")
    )
    overall = pl.concat([measured.select(pair_stats), programs.select(program_stats)], how="horizontal").with_columns(
        scope=pl.lit(OVERALL)
    )
    frames = [
        frame.select([pl.col(c).cast(t) for c, t in AGREEMENT_SCHEMA.items()]) for frame in (per_problem, overall)
    ]
    return pl.concat(frames)
