"""Resources: where CodeNet is read from and where the lake is written to."""

from __future__ import annotations

import functools

import dagster as dg
import polars as pl
from dagster_polars import PolarsParquetIOManager
from upath import UPath

from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.defs.shared.partitions import lake_key
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import PartitionKey, Warehouse, read_whole, write_parquet_atomic
from pie_assets.runtime.test_sets import TestSelection, select_tests
from pie_assets.table_metadata import column_descriptions, table_metadata, table_rows_metadata

GENERATED_TESTS = "generated_tests"  # the table of generated tests (pie_assets.testgen), per problem


class CodeNetSource(dg.ConfigurableResource):
    """A Project_CodeNet directory (None: none, PIE's release alone) plus an optional extra test
    directory in PIE's layout."""

    root: str | None = None
    extra_tests_dir: str | None = None

    @property
    def layout(self) -> CodeNetLayout | None:
        return CodeNetLayout(self.root) if self.root else None


@functools.cache
def _catalog(root: str) -> Catalog:
    """One catalog object per warehouse and process, so its 'view exists' memo is shared."""
    return Catalog(Warehouse(root))


class LakeResource(dg.ConfigurableResource):
    """The warehouse root (local dir or fsspec URL) and its DuckDB catalog."""

    warehouse: str

    @property
    def catalog(self) -> Catalog:
        return _catalog(self.warehouse)

    @property
    def store(self) -> Warehouse:
        return self.catalog.warehouse

    def read_partition(self, table: str, partition_key: str) -> pl.DataFrame:
        path = self.store.partition_path(table, partition_key)
        try:
            return pl.read_parquet(read_whole(path))
        except FileNotFoundError:
            raise FileNotFoundError(f"{table} has no partition {partition_key} yet ({path})") from None

    def problem_tests(self, problem_id: str, test_set: str) -> TestSelection:
        """The problem's tests of a runtime test set: its test_cases partition (missing: the
        FileNotFoundError that says so) and its generated_tests partition, if it has one (a
        problem without one has no generated tests: not an error)."""
        tests = self.read_partition("test_cases", problem_id)
        try:
            generated = self.read_partition(GENERATED_TESTS, problem_id)
        except FileNotFoundError:
            generated = None
        return select_tests(test_set, tests, generated)


class LakeParquetIOManager(PolarsParquetIOManager):
    """dagster-polars' Parquet IO manager on the lake's layout (`Warehouse.partition_path`, so
    per-problem and multi-dimensional partitions load as inputs, one key or a range), with atomic
    writes, the lake's table metadata and a catalog view per asset."""

    def get_path_for_partition(self, context: dg.InputContext | dg.OutputContext, path: UPath, partition: str) -> UPath:
        """`partition` comes slash-joined in sorted dimension order; the lake names each dimension.
        The extension is added by the caller, so the path is returned without `.parquet`."""
        table = context.asset_key.path[-1]
        partitions_def = context.asset_partitions_def
        if isinstance(partitions_def, dg.MultiPartitionsDefinition):
            dims = sorted(d.name for d in partitions_def.partitions_defs)
            key: PartitionKey = dict(zip(dims, partition.split("/"), strict=True))
        else:
            key = lake_key(partitions_def, partition)
        return _catalog(self.base_dir).warehouse.partition_path(table, key).with_suffix("")

    def write_df_to_path(self, context: dg.OutputContext, df: pl.DataFrame, path: UPath) -> None:
        write_parquet_atomic(df, path)
        catalog = _catalog(self.base_dir)
        catalog.ensure(context.asset_key.path[-1], (catalog.warehouse.location(path), df.schema))

    def get_metadata(
        self, context: dg.OutputContext, obj: pl.DataFrame | pl.LazyFrame | None
    ) -> dict[str, dg.MetadataValue]:
        if not isinstance(obj, pl.DataFrame):  # nothing written, or a lazy frame: no rows to describe
            return {}
        metadata = table_metadata(obj, descriptions=column_descriptions(context.definition_metadata))
        if not context.has_asset_partitions:
            return metadata
        # Written by now: the total includes this partition. Listed first, where the Overview shows it.
        return table_rows_metadata(_catalog(self.base_dir), context.asset_key.path[-1]) | metadata


@functools.lru_cache(maxsize=8)
def _annotator(
    config_path: str, profile: str, engine: str, test_set: str, config_hash: str, cache_dir: str, sandbox_mode: str
):
    """One annotator per (config content, cache, sandbox) and process: it holds the backend."""
    from pie_assets.runtime.annotate import Annotator
    from pie_assets.runtime.config import SimulatorConfig
    from pie_assets.runtime.sandbox import Sandbox

    config = SimulatorConfig.load(config_path, profile or None, engine or None, test_set or None)
    return Annotator(config, cache_dir, Sandbox(mode=sandbox_mode))


class SimulatorResource(dg.ConfigurableResource):
    """The versioned simulator config, the compile/measurement cache and the sandbox."""

    config_path: str
    cache_dir: str
    sandbox_mode: str = "auto"
    profile: str = ""  # "" = $PIE_PROFILE, else the config's [measure] profile
    engine: str = ""  # "" = $PIE_ENGINE, else the config's [measure] engine
    test_set: str = ""  # "" = $PIE_TEST_SET, else the config's [tests] runtime_set

    def config(self):
        from pie_assets.runtime.config import SimulatorConfig

        return SimulatorConfig.load(self.config_path, self.profile or None, self.engine or None, self.test_set or None)

    def annotator(self):
        config = self.config()
        return _annotator(
            self.config_path,
            config.profile,
            config.engine,
            config.test_set,
            config.hash,
            self.cache_dir,
            self.sandbox_mode,
        )
