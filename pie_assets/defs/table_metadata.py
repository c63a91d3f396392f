"""What every lake table's materialisation records (each partition included): `dagster/row_count`,
the column schema with descriptions, a short preview and a data version derived from the content.

One function for the IO-managed tables and for the partitions written by `materialize_partitions`,
so the UI shows the same things for `problems` and for each problem's `submissions`.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Mapping

import dagster as dg
import polars as pl
from dagster_polars.io_managers.utils import cast_polars_single_value_to_dagster_table_types

from pie_assets.defs.tables import TABLES

PREVIEW_ROWS = 5
PREVIEW_CHARS = 120  # code and test inputs are long: the preview shows their start
# Fixed seeds: the same content gives the same data version in every process (polars' row
# hashes are stable within one polars release, which pyproject.toml pins).
_HASH_SEEDS = (0x5049, 0x45, 0x4C, 0x4B)


def content_version(frame: pl.DataFrame) -> str:
    """A data version from the frame's schema and rows: re-ingesting unchanged input gives the
    same version, so downstream partitions stay Synced instead of turning stale."""
    digest = hashlib.sha256(repr(list(frame.schema.items())).encode())
    if frame.height:
        digest.update(array("Q", frame.hash_rows(*_HASH_SEEDS).to_list()).tobytes())
    return digest.hexdigest()[:24]


def _preview_value(value: object) -> str | int | float | None:
    shown = cast_polars_single_value_to_dagster_table_types(value)
    if isinstance(shown, str) and len(shown) > PREVIEW_CHARS:
        return shown[:PREVIEW_CHARS] + "…"
    return shown


def table_metadata(
    table: str,
    frame: pl.DataFrame,
    path: str | None = None,
    rows: int | None = None,
    descriptions: Mapping[str, str] | None = None,
) -> dict[str, dg.MetadataValue]:
    """Row count, column schema (with the table's column descriptions), first rows, location.
    `rows` is the count when `frame` holds only the first rows (a SQL model); `descriptions` are
    the columns' descriptions where the table is not one of TABLES (a SQL model's YAML)."""
    if descriptions is None:
        doc = TABLES.get(table)
        descriptions = doc.columns if doc else {}
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
