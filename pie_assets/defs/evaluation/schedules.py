"""The nightly re-evaluation: a checkpoint whose inputs changed since its last evaluation (test
pairs, retrieval index, simulator or evaluation config, evaluation code, its own files) is
evaluated again; when nothing changed, nothing runs."""

from __future__ import annotations

import dagster as dg

from pie_assets.defs.evaluation.assets import EVALUATION_CODE_VERSION
from pie_assets.defs.evaluation.inputs import changed_fingerprint
from pie_assets.defs.evaluation.partitions import CHECKPOINTS, EVAL_PROBLEMS
from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.evaluation.sensors import generation_request, generation_selection
from pie_assets.defs.shared.resources import SimulatorResource
from pie_assets.evaluation.config import EvaluationConfig, config_path


def build_evaluation_schedule(cron: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="nightly_evaluation",
        cron_schedule=cron,
        target=generation_selection,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Re-evaluates every registered checkpoint whose inputs changed since its last "
        "evaluation (fingerprint recorded on model_evaluations), on every registered test problem; "
        "requests nothing when nothing changed.",
    )
    def nightly_evaluation(
        context: dg.ScheduleEvaluationContext, evaluation: EvaluationResource, simulator: SimulatorResource
    ):
        registered = set(context.instance.get_dynamic_partitions(CHECKPOINTS))
        problems = context.instance.get_dynamic_partitions(EVAL_PROBLEMS)  # registered by the checkpoint sensor
        config = evaluation.config()
        simulator_hash = simulator.config().hash
        requests = []
        for spec in evaluation.checkpoints():
            if spec.name not in registered or not problems:
                continue  # the checkpoint sensor registers and evaluates it first
            current = changed_fingerprint(context.instance, spec, config, simulator_hash, EVALUATION_CODE_VERSION)
            if current:
                requests.append(
                    generation_request(f"{spec.name}:{current}", spec.name, problems, **{"pie/inputs": current})
                )
        if not requests:
            return dg.SkipReason(f"no input of the {len(registered)} registered checkpoints changed")
        return requests

    return nightly_evaluation


@dg.definitions
def evaluation_schedule() -> dg.Definitions:
    """The cron is the evaluation config's."""
    return dg.Definitions(schedules=[build_evaluation_schedule(EvaluationConfig.load(str(config_path())).cron)])
