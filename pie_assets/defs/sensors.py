"""Sensors: discover CodeNet problems, add their partitions and request their ingestion."""


import json
import os

import dagster as dg

from pie_assets.defs.jobs import (
    PROBLEM_LIST_KEYS,
    PROBLEM_TABLE_KEYS,
    RUNTIME_KEYS,
    ingest_problems_selection,
    problem_list_selection,
    runtime_selection,
)
from pie_assets.defs.partitions import MAX_PARTITIONS_PER_RUN, PROBLEMS, problems_partitions
from pie_assets.defs.resources import CodeNetSource, SimulatorResource
from pie_assets.runs import partition_range_tags


def range_run_requests(keys: list[str], selection: list[dg.AssetKey], prefix: str) -> list[dg.RunRequest]:
    """Contiguous chunks of newly added keys, one run each (keys were appended in this order)."""
    requests = []
    for start in range(0, len(keys), MAX_PARTITIONS_PER_RUN):
        chunk = keys[start : start + MAX_PARTITIONS_PER_RUN]
        requests.append(
            dg.RunRequest(
                run_key=f"{prefix}:{chunk[0]}..{chunk[-1]}",
                asset_selection=selection,
                tags=partition_range_tags(chunk[0], chunk[-1]),
            )
        )
    return requests


@dg.sensor(
    name="codenet_problem_sensor",
    target=ingest_problems_selection | problem_list_selection,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition for every new problem under the CodeNet root and ingests it in batched runs; "
    "re-ingests `problems` when problem_list.csv changes. (Runtime annotation follows through "
    "runtime_automation_sensor.)",
)
def codenet_problem_sensor(context: dg.SensorEvaluationContext, codenet: CodeNetSource) -> dg.SensorResult:
    layout = codenet.layout
    known = set(context.instance.get_dynamic_partitions(PROBLEMS))
    new = [p for p in layout.discover_problem_ids() if p not in known]

    cursor = json.loads(context.cursor) if context.cursor else {}
    stamp = None
    if os.path.isfile(layout.problem_list_csv):
        st = os.stat(layout.problem_list_csv)
        stamp = f"{st.st_mtime_ns}:{st.st_size}"
    run_requests = []
    if stamp != cursor.get("problem_list"):
        run_requests.append(dg.RunRequest(run_key=f"problem_list:{stamp}", asset_selection=PROBLEM_LIST_KEYS))
    run_requests += range_run_requests(new, PROBLEM_TABLE_KEYS, prefix="ingest")
    if new:
        context.log.info(f"discovered {len(new)} new problems under {layout.root}")
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[problems_partitions.build_add_request(new)] if new else [],
        cursor=json.dumps({"problem_list": stamp}),
    )


@dg.sensor(
    name="runtime_config_sensor",
    target=runtime_selection,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-simulates every problem partition, in batched runs, when the simulator config's hash changes.",
)
def runtime_config_sensor(context: dg.SensorEvaluationContext, simulator: SimulatorResource):
    current = simulator.config().hash
    if context.cursor is None:
        # The first tick takes the current config as the baseline: runs for new problems come
        # from codenet_problem_sensor; only a change of config re-simulates what exists.
        return dg.SensorResult(run_requests=[], cursor=current)
    if context.cursor == current:
        return dg.SkipReason(f"simulator config unchanged ({current})")
    partitions = list(context.instance.get_dynamic_partitions(PROBLEMS))
    context.log.info(f"simulator config {context.cursor} → {current}: re-simulating {len(partitions)} problems")
    return dg.SensorResult(
        run_requests=range_run_requests(partitions, RUNTIME_KEYS, prefix=f"config:{current}"),
        cursor=current,
    )


# Runtime partitions follow their problem's ingestion (eager automation), as backfills that obey
# the assets' BackfillPolicy, so thousands of newly ingested problems become batched runs too.
runtime_automation_sensor = dg.AutomationConditionSensorDefinition(
    "runtime_automation_sensor",
    target=runtime_selection,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Annotates runtimes of problem partitions whose submissions or tests were (re)ingested.",
)
