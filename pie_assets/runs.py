"""Run tags: how one run covers many problem partitions, and which stage of the work it is."""

from pie_assets.dagster_internals import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

# The run tag the deployment's queue limits (deploy/dagster.yaml: tag_concurrency_limits), so
# runs that fill every CPU of their host with sandboxes or a model never run two at once there.
STAGE_TAG = "pie/stage"
RUNTIME_STAGE_TAGS = {STAGE_TAG: "runtime"}
GENERATION_STAGE_TAGS = {STAGE_TAG: "generation"}


# Asset tag of what only PIE's release feeds (its import, its re-export, the agreement of the labels
# with it): `pie run` leaves these assets out when no PIE dataset directory is given.
PIE_RELEASE_TAGS = {"pie/input": "pie_release"}


def partition_range_tags(first: str, last: str) -> dict[str, str]:
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
