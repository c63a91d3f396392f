"""The checkpoint sensor: every new checkpoint (a model or adapter directory under the checkpoints
root, an entry of the models file, a built-in baseline or human reference) becomes a partition of
`checkpoints` and is evaluated, with no hand step; a checkpoint replaced in place (a new version)
is evaluated again. It also registers the test problems (`eval_problems`). It requests the
generation run (checkpoint x every test problem); `evaluation_automation_sensor` then scores it
(`model_evaluations`) once the generations land."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import dagster as dg

from pie_assets.defs.evaluation.assets import EVALUATION_CODE_VERSION, GENERATION_TABLES
from pie_assets.defs.evaluation.inputs import changed_fingerprint, eval_problem_ids
from pie_assets.defs.evaluation.partitions import (
    CHECKPOINTS,
    EVAL_PROBLEMS,
    checkpoint_range_tags,
    checkpoints_partitions,
    eval_problems_partitions,
)
from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.shared.automation import FOLLOW_INTERVAL_S
from pie_assets.defs.shared.resources import LakeResource, SimulatorResource
from pie_assets.runs import GENERATION_STAGE_TAGS

GENERATION_KEYS = [dg.AssetKey(name) for name in GENERATION_TABLES]
generation_selection = dg.AssetSelection.assets(*GENERATION_KEYS)
# An evaluation reads the test pairs and the retrieval index; until both exist, new checkpoints
# wait (and are not marked seen), so the first evaluation never runs on missing inputs.
REQUIRED_INPUTS = (dg.AssetKey("eval_pairs"), dg.AssetKey("retrieval_index"))


def generation_request(run_key: str, checkpoint: str, problems: Sequence[str], **tags: str) -> dg.RunRequest:
    """One run generating for `checkpoint` on every registered test problem."""
    return dg.RunRequest(
        run_key=run_key,
        asset_selection=GENERATION_KEYS,
        tags={
            **checkpoint_range_tags(checkpoint, problems),
            **GENERATION_STAGE_TAGS,
            "pie/checkpoint": checkpoint,
            **tags,
        },
    )


@dg.sensor(
    name="checkpoint_sensor",
    target=generation_selection,
    minimum_interval_seconds=FOLLOW_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers every new checkpoint (model/adapter directories under the checkpoints root, "
    "entries of the models file, built-in baselines and human references) as a `checkpoints` partition "
    "and evaluates it; re-evaluates a checkpoint whose files or entry changed.",
)
def checkpoint_sensor(
    context: dg.SensorEvaluationContext,
    evaluation: EvaluationResource,
    simulator: SimulatorResource,
    lake: LakeResource,
):
    try:
        specs = evaluation.checkpoints()
    except ValueError as err:  # a malformed models file: say so on every tick until it is fixed
        return dg.SkipReason(str(err))
    config, simulator_hash = evaluation.config(), simulator.config().hash
    known = set(context.instance.get_dynamic_partitions(CHECKPOINTS))
    new = [spec.name for spec in specs if spec.name not in known]
    state: dict[str, Any] = json.loads(context.cursor) if context.cursor else {"versions": {}, "requests": 0}
    seen: dict[str, str] = state["versions"]
    ready = all(context.instance.get_latest_materialization_event(key) is not None for key in REQUIRED_INPUTS)
    registered = context.instance.get_dynamic_partitions(EVAL_PROBLEMS)
    new_problems = [p for p in eval_problem_ids(lake) if p not in set(registered)] if ready else []
    problems = [*registered, *new_problems]
    if ready and not problems:
        ready = False
        context.log.info("eval_pairs holds no test pair: evaluations wait for one")
    requests = []
    for spec in specs:
        if not ready or seen.get(spec.name) == spec.version:
            continue
        seen[spec.name] = spec.version
        # Already evaluated on today's inputs (by `pie run` or `pie eval`): nothing to do.
        if changed_fingerprint(context.instance, spec, config, simulator_hash, EVALUATION_CODE_VERSION):
            # The request number is in the run key: a checkpoint going A -> B -> A must be evaluated
            # again, and Dagster drops a run request whose key this sensor used before.
            state["requests"] += 1
            requests.append(generation_request(f"checkpoint:{state['requests']}:{spec.name}", spec.name, problems))
    if new:
        context.log.info(f"new checkpoints: {', '.join(new)}")
    if not ready and any(seen.get(s.name) != s.version for s in specs):
        context.log.info("eval_pairs or retrieval_index is not materialised yet: evaluations wait for them")
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[
            *([checkpoints_partitions.build_add_request(new)] if new else []),
            *([eval_problems_partitions.build_add_request(new_problems)] if new_problems else []),
        ],
        cursor=json.dumps(state, sort_keys=True),
    )


# The scoring step follows the generations (`model_evaluations`' automation condition), and the
# tables over every checkpoint's evaluation follow the scoring. Runs, not a backfill: a backfill
# scores each checkpoint in a run of its own as well, but the backfill daemon (a fixed 30 s loop)
# starts its runs and marks it done up to 30 s late each, and while it is not done `leaderboard`
# (which waits for its inputs to be out of progress) waits too.
evaluation_automation_sensor = dg.AutomationConditionSensorDefinition(
    "evaluation_automation_sensor",
    target=dg.AssetSelection.assets("model_evaluations", "checkpoint_comparisons", "fast_mode_fidelity"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=FOLLOW_INTERVAL_S,
    emit_backfills=False,
    description="Scores a checkpoint (model_evaluations: PIE's metrics and the plots) once a generation "
    "run has updated its problems and nothing it reads is still being written; then the paired "
    "checkpoint_comparisons and fast_mode_fidelity.",
)
