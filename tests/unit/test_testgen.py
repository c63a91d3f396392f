"""The model-free generators and the sizing: counts found in real input shapes, mutations and
scaling that keep counts consistent, determinism from the seed, and the cost-spread choice."""

from __future__ import annotations

import random

import pytest

from pie_assets.testgen.config import GeneratedTestsSettings
from pie_assets.testgen.mutate import candidate_seed, mutate, mutations, perturb
from pie_assets.testgen.scale import MAX_INPUT_BYTES, scale_candidates, scaled
from pie_assets.testgen.select import select
from pie_assets.testgen.tokens import Count, Kind, find_counts, is_int, parse, render

ARRAY = "4 6\n1 5 2 4\n"  # N K, then N values
QUERIES = "5 3\n3 1 4 1 5\n1 3\n2 5\n4 4\n"  # N Q, N values, Q lines "l r"
GRID = "3 4\n1203\n4567\n8901\n2\n1 1 2 2\n2 2 3 4\n"  # H W, H rows of W digits, Q, Q lines
LIST = "3\n10\n2\n1\n"  # Q, then Q lines
PLAIN = "4 2\n"  # nothing counted


def _consistent(text: str) -> None:
    """Every count still matches its block: what a mutation or a scaling must keep."""
    lines = parse(text)
    for count in find_counts(lines):
        value = int(lines[count.line][count.token])
        if count.kind == Kind.TOKENS:
            assert len(lines[count.start]) == value
        elif count.kind == Kind.LINES:
            assert count.size == value


@pytest.mark.parametrize(
    "text, counts",
    [
        (ARRAY, [Count(0, 0, Kind.TOKENS, 1, 1)]),
        (QUERIES, [Count(0, 0, Kind.TOKENS, 1, 1), Count(0, 1, Kind.LINES, 2, 3)]),
        (GRID, [Count(0, 0, Kind.LINES, 1, 3), Count(0, 1, Kind.WIDTH, 1, 3), Count(4, 0, Kind.LINES, 5, 2)]),
        (LIST, [Count(0, 0, Kind.LINES, 1, 3)]),
        (PLAIN, []),
        ("2\n007 abc\n", [Count(0, 0, Kind.TOKENS, 1, 1)]),
    ],
)
def test_counts_of_contest_input_shapes(text, counts):
    assert find_counts(parse(text)) == counts


def test_render_normalises_whitespace_and_ends_with_a_newline():
    assert render(parse("1  2\r\n3\n\n\n")) == "1 2\n3\n"


def test_scaling_grows_counts_with_their_blocks():
    assert scaled(ARRAY, 2, seed=1).splitlines()[0] == "8 12"
    big = scaled(QUERIES, 4, seed=1)
    lines = parse(big)
    assert lines[0] == ["20", "12"] and len(lines[1]) == 20 and len(lines) == 2 + 12
    # the first copy is exactly 4x; the relation l <= r of each query survives its copy's offset
    assert lines[1][:5] == ["12", "4", "16", "4", "20"]
    assert all(1 <= int(lo) <= int(hi) <= 20 for lo, hi in lines[2:])
    _consistent(big)


def test_scaling_tiles_rows_of_characters_and_keeps_coordinates_inside():
    lines = parse(scaled(GRID, 2, seed=3))
    assert lines[0] == ["6", "8"]
    assert lines[1:7] == [["12031203"], ["45674567"], ["89018901"]] * 2  # digits stay digits, width 8
    assert lines[7] == ["4"] and len(lines) == 8 + 4
    assert all(1 <= int(y) <= 6 and 1 <= int(x) <= 8 for row in lines[8:] for y, x in (row[0:2], row[2:4]))


def test_scaling_search_stops_where_nothing_grows_or_inputs_get_too_big():
    settings = GeneratedTestsSettings(max_scale=64)
    factors = [c.scale for c in scale_candidates("p1", "t0", ARRAY, settings)]
    assert factors == [2, 4, 8, 16, 32, 64]
    assert list(scale_candidates("p1", "t0", "abc\n", settings)) == []  # no number to scale
    huge = "1\n" + "9" * (MAX_INPUT_BYTES // 4) + "\n"  # a row of digits: grows past the cap at 4x
    assert [c.scale for c in scale_candidates("p1", "t0", huge, GeneratedTestsSettings(max_scale=4096))] == [2]


@pytest.mark.parametrize("text", [ARRAY, QUERIES, GRID, LIST, PLAIN])
def test_mutations_keep_counts_consistent(text):
    for seed in range(200):
        _consistent(mutate(text, seed))


def test_mutations_are_byte_identical_from_the_same_seed_and_differ_across_seeds():
    settings = GeneratedTestsSettings(seed=7, mutations_per_test=20)
    first = [c.input for c in mutations("p90002", "html_sample_1", QUERIES, settings)]
    again = [c.input for c in mutations("p90002", "html_sample_1", QUERIES, settings)]
    assert first == again
    assert len(set(first)) > 10  # mutations differ from each other
    other = [c.input for c in mutations("p90002", "html_sample_1", QUERIES, GeneratedTestsSettings(seed=8))]
    assert other != first[: len(other)]
    assert candidate_seed(7, "p90002", "html_sample_1", "mutate", 0) == first_seed(settings)
    assert scaled(QUERIES, 8, seed=5) == scaled(QUERIES, 8, seed=5)


def first_seed(settings: GeneratedTestsSettings) -> int:
    return next(mutations("p90002", "html_sample_1", QUERIES, settings)).seed


def test_mutated_integers_stay_integers_without_a_leading_zero_and_keep_their_sign():
    for seed in range(300):
        assert all(is_int(token) for line in parse(mutate("3\n-5 10 -20\n", seed)) for token in line)
        lines = [["-5", "10"]]
        for _ in range(5):
            perturb(lines, [], random.Random(seed))
        assert lines[0][0] == "0" or lines[0][0].startswith("-")
        assert not lines[0][1].startswith("-")


@pytest.mark.parametrize(
    "costs, n, chosen",
    [
        ([], 8, []),
        ([0.01, 0.02], 8, [0, 1]),  # fewer than n: all
        ([0.001, 0.0011, 0.0012, 0.01, 0.011, 0.1], 3, [0, 4, 5]),  # the ends, and the middle leans high
        ([0.0004 * 1.5**k for k in range(12)], 4, [0, 6, 10, 11]),  # 0.0004 .. 0.035: 3 of 4 over 10x the cheapest
        ([0.001, 0.05, 0.049, 0.048], 1, [1]),  # one: the costliest
        ([0.0, 0.00001, 0.04], 2, [0, 2]),  # below the clock's resolution counts as its floor
    ],
)
def test_selection_spreads_cost_over_orders_of_magnitude(costs, n, chosen):
    assert select(costs, n) == chosen
