"""`metadata/problem_list.csv` → typed `problems` rows (problem_id, name, dataset, limits)."""

from __future__ import annotations

import functools
import os

import polars as pl

from pie_assets.codenet.csv_lines import read_lines
from pie_assets.codenet.rejects import Reject
from pie_assets.codenet.validate import PROBLEM_ID_PATTERN, non_negative_int
from pie_assets.lake.schema import ColumnTypes

PROBLEM_LIST_HEADER = ("id", "name", "dataset", "time_limit", "memory_limit", "rating", "tags", "complexity")

PROBLEMS_SCHEMA: ColumnTypes = {
    "problem_id": pl.Utf8,
    "name": pl.Utf8,
    "dataset": pl.Utf8,
    "time_limit_ms": pl.Int64,
    "memory_limit_kb": pl.Int64,
    "rating": pl.Utf8,
    "tags": pl.Utf8,
    "complexity": pl.Utf8,
}


@functools.lru_cache(maxsize=4)
def _read_cached(path: str, mtime_ns: int, size: int) -> tuple[pl.DataFrame, tuple[Reject, ...]]:
    with open(path, "rb") as f:
        frame = read_lines(f.read(), path, PROBLEM_LIST_HEADER)
    rejects: list[Reject] = []
    ok_fields = pl.col("n_fields") == len(PROBLEM_LIST_HEADER)
    for pid, line, raw, n in frame.filter(~ok_fields).select("id", "line", "raw", "n_fields").iter_rows():
        rejects.append(
            Reject(
                pid or None,
                "problems",
                path,
                line,
                "row_rejected",
                f"expected {len(PROBLEM_LIST_HEADER)} fields, found {n}",
                raw,
            )
        )
    fields = frame.filter(ok_fields)
    bad_id = ~fields["id"].str.contains(PROBLEM_ID_PATTERN)
    for row in fields.filter(bad_id).iter_rows(named=True):
        rejects.append(
            Reject(None, "problems", path, row["line"], "row_rejected", f"invalid problem id {row['id']!r}", row["raw"])
        )
    fields = fields.filter(~bad_id)
    dup = fields["id"].is_duplicated() & ~fields["id"].is_first_distinct()
    for row in fields.filter(dup).iter_rows(named=True):
        rejects.append(
            Reject(
                row["id"],
                "problems",
                path,
                row["line"],
                "row_rejected",
                f"duplicate problem id {row['id']}",
                row["raw"],
            )
        )
    fields = fields.filter(~dup)
    typed, bad = non_negative_int(fields, {"time_limit": "time_limit_ms", "memory_limit": "memory_limit_kb"})
    for pid, line, raw, field, value in bad.select("id", "line", "raw", "field", "value").iter_rows():
        rejects.append(
            Reject(pid, "problems", path, line, "value_nulled", f"{pid}: invalid {field} {value!r} set to NULL", raw)
        )
    problems = typed.select(
        pl.col("id").alias("problem_id"),
        *[pl.col(c).replace("", None).alias(c) for c in ("name", "dataset")],
        "time_limit_ms",
        "memory_limit_kb",
        *[pl.col(c).replace("", None).alias(c) for c in ("rating", "tags", "complexity")],
    ).cast(pl.Schema(PROBLEMS_SCHEMA))
    return problems, tuple(rejects)


@functools.lru_cache(maxsize=4)
def _listed_cached(path: str, mtime_ns: int, size: int) -> frozenset[str]:
    return frozenset(_read_cached(path, mtime_ns, size)[0]["problem_id"])


def listed_problem_ids(path: str) -> frozenset[str]:
    """Valid ids of the problem list; every partition asks, so built once per file version."""
    st = os.stat(path)
    return _listed_cached(path, st.st_mtime_ns, st.st_size)


def read_problem_list(path: str) -> tuple[pl.DataFrame, list[Reject]]:
    """All valid rows and the rejects; cached per (path, mtime, size) since every partition asks."""
    st = os.stat(path)
    problems, rejects = _read_cached(path, st.st_mtime_ns, st.st_size)
    return problems, list(rejects)
