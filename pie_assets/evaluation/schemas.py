"""Column types of the evaluation tables (their descriptions are in `pie_assets.defs.evaluation.tables`)."""

from __future__ import annotations

import polars as pl

from pie_assets.evaluation.metrics import EVALUATION_SCHEMA
from pie_assets.lake.schema import ColumnTypes

PROMPT_SCHEMA: ColumnTypes = {
    "checkpoint": pl.Utf8,
    "strategy": pl.Utf8,
    "strategy_version": pl.Utf8,
    "problem_id": pl.Utf8,
    "src_id": pl.Utf8,
    "tgt_id": pl.Utf8,
    "prompt": pl.Utf8,
    "prompt_hash": pl.Utf8,
    "example_src_ids": pl.List(pl.Utf8),
}
GENERATION_SCHEMA: ColumnTypes = {
    "generation_id": pl.Utf8,
    "checkpoint": pl.Utf8,
    "strategy": pl.Utf8,
    "problem_id": pl.Utf8,
    "src_id": pl.Utf8,
    "tgt_id": pl.Utf8,
    "sample_index": pl.Int64,
    "prompt_hash": pl.Utf8,
    "code": pl.Utf8,
    "code_sha256": pl.Utf8,
    "extraction_status": pl.Utf8,
    "finish_reason": pl.Utf8,
    "cached": pl.Boolean,
    "response": pl.Utf8,
}
GENERATION_RUNTIME_SCHEMA: ColumnTypes = {
    "generation_id": pl.Utf8,
    "checkpoint": pl.Utf8,
    "strategy": pl.Utf8,
    "mode": pl.Utf8,
    "problem_id": pl.Utf8,
    "src_id": pl.Utf8,
    "tgt_id": pl.Utf8,
    "sample_index": pl.Int64,
    "status": pl.Utf8,
    "all_pass": pl.Boolean,
    "n_tests": pl.Int64,
    "n_passed": pl.Int64,
    "mean_accuracy": pl.Float64,
    "agg_cost": pl.Float64,
    "peak_memory_kb": pl.Int64,
    "src_agg_cost": pl.Float64,
    "src_peak_memory_kb": pl.Int64,
    "binary_sha256": pl.Utf8,
    "backend": pl.Utf8,
    "config_hash": pl.Utf8,
    "profile": pl.Utf8,
    "test_set": pl.Utf8,
    "n_samples": pl.Int64,
    "kind": pl.Utf8,
    "checkpoint_version": pl.Utf8,
    "evaluation_config_hash": pl.Utf8,
    "inputs_fingerprint": pl.Utf8,
}
MODEL_EVALUATION_SCHEMA: ColumnTypes = {
    "checkpoint": pl.Utf8,
    "kind": pl.Utf8,
    "strategy": pl.Utf8,
    "mode": pl.Utf8,
    **EVALUATION_SCHEMA,
    "n_samples": pl.Int64,
    "clipped": pl.Boolean,
    "backend": pl.Utf8,
    "config_hash": pl.Utf8,
    "profile": pl.Utf8,
    "evaluation_config_hash": pl.Utf8,
    "checkpoint_version": pl.Utf8,
}
