"""Sensors: discover CodeNet problems, add their partitions and request their ingestion."""


import json
import os

import dagster as dg

from pie_assets.defs.jobs import (
    PROBLEM_LIST_KEYS,
    PROBLEM_TABLE_KEYS,
    ingest_problems_selection,
    problem_list_selection,
)
from pie_assets.defs.partitions import MAX_PARTITIONS_PER_RUN, PROBLEMS, problems_partitions
from pie_assets.defs.resources import CodeNetSource
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
    "re-ingests `problems` when problem_list.csv changes.",
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
