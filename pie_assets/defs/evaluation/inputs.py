"""The inputs of a checkpoint's evaluation, as one fingerprint: the test pairs and the retrieval
index (their data versions in this Dagster instance), the simulator and evaluation configs, the
evaluation code, the checkpoint's own version and the mode. `model_evaluations` records it; the
nightly schedule re-evaluates a checkpoint only when today's differs."""

from __future__ import annotations

import json

import dagster as dg
import duckdb
import polars as pl

from pie_assets.dagster_internals import extract_data_version_from_entry
from pie_assets.defs.shared.resources import LakeResource
from pie_assets.evaluation.checkpoints import CheckpointSpec
from pie_assets.evaluation.config import EvaluationConfig
from pie_assets.evaluation.pipeline import problem_test_sets
from pie_assets.runtime.test_sets import TestSelection
from pie_assets.versions import digest

VERSIONED_INPUTS = ("eval_pairs", "retrieval_index")


def data_version(instance: dg.DagsterInstance, asset: str) -> str | None:
    record = instance.get_latest_data_version_record(dg.AssetKey(asset))
    version = extract_data_version_from_entry(record.event_log_entry) if record else None
    return version.value if version else None


def inputs_fingerprint(
    instance: dg.DagsterInstance,
    spec: CheckpointSpec,
    config: EvaluationConfig,
    simulator_hash: str,
    code_version: str,
    fast: bool = False,
) -> str:
    parts = {
        "inputs": {name: data_version(instance, name) for name in VERSIONED_INPUTS},
        "simulator": simulator_hash,
        "evaluation_config": config.hash,
        "code": code_version,
        "checkpoint": spec.version,
        "fast": fast,
    }
    return digest(json.dumps(parts, sort_keys=True))  # not config_hash: stored versions keep their value


def changed_fingerprint(
    instance: dg.DagsterInstance,
    spec: CheckpointSpec,
    config: EvaluationConfig,
    simulator_hash: str,
    code_version: str,
    fast: bool = False,
) -> str | None:
    """The checkpoint's inputs fingerprint when its latest evaluation recorded another one (or it
    has none), else None: the one test of the checkpoint sensor, the schedule and `pie run`."""
    current = inputs_fingerprint(instance, spec, config, simulator_hash, code_version, fast)
    return current if recorded_fingerprint(instance, spec.name) != current else None


def recorded_fingerprint(instance: dg.DagsterInstance, checkpoint: str) -> str | None:
    """The fingerprint of the checkpoint's latest evaluation, or None when it has none."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("model_evaluations"), asset_partitions=[checkpoint]), limit=1
    ).records
    if not records:
        return None
    materialization = records[0].asset_materialization
    value = materialization.metadata.get("inputs_fingerprint") if materialization else None
    return str(value.value) if value is not None else None


def eval_problem_ids(lake: LakeResource) -> list[str]:
    """The problems of the test pairs (`eval_pairs`), in order."""
    with lake.catalog.connect() as con:
        return [row[0] for row in con.execute("select distinct problem_id from eval_pairs order by 1").fetchall()]


def problems_without_test_cases(lake: LakeResource, problems: list[str]) -> list[str]:
    """The problems among `problems` with no runtime test in the lake (never ingested, ingestion
    failed, or nothing to run): none of their pairs could be measured."""
    try:
        with lake.catalog.connect() as con:
            tested = {
                row[0]
                for row in con.execute(
                    "select distinct problem_id from test_cases where runtime_test_id is not null "
                    "and problem_id in (select unnest($1::varchar[]))",
                    [problems],
                ).fetchall()
            }
    except duckdb.CatalogException:
        tested = set()
    return [p for p in problems if p not in tested]


def checkpoint_tests(
    lake: LakeResource, runtimes: pl.DataFrame, prompts: pl.DataFrame, configured: str
) -> dict[str, TestSelection]:
    """Per problem of a checkpoint's evaluation (prompted or measured), the tests of the set its
    generations were measured on (`problem_test_sets`): what its scores sum over."""
    problems = sorted(set(runtimes["problem_id"].to_list()) | set(prompts["problem_id"].to_list()))
    test_sets = problem_test_sets(runtimes, problems, configured)
    return {problem: lake.problem_tests(problem, test_sets[problem]) for problem in problems}
