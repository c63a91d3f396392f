"""Shared field validation: typed columns out, one `value_nulled` reject per bad value."""

from __future__ import annotations

import polars as pl

from pie_assets.codenet.rejects import Reject

PROBLEM_ID_PATTERN = r"^p\d{5}$"
SUBMISSION_ID_PATTERN = r"^s\d{9}$"


def non_negative_int(
    frame: pl.DataFrame,
    columns: dict[str, str],
    *,
    table: str,
    path: str,
    id_column: str,
    problem_id: str | None = None,
) -> tuple[pl.DataFrame, list[Reject]]:
    """Cast string `columns` (raw → typed name) to Int64; empty is NULL, invalid or negative is
    NULL plus a reject that quotes the value (CodeNet holds e.g. cpu_time -1 on failed runs)."""
    typed = frame.with_columns(
        pl.col(raw).str.strip_chars().cast(pl.Int64, strict=False).alias(name) for raw, name in columns.items()
    )
    rejects: list[Reject] = []
    for raw, name in columns.items():
        bad = (pl.col(raw).str.strip_chars() != "") & (pl.col(name).is_null() | (pl.col(name) < 0))
        for row in typed.filter(bad).select(id_column, "line", "raw", raw).iter_rows():
            pid = problem_id if problem_id is not None else row[0]
            rejects.append(Reject(pid, table, path, row[1], "value_nulled",
                                  f"{row[0]}: invalid {raw} {row[3]!r} set to NULL", row[2]))
        typed = typed.with_columns(
            pl.when(pl.col(name) < 0).then(None).otherwise(pl.col(name)).alias(name)
        )
    return typed, rejects
