"""`pie_pairs` and `pie_pairs_rejects`: PIE's released dataset directory as a lake source."""

from pathlib import Path

import dagster as dg

import pie_assets.dataset.pie_format
import pie_assets.dataset.pie_import
from pie_assets.dataset.pie_import import PieDatasetError, read_pie_dataset
from pie_assets.defs.dataset.tables import DATASET_TABLES
from pie_assets.defs.shared.loading import active_settings
from pie_assets.defs.shared.observed_files import observed_files
from pie_assets.defs.shared.resources import LakeResource
from pie_assets.runs import PIE_RELEASE_TAGS
from pie_assets.table_metadata import table_metadata
from pie_assets.versions import content_version, modules_version, paths_version

GROUP = "dataset"
PIE_IMPORT_TABLES = ("pie_pairs", "pie_pairs_rejects")
HOW_TO_SET = "pass `pie run --pie-dataset DIR` or set $PIE_DATASET (a directory of PIE's *.jsonl files)"
PIE_DATASET_FILES = dg.AssetKey("pie_dataset_files")


class PieDatasetSource(dg.ConfigurableResource):
    """The directory of PIE's released `*.jsonl` files; None when none is configured (the code
    location loads, `pie_pairs` fails when it is run)."""

    directory: str | None = None


def pie_dataset_version(pie_dataset: PieDatasetSource) -> str:
    """The names, sizes and mtimes of the directory's files (`versions.paths_version`)."""
    return paths_version([Path(pie_dataset.directory)]) if pie_dataset.directory else "none"


def observe_pie_dataset_files(context: dg.OpExecutionContext) -> dg.DataVersion:
    return dg.DataVersion(pie_dataset_version(context.resources.pie_dataset))


pie_dataset_files = observed_files(
    observe_pie_dataset_files,
    key=PIE_DATASET_FILES,
    group_name=GROUP,
    tags=PIE_RELEASE_TAGS,
    required_resource_keys={"pie_dataset"},
    description="The files of PIE's released dataset directory (names, sizes, mtimes): `pie_pairs` reads them.",
)


def build_pie_import_assets(directory: str | None) -> dg.AssetsDefinition:
    """The readers' source and the directory are the code version: an edited reader or another
    dataset makes `pie_pairs` stale."""
    code_version = modules_version(
        pie_assets.dataset.pie_format, pie_assets.dataset.pie_import, setting=f"pie_dataset={directory or ''}"
    )

    @dg.multi_asset(
        name="pie_import",
        specs=[
            dg.AssetSpec(
                name,
                group_name=GROUP,
                kinds={"polars", "parquet"},
                tags=PIE_RELEASE_TAGS,
                code_version=code_version,
                deps=[PIE_DATASET_FILES],
                description=DATASET_TABLES[name].description,
                metadata=DATASET_TABLES[name].spec_metadata(),
            ).with_io_manager_key("lake_io_manager")
            for name in PIE_IMPORT_TABLES
        ],
        can_subset=False,
    )
    def pie_import(context: dg.AssetExecutionContext, pie_dataset: PieDatasetSource, lake: LakeResource):
        """Every *.jsonl of the PIE dataset directory → `pie_pairs`; bad lines → `pie_pairs_rejects`."""
        if not pie_dataset.directory:
            raise dg.Failure(description=f"no PIE dataset directory configured: {HOW_TO_SET}")
        try:
            pairs, rejects = read_pie_dataset(pie_dataset.directory)
        except PieDatasetError as err:
            raise dg.Failure(description=f"{err}: {HOW_TO_SET}") from err
        context.log.info(f"{pairs.height} pairs, {rejects.height} rejects from {pie_dataset.directory}")
        for name, table in zip(PIE_IMPORT_TABLES, (pairs, rejects), strict=True):
            # Written here rather than by the IO manager, so the metadata carries these tables'
            # column descriptions; the IO manager reads the same file as a downstream input.
            path = lake.catalog.write_table(name, table)
            yield dg.MaterializeResult(
                asset_key=name,
                data_version=dg.DataVersion(content_version(table)),
                metadata=table_metadata(table, path, descriptions=DATASET_TABLES[name].columns),
            )

    return pie_import


@dg.definitions
def pie_import_assets() -> dg.Definitions:
    """The code version names the PIE dataset directory of the settings being built for. The
    observed source is returned here too: the autoloader takes only this function's definitions
    from a module that has one."""
    return dg.Definitions(assets=[pie_dataset_files, build_pie_import_assets(active_settings().pie_dataset)])
