"""One partition per CodeNet problem (codenet, runtime and evaluation read them); the discovery sensor
and `pie run` add the keys, in runs of `partition_ranges`. Here too:
the lake's key of any partition (its hive path names each dimension by its column)."""

from collections.abc import Sequence, Set

import dagster as dg

from pie_assets.lake.storage import PROBLEM_COLUMN, PartitionKey
from pie_assets.runs import partition_range_tags

PROBLEMS = "problems"
CHECKPOINTS = "checkpoints"
problems_partitions = dg.DynamicPartitionsDefinition(name=PROBLEMS)
# The column, and hive directory name, of each one-dimensional partition set's key.
LAKE_COLUMNS = {PROBLEMS: PROBLEM_COLUMN, CHECKPOINTS: "checkpoint"}

# Each Dagster run costs seconds of overhead, so backfills of thousands of problems are cut into
# runs of this many partitions, each run processing its partitions in a thread pool.
MAX_PARTITIONS_PER_RUN = 100
# Dagster cuts the backfills it launches itself (UI, automation sensors) with this policy; the
# runs the sensors request are cut by `partition_ranges`, the same way (`pie run`, alone on its
# machine, runs each contiguous range whole: `partition_ranges` with no cap).
problem_backfill_policy = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_PARTITIONS_PER_RUN)


def partition_ranges(
    ordered_keys: Sequence[str], selected: Set[str], size: int = MAX_PARTITIONS_PER_RUN
) -> list[list[str]]:
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


def lake_key(partitions_def: dg.PartitionsDefinition | None, key: str) -> PartitionKey:
    """The lake's key of a Dagster partition: dimension column -> key, in sorted dimension order
    for a multi-dimensional one (the order of its hive directories)."""
    if isinstance(partitions_def, dg.MultiPartitionsDefinition):
        return dict(sorted(partitions_def.get_partition_key_from_str(key).keys_by_dimension.items()))
    name = getattr(partitions_def, "name", None)
    if name not in LAKE_COLUMNS:
        raise ValueError(f"partitions {name!r} have no lake column (pie_assets/defs/shared/partitions.py LAKE_COLUMNS)")
    return {LAKE_COLUMNS[name]: key}
