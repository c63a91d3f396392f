"""Paired checkpoint comparisons on hand-built per-pair outcomes: which evaluations are compared,
the differences by hand, the interval and the p-value's edge cases."""

from __future__ import annotations

import polars as pl
import pytest

from pie_assets.evaluation.bootstrap import Bootstrap
from pie_assets.evaluation.comparisons import COMPARISON_SCHEMA, compare

SETTINGS = Bootstrap(resamples=2000, seed=0)
CONTEXT = {"mode": "full", "backend": "cachegrind", "config_hash": "c", "evaluation_config_hash": "e"}


def _outcomes(
    checkpoint: str, strategy: str, speedups: dict[int, list[float]], problems: int = 10, **context
) -> pl.DataFrame:
    """Two pairs per problem; `speedups[k]`: each pair's speedup at k (correct when > 1)."""
    rows = []
    for k, values in speedups.items():
        for i, value in enumerate(values):
            rows.append(
                {
                    "problem_id": f"p{i // 2 % problems:02d}",
                    "src_id": f"s{i}",
                    "tgt_id": f"t{i}",
                    "k": k,
                    "speedup": value,
                    "pct_opt": value >= 1.10,
                    "pct_correct": value > 1.0,
                    "checkpoint": checkpoint,
                    "strategy": strategy,
                    **(CONTEXT | context),
                }
            )
    return pl.DataFrame(rows)


def _rows(table: pl.DataFrame, a: str, b: str, metric: str) -> list[dict]:
    return (
        table.filter((pl.col("checkpoint_a") == a) & (pl.col("checkpoint_b") == b) & (pl.col("metric") == metric))
        .sort("strategy", "k")
        .to_dicts()
    )


def test_which_evaluations_are_compared() -> None:
    ones = [1.0] * 20
    table = compare(
        pl.concat(
            [
                _outcomes("identity", "none", {1: ones}),
                _outcomes("model", "instruction", {1: [2.0] * 20, 2: [3.0] * 20}),
                _outcomes("model", "cot", {1: [1.5] * 20, 2: [1.5] * 20}),
                _outcomes("other", "cot", {1: ones}),
                _outcomes("fast-one", "none", {1: ones}, mode="fast"),  # another mode
                _outcomes("fewer", "none", {1: ones[:18]}),  # other pairs
            ],
            how="diagonal_relaxed",
        ),
        SETTINGS,
    )
    assert table.schema == pl.Schema(COMPARISON_SCHEMA)
    pairs = set(table.select("checkpoint_a", "checkpoint_b", "strategy").unique().iter_rows())
    # identity (unprompted) against each strategy of model and other; model and other on cot only;
    # never two strategies of one checkpoint, another mode or other pairs. Both orders.
    one_way = {
        ("identity", "model", "cot"),
        ("identity", "model", "instruction"),
        ("identity", "other", "cot"),
        ("model", "other", "cot"),
    }
    assert pairs == one_way | {(b, a, s) for a, b, s in one_way}


def test_differences_by_hand_and_k_beyond_n() -> None:
    table = compare(
        pl.concat(
            [
                _outcomes("identity", "none", {1: [1.0] * 20}),
                _outcomes("model", "instruction", {1: [1.0] * 10 + [3.0] * 10, 2: [3.0] * 20}),
            ]
        ),
        SETTINGS,
    )
    speedup = _rows(table, "model", "identity", "speedup")
    # k = 1: (10 x 1 + 10 x 3) / 20 = 2 against 1; k = 2: 3 against identity's Best@1 (its n is 1).
    assert [(r["k"], r["value_a"], r["value_b"], r["difference"]) for r in speedup] == [
        (1, 2.0, 1.0, 1.0),
        (2, 3.0, 1.0, 2.0),
    ]
    # k = 2: every problem gains exactly 2: each resample too, and every sign flip but all-plus is
    # less extreme (all-minus is as extreme): p = (1 + #{all + or all -}) / 2001, tiny.
    assert (speedup[1]["diff_low"], speedup[1]["diff_high"]) == (2.0, 2.0)
    assert speedup[1]["p_value"] < 0.01
    # k = 1: the gain is on p05..p09 only: problems resampled give differences from 0 to 2.
    assert 0.0 < speedup[0]["diff_low"] < 1.0 < speedup[0]["diff_high"] < 2.0
    # Its p: flips on p00..p04 change nothing; on the five others only all-plus and all-minus reach
    # |D|: 2 of 2^5 sign patterns, 1/16, up to the Monte Carlo error of 2,000 flips.
    assert speedup[0]["p_value"] == pytest.approx(1 / 16, abs=0.015)
    opt = _rows(table, "model", "identity", "pct_opt")
    assert [r["difference"] for r in opt] == [50.0, 100.0]  # percentage points
    # The other order negates the difference and swaps the interval's ends; the p-value is the same.
    back = _rows(table, "identity", "model", "speedup")
    assert [(r["difference"], r["diff_low"], r["diff_high"], r["p_value"]) for r in back] == [
        (-r["difference"], -r["diff_high"], -r["diff_low"], r["p_value"]) for r in speedup
    ]
    assert {r["n_pairs"] for r in speedup} == {20} and {r["n_problems"] for r in speedup} == {10}


def test_no_difference_and_one_problem() -> None:
    same = compare(
        pl.concat([_outcomes("a", "none", {1: [1.0, 2.0] * 10}), _outcomes("b", "none", {1: [1.0, 2.0] * 10})]),
        SETTINGS,
    )
    for row in same.to_dicts():
        assert (row["difference"], row["diff_low"], row["diff_high"], row["p_value"]) == (0.0, 0.0, 0.0, 1.0)
    # One problem: every resample is the sample, and flipping its one sign is as extreme: p = 1.
    single = compare(
        pl.concat(
            [_outcomes("a", "none", {1: [3.0, 3.0]}, problems=1), _outcomes("b", "none", {1: [1.0, 1.0]}, problems=1)]
        ),
        SETTINGS,
    )
    (row,) = _rows(single, "a", "b", "speedup")
    assert (row["difference"], row["diff_low"], row["diff_high"], row["p_value"]) == (2.0, 2.0, 2.0, 1.0)


def test_nothing_to_compare() -> None:
    assert compare(pl.DataFrame(), SETTINGS).schema == pl.Schema(COMPARISON_SCHEMA)
    assert compare(_outcomes("alone", "none", {1: [1.0] * 4}), SETTINGS).is_empty()
