"""Evaluation plots: real PNGs decoded back, deterministic bytes, the edge cases of the data."""

from __future__ import annotations

import base64
import io
import os

import numpy as np
import polars as pl
from matplotlib.image import imread

from pie_assets.evaluation.metrics import best_at_k, evaluate
from pie_assets.evaluation.plots import markdown_image, plots_markdown, speedup_distribution_png, topk_png, write_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TAB_RED = np.array([0xD6, 0x27, 0x28]) / 255  # the %OPT threshold line
TAB_BLUE = np.array([0x1F, 0x77, 0xB4]) / 255  # the first line of a plot


def _pixels(data: bytes) -> np.ndarray:
    assert data.startswith(PNG_SIGNATURE)
    return imread(io.BytesIO(data), format="png")


def _count(pixels: np.ndarray, colour: np.ndarray) -> int:
    return int((np.abs(pixels[..., :3] - colour).max(axis=-1) < 0.02).sum())


def _has_red(pixels: np.ndarray) -> bool:
    return _count(pixels, TAB_RED) > 0


def _per_pair(speedups: list[float]) -> pl.DataFrame:
    n = len(speedups)
    return pl.DataFrame({"src_id": [f"s{i}" for i in range(n)], "k": [8] * n, "speedup": speedups})


def test_distribution_is_a_real_deterministic_png() -> None:
    frame = _per_pair([1.0, 1.0, 1.05, 1.3, 2.0, 2.5, 4.0])
    data = speedup_distribution_png(frame, "Best@8 speedups")
    assert data == speedup_distribution_png(frame, "Best@8 speedups")
    assert data != speedup_distribution_png(frame, "another title")
    assert len(data) > 10_000
    pixels = _pixels(data)
    assert pixels.shape[:2] == (450, 800)
    assert _has_red(pixels)
    assert b"Software" not in data


def test_distribution_edge_cases() -> None:
    one = _pixels(speedup_distribution_png(_per_pair([3.0]), "one pair"))
    flat = _pixels(speedup_distribution_png(_per_pair([1.0] * 50), "all 1.0"))
    wide = _pixels(speedup_distribution_png(_per_pair([1.0, 1.2, 30.0, 400.0]), "log scale"))
    empty = _pixels(speedup_distribution_png(_per_pair([]), "no pairs"))
    for pixels in (one, flat, wide, empty):
        assert pixels.shape[:2] == (450, 800)
        assert _has_red(pixels)


def test_distribution_of_real_best_at_k() -> None:
    pairs = pl.DataFrame(
        {
            "problem_id": ["p", "p"],
            "src_id": ["a", "b"],
            "tgt_id": ["A", "B"],
            "src_agg_cost": [4.0, None],
            "src_peak_memory_kb": [1, None],
        }
    )
    runs = pl.DataFrame(
        {
            "src_id": ["a"],
            "tgt_id": ["A"],
            "sample_index": [0],
            "mean_accuracy": [1.0],
            "all_pass": [True],
            "agg_cost": [1.0],
            "peak_memory_kb": [1],
        }
    )
    per_pair = best_at_k(pairs, runs, 1)
    assert per_pair["speedup"].to_list() == [4.0, 1.0]
    assert _pixels(speedup_distribution_png(per_pair, "Best@1")).shape[:2] == (450, 800)


def _evaluations() -> pl.DataFrame:
    pairs = pl.DataFrame(
        {
            "problem_id": ["p", "p"],
            "src_id": ["a", "b"],
            "tgt_id": ["A", "B"],
            "src_agg_cost": [4.0, 3.0],
            "src_peak_memory_kb": [1, 1],
        }
    )
    runs = pl.DataFrame(
        {
            "src_id": ["a", "a", "b"],
            "tgt_id": ["A", "A", "B"],
            "sample_index": [0, 1, 1],
            "mean_accuracy": [1.0, 1.0, 1.0],
            "all_pass": [True] * 3,
            "agg_cost": [2.0, 1.0, 1.0],
            "peak_memory_kb": [1, 1, 1],
        }
    )
    return evaluate(pairs, runs, 3)


def test_topk_one_and_several_strategies() -> None:
    table = _evaluations()
    # By hand: k = 1: speedups 2, 1 -> 1.5, %OPT 50; k = 2 and 3: 4, 3 -> 3.5, %OPT 100.
    assert table["speedup"].to_list() == [1.5, 3.5, 3.5]
    assert table["pct_opt"].to_list() == [50.0, 100.0, 100.0]
    single = topk_png(table, "Best@k")
    assert single == topk_png(table, "Best@k")
    assert _pixels(single).shape[:2] == (450, 800)
    strategies = pl.concat(
        [
            table.with_columns(strategy=pl.lit("few-shot")),
            table.with_columns(strategy=pl.lit("fine-tuned"), speedup=pl.col("speedup") * 2),
        ]
    )
    several = topk_png(strategies, "Best@k by strategy")
    # Row order does not change the picture.
    assert several == topk_png(strategies.reverse(), "Best@k by strategy")
    assert several != single
    assert len(several) > 10_000
    assert _pixels(topk_png(table.head(1), "k = 1 only")).shape[:2] == (450, 800)


def test_topk_draws_the_intervals_as_error_bars() -> None:
    table = _evaluations()  # no intervals asked: NULL bounds, plain lines
    bounded = table.with_columns(
        speedup_low=pl.col("speedup") - 0.5,
        speedup_high=pl.col("speedup") + 1.0,
        pct_opt_low=pl.lit(0.0),
        pct_opt_high=pl.lit(100.0),
    )
    plain, bars = _pixels(topk_png(table, "Best@k")), _pixels(topk_png(bounded, "Best@k"))
    assert plain.shape == bars.shape
    # The bars add pixels of the line's colour (tab:blue) above and below the points.
    assert _count(bars, TAB_BLUE) > _count(plain, TAB_BLUE)
    # A percentile interval that misses its point (possible when it is skewed) still draws.
    skewed = bounded.with_columns(speedup_low=pl.col("speedup") + 0.1)
    assert _pixels(topk_png(skewed, "skewed")).shape == plain.shape


def test_write_png_is_atomic_and_creates_the_directory(tmp_path) -> None:
    data = topk_png(_evaluations(), "Best@k")
    target = tmp_path / "plots" / "nested" / "topk.png"
    assert write_png(data, str(target)) == str(target)
    assert target.read_bytes() == data
    assert write_png(b"\x89PNG other", str(target)) == str(target)
    assert target.read_bytes() == b"\x89PNG other"
    assert os.listdir(target.parent) == ["topk.png"]  # no temp file left behind


def test_markdown_image_round_trips() -> None:
    data = speedup_distribution_png(_per_pair([1.0, 2.0]), "t")
    md = markdown_image(data, "speedups [Best@8]")
    prefix = "![speedups \\[Best@8\\]](data:image/png;base64,"
    assert md.startswith(prefix) and md.endswith(")")
    assert base64.b64decode(md[len(prefix) : -1]) == data


def test_plots_markdown_puts_each_plot_under_its_title() -> None:
    topk, speedups = topk_png(_evaluations(), "Best@k"), speedup_distribution_png(_per_pair([1.0, 2.0]), "t")
    md = plots_markdown({"topk": topk, "speedups [Best@8]": speedups})
    assert md == (
        f"**topk**\n\n{markdown_image(topk, 'topk')}\n\n**speedups [Best@8]**\n\n"
        f"{markdown_image(speedups, 'speedups [Best@8]')}"
    )
