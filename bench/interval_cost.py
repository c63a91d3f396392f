"""Benchmark: what the bootstrap intervals add to scoring one strategy of one checkpoint.

`evaluate` (Best@1..n) is timed with and without `[intervals]` on two shapes: the sample's test
split (1 problem, 3 pairs, n = 8) and a PIE-sized one (41 problems, 978 pairs, n = 8), with
synthetic runs (random costs, a quarter of the samples incorrect), so only the metric code is
timed, not measurement. Median of --repeats timings each.

    python bench/interval_cost.py [--resamples 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import polars as pl

from pie_assets.evaluation.bootstrap import Bootstrap
from pie_assets.evaluation.metrics import evaluate


def split(n_problems: int, n_pairs: int, n: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    src = rng.uniform(1.0, 10.0, n_pairs)
    pairs = pl.DataFrame(
        {
            "problem_id": [f"p{i % n_problems:05d}" for i in range(n_pairs)],
            "src_id": [f"s{i}" for i in range(n_pairs)],
            "tgt_id": [f"t{i}" for i in range(n_pairs)],
            "src_agg_cost": src,
            "src_peak_memory_kb": [1000] * n_pairs,
        }
    )
    size = n_pairs * n
    runs = pl.DataFrame(
        {
            "src_id": [f"s{i // n}" for i in range(size)],
            "tgt_id": [f"t{i // n}" for i in range(size)],
            "sample_index": [i % n for i in range(size)],
            "mean_accuracy": np.where(rng.uniform(size=size) < 0.25, 0.5, 1.0),
            "all_pass": [True] * size,
            "agg_cost": np.repeat(src, n) / rng.uniform(0.5, 3.0, size),
            "peak_memory_kb": [900] * size,
        }
    )
    return pairs, runs


def median_s(pairs: pl.DataFrame, runs: pl.DataFrame, n: int, settings: Bootstrap | None, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        evaluate(pairs, runs, n, intervals=settings)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    settings = Bootstrap(resamples=args.resamples, seed=0)
    print("| split | pairs | problems | without intervals | with intervals | added |")
    print("|---|---|---|---|---|---|")
    for name, n_problems, n_pairs in (("sample", 1, 3), ("PIE-sized", 41, 978)):
        pairs, runs = split(n_problems, n_pairs, 8)
        plain = median_s(pairs, runs, 8, None, args.repeats)
        bounded = median_s(pairs, runs, 8, settings, args.repeats)
        print(
            f"| {name} | {n_pairs} | {n_problems} | {plain * 1000:.1f} ms | {bounded * 1000:.1f} ms | "
            f"{(bounded - plain) * 1000:.1f} ms |"
        )


if __name__ == "__main__":
    main()
