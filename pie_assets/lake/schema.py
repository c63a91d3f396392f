"""The type of a table's column schema as the modules declare it: column name -> polars dtype,
either a class (`pl.Utf8`) or an instance (`pl.List(pl.Utf8)`), both of which polars accepts.
`DataFrame.cast` wants a `pl.Schema`: `frame.cast(pl.Schema(SCHEMA))`."""

from __future__ import annotations

import polars as pl

ColumnTypes = dict[str, pl.DataType | type[pl.DataType]]
