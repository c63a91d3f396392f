"""Evaluation partitions: one per checkpoint (model directory, adapter, endpoint, baseline or human
reference), and per checkpoint x test problem for the generation tables (`eval_problems`: the
problems of `eval_pairs`, registered when an evaluation is requested, so a run's range covers
exactly them). The checkpoint sensor, the schedule, `pie run` and `pie eval` add the keys."""

from collections.abc import Sequence

import dagster as dg

from pie_assets.defs.shared.partitions import CHECKPOINTS, LAKE_COLUMNS, PROBLEMS
from pie_assets.runs import partition_range_tags

EVAL_PROBLEMS = "eval_problems"
# Dimensions named like the tables' columns: the hive paths add no second column.
CHECKPOINT_DIMENSION = LAKE_COLUMNS[CHECKPOINTS]
PROBLEM_DIMENSION = LAKE_COLUMNS[PROBLEMS]
checkpoints_partitions = dg.DynamicPartitionsDefinition(name=CHECKPOINTS)
eval_problems_partitions = dg.DynamicPartitionsDefinition(name=EVAL_PROBLEMS)
checkpoint_problem_partitions = dg.MultiPartitionsDefinition(
    {CHECKPOINT_DIMENSION: checkpoints_partitions, PROBLEM_DIMENSION: eval_problems_partitions}
)


def checkpoint_range_tags(checkpoint: str, problems: Sequence[str]) -> dict[str, str]:
    """Run tags covering `checkpoint` x every registered eval problem (in registration order)."""
    first, last = (
        dg.MultiPartitionKey({CHECKPOINT_DIMENSION: checkpoint, PROBLEM_DIMENSION: p})
        for p in (problems[0], problems[-1])
    )
    return partition_range_tags(first, last)


def register_eval_problems(instance: dg.DagsterInstance, problems: Sequence[str]) -> list[str]:
    """Adds the problems not yet registered; returns every registered eval problem in order."""
    known = instance.get_dynamic_partitions(EVAL_PROBLEMS)
    new = [p for p in problems if p not in set(known)]
    if new:
        instance.add_dynamic_partitions(EVAL_PROBLEMS, new)
    return [*known, *new]
