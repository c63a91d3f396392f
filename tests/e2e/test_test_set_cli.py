"""`pie run --test-set`: the set a user names on the command line is the one the labels sum over."""

from __future__ import annotations

import polars as pl
from support.cli import pie

from pie_assets.runtime.config import SimulatorConfig


def test_pie_run_test_set_overrides_the_config(quirky, tmp_path):
    root, extra = quirky
    warehouse = tmp_path / "wh"
    run = pie(
        "run",
        "--quiet",
        "--codenet",
        str(root),
        "--extra-tests",
        str(extra),
        "--warehouse",
        str(warehouse),
        "--problems",
        "p00001",
        "--select",
        "submissions or test_cases or runtime_annotations or submission_runtimes",
        "--test-set",
        "samples",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    summaries = pl.read_parquet(warehouse / "submission_runtimes" / "problem_id=p00001" / "data.parquet")
    assert set(summaries["test_set"]) == {"samples"}
    assert set(summaries["config_hash"]) == {SimulatorConfig.load(test_set="samples").hash}
    assert set(summaries["n_tests"]) == {2}  # the page's two distinct samples, not PIE's extra test
