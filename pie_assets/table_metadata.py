"""What every lake table's materialisation records (each partition included): `dagster/row_count`,
the column schema with descriptions, a short preview and a data version derived from the content.

One function for the IO-managed tables and for the partitions written by `materialize_partitions`,
so the UI shows the same things for `problems` and for each problem's `submissions`.

A partitioned table's `dagster/row_count` is its partition's, as Dagster means it, and the asset's
Overview shows the latest materialisation's: one partition's. So the last materialisation a run
records of a partitioned table also carries `pie/table_rows`, the whole table's rows (every
partition) as the catalog counts them once the run has published: the Overview lists it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import dagster as dg
import polars as pl
from dagster_polars.io_managers.utils import cast_polars_single_value_to_dagster_table_types


class RowCounts(Protocol):
    """What counts a table's rows across partitions (the lake's `Catalog`)."""

    def row_count(self, table: str) -> int: ...


TABLE_ROWS = "pie/table_rows"
PREVIEW_ROWS = 5
PREVIEW_CHARS = 120  # code and test inputs are long: the preview shows their start


def _preview_value(value: object) -> str | int | float | None:
    shown = cast_polars_single_value_to_dagster_table_types(value)
    if isinstance(shown, str) and len(shown) > PREVIEW_CHARS:
        return shown[:PREVIEW_CHARS] + "…"
    return shown


def column_descriptions(definition_metadata: Mapping[str, object]) -> dict[str, str]:
    """The column descriptions of an asset's definition (its `dagster/column_schema`), so what a
    materialisation records says what the asset's definition says."""
    schema = definition_metadata.get("dagster/column_schema")
    if isinstance(schema, dg.TableSchemaMetadataValue):
        schema = schema.schema
    if not isinstance(schema, dg.TableSchema):
        return {}
    return {column.name: column.description for column in schema.columns if column.description}


def table_metadata(
    frame: pl.DataFrame,
    path: str | None = None,
    rows: int | None = None,
    descriptions: Mapping[str, str] | None = None,
) -> dict[str, dg.MetadataValue]:
    """Row count, column schema (with the columns' `descriptions`), first rows, location.
    `rows` is the count when `frame` holds only the first rows (a SQL model)."""
    descriptions = descriptions or {}
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name, str(dtype), description=descriptions.get(name)) for name, dtype in frame.schema.items()
        ]
    )
    preview = [
        dg.TableRecord({k: _preview_value(v) for k, v in row.items()}) for row in frame.head(PREVIEW_ROWS).to_dicts()
    ]
    metadata: dict[str, dg.MetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(frame.height if rows is None else rows),
        "dagster/column_schema": dg.MetadataValue.table_schema(schema),
        "preview": dg.MetadataValue.table(preview, schema=schema),
    }
    if path is not None:
        metadata["path"] = dg.MetadataValue.path(path)
    return metadata


def table_rows_metadata(catalog: RowCounts, table: str) -> dict[str, dg.MetadataValue]:
    """`pie/table_rows`: the rows of every partition of `table`, counted through the catalog."""
    return {TABLE_ROWS: dg.MetadataValue.int(catalog.row_count(table))}
