"""PIE's metrics on hand-built tables: every expected value is worked out by hand in comments."""

from __future__ import annotations

import polars as pl
import pytest

from pie_assets.evaluation.bootstrap import Bootstrap
from pie_assets.evaluation.metrics import (
    EVALUATION_SCHEMA,
    INTERVAL_COLUMNS,
    OPT_THRESHOLDS,
    best_at_k,
    evaluate,
    opt_column,
)

TIGHT = {"rel": 1e-12, "abs": 1e-12}
BOOTSTRAP = Bootstrap(resamples=2000, seed=0)

# Five test pairs. C has no runs at all; D's src has no cost.
PAIRS = pl.DataFrame(
    {
        "problem_id": ["p1", "p1", "p2", "p2", "p1"],
        "src_id": ["s1", "s2", "s3", "s4", "s5"],
        "tgt_id": ["t1", "t2", "t3", "t4", "t5"],
        "src_agg_cost": [10.0, 8.0, 6.0, None, 11.0],
        "src_peak_memory_kb": [1000, 800, 600, None, 1100],
    },
    schema={
        "problem_id": pl.Utf8,
        "src_id": pl.Utf8,
        "tgt_id": pl.Utf8,
        "src_agg_cost": pl.Float64,
        "src_peak_memory_kb": pl.Int64,
    },
)

_RUN_SCHEMA = {
    "src_id": pl.Utf8,
    "tgt_id": pl.Utf8,
    "sample_index": pl.Int64,
    "code": pl.Utf8,
    "mean_accuracy": pl.Float64,
    "all_pass": pl.Boolean,
    "agg_cost": pl.Float64,
    "peak_memory_kb": pl.Int64,
}


def _runs(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=_RUN_SCHEMA, orient="row")


RUNS = _runs(
    [
        # A: sample 0 is fast (cost 1.0) but accuracy 0.5: infinite runtime, must not count.
        ("s1", "t1", 0, "fast_wrong", 0.5, True, 1.0, 100),
        # A: samples 1 and 2 are the same code, two samples; equal cost 5.0, memory 500 then 520.
        ("s1", "t1", 1, "same", 1.0, True, 5.0, 500),
        ("s1", "t1", 2, "same", 1.0, True, 5.0, 520),
        # B: sample 0 is correct but slower than the src (8.0 / 10.0 = 0.8, clipped to 1.0).
        ("s2", "t2", 0, "slow", 1.0, True, 10.0, 700),
        # B: a second row for sample 0: counted once, the first row wins, this one is ignored.
        ("s2", "t2", 0, "dup", 1.0, True, 2.0, 100),
        # B: sample 1 did not compile (NULL accuracy = 0). B has 2 samples only: k = 3 uses 2.
        ("s2", "t2", 1, "broken", None, False, None, None),
        # D: a correct generation, but the src has no cost: speedup 1.0.
        ("s4", "t4", 0, "d", 1.0, True, 3.0, 300),
        # E: only sample 2 exists: nothing in the first 1 or 2 samples; at k = 3 11.0 / 10.0 = 1.10.
        ("s5", "t5", 2, "e", 1.0, True, 10.0, 1000),
        # Runs of pairs not in PAIRS (one a mix of two real ids): ignored.
        ("s9", "t9", 0, "x", 1.0, True, 0.1, 1),
        ("s1", "t2", 0, "x", 1.0, True, 0.1, 1),
    ]
)

# Correct human programs: p1 costs 3, 6, 12 (a NULL cost is left out); p2 costs 2 and 4.
HUMANS = pl.DataFrame(
    {"problem_id": ["p1", "p1", "p1", "p1", "p2", "p2", "p3"], "agg_cost": [3.0, 6.0, 12.0, None, 2.0, 4.0, 1.0]}
)


def test_opt_columns() -> None:
    assert [opt_column(t) for t in OPT_THRESHOLDS] == [
        "pct_opt",
        "pct_opt_1_25",
        "pct_opt_1_5",
        "pct_opt_2",
        "pct_opt_3",
        "pct_opt_5",
        "pct_opt_10",
    ]
    assert opt_column(3) == "pct_opt_3"
    assert list(EVALUATION_SCHEMA) == [
        "k",
        "n_pairs",
        "n_problems",
        "speedup",
        "speedup_low",
        "speedup_high",
        "pct_opt",
        "pct_opt_1_25",
        "pct_opt_1_5",
        "pct_opt_2",
        "pct_opt_3",
        "pct_opt_5",
        "pct_opt_10",
        "pct_opt_low",
        "pct_opt_high",
        "pct_correct",
        "pct_correct_low",
        "pct_correct_high",
        "memory_reduction",
        "percentile",
        "n_pairs_with_generation",
        "n_src_unmeasured",
    ]


def test_best_at_k_per_pair() -> None:
    by_k = {k: best_at_k(PAIRS, RUNS, k) for k in (1, 2, 3)}
    assert by_k[1].columns == [
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
    ]
    assert by_k[3]["src_id"].to_list() == ["s1", "s2", "s3", "s4", "s5"]  # the order of `pairs`
    assert by_k[3]["k"].to_list() == [3] * 5
    # k = 1: A has only the wrong sample (cost infinite, accuracy 0.5); B's first row (10.0);
    # C nothing; D 3.0; E nothing yet (its only sample is index 2).
    assert by_k[1]["best_cost"].to_list() == [None, 10.0, None, 3.0, None]
    assert by_k[1]["best_accuracy"].to_list() == [0.5, 1.0, 0.0, 1.0, 0.0]
    assert by_k[1]["best_peak_memory_kb"].to_list() == [None, 700, None, 300, None]
    assert by_k[1]["speedup"].to_list() == [1.0, 1.0, 1.0, 1.0, 1.0]
    assert by_k[1]["n_samples_used"].to_list() == [1, 1, 0, 1, 0]
    # k = 2: A 10 / 5 = 2.0; B broken sample adds nothing.
    assert by_k[2]["best_cost"].to_list() == [5.0, 10.0, None, 3.0, None]
    assert by_k[2]["speedup"].to_list() == [2.0, 1.0, 1.0, 1.0, 1.0]
    assert by_k[2]["n_samples_used"].to_list() == [2, 2, 0, 1, 0]
    # k = 3: A's tie at 5.0 keeps sample 1's memory (500, not 520); B still 2 samples; E 1.10.
    assert by_k[3]["best_cost"].to_list() == [5.0, 10.0, None, 3.0, 10.0]
    assert by_k[3]["best_accuracy"].to_list() == [1.0, 1.0, 0.0, 1.0, 1.0]
    assert by_k[3]["best_peak_memory_kb"].to_list() == [500, 700, None, 300, 1000]
    assert by_k[3]["speedup"].to_list() == [2.0, 1.0, 1.0, 1.0, 11.0 / 10.0]
    assert by_k[3]["n_samples_used"].to_list() == [3, 2, 0, 1, 1]
    # Unclipped: B's slower generation gives 8 / 10 = 0.8.
    assert best_at_k(PAIRS, RUNS, 3, clip=False)["speedup"].to_list() == [2.0, 0.8, 1.0, 1.0, 1.1]
    # k beyond every sample is not an error: the same as k = 3.
    assert best_at_k(PAIRS, RUNS, 8).drop("k").equals(by_k[3].drop("k"))


def _row(table: pl.DataFrame, k: int) -> dict:
    return table.filter(pl.col("k") == k).row(0, named=True)


def _check(row: dict, expected: dict) -> None:
    assert set(row) == set(expected)
    for name, value in expected.items():
        if isinstance(value, float):
            assert row[name] == pytest.approx(value, **TIGHT), name
        else:
            assert row[name] == value, name


def test_evaluate_every_column_by_hand() -> None:
    table = evaluate(PAIRS, RUNS, 3, human_costs=HUMANS)
    assert table.schema == pl.Schema(EVALUATION_SCHEMA)
    assert table["k"].to_list() == [1, 2, 3]
    # Without `intervals` settings the interval columns are NULL (tested with them below).
    common = {"n_pairs": 5, "n_problems": 2, "n_src_unmeasured": 1, **dict.fromkeys(INTERVAL_COLUMNS)}
    no_opt = {opt_column(t): 0.0 for t in OPT_THRESHOLDS}
    # k = 1: speedups 1, 1, 1, 1, 1. Correct: B, D = 2 / 5.
    # Memory: A none, B 800 / 700, C none, D src memory NULL, E none: (4 + 8/7) / 5 = 36/35.
    # Beats: B (10) beats p1's 12 = 1/3; D (3) beats p2's 4 = 1/2: (1/3 + 1/2) / 5 = 1/6.
    _check(
        _row(table, 1),
        common
        | no_opt
        | {
            "k": 1,
            "speedup": 1.0,
            "pct_correct": 40.0,
            "memory_reduction": 36 / 35,
            "percentile": 100 / 6,
            "n_pairs_with_generation": 3,
        },
    )
    # k = 2: speedups 2, 1, 1, 1, 1: mean 6/5; only A >= 1.10, 1.25, 1.5 and 2.0 (boundary): 1/5.
    # Correct: A, B, D = 3/5. Memory: A 1000 / 500 = 2: (2 + 8/7 + 3) / 5 = 43/35.
    # Beats: A (5) beats 6 and 12 = 2/3; B 1/3; D 1/2: (2/3 + 1/3 + 1/2) / 5 = 0.3.
    _check(
        _row(table, 2),
        common
        | no_opt
        | {
            "k": 2,
            "speedup": 1.2,
            "pct_opt": 20.0,
            "pct_opt_1_25": 20.0,
            "pct_opt_1_5": 20.0,
            "pct_opt_2": 20.0,
            "pct_correct": 60.0,
            "memory_reduction": 43 / 35,
            "percentile": 30.0,
            "n_pairs_with_generation": 3,
        },
    )
    # k = 3: speedups 2, 1, 1, 1, 1.1: mean 6.1 / 5 = 1.22; >= 1.10: A and E (exactly 1.10) = 2/5;
    # >= 1.25, 1.5, 2: A = 1/5. Correct: A, B, D, E = 4/5.
    # Memory: E 1100 / 1000 = 1.1: (2 + 8/7 + 1 + 1 + 1.1) / 5 = 43.7 / 35.
    # Beats: E (10) beats 12 = 1/3: (2/3 + 1/3 + 0 + 1/2 + 1/3) / 5 = 11/30.
    _check(
        _row(table, 3),
        common
        | no_opt
        | {
            "k": 3,
            "speedup": 1.22,
            "pct_opt": 40.0,
            "pct_opt_1_25": 20.0,
            "pct_opt_1_5": 20.0,
            "pct_opt_2": 20.0,
            "pct_correct": 80.0,
            "memory_reduction": 43.7 / 35,
            "percentile": 1100 / 30,
            "n_pairs_with_generation": 4,
        },
    )


def test_unclipped_human_reference() -> None:
    # k = 3 unclipped: 2 + 0.8 + 1 + 1 + 1.1 = 5.9, / 5 = 1.18; %OPT is unchanged (40).
    row = _row(evaluate(PAIRS, RUNS, 3, clip=False), 3)
    assert row["speedup"] == pytest.approx(1.18, **TIGHT)
    assert row["pct_opt"] == pytest.approx(40.0, **TIGHT)
    assert row["percentile"] is None  # no human_costs given


def test_unknown_pairs_and_duplicates() -> None:
    known = RUNS.filter(pl.col("code") != "x")
    assert evaluate(PAIRS, known, 3).equals(evaluate(PAIRS, RUNS, 3))
    # Putting B's ignored duplicate first makes it the one that counts: B becomes 8 / 2 = 4.
    reordered = pl.concat([RUNS.filter(pl.col("code") == "dup"), RUNS.filter(pl.col("code") != "dup")])
    assert best_at_k(PAIRS, reordered, 1)["speedup"].to_list() == [1.0, 4.0, 1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match=r"more than once"):
        evaluate(pl.concat([PAIRS, PAIRS.head(1)]), RUNS, 1)


def test_runtime_needs_all_pass_accuracy_and_cost() -> None:
    pairs = PAIRS.head(1)  # A: src cost 10, memory 1000
    runs = _runs(
        [
            ("s1", "t1", 0, "a", 1.0, False, 2.0, 100),  # not all_pass: infinite
            ("s1", "t1", 1, "b", 1.0, True, None, 100),  # no cost: infinite, yet correct
            ("s1", "t1", 2, "c", 0.999, True, 2.0, 100),  # accuracy below 1.0: infinite
        ]
    )
    row = best_at_k(pairs, runs, 3).row(0, named=True)
    assert (row["best_cost"], row["best_accuracy"], row["speedup"]) == (None, 1.0, 1.0)
    result = _row(evaluate(pairs, runs, 3, human_costs=HUMANS), 3)
    assert (result["pct_correct"], result["pct_opt"], result["memory_reduction"]) == (100.0, 0.0, 1.0)
    assert result["percentile"] == 0.0


def test_memory_reduction_and_percentile_by_hand() -> None:
    pairs = pl.DataFrame(
        {
            "problem_id": ["q", "q", "r"],
            "src_id": ["a", "b", "c"],
            "tgt_id": ["A", "B", "C"],
            "src_agg_cost": [4.0, 4.0, 4.0],
            "src_peak_memory_kb": [900, 300, 500],
        }
    )
    runs = _runs(
        [
            ("a", "A", 0, "", 1.0, True, 2.0, 300),  # 900 / 300 = 3
            ("b", "B", 0, "", 1.0, True, 1.0, 600),  # 300 / 600 = 0.5: more memory, not clipped
            ("c", "C", 0, "", 1.0, True, 1.0, None),  # no memory: 1.0
        ]
    )
    humans = pl.DataFrame({"problem_id": ["q", "q", "q", "q"], "agg_cost": [1.0, 2.0, 3.0, 5.0]})
    row = _row(evaluate(pairs, runs, 1, human_costs=humans), 1)
    # Memory: (3 + 0.5 + 1) / 3 = 1.5.
    assert row["memory_reduction"] == pytest.approx(1.5, **TIGHT)
    # a (2.0) beats 3 and 5, not the tie at 2: 2/4; b (1.0) beats 2, 3, 5: 3/4; r has no humans: 0.
    # (0.5 + 0.75 + 0) / 3 = 1.25 / 3.
    assert row["percentile"] == pytest.approx(125 / 3, **TIGHT)
    # Speedups 2, 4, 4: all >= 2; mean 10/3; >= 3: b and c = 2/3.
    assert row["speedup"] == pytest.approx(10 / 3, **TIGHT)
    assert (row["pct_opt_2"], row["pct_opt_3"], row["pct_opt_5"]) == pytest.approx((100.0, 200 / 3, 0.0))


def test_opt_boundary_at_1_10() -> None:
    pairs = pl.DataFrame(
        {
            "problem_id": ["q", "q"],
            "src_id": ["a", "b"],
            "tgt_id": ["A", "B"],
            "src_agg_cost": [1.1, 1.0999],
            "src_peak_memory_kb": [1, 1],
        }
    )
    runs = _runs([("a", "A", 0, "", 1.0, True, 1.0, 1), ("b", "B", 0, "", 1.0, True, 1.0, 1)])
    # a: 1.1 / 1.0 = 1.10 exactly: counts; b: 1.0999 does not. 1/2.
    assert _row(evaluate(pairs, runs, 1), 1)["pct_opt"] == 50.0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n must be at least 1"):
        evaluate(PAIRS, RUNS, 0)
    with pytest.raises(ValueError, match="k must be at least 1"):
        best_at_k(PAIRS, RUNS, 0)
    with pytest.raises(ValueError, match=r"runs lacks the columns \['agg_cost'\]"):
        evaluate(PAIRS, RUNS.drop("agg_cost"), 1)


def test_no_pairs_gives_null_means() -> None:
    row = _row(evaluate(PAIRS.clear(), RUNS, 1, human_costs=HUMANS), 1)
    assert (row["n_pairs"], row["speedup"], row["pct_opt"], row["memory_reduction"]) == (0, None, None, None)
    with_intervals = _row(evaluate(PAIRS.clear(), RUNS, 1, intervals=BOOTSTRAP), 1)
    assert all(with_intervals[c] is None for c in INTERVAL_COLUMNS)


def test_no_intervals_unless_asked() -> None:
    table = evaluate(PAIRS, RUNS, 3)
    assert table.select(INTERVAL_COLUMNS).null_count().row(0) == (3,) * len(INTERVAL_COLUMNS)
    # Asking for intervals leaves every point estimate as it was.
    bounded = evaluate(PAIRS, RUNS, 3, human_costs=HUMANS, intervals=BOOTSTRAP)
    unbounded = evaluate(PAIRS, RUNS, 3, human_costs=HUMANS)
    assert bounded.drop(INTERVAL_COLUMNS).equals(unbounded.drop(INTERVAL_COLUMNS))


def test_identity_intervals_are_exact() -> None:
    """The slow program itself on every pair: every resample gives speedup 1, %OPT 0, %Correct 100,
    exactly (not within a tolerance), on many problems."""
    n = 300
    pairs = pl.DataFrame(
        {
            "problem_id": [f"p{i % 41:02d}" for i in range(n)],
            "src_id": [f"s{i}" for i in range(n)],
            "tgt_id": [f"t{i}" for i in range(n)],
            "src_agg_cost": [float(3 + i % 17) / 7 for i in range(n)],
            "src_peak_memory_kb": [100] * n,
        }
    )
    runs = _runs([(f"s{i}", f"t{i}", 0, "", 1.0, True, float(3 + i % 17) / 7, 100) for i in range(n)])
    row = _row(evaluate(pairs, runs, 1, intervals=BOOTSTRAP), 1)
    assert (row["speedup_low"], row["speedup"], row["speedup_high"]) == (1.0, 1.0, 1.0)
    assert (row["pct_opt_low"], row["pct_opt"], row["pct_opt_high"]) == (0.0, 0.0, 0.0)
    assert (row["pct_correct_low"], row["pct_correct"], row["pct_correct_high"]) == (100.0, 100.0, 100.0)
    assert row["n_problems"] == 41


def test_intervals_resample_problems_and_keep_their_pairs() -> None:
    table = evaluate(PAIRS, RUNS, 3, intervals=BOOTSTRAP)
    # k = 3, per problem: p1 holds A (2, opt, correct), B (1, correct), E (1.1, opt, correct);
    # p2 holds C (1, nothing) and D (1, correct). A resample draws (p1, p1), (p1, p2), (p2, p1) or
    # (p2, p2); its SPEEDUP is then 4.1/3, 6.1/5 or 2/2; %OPT 2/3, 2/5 or 0; %Correct 1, 4/5 or 1/2.
    # With 2,000 draws each of (p1, p1) and (p2, p2) has probability 1/4 > 2.5%: the interval's
    # ends are the extremes. Were pairs resampled instead, a speedup of 2 (A five times) could come up.
    row = _row(table, 3)
    assert (row["speedup_low"], row["speedup_high"]) == pytest.approx((1.0, 4.1 / 3), **TIGHT)
    assert (row["pct_opt_low"], row["pct_opt_high"]) == pytest.approx((0.0, 200 / 3), **TIGHT)
    assert (row["pct_correct_low"], row["pct_correct_high"]) == pytest.approx((50.0, 100.0), **TIGHT)
    for k in (1, 2, 3):
        r = _row(table, k)
        for metric in ("speedup", "pct_opt", "pct_correct"):
            assert r[f"{metric}_low"] <= r[metric] <= r[f"{metric}_high"], (k, metric)
    # Seeded: the same settings give the same table; another seed may not, but stays in the range.
    assert evaluate(PAIRS, RUNS, 3, intervals=BOOTSTRAP).equals(table)


def test_one_problem_gives_zero_width_intervals() -> None:
    pairs = PAIRS.filter(pl.col("problem_id") == "p1")
    row = _row(evaluate(pairs, RUNS, 3, intervals=BOOTSTRAP), 3)
    # Every resample is p1 itself: (2 + 1 + 1.1) / 3.
    assert row["n_problems"] == 1
    assert row["speedup_low"] == row["speedup_high"] == pytest.approx(4.1 / 3, **TIGHT)


def test_bad_interval_settings() -> None:
    with pytest.raises(ValueError, match=r"resamples must be at least 1"):
        Bootstrap(resamples=0, seed=0)
    with pytest.raises(ValueError, match=r"confidence must be between 0 and 1"):
        Bootstrap(resamples=10, seed=0, confidence=1.0)
