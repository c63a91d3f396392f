"""Sensors: discover CodeNet problems and ingest them, re-simulate on a config change, and let
declarative automation follow ingestion with runtimes and SQL models."""

import json
import os
from collections.abc import Sequence

import dagster as dg

from dbt_like.assets import GROUP as SQL_MODELS_GROUP
from pie_assets.dataset.pie_problems import pie_problem_ids
from pie_assets.defs.jobs import (
    PROBLEM_LIST_KEYS,
    PROBLEM_TABLE_KEYS,
    RUNTIME_KEYS,
    ingest_problems_selection,
    problem_list_selection,
    runtime_selection,
)
from pie_assets.defs.partitions import PROBLEMS, partition_ranges, problems_partitions
from pie_assets.defs.resources import CodeNetSource, LakeResource, SimulatorResource
from pie_assets.runs import RUNTIME_STAGE_TAGS, partition_range_tags


def range_run_requests(
    ordered_keys: Sequence[str], selection: list[dg.AssetKey], prefix: str, tags: dict[str, str] | None = None
) -> list[dg.RunRequest]:
    """One run per range of `partition_ranges` over keys given in the instance's partition order."""
    return [
        dg.RunRequest(
            run_key=f"{prefix}:{chunk[0]}..{chunk[-1]}",
            asset_selection=selection,
            tags={**partition_range_tags(chunk[0], chunk[-1]), **(tags or {})},
        )
        for chunk in partition_ranges(ordered_keys, set(ordered_keys))
    ]


@dg.sensor(
    name="codenet_problem_sensor",
    target=ingest_problems_selection | problem_list_selection,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition for every new problem under the CodeNet root or in `pie_pairs` (PIE's "
    "release) and ingests it in batched runs; re-ingests `problems` when problem_list.csv changes. "
    "(Runtime annotation follows through runtime_automation_sensor.)",
)
def codenet_problem_sensor(
    context: dg.SensorEvaluationContext, codenet: CodeNetSource, lake: LakeResource
) -> dg.SensorResult:
    layout = codenet.layout
    known = set(context.instance.get_dynamic_partitions(PROBLEMS))
    found = set(layout.discover_problem_ids() if layout is not None else []) | set(pie_problem_ids(lake.store))
    new = sorted(p for p in found if p not in known)

    cursor = json.loads(context.cursor) if context.cursor else {}
    stamp = None if layout is not None else "none"  # no CodeNet tree: `problems` is written once, empty
    if layout is not None and os.path.isfile(layout.problem_list_csv):
        st = os.stat(layout.problem_list_csv)
        stamp = f"{st.st_mtime_ns}:{st.st_size}"
    run_requests = []
    if stamp != cursor.get("problem_list"):
        run_requests.append(dg.RunRequest(run_key=f"problem_list:{stamp}", asset_selection=PROBLEM_LIST_KEYS))
    run_requests += range_run_requests(new, PROBLEM_TABLE_KEYS, prefix="ingest")
    if new:
        context.log.info(f"discovered {len(new)} new problems under {layout.root if layout else '-'} and in pie_pairs")
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[problems_partitions.build_add_request(new)] if new else [],
        cursor=json.dumps({"problem_list": stamp}),
    )


def _config_cursor(cursor: str | None) -> tuple[str | None, int]:
    """(config hash, changes seen so far) from the cursor; a plain hash is the cursor this sensor
    wrote before it counted changes."""
    if cursor is None:
        return None, 0
    try:
        state = json.loads(cursor)
    except ValueError:
        state = None
    if not isinstance(state, dict):
        return cursor, 0
    return state["hash"], state["changes"]


@dg.sensor(
    name="runtime_config_sensor",
    target=runtime_selection,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-simulates every problem partition, in batched runs, when the simulator config's hash changes.",
)
def runtime_config_sensor(context: dg.SensorEvaluationContext, simulator: SimulatorResource):
    current = simulator.config().hash
    previous, changes = _config_cursor(context.cursor)
    if previous is None:
        # The first tick takes the current config as the baseline: runs for new problems come
        # from codenet_problem_sensor; only a change of config re-simulates what exists.
        return dg.SensorResult(run_requests=[], cursor=json.dumps({"hash": current, "changes": 0}))
    if previous == current:
        return dg.SkipReason(f"simulator config unchanged ({current})")
    partitions = list(context.instance.get_dynamic_partitions(PROBLEMS))
    context.log.info(f"simulator config {previous} → {current}: re-simulating {len(partitions)} problems")
    # The change number is in the run key: going back to an earlier config must re-simulate
    # again, and Dagster drops a run request whose key this sensor has used before.
    changes += 1
    return dg.SensorResult(
        run_requests=range_run_requests(
            partitions, RUNTIME_KEYS, prefix=f"config:{changes}:{current}", tags=RUNTIME_STAGE_TAGS
        ),
        cursor=json.dumps({"hash": current, "changes": changes}),
    )


# Runtime partitions follow their problem's ingestion (eager automation), as backfills that obey
# the assets' BackfillPolicy, so thousands of newly ingested problems become batched runs too.
runtime_automation_sensor = dg.AutomationConditionSensorDefinition(
    "runtime_automation_sensor",
    target=runtime_selection,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    run_tags=RUNTIME_STAGE_TAGS,
    description="Annotates runtimes of problem partitions whose submissions or tests were (re)ingested.",
)


# SQL models follow the tables they read (dbt_like.assets.MODEL_AUTOMATION); their checks run with them.
sql_model_automation_sensor = dg.AutomationConditionSensorDefinition(
    "sql_model_automation_sensor",
    target=dg.AssetSelection.groups(SQL_MODELS_GROUP, "dataset")
    | dg.AssetSelection.assets("retrieval_index", "pie_runtime_agreement"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Refreshes SQL models (and runs their checks), the retrieval index and the agreement of the "
    "runtime labels with PIE's after a table or model they read was updated.",
)
