"""One partition per CodeNet problem; the discovery sensor and `pie run` add the keys."""

from collections.abc import Sequence, Set

import dagster as dg

PROBLEMS = "problems"
problems_partitions = dg.DynamicPartitionsDefinition(name=PROBLEMS)

# Each Dagster run costs seconds of overhead, so backfills of thousands of problems are cut into
# runs of this many partitions, each run processing its partitions in a thread pool.
MAX_PARTITIONS_PER_RUN = 100
# Dagster cuts the backfills it launches itself (UI, automation sensors) with this policy; the
# runs this project requests (sensors, `pie run`) are cut by `partition_ranges`, the same way.
problem_backfill_policy = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_PARTITIONS_PER_RUN)


def partition_ranges(ordered_keys: Sequence[str], selected: Set[str],
                     size: int = MAX_PARTITIONS_PER_RUN) -> list[list[str]]:
    """`selected` cut into runs that are contiguous in `ordered_keys` (the partitions' order, which
    a run's range tags refer to) and at most `size` long: what BackfillPolicy.multi_run(size)
    does to a backfill, so every ranged run of the project is batched alike."""
    ranges: list[list[str]] = []
    current: list[str] = []
    for key in ordered_keys:
        if key in selected and len(current) < size:
            current.append(key)
            continue
        if current:
            ranges.append(current)
        current = [key] if key in selected else []
    if current:
        ranges.append(current)
    return ranges
