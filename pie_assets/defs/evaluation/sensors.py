"""The checkpoint sensor: every new checkpoint (a model or adapter directory under the checkpoints
root, an entry of the models file, a built-in baseline or human reference) becomes a partition of
`checkpoints` and is evaluated, with no hand step; a checkpoint replaced in place (a new version)
is evaluated again."""

from __future__ import annotations

import json

import dagster as dg

from pie_assets.defs.evaluation.assets import EVALUATION_CODE_VERSION, EVALUATION_TABLES
from pie_assets.defs.evaluation.inputs import inputs_fingerprint, recorded_fingerprint
from pie_assets.defs.evaluation.partitions import CHECKPOINTS, checkpoints_partitions
from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.resources import SimulatorResource

EVALUATION_KEYS = [dg.AssetKey(name) for name in EVALUATION_TABLES]
evaluation_selection = dg.AssetSelection.assets(*EVALUATION_KEYS)
# An evaluation reads the test pairs and the retrieval index; until both exist, new checkpoints
# wait (and are not marked seen), so the first evaluation never runs on missing inputs.
REQUIRED_INPUTS = (dg.AssetKey("eval_pairs"), dg.AssetKey("retrieval_index"))


@dg.sensor(
    name="checkpoint_sensor",
    target=evaluation_selection,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers every new checkpoint (model/adapter directories under the checkpoints root, "
    "entries of the models file, built-in baselines and human references) as a `checkpoints` partition "
    "and evaluates it; re-evaluates a checkpoint whose files or entry changed.",
)
def checkpoint_sensor(context: dg.SensorEvaluationContext, evaluation: EvaluationResource,
                      simulator: SimulatorResource):
    try:
        specs = evaluation.checkpoints()
    except ValueError as err:  # a malformed models file: say so on every tick until it is fixed
        return dg.SkipReason(str(err))
    config, simulator_hash = evaluation.config(), simulator.config().hash
    known = set(context.instance.get_dynamic_partitions(CHECKPOINTS))
    new = [spec.name for spec in specs if spec.name not in known]
    state = json.loads(context.cursor) if context.cursor else {"versions": {}, "requests": 0}
    seen: dict[str, str] = state["versions"]
    ready = all(context.instance.get_latest_materialization_event(key) is not None for key in REQUIRED_INPUTS)
    requests = []
    for spec in specs:
        if not ready or seen.get(spec.name) == spec.version:
            continue
        seen[spec.name] = spec.version
        # Already evaluated on today's inputs (by `pie run` or `pie eval`): nothing to do.
        current = inputs_fingerprint(context.instance, spec, config, simulator_hash, EVALUATION_CODE_VERSION)
        if recorded_fingerprint(context.instance, spec.name) != current:
            # The request number is in the run key: a checkpoint going A -> B -> A must be evaluated
            # again, and Dagster drops a run request whose key this sensor used before.
            state["requests"] += 1
            requests.append(dg.RunRequest(run_key=f"checkpoint:{state['requests']}:{spec.name}", partition_key=spec.name,
                                          asset_selection=EVALUATION_KEYS, tags={"pie/checkpoint": spec.name}))
    if new:
        context.log.info(f"new checkpoints: {', '.join(new)}")
    if not ready and any(seen.get(s.name) != s.version for s in specs):
        context.log.info("eval_pairs or retrieval_index is not materialised yet: evaluations wait for them")
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[checkpoints_partitions.build_add_request(new)] if new else [],
        cursor=json.dumps(state, sort_keys=True),
    )
