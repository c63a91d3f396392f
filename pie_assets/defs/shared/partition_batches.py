"""Materialising a batch of problem partitions in one run, each partition on its own.

A ranged run (see `problem_backfill_policy`) hands an asset many partitions. An IO manager can
only record them all or none, so partitioned assets here write each partition to the lake
themselves and emit one AssetMaterialization per (table, partition) that succeeded: one bad
problem fails only itself, the run ends with a Failure that names it, and the others land.

Each event carries what Dagster's own IO-managed outputs carry, so the UI tells the truth: the
table metadata (row count, columns, preview), the code version, a data version from the content,
and the data version and event of each input partition it was computed from, so a partition is
"Unsynced" only when an input or the code version really changed. Each table's last event of the
run is recorded once the catalog is published, with the table's total rows (`pie/table_rows`).
"""

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import dagster as dg
import polars as pl

from pie_assets.dagster_internals import (
    CODE_VERSION_TAG,
    DATA_VERSION_IS_USER_PROVIDED_TAG,
    DATA_VERSION_TAG,
    DEFAULT_DATA_VERSION,
    NULL_EVENT_POINTER,
    BaseAssetGraph,
    extract_data_version_from_entry,
    get_input_data_version_tag,
    get_input_event_pointer_tag,
)
from pie_assets.defs.shared.checks import TableCheck
from pie_assets.defs.shared.partitions import lake_key
from pie_assets.defs.shared.resources import LakeResource
from pie_assets.table_metadata import column_descriptions, table_metadata, table_rows_metadata
from pie_assets.versions import content_version

PartitionWork = Callable[[str], dict[str, pl.DataFrame]]
ErrorTables = Callable[[str, Exception], dict[str, pl.DataFrame]]
# A partition's own evidence from its tables (e.g. inputs tried and kept), recorded on each table's event.
PartitionMetadata = Callable[[dict[str, pl.DataFrame]], dict[str, dg.MetadataValue]]

# Threads, not cores: a partition's work is mostly file reads and Parquet encoding, which release
# the GIL, and 8 threads kept 2 cores busier than 2 threads did (bench/ingest_metadata.py: the
# write-inclusive step 0.85 s vs 1.0 s, with less CPU).
DEFAULT_WORKERS = 8


def input_provenance(
    instance: dg.DagsterInstance, deps: dict[dg.AssetKey, str | None]
) -> dict[dg.AssetKey, dict[str, str]]:
    """Dagster's input tags for one partition, per input (with the input's partition for it):
    the input's data version and the storage id of its latest materialisation, or, for an
    observed source, of its latest observation (as Dagster's own outputs record them), read before
    the partition's inputs are."""
    tags: dict[dg.AssetKey, dict[str, str]] = {}
    for dep, partition in deps.items():
        record = instance.get_latest_data_version_record(
            dep, False, partition_key=partition
        ) or instance.get_latest_data_version_record(dep, True, partition_key=partition)
        version = (extract_data_version_from_entry(record.event_log_entry) if record else None) or DEFAULT_DATA_VERSION
        tags[dep] = {
            get_input_data_version_tag(dep): version.value,
            get_input_event_pointer_tag(dep): str(record.storage_id) if record else NULL_EVENT_POINTER,
        }
    return tags


def input_partitions(
    graph: BaseAssetGraph, deps: set[dg.AssetKey], partitions_def: dg.PartitionsDefinition | None, key: str
) -> dict[dg.AssetKey, str | None]:
    """The partition of each input that partition `key` reads: none of an unpartitioned input,
    the same key of an input partitioned alike, a dimension's key of a checkpoint x problem key.
    Inputs read whole (all partitions of another set) carry no single version: left out."""
    by_dimension = (
        partitions_def.get_partition_key_from_str(key).keys_by_dimension
        if isinstance(partitions_def, dg.MultiPartitionsDefinition)
        else {}
    )
    dimensions = list(getattr(partitions_def, "partitions_defs", []))
    found: dict[dg.AssetKey, str | None] = {}
    for dep in deps:
        dep_def = graph.get(dep).partitions_def if graph.has(dep) else partitions_def  # unknown here: alike
        if dep_def is None:
            found[dep] = None
        elif dep_def == partitions_def:
            found[dep] = key
        else:
            for d in dimensions:
                if d.partitions_def == dep_def:
                    found[dep] = by_dimension[d.name]
    return found


def materialize_partitions(
    context: dg.AssetExecutionContext,
    lake: LakeResource,
    work: PartitionWork,
    on_error: ErrorTables,
    workers: int | None = None,
    code_version: str | None = None,
    checks: Sequence[TableCheck] = (),
    partition_metadata: PartitionMetadata | None = None,
) -> Iterator[dg.AssetMaterialization | dg.AssetCheckResult]:
    """`checks` are the assets' table checks (those the run selected are enforced on each
    partition); `code_version` overrides the definition's (the runtime assets pass the config hash
    read at run time, which is what produced the rows); `partition_metadata` adds a partition's
    evidence to the events of its tables (not to those `on_error` gives)."""
    keys: Sequence[str] = context.partition_keys
    assets_def = context.assets_def
    deps = {key.to_user_string(): assets_def.asset_deps.get(key, set()) for key in assets_def.keys}
    graph, partitions_def = context.job_def.asset_layer.asset_graph, assets_def.partitions_def
    inputs = set().union(*deps.values())
    provenance = {
        key: input_provenance(context.instance, input_partitions(graph, inputs, partitions_def, key)) for key in keys
    }
    checks = [c for c in checks if dg.AssetCheckKey(dg.AssetKey(c.table), c.name) in context.selected_asset_check_keys]
    descriptions = {
        key.to_user_string(): column_descriptions(assets_def.metadata_by_key[key]) for key in assets_def.keys
    }
    check_failures: dict[str, dict[str, pl.DataFrame]] = {check.name: {} for check in checks}
    failures: dict[str, Exception] = {}
    written: dict[tuple[str, str], tuple[str, pl.Schema]] = {}  # (table, schema) -> a file of it

    def process(
        key: str,
    ) -> tuple[dict[str, tuple[str, pl.DataFrame]], dict[str, dg.MetadataValue], Exception | None]:
        """Compute, check and write one partition in a pool thread (Parquet encoding releases the
        GIL, so writes overlap): table → (path, frame) of what landed, its evidence, its error."""
        evidence: dict[str, dg.MetadataValue] = {}
        try:
            tables, error = work(key), None
            _enforce(checks, key, tables, check_failures)
            evidence = partition_metadata(tables) if partition_metadata else {}
        except Exception as err:  # isolate the partition, report it below
            tables, error = on_error(key, err), err
        landed: dict[str, tuple[str, pl.DataFrame]] = {}
        try:
            for table, frame in tables.items():
                landed[table] = (lake.store.write_partition(table, lake_key(partitions_def, key), frame), frame)
        except Exception as err:  # a failed write fails only this partition
            error = error or err
        return landed, evidence, error

    # Each table's latest event waits here until the next one of that table replaces it: the last
    # is recorded after the catalog is published, with the table's total rows.
    held: dict[str, dg.AssetMaterialization] = {}
    with ThreadPoolExecutor(max_workers=workers or DEFAULT_WORKERS) as pool:
        results = zip(keys, pool.map(process, keys), strict=True)
        for done, (key, (landed, evidence, error)) in enumerate(results, start=1):
            if error is not None:
                failures[key] = error
                context.log.error(f"partition {key} failed: {error}")
            for table, (path, frame) in landed.items():
                written.setdefault((table, repr(frame.schema)), (path, frame.schema))
                version = code_version or assets_def.code_versions_by_key.get(dg.AssetKey(table))
                if table in held:
                    yield held.pop(table)
                held[table] = dg.AssetMaterialization(
                    asset_key=table,
                    partition=key,
                    metadata={**table_metadata(frame, path, descriptions=descriptions[table]), **evidence},
                    tags={
                        **({CODE_VERSION_TAG: version} if version else {}),
                        **{k: v for dep in deps[table] for k, v in provenance[key].get(dep, {}).items()},
                        DATA_VERSION_TAG: content_version(frame),
                        DATA_VERSION_IS_USER_PROVIDED_TAG: "true",
                    },
                )
            if done % 50 == 0 or done == len(keys):
                context.log.info(f"{done}/{len(keys)} partitions processed, {len(failures)} failed")
    try:
        for (table, _), file in sorted(written.items()):
            lake.catalog.ensure(table, file)
    except Exception:
        yield from held.values()  # the partitions landed: recorded, without a total
        raise
    for table, event in held.items():
        yield event.with_metadata({**table_rows_metadata(lake.catalog, table), **event.metadata})  # listed first
    for check in checks:
        yield _check_result(check, check_failures[check.name], len(keys))
    if failures:
        raise dg.Failure(
            description=f"{len(failures)} of {len(keys)} partitions failed:\n"
            + "\n".join(f"{key}: {err}" for key, err in failures.items()),
            metadata={"failed_partitions": dg.MetadataValue.json(sorted(failures))},
        )


class CheckFailed(ValueError):
    """A partition broke a blocking check: it is not written."""


def _enforce(
    checks: Sequence[TableCheck], key: str, tables: dict[str, pl.DataFrame], failed: dict[str, dict[str, pl.DataFrame]]
) -> None:
    """Records each check's offending rows of partition `key`; raises when a blocking one has any."""
    broken = []
    for check in checks:
        if check.table in tables and (rows := check.failing(tables[check.table])).height:
            failed[check.name][key] = rows
            if check.blocking:
                broken.append(f"{check.table} check {check.name} failed on {rows.height} rows")
    if broken:
        raise CheckFailed("; ".join(broken))


# Rows a warning lists in its result (all of them are counted).
LISTED_ROWS = 200


def _check_result(check: TableCheck, failed: dict[str, pl.DataFrame], checked: int) -> dg.AssetCheckResult:
    """One result per check over the run's partitions: how many rows failed where, and, for a
    warning, the rows themselves (its `listed` columns), so the UI shows what to look at."""
    metadata: dict[str, dg.RawMetadataValue] = {
        "partitions_checked": checked,
        "failing_rows": sum(rows.height for rows in failed.values()),
        "failed_partitions": dg.MetadataValue.json({key: rows.height for key, rows in failed.items()}),
    }
    if check.listed and failed:
        listed = pl.concat([rows.select(check.listed) for rows in failed.values()]).head(LISTED_ROWS)
        schema = dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in listed.schema.items()])
        metadata["rows"] = dg.MetadataValue.table([dg.TableRecord(row) for row in listed.to_dicts()], schema=schema)
    return dg.AssetCheckResult(
        asset_key=check.table, check_name=check.name, passed=not failed, severity=check.severity, metadata=metadata
    )
