"""`pie run` reads each asset's latest records in bulk (`LatestRecords`) and gives them to Dagster's
stale resolver in place of one query per partition: on a real SQLite instance with an observable
per-partition source, a table over it and one over that (re-materialised, observed again with a
changed and an unchanged version, one partition never materialised), the bulk reads return the
records Dagster's own per-partition queries return, and the resolver gives the stale causes
Dagster's stock resolver gives, for every partition."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from pie_assets.dagster_internals import (
    DATA_VERSION_TAG,
    AssetGraphView,
    AssetKeyPartitionKey,
    CachingStaleStatusResolver,
    TemporalContext,
)
from pie_assets.latest_records import LatestRecords
from pie_assets.staleness import _Resolver

PARTITIONS = dg.StaticPartitionsDefinition(["a", "b", "c", "d"])
VERSIONS = {"a": "1", "b": "1", "c": "1", "d": "1"}


@dg.observable_source_asset(partitions_def=PARTITIONS)
def files(context: dg.AssetExecutionContext) -> dg.DataVersionsByPartition:
    return dg.DataVersionsByPartition({p: VERSIONS[p] for p in context.partition_keys})


@dg.asset(partitions_def=PARTITIONS, deps=[files], code_version="1")
def table() -> None:
    """A table of each partition's files."""


@dg.asset(partitions_def=PARTITIONS, deps=[table], code_version="1")
def model() -> None:
    """A model over each partition's table."""


def _observe(instance: dg.DagsterInstance, versions: dict[str, str]) -> None:
    for partition, version in versions.items():
        instance.report_runless_asset_event(
            dg.AssetObservation(asset_key=files.key, partition=partition, tags={DATA_VERSION_TAG: version})
        )


def _materialize(instance: dg.DagsterInstance, partition: str) -> None:
    assert dg.materialize(
        [files, table, model], instance=instance, partition_key=partition, selection=[table, model]
    ).success


def _view(instance: dg.DagsterInstance, graph) -> AssetGraphView:
    return AssetGraphView(
        temporal_context=TemporalContext(effective_dt=datetime.now(UTC), last_event_id=None),
        instance=instance,
        asset_graph=graph,
    )


def test_bulk_reads_and_the_resolver_agree_with_dagsters_own_queries():
    graph = dg.Definitions(assets=[files, table, model]).resolve_asset_graph()
    with dg.instance_for_test() as instance:
        _observe(instance, VERSIONS)
        for partition in ("a", "b", "c"):
            _materialize(instance, partition)
        _materialize(instance, "a")  # a second materialisation: the latest is the later one
        _observe(instance, {"b": "2", "c": "1"})  # b's files changed; c observed again, unchanged
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=model.key, partition="c"))

        records = LatestRecords(instance)
        for key, observation in ((files.key, True), (table.key, False), (model.key, False)):
            for partition in PARTITIONS.get_partition_keys():
                ours = records.latest(key, partition, observation=observation)
                theirs = instance.get_latest_data_version_record(key, observation, partition)
                assert (ours and ours.storage_id) == (theirs and theirs.storage_id), (key, partition)
        assert records.latest(table.key, "d") is None

        stock = CachingStaleStatusResolver(instance, graph, _view(instance, graph))
        bulk = _Resolver(instance, graph, _view(instance, graph))
        bulk.records = LatestRecords(instance)
        causes = {}
        for key in (table.key, model.key):
            for partition in PARTITIONS.get_partition_keys():
                ours = [(c.key, c.category, c.reason) for c in bulk.get_stale_causes(key, partition)]
                assert ours == [(c.key, c.category, c.reason) for c in stock.get_stale_causes(key, partition)]
                causes[key.to_user_string(), partition] = ours
                asset_partition = AssetKeyPartitionKey(key, partition)
                assert bulk._get_latest_data_version_record(key=asset_partition) == (
                    stock._get_latest_data_version_record(key=asset_partition)
                )
        # The case that must not be skipped is there: b's table reads changed files.
        assert causes["table", "b"] and not causes["table", "a"] and not causes["table", "c"]
