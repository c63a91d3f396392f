"""`pie eval --compare A B` in its own process: one real `pie run` on the sample's test problem
(the baselines and human references, full mode), then the comparison it refreshes and prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import pie

PROBLEM = "p90006"  # the sample's seeded test split: it has evaluation pairs


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    place = tmp_path_factory.mktemp("compare")
    run = pie("run", "--quiet", "--problems", PROBLEM, "--select", "*model_evaluations", cwd=place)
    assert run.returncode == 0, run.stderr
    return place


def _sql(query: str, cwd: Path) -> list[dict]:
    result = pie("sql", query, "--format", "json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_compare_prints_the_paired_difference_of_two_evaluated_checkpoints(built):
    result = pie("eval", "--compare", "human-target", "identity", cwd=built)
    assert result.returncode == 0, result.stderr
    assert "human-target - identity: interval = paired bootstrap over problems" in result.stdout
    for column in ("strategy", "metric", "difference", "diff_low", "diff_high", "p_value"):
        assert column in result.stdout  # a table, or a record per row on a narrow terminal
    # What it printed is the table: A - B, the same pairs, one problem (so p = 1: one sign to flip).
    (target,) = _sql("select speedup from model_evaluations where checkpoint = 'human-target'", built)
    rows = _sql(
        "select * from checkpoint_comparisons where checkpoint_a = 'human-target' and checkpoint_b = 'identity' "
        "order by metric",
        built,
    )
    assert [r["metric"] for r in rows] == ["pct_correct", "pct_opt", "speedup"]
    speedup = rows[-1]
    assert speedup["difference"] == pytest.approx(target["speedup"] - 1.0, rel=1e-12)
    assert (speedup["strategy"], speedup["k"], speedup["n_problems"], speedup["p_value"]) == ("none", 1, 1, 1.0)
    assert f"{speedup['difference']:.4f}" in result.stdout
    # Every pair of the four checkpoints, in both orders (they share the pairs and the configs).
    (count,) = _sql("select count(distinct (checkpoint_a, checkpoint_b)) as n from checkpoint_comparisons", built)
    assert count["n"] == 4 * 3


@pytest.mark.slow
def test_compare_names_what_is_missing(built):
    result = pie("eval", "--compare", "identity", "no-such-checkpoint", cwd=built)
    assert result.returncode == 1
    assert "no comparison of identity with no-such-checkpoint: no-such-checkpoint not evaluated" in result.stderr
    both = pie("eval", "--model", "identity", "--compare", "a", "b", cwd=built)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
