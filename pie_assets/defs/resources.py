"""Resources: where CodeNet is read from and where the lake is written to."""

from __future__ import annotations

import functools

import dagster as dg
import polars as pl
from dagster_polars import PolarsParquetIOManager
from upath import UPath

from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse, write_parquet_atomic


class CodeNetSource(dg.ConfigurableResource):
    """A Project_CodeNet directory plus an optional extra test directory in PIE's layout."""

    root: str
    extra_tests_dir: str | None = None

    @property
    def layout(self) -> CodeNetLayout:
        return CodeNetLayout(self.root)


@functools.lru_cache(maxsize=None)
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
        with self.store.partition_path(table, partition_key).open("rb") as f:
            return pl.read_parquet(f)


class LakeParquetIOManager(PolarsParquetIOManager):
    """dagster-polars' Parquet IO manager with atomic writes and a catalog view per asset."""

    def write_df_to_path(self, context: dg.OutputContext, df: pl.DataFrame, path: UPath) -> None:
        write_parquet_atomic(df, path)

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        super().handle_output(context, obj)
        _catalog(self.base_dir).ensure(context.asset_key.path[-1])
