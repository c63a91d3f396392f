"""CodeDPO's self-verification scores on hand-built links with known answers: the fixed point, one
round, per-problem rounds, order independence and the round cap."""

from __future__ import annotations

import dataclasses
import math

import polars as pl
import pytest

from pie_assets.dataset.codedpo import Params, self_verification_scores

PARAMS = Params(damping=0.85, tolerance=1e-12, max_rounds=1000)


PHI = (1 + math.sqrt(5)) / 2


def _links(matrix: list[list[int]], problem: str = "p") -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"problem_id": problem, "program_id": f"c{i}", "test_id": f"t{j}", "passed": bool(v)}
            for i, row in enumerate(matrix)
            for j, v in enumerate(row)
        ]
    )


def _scores(frame: pl.DataFrame, kind: str) -> dict[str, float]:
    return dict(frame.filter(pl.col("kind") == kind).select("id", "score").iter_rows())


def test_the_2x2_fixed_point_is_the_hand_computed_one():
    """Link = [[1, 1], [1, 0]]: at the fixed point s(c) ∝ Link s(t) and s(t) ∝ Linkᵀ s(c), the top
    singular vectors, (1, 1/φ) for both kinds once divided by their maximum, whatever d."""
    scores = self_verification_scores(_links([[1, 1], [1, 0]]), PARAMS)
    for kind in ("code", "test"):
        top, other = _scores(scores, kind).values()
        assert top == 1.0 and other == pytest.approx(1 / PHI, abs=1e-10)
    assert scores["converged"].all() and scores["rounds"].n_unique() == 1
    assert 1 < scores["rounds"][0] < 100


def test_one_round_is_the_hand_computed_update():
    """Round 1 from all ones: both kinds get 0.15 + 0.85 * (2, 1) = (1.85, 1.0), then / 1.85."""
    one = self_verification_scores(_links([[1, 1], [1, 0]]), Params(0.85, 1e-12, max_rounds=1))
    assert _scores(one, "code") == pytest.approx({"c0": 1.0, "c1": 1.0 / 1.85})
    assert _scores(one, "test") == pytest.approx({"t0": 1.0, "t1": 1.0 / 1.85})
    assert one["rounds"].to_list() == [1] * 4 and not one["converged"].any()


def test_a_program_passing_more_tests_scores_higher_and_rounds_are_per_problem():
    nested = _links([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]], "nested")
    agreed = _links([[1, 1], [1, 1]], "agreed")  # everyone passes everything: settled after one round
    scores = self_verification_scores(pl.concat([nested, agreed]), PARAMS)
    code = _scores(scores.filter(pl.col("problem_id") == "nested"), "code")
    assert code["c0"] == 1.0 and code["c0"] > code["c1"] > code["c2"] > code["c3"]
    test = _scores(scores.filter(pl.col("problem_id") == "nested"), "test")
    assert test["t0"] > test["t1"] > test["t2"]  # the test more programs pass is trusted more
    rounds = dict(scores.select("problem_id", "rounds").unique().iter_rows())
    assert rounds["agreed"] == 1 and rounds["nested"] > 1
    assert _scores(scores.filter(pl.col("problem_id") == "agreed"), "code") == {"c0": 1.0, "c1": 1.0}


def test_scores_ignore_row_order_and_equal_links_tie_exactly():
    links = pl.concat([_links([[1, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 0]], p) for p in ("a", "b", "c")])
    first = self_verification_scores(links, PARAMS)
    shuffled = self_verification_scores(links.sample(fraction=1.0, shuffle=True, seed=3), PARAMS)
    assert first.equals(shuffled)  # bit-identical
    code = _scores(first.filter(pl.col("problem_id") == "a"), "code")
    assert code["c0"] == code["c1"]


def test_the_round_cap_is_recorded_as_not_converged_and_bad_vars_are_refused():
    capped = self_verification_scores(_links([[1, 1], [1, 0]]), Params(0.85, 0.0, max_rounds=3))
    assert capped["rounds"].to_list() == [3] * 4 and not capped["converged"].any()
    assert self_verification_scores(_links([[1]]).clear(), PARAMS).is_empty()
    for bad in ({"damping": 0.0}, {"tolerance": -1.0}, {"max_rounds": 0}):
        with pytest.raises(ValueError):
            dataclasses.replace(PARAMS, **bad)
    assert Params.from_vars({"codedpo_damping": 0.5, "codedpo_tolerance": 1e-6, "codedpo_max_rounds": 7}) == Params(
        0.5, 1e-6, 7
    )
    with pytest.raises(KeyError, match="codedpo_max_rounds"):
        Params.from_vars({"codedpo_damping": 0.5, "codedpo_tolerance": 1e-6})
