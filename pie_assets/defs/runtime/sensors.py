"""The runtime stage's sensors: re-simulate every problem when the simulator config changes, and
annotate a problem's runtimes once its submissions or tests are (re)ingested (declarative automation)."""

import json

import dagster as dg

from pie_assets.defs.runtime.tables import RUNTIME_TABLES
from pie_assets.defs.shared.automation import FOLLOW_INTERVAL_S
from pie_assets.defs.shared.partitions import PROBLEMS, range_run_requests
from pie_assets.defs.shared.resources import SimulatorResource
from pie_assets.runs import RUNTIME_STAGE_TAGS

RUNTIME_KEYS = [dg.AssetKey(k) for k in RUNTIME_TABLES]
runtime_selection = dg.AssetSelection.assets(*RUNTIME_KEYS)


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
    minimum_interval_seconds=FOLLOW_INTERVAL_S,
    run_tags=RUNTIME_STAGE_TAGS,
    description="Annotates runtimes of problem partitions whose submissions or tests were (re)ingested.",
)
