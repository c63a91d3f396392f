"""The discovery sensor: every new CodeNet problem (or problem of PIE's release) becomes a partition
and is ingested in batched runs; `problems` is re-ingested when problem_list.csv changes.

The sensor registers the new partitions itself, in one `add_dynamic_partitions` call (one SQL
insert), rather than returning dynamic-partition requests: Dagster's daemon checks a request's
keys one `has_dynamic_partition` query each, 22.8 s for CodeNet's 4,053 problems (0.06 s in bulk).
It registers them last, once its run requests are built, as the daemon would have done before
submitting them; the ranged runs then find their partitions as before. So any evaluation of the
sensor registers them, the UI's "Test sensor" too: a problem found on disk is a partition however
it was found, and registering it again is a no-op."""

import json
import os

import dagster as dg

from pie_assets.dataset.pie_problems import pie_problem_ids
from pie_assets.defs.codenet.jobs import (
    PROBLEM_LIST_KEYS,
    PROBLEM_TABLE_KEYS,
    ingest_problems_selection,
    problem_list_selection,
)
from pie_assets.defs.shared.partitions import PROBLEMS, range_run_requests
from pie_assets.defs.shared.resources import CodeNetSource, LakeResource


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
        context.instance.add_dynamic_partitions(PROBLEMS, new)
        context.log.info(
            f"registered {len(new)} new problems under {layout.root if layout else '-'} and in pie_pairs: "
            f"{new[0]}..{new[-1]}"
        )
    return dg.SensorResult(run_requests=run_requests, cursor=json.dumps({"problem_list": stamp}))
