"""What a default `pie run` materialises: the partitions that are missing or stale, by Dagster's
own data and code versions, so a warm run with nothing changed starts no run.

Before a stage is decided, the observable sources it reads (`codenet_files`,
`problem_list_file`, `pie_dataset_files`) are observed: an observation is recorded only where a
file version changed. Then a partition of the stage runs when:

- none of its tables has been materialised for it (missing); one that landed only its rejects
  counts as done: the same inputs would fail the same way, and a changed input makes it stale;
- this warehouse holds none of its Parquet tables for it, whatever the instance remembers (a
  Dagster home shared by two warehouses, or files removed): missing here;
- Dagster's resolver (`CachingStaleStatusResolver`, what the UI shows as "Unsynced") gives a cause
  for one of its tables: a new code version (reader code, simulator config hash, rendered SQL), or
  an input (a source observation or a same-partitioned or unpartitioned table) whose data version
  changed since the partition recorded it;
- an input partitioned otherwise (a table read whole, e.g. a SQL model over every problem's
  `submissions`) has a materialisation newer than the partition's: Dagster compares versions on
  such edges only under 100 upstream partitions, and not at all where the tables record no
  per-partition provenance, so these edges are decided by storage id, which may re-run a table
  whose input was rewritten unchanged but never skips one whose input changed;
- for a checkpoint's evaluation, its inputs' fingerprint (checkpoint files, evaluation and
  simulator configs, test pairs, retrieval index, code) differs from the one its latest
  `model_evaluations` recorded: the nightly schedule's own test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from pie_assets.dagster_internals import (
    DATA_VERSION_TAG,
    AssetGraph,
    AssetGraphView,
    AssetKeyPartitionKey,
    CachingStaleStatusResolver,
    TemporalContext,
    extract_data_version_from_entry,
)
from pie_assets.defs.codenet.sources import (
    CODENET_FILES,
    PROBLEM_LIST_FILE,
    problem_file_versions,
    problem_list_version,
)
from pie_assets.defs.dataset.pie_import import PIE_DATASET_FILES, pie_dataset_version
from pie_assets.defs.evaluation.assets import EVALUATION_CODE_VERSION
from pie_assets.defs.evaluation.inputs import changed_fingerprint
from pie_assets.defs.shared.partitions import problems_partitions
from pie_assets.lake.storage import Warehouse
from pie_assets.latest_records import LatestRecords


class Staleness:
    """One `pie run`'s view of what is stale; each question reads the instance afresh, since the
    stages before it just wrote."""

    def __init__(self, instance: dg.DagsterInstance, graph: AssetGraph, resources: Mapping[str, Any]):
        self.instance, self.graph, self.resources = instance, graph, resources
        self.reasons: dict[str, str] = {}  # "stage[partition]" -> why it runs, for `--debug` and tests
        # The last event seen, the resolver, and each asset's last materialisation then.
        self._cached: tuple[int | None, _Resolver, dict[dg.AssetKey, dg.EventLogRecord]] | None = None

    def observe_sources(self, stage: Sequence[dg.AssetKey], partitions: Sequence[str]) -> None:
        """Records a new observation of each source the stage reads whose version changed."""
        parents = {p for key in stage for p in self.graph.get(key).parent_keys}
        codenet = self.resources["codenet"]
        if CODENET_FILES in parents:
            versions: dict[str | None, str] = dict(problem_file_versions(codenet, partitions).items())
            self._record(CODENET_FILES, versions)
        if PROBLEM_LIST_FILE in parents:
            self._record(PROBLEM_LIST_FILE, {None: problem_list_version(codenet)})
        if PIE_DATASET_FILES in parents:
            self._record(PIE_DATASET_FILES, {None: pie_dataset_version(self.resources["pie_dataset"])})

    def stale(self, stage: Sequence[dg.AssetKey], partitions: Sequence[str | None]) -> list[str | None]:
        """The partitions of `stage` (None: an unpartitioned stage) that are missing or stale."""
        by_storage_id = {key: self._read_whole(stage, key) for key in stage}
        resolver, last = self._resolver()
        resolver.left_out = {key: parents | set(stage) for key, parents in by_storage_id.items()}
        store = self.resources["lake"].store
        tables = set(store.tables())
        chosen = []
        for partition in partitions:
            if self._absent_here(store, tables, stage, partition):
                reason: str | None = "missing in this warehouse"
            else:
                reason = self._why_stale(resolver, stage, partition, by_storage_id, last)
            if reason:
                self.reasons[f"{stage[0].to_user_string()}[{partition or ''}]"] = reason
                chosen.append(partition)
        return chosen

    def outdated_checkpoints(self, names: Sequence[str], fast: bool) -> set[str]:
        """The checkpoints whose evaluation inputs changed since their latest evaluation."""
        evaluation, simulator = self.resources["evaluation"], self.resources["simulator"]
        specs = {spec.name: spec for spec in evaluation.checkpoints()}
        config, simulator_hash = evaluation.config(), simulator.config().hash
        outdated = {
            name
            for name in names
            if name not in specs
            or changed_fingerprint(self.instance, specs[name], config, simulator_hash, EVALUATION_CODE_VERSION, fast)
        }
        self.reasons.update({f"checkpoint {name}": "its evaluation inputs' fingerprint changed" for name in outdated})
        return outdated

    def _resolver(self) -> tuple[_Resolver, dict[dg.AssetKey, dg.EventLogRecord]]:
        """Dagster's resolver with its caches, and every asset's last materialisation (one query),
        kept while no event was written since (a warm run with nothing to do asks for every stage)."""
        last_event = self.instance.event_log_storage.get_maximum_record_id()
        if self._cached is None or self._cached[0] != last_event:
            resolver = _Resolver(
                self.instance,
                self.graph,
                AssetGraphView(
                    temporal_context=TemporalContext(effective_dt=datetime.now(UTC), last_event_id=None),
                    instance=self.instance,
                    asset_graph=self.graph,
                ),
            )
            keys = list(self.graph.get_all_asset_keys())
            resolver.instance_queryer.prefetch_asset_records(keys)
            resolver.records = LatestRecords(self.instance)
            last = {
                r.asset_entry.asset_key: r.asset_entry.last_materialization_record
                for r in self.instance.get_asset_records(keys)
                if r.asset_entry.last_materialization_record is not None
            }
            self._cached = (last_event, resolver, last)
        return self._cached[1], self._cached[2]

    def _read_whole(self, stage: Sequence[dg.AssetKey], key: dg.AssetKey) -> set[dg.AssetKey]:
        """The inputs of `key` from another stage partitioned otherwise: decided by storage id."""
        own = self.graph.get(key).partitions_def
        return {
            parent
            for parent in self.graph.get(key).parent_keys - set(stage)
            if self.graph.get(parent).is_partitioned
            and not self.graph.get(parent).is_external
            and self.graph.get(parent).partitions_def != own
        }

    def _absent_here(
        self, store: Warehouse, tables: set[str], stage: Sequence[dg.AssetKey], partition: str | None
    ) -> bool:
        """Whether the warehouse holds none of the stage's Parquet tables for the partition (a
        stage without such tables, exports and views, or partitioned other than by problem, is left
        to the instance's records)."""
        present = []
        for key in stage:
            node = self.graph.get(key)
            if "parquet" not in node.kinds or "jsonl" in node.kinds:
                continue
            if partition is None:
                present.append(key.to_user_string() in tables)
            elif node.partitions_def == problems_partitions:
                present.append(store.partition_path(key.to_user_string(), partition).exists())
        return bool(present) and not any(present)

    def _why_stale(
        self,
        resolver: _Resolver,
        stage: Sequence[dg.AssetKey],
        partition: str | None,
        by_storage_id: Mapping[dg.AssetKey, set[dg.AssetKey]],
        last: Mapping[dg.AssetKey, dg.EventLogRecord],
    ) -> str | None:
        records = {
            key: last.get(key) if partition is None else resolver.records.latest(key, partition) for key in stage
        }
        landed = {key: record for key, record in records.items() if record is not None}
        if not landed:
            return "missing"
        for key, record in landed.items():
            for cause in resolver.get_stale_causes(key, partition):
                # A table of the stage reading another of it recorded that one's previous version
                # (inputs are read before the run writes); the stage is written whole: no cause.
                if cause.dependency_asset_key not in resolver.left_out[key]:
                    dependency = cause.dependency_asset_key.to_user_string() if cause.dependency_asset_key else ""
                    return f"{key.to_user_string()} {cause.reason} {dependency}".strip()
            for parent in by_storage_id[key]:
                newest = last[parent].storage_id if parent in last else 0
                if newest > record.storage_id and self._updated_since(parent, key, partition, record):
                    return f"{key.to_user_string()}: {parent.to_user_string()} was materialised since"
        return None

    def _updated_since(
        self, parent: dg.AssetKey, key: dg.AssetKey, partition: str | None, record: dg.EventLogRecord
    ) -> bool:
        """Whether `parent` has a materialisation after `record` (of `key`'s `partition`) that the
        partition reads: of a multi-partitioned parent whose dimension is `key`'s partitioning
        (a checkpoint's generations for its evaluation), only that dimension's partitions count."""
        parent_def, own = self.graph.get(parent).partitions_def, self.graph.get(key).partitions_def
        if partition is None or not isinstance(parent_def, dg.MultiPartitionsDefinition):
            return True
        dimensions = [d.name for d in parent_def.partitions_defs if d.partitions_def == own]
        if not dimensions:
            return True
        keys = [
            k
            for k in parent_def.get_partition_keys(dynamic_partitions_store=self.instance)
            if isinstance(k, dg.MultiPartitionKey) and k.keys_by_dimension[dimensions[0]] == partition
        ]
        after = dg.AssetRecordsFilter(asset_key=parent, asset_partitions=keys, after_storage_id=record.storage_id)
        return bool(keys) and bool(self.instance.fetch_materializations(after, limit=1).records)

    def _record(self, key: dg.AssetKey, versions: Mapping[str | None, str]) -> None:
        for partition, version in versions.items():
            record = self.instance.get_latest_data_version_record(key, True, partition)
            seen = extract_data_version_from_entry(record.event_log_entry) if record else None
            if seen is None or seen.value != version:
                self.instance.report_runless_asset_event(
                    dg.AssetObservation(asset_key=key, partition=partition, tags={DATA_VERSION_TAG: version})
                )


class _Resolver(CachingStaleStatusResolver):
    """Dagster's resolver, less the edges `Staleness` decides itself (inputs read whole, the
    stage's own tables): it would read every upstream partition's records for nothing; and reading
    a partition's latest record from `records` (two queries an asset) instead of one query each."""

    left_out: Mapping[dg.AssetKey, set[dg.AssetKey]] = {}
    records: LatestRecords

    def _get_latest_data_version_record(self, key: AssetKeyPartitionKey) -> dg.EventLogRecord | None:
        """As Dagster's queryer answers: the latest materialisation, or for an observable asset
        the more recent of it and the latest observation (by timestamp, a materialisation on a tie)."""
        if key.partition_key is None:
            return super()._get_latest_data_version_record(key=key)
        found = [self.records.latest(key.asset_key, key.partition_key)]
        if self.asset_graph.get(key.asset_key).is_observable:
            found.append(self.records.latest(key.asset_key, key.partition_key, observation=True))
        return max((r for r in found if r is not None), key=lambda r: r.timestamp, default=None)

    def _is_dep_updated(self, provenance: dg.DataProvenance, dep_key: AssetKeyPartitionKey) -> bool:
        """Dagster's answer, asked only where the input partition has a record after the one the
        partition read (its cursor): where it has none, Dagster's own query finds none either."""
        if dep_key.partition_key is not None:
            latest = self.records.latest(
                dep_key.asset_key,
                dep_key.partition_key,
                observation=self.asset_graph.get(dep_key.asset_key).is_external,
            )
            cursor = provenance.input_storage_ids[dep_key.asset_key]
            if latest is None or (cursor is not None and latest.storage_id <= cursor):
                return False
        return super()._is_dep_updated(provenance, dep_key)

    def _get_partition_dependencies(self, *, key: AssetKeyPartitionKey) -> Sequence[AssetKeyPartitionKey]:
        dependencies = super()._get_partition_dependencies(key=key)
        return [d for d in dependencies if d.asset_key not in self.left_out.get(key.asset_key, set())]
