"""The latest materialisation or observation of each partition of an asset, read in bulk.

Deciding what a `pie run` must do asks, for each stage's tables and their inputs, for the latest
record of every partition; Dagster answers one partition per query (`fetch_materializations(...,
limit=1)`, a new SQLite connection each), which on a warm run with nothing to do was most of the
time spent asking. Here an asset costs two queries whatever its partitions: the latest storage id
of each partition, then those records. A snapshot: the caller drops it once an event is written.
"""

from __future__ import annotations

import dagster as dg


class LatestRecords:
    """Per (asset, event type): each partition's latest record, loaded on the first question."""

    def __init__(self, instance: dg.DagsterInstance):
        self.instance = instance
        self._loaded: dict[tuple[dg.AssetKey, dg.DagsterEventType], dict[str, dg.EventLogRecord]] = {}

    def latest(self, key: dg.AssetKey, partition: str, observation: bool = False) -> dg.EventLogRecord | None:
        """What `instance.get_latest_data_version_record(key, observation, partition)` returns."""
        kind = dg.DagsterEventType.ASSET_OBSERVATION if observation else dg.DagsterEventType.ASSET_MATERIALIZATION
        if (key, kind) not in self._loaded:
            self._loaded[key, kind] = self._load(key, kind)
        return self._loaded[key, kind].get(partition)

    def _load(self, key: dg.AssetKey, kind: dg.DagsterEventType) -> dict[str, dg.EventLogRecord]:
        ids = list(self.instance.get_latest_storage_id_by_partition(key, kind).values())
        if not ids:
            return {}
        wanted = dg.AssetRecordsFilter(asset_key=key, storage_ids=ids)
        fetch = (
            self.instance.fetch_observations
            if kind == dg.DagsterEventType.ASSET_OBSERVATION
            else self.instance.fetch_materializations
        )
        return {
            record.partition_key: record for record in fetch(wanted, limit=len(ids)).records if record.partition_key
        }
