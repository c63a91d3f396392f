"""bench/fast_fidelity_pie_sized.py on a small generated split: the project's eval_pairs model
ranks the pairs for fast mode, the cost model is measured through the real `measure`, and fast
mode (`fast_view`) keeps one pair and two tests per problem."""

from __future__ import annotations

import fast_fidelity_pie_sized as bench
import polars as pl
import pytest

from pie_assets.evaluation.config import EvaluationConfig


def test_fast_mode_on_a_generated_split():
    world = bench.build_world(0, n_problems=6, n_pairs=60)
    pairs = world.pairs
    assert pairs.height == 60 and pairs["problem_id"].n_unique() == 6
    # fast_rank is a permutation of 1..count within each problem (the eval_pairs model's md5 order)
    ranks = pairs.group_by("problem_id").agg(pl.col("fast_rank").sort(), pl.len())
    assert all(r == list(range(1, n + 1)) for r, n in ranks.select("fast_rank", "len").iter_rows())
    assert all(40 <= s.tests.height <= 120 for s in world.tests.values())

    config = EvaluationConfig.load()
    table = bench.evaluate_world(world, config, 0)
    row = {(r["checkpoint"], r["metric"], r["k"]): r for r in table.iter_rows(named=True)}
    identity = row[("identity", "speedup", 1)]
    assert (identity["full_value"], identity["fast_value"], identity["difference"], identity["covered"]) == (
        1.0,
        1.0,
        0.0,
        True,
    )
    assert (identity["n_pairs_full"], identity["n_pairs_fast"]) == (60, 6)
    # The humans' programs are correct on every test, so on fast mode's two as well; their fast
    # speedups come from other pairs and tests than the full ones (unclipped, above 1 here).
    for name in ("human-target", "human-fastest"):
        speedup = row[(name, "speedup", 1)]
        assert speedup["fast_value"] > 1.0 and speedup["full_value"] > 1.0, name
        assert speedup["difference"] == pytest.approx(speedup["fast_value"] - speedup["full_value"])
        assert row[(name, "pct_correct", 1)]["fast_value"] == 100.0
    # Every model has Best@1..8; the references only Best@1, so Best@8 ranks the five models.
    assert row[("model-e", "speedup", 8)]["n_ranked"] == 5 and identity["n_ranked"] == 8
    assert -1.0 <= identity["spearman"] <= 1.0
    assert row[("model-e", "speedup", 8)]["full_value"] > row[("model-a", "speedup", 8)]["full_value"]
    # The printed table: per metric at Best@1 and Best@8, over the worlds given.
    summary = bench.summary([table], 8)
    assert summary.select("metric", "k", "checkpoints").rows() == [
        (metric, k, count) for metric in ("speedup", "pct_opt", "pct_correct") for k, count in ((1, 8), (8, 5))
    ]
    assert summary["covered"].is_between(0.0, 1.0).all()


def test_fast_overrides_make_another_config():
    config = bench.with_fast(EvaluationConfig.load(), 3, 10)
    assert (config.fast.pairs_per_problem, config.fast.tests_per_problem) == (3, 10)
    assert config.hash != EvaluationConfig.load().hash
