"""Export assets: versioned files under `<warehouse>/exports/<export>/<version>/` for training
and for PIE's own tools (see `pie_assets.dataset.exports` for the layout and
`pie_assets.dataset.export_rows` for what each holds).

Each materialisation records the version as its data version (the same content is the same
version, so a re-run with unchanged inputs stays Synced), the files with their row counts, and
in the manifest the inputs' data versions and materialisation runs as this Dagster instance has
them, and the dataset config's hash.
"""

from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg
import duckdb

import pie_assets.dataset.export_rows
import pie_assets.dataset.exports
import pie_assets.dataset.pie_format
import pie_assets.dataset.preference_rows
import pie_assets.evaluation.prompts
from dbt_like.assets import follows_inputs
from pie_assets.dagster_internals import extract_data_version_from_entry
from pie_assets.dataset.export_rows import (
    PIE_EXPORT_INPUTS,
    PIE_EXPORT_OPTIONAL_INPUTS,
    PIE_PAIRS_EXPORT_INPUTS,
    PROMPT_EXPORT_INPUTS,
    MissingInputs,
    connect,
    pie_export_files,
    pie_pairs_export_files,
    prompt_export_files,
)
from pie_assets.dataset.exports import ExportFile, Published, publish_export
from pie_assets.dataset.preference_rows import PREFERENCE_EXPORT_INPUTS, preference_export_files
from pie_assets.defs.dataset.pie_import import GROUP
from pie_assets.defs.shared.loading import active_settings, dataset_config
from pie_assets.defs.shared.resources import LakeResource
from pie_assets.runs import PIE_RELEASE_TAGS
from pie_assets.versions import digest, modules_version

CODE_VERSION = modules_version(
    pie_assets.dataset.pie_format,
    pie_assets.dataset.exports,
    pie_assets.dataset.export_rows,
    pie_assets.dataset.preference_rows,
    pie_assets.evaluation.prompts,  # the optimisation set's prompts are built with it
)
KINDS = {"jsonl", "parquet"}
# An export follows its inputs (sql_model_automation_sensor evaluates it) so that `pie train`
# finds it under `pie ui` too; pie_export does not wait for selfplay_pairs, which it may go without.
EXPORT_AUTOMATION = follows_inputs("export", optional=dg.AssetSelection.assets(*PIE_EXPORT_OPTIONAL_INPUTS))


def _entry_info(entry: dg.EventLogEntry) -> dict[str, Any]:
    version = extract_data_version_from_entry(entry)
    return {"data_version": version.value if version else None, "run_id": entry.run_id, "timestamp": entry.timestamp}


def upstream_provenance(instance: dg.DagsterInstance, keys: Sequence[str]) -> dict[str, Any]:
    """Per input, its latest materialisation in this instance (NULL when it has none, e.g. a
    table written outside Dagster). A partitioned input: its partition count, one data version
    over every partition's latest (partition:version lines, hashed) and the runs that wrote them."""
    provenance: dict[str, Any] = {}
    for name in keys:
        key = dg.AssetKey(name)
        by_partition = instance.get_latest_storage_id_by_partition(key, dg.DagsterEventType.ASSET_MATERIALIZATION)
        if not by_partition:
            entry = instance.get_latest_materialization_event(key)
            provenance[name] = _entry_info(entry) if entry else None
            continue
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, storage_ids=list(by_partition.values())), limit=len(by_partition)
        ).records
        latest = sorted((r.partition_key or "", _entry_info(r.event_log_entry)) for r in records)
        lines = "".join(f"{partition}:{info['data_version']}\n" for partition, info in latest)
        provenance[name] = {
            "partitions": len(latest),
            "data_version": digest(lines, 24),
            "run_ids": sorted({info["run_id"] for _, info in latest}),
            "timestamp": max(info["timestamp"] for _, info in latest),
        }
    return provenance


def _publish(
    context: dg.AssetExecutionContext,
    lake: LakeResource,
    export: str,
    inputs: Sequence[str],
    content: tuple[list[ExportFile], dict[str, Any]],
    dataset_config_hash: str,
) -> dg.MaterializeResult:
    files, info = content
    published = publish_export(
        lake.store,
        export,
        files,
        {
            **info,
            "upstream": upstream_provenance(context.instance, inputs),
            "dataset_config_hash": dataset_config_hash,  # the config the SQL models render with
        },
    )
    context.log.info(f"{export} {published.version} ({'new' if published.new else 'unchanged'}): {published.location}")
    return _result(published)


def _result(published: Published) -> dg.MaterializeResult:
    listed = published.manifest["files"]
    jsonl_rows = sum(f["rows"] for f in listed if f["name"].endswith(".jsonl"))
    return dg.MaterializeResult(
        data_version=dg.DataVersion(published.version),
        metadata={
            "dagster/row_count": dg.MetadataValue.int(jsonl_rows),
            "version": published.version,
            "new_version": published.new,
            "path": dg.MetadataValue.path(published.location),
            "runtime_unit": published.manifest["runtime"]["unit"],
            "files": dg.MetadataValue.table(
                [dg.TableRecord({"name": f["name"], "rows": f["rows"], "sha256": f["sha256"]}) for f in listed],
                schema=dg.TableSchema(
                    columns=[
                        dg.TableColumn("name", "string"),
                        dg.TableColumn("rows", "int"),
                        dg.TableColumn("sha256", "string"),
                    ]
                ),
            ),
        },
    )


def _from_catalog(
    lake: LakeResource,
    inputs: Sequence[str],
    build: Callable[[duckdb.DuckDBPyConnection], tuple[list[ExportFile], dict[str, Any]]],
) -> tuple[list[ExportFile], dict[str, Any]]:
    try:
        con = connect(lake.catalog, inputs)
    except MissingInputs as err:
        raise dg.Failure(description=str(err)) from err
    with con:
        return build(con)


def build_export_assets(dataset_config_hash: str) -> list[dg.AssetsDefinition]:
    """The four exports; each manifest names the dataset config the SQL models render with."""

    @dg.asset(
        group_name=GROUP,
        deps=[*PIE_EXPORT_INPUTS, *PIE_EXPORT_OPTIONAL_INPUTS],
        kinds=KINDS,
        code_version=CODE_VERSION,
        automation_condition=EXPORT_AUTOMATION,
    )
    def pie_export(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        """The lake's pairs in PIE's released schema: train, val, test (with tests, n_tests) and
        hq_train (HQ pairs in train), and synthetic_train (self-play pairs, marked synthetic in the
        manifest) when the lake has selfplay_pairs; JSONL and Parquet; runtimes in the backend's unit."""
        return _publish(
            context,
            lake,
            "pie_export",
            [*PIE_EXPORT_INPUTS, *PIE_EXPORT_OPTIONAL_INPUTS],
            _from_catalog(lake, PIE_EXPORT_INPUTS, pie_export_files),
            dataset_config_hash,
        )

    @dg.asset(
        group_name=GROUP,
        deps=list(PROMPT_EXPORT_INPUTS),
        kinds=KINDS,
        code_version=CODE_VERSION,
        automation_condition=EXPORT_AUTOMATION,
    )
    def perf_prompts_export(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        """PIE's performance-conditioned prompt/completion pairs: train with the target's tier,
        val and test with tier 10; JSONL and Parquet."""
        return _publish(
            context,
            lake,
            "perf_prompts_export",
            PROMPT_EXPORT_INPUTS,
            _from_catalog(lake, PROMPT_EXPORT_INPUTS, prompt_export_files),
            dataset_config_hash,
        )

    @dg.asset(
        group_name=GROUP,
        deps=list(PREFERENCE_EXPORT_INPUTS),
        kinds=KINDS,
        code_version=CODE_VERSION,
        automation_condition=EXPORT_AUTOMATION,
    )
    def preference_export(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        """Preference data for training, train split only, two named sets: optimization/ (prompt =
        the evaluation's optimisation instruction with the slow program, answers fenced) and
        codedpo/ (prompt = the problem statement); each a dpo file (prompt, chosen, rejected) for
        trl's DPOTrainer and an rrtf file (every ranked response of a prompt, rank 1 best) for the
        RRTF ranking loss; JSONL and Parquet."""
        return _publish(
            context,
            lake,
            "preference_export",
            PREFERENCE_EXPORT_INPUTS,
            _from_catalog(lake, PREFERENCE_EXPORT_INPUTS, preference_export_files),
            dataset_config_hash,
        )

    @dg.asset(
        group_name=GROUP,
        deps=list(PIE_PAIRS_EXPORT_INPUTS),
        kinds={"jsonl"},
        tags=PIE_RELEASE_TAGS,
        code_version=CODE_VERSION,
        automation_condition=EXPORT_AUTOMATION,
    )
    def pie_pairs_export(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        """The imported PIE dataset written back per source file in PIE's schema (fields in their
        original order, unknown fields kept): import → export gives the same objects."""
        return _publish(
            context,
            lake,
            "pie_pairs_export",
            PIE_PAIRS_EXPORT_INPUTS,
            _from_catalog(
                lake,
                PIE_PAIRS_EXPORT_INPUTS,
                lambda con: pie_pairs_export_files(con.execute("select * from pie_pairs").pl()),
            ),
            dataset_config_hash,
        )

    return [pie_export, perf_prompts_export, preference_export, pie_pairs_export]


@dg.definitions
def export_assets() -> dg.Definitions:
    """Built for the settings' dataset config (`--eval-pairs` applied), as the SQL models are."""
    return dg.Definitions(assets=build_export_assets(dataset_config(active_settings()).hash))
