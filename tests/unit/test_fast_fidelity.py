"""Fast mode against the full evaluation on hand-built model_evaluations rows: the difference,
the coverage of the full value by the fast interval, the Spearman over checkpoints."""

from __future__ import annotations

import polars as pl
import pytest

from pie_assets.evaluation.fast_fidelity import FIDELITY_SCHEMA, fidelity


def _evaluations(rows: list[tuple[str, float, float, float]], width: float = 0.0) -> pl.DataFrame:
    """(checkpoint, speedup, pct_opt, pct_correct) at k = 1, strategy none, intervals +- width."""
    frame = pl.DataFrame(rows, schema=["checkpoint", "speedup", "pct_opt", "pct_correct"], orient="row")
    return frame.with_columns(
        kind=pl.lit("baseline"),
        strategy=pl.lit("none"),
        k=pl.lit(1, pl.Int64),
        n_pairs=pl.lit(3 if width == 0.0 else 1, pl.Int64),
        n_problems=pl.lit(1, pl.Int64),
        **{
            f"{m}_{end}": pl.col(m) + sign * width
            for m in ("speedup", "pct_opt", "pct_correct")
            for end, sign in (("low", -1), ("high", 1))
        },
    )


def test_difference_coverage_and_ranking() -> None:
    full = _evaluations(
        [("identity", 1.0, 0.0, 100.0), ("human-target", 5.0, 100.0, 100.0), ("human-fastest", 16.0, 100.0, 100.0)]
    )
    fast = _evaluations(
        [("identity", 1.0, 0.0, 100.0), ("human-target", 3.0, 100.0, 100.0), ("human-fastest", 20.0, 100.0, 100.0)],
        width=1.5,
    )
    table = fidelity(full, fast)
    assert table.schema == pl.Schema(FIDELITY_SCHEMA)
    speedup = {r["checkpoint"]: r for r in table.filter(pl.col("metric") == "speedup").to_dicts()}
    assert speedup["human-target"]["difference"] == -2.0 and speedup["human-target"]["covered"] is False
    assert speedup["identity"]["difference"] == 0.0 and speedup["identity"]["covered"] is True
    assert (speedup["human-fastest"]["n_pairs_full"], speedup["human-fastest"]["n_pairs_fast"]) == (3, 1)
    # The same order on speedup: Spearman 1 over 3 checkpoints; %Correct is constant: undefined.
    assert speedup["identity"]["spearman"] == pytest.approx(1.0) and speedup["identity"]["n_ranked"] == 3
    assert table.filter(pl.col("metric") == "pct_correct")["spearman"].null_count() == 3
    # pct_opt: ranks 1, 2.5, 2.5 on both sides (average ranks for ties): 1.
    assert table.filter(pl.col("metric") == "pct_opt")["spearman"].to_list() == pytest.approx([1.0] * 3)


def test_a_reversed_order_and_nothing_to_compare() -> None:
    full = _evaluations([("a", 1.0, 0.0, 10.0), ("b", 2.0, 10.0, 20.0), ("c", 3.0, 20.0, 30.0)])
    fast = _evaluations([("a", 3.0, 20.0, 30.0), ("b", 2.0, 10.0, 20.0), ("c", 1.0, 0.0, 10.0)], width=0.1)
    assert fidelity(full, fast)["spearman"].to_list() == pytest.approx([-1.0] * 9)
    # A checkpoint without its fast view is left out; no rows at all give the empty table.
    assert fidelity(full, fast.filter(pl.col("checkpoint") != "c"))["checkpoint"].unique().sort().to_list() == [
        "a",
        "b",
    ]
    assert fidelity(full, fast.clear()).schema == pl.Schema(FIDELITY_SCHEMA)
