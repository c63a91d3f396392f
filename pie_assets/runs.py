"""Run tags: how one run covers many problem partitions, and which stage of the work it is."""

from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

# The run tag the deployment's queue limits (deploy/dagster.yaml: tag_concurrency_limits), so
# runs that fill every CPU of their host with sandboxes or a model never run two at once there.
STAGE_TAG = "pie/stage"
RUNTIME_STAGE_TAGS = {STAGE_TAG: "runtime"}
GENERATION_STAGE_TAGS = {STAGE_TAG: "generation"}


def partition_range_tags(first: str, last: str) -> dict[str, str]:
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
