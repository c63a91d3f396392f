"""`metadata/pXXXXX.csv` → typed, validated submission metadata rows (C++ only).

Vectorised end to end (polars), because this is the step that scales with CodeNet's 13.9M
rows; see `bench/ingest_metadata.py` for its ratio to DuckDB's own CSV reader.
"""

from __future__ import annotations

import polars as pl

from pie_assets.codenet.csv_lines import read_lines
from pie_assets.codenet.rejects import Reject
from pie_assets.codenet.validate import SUBMISSION_ID_PATTERN, non_negative_int

METADATA_HEADER = (
    "submission_id", "problem_id", "user_id", "date", "language", "original_language",
    "filename_ext", "status", "cpu_time", "memory", "code_size", "accuracy",
)
CPP_LANGUAGE = "C++"

METADATA_SCHEMA: dict[str, pl.DataType] = {
    "submission_id": pl.Utf8,
    "problem_id": pl.Utf8,
    "user_id": pl.Utf8,
    "submitted_at": pl.Datetime("us", "UTC"),
    "language": pl.Utf8,
    "original_language": pl.Utf8,
    "filename_ext": pl.Utf8,
    "status": pl.Utf8,
    "cpu_time_ms": pl.Int64,
    "memory_kb": pl.Int64,
    "code_size": pl.Int64,
    "accuracy": pl.Utf8,
    "line": pl.Int64,  # where the row sits in the CSV, for rejects found later (missing source)
    "raw": pl.Utf8,
}


def parse_submission_metadata(data: bytes, path: str, problem_id: str) -> tuple[pl.DataFrame, list[Reject]]:
    """C++ rows of one problem's metadata CSV, typed; every unusable row or value is a reject.

    Raises MalformedFileError (file and line) when the file as a whole is unusable.
    """
    frame = read_lines(data, path, METADATA_HEADER)
    rejects: list[Reject] = []

    def reject(mask: pl.Expr, reason: pl.Expr) -> None:
        nonlocal frame
        bad = frame.filter(mask).select("line", "raw", reason.alias("reason"))
        rejects.extend(
            Reject(problem_id, "submissions", path, line, "row_rejected", why, raw)
            for line, raw, why in bad.iter_rows()
        )
        frame = frame.filter(~mask)

    n_fields = pl.col("fields").list.len()
    reject(n_fields != len(METADATA_HEADER),
           pl.format("expected {} fields, found {}", pl.lit(len(METADATA_HEADER)), n_fields))
    frame = frame.select(
        "line", "raw",
        *[pl.col("fields").list.get(i).str.strip_chars().alias(name) for i, name in enumerate(METADATA_HEADER)],
    )
    reject(~pl.col("submission_id").str.contains(SUBMISSION_ID_PATTERN),
           pl.format("invalid submission_id '{}'", pl.col("submission_id")))
    reject(pl.col("problem_id") != problem_id,
           pl.format("row belongs to problem '{}', not {}", pl.col("problem_id"), pl.lit(problem_id)))
    frame = frame.filter(pl.col("language") == CPP_LANGUAGE)
    reject(pl.col("status") == "", pl.lit("empty status"))
    reject(pl.col("submission_id").is_duplicated() & ~pl.col("submission_id").is_first_distinct(),
           pl.format("duplicate submission_id {}", pl.col("submission_id")))

    typed, value_rejects = non_negative_int(
        frame,
        {"date": "date_s", "cpu_time": "cpu_time_ms", "memory": "memory_kb", "code_size": "code_size_n"},
        table="submissions", path=path, id_column="submission_id", problem_id=problem_id,
    )
    rejects.extend(value_rejects)
    typed = typed.with_columns(
        pl.from_epoch(pl.col("date_s"), time_unit="s").dt.replace_time_zone("UTC").alias("submitted_at"),
        pl.col("code_size_n").alias("code_size"),
        *[pl.col(c).replace("", None) for c in ("user_id", "original_language", "filename_ext", "accuracy")],
    )
    return typed.select(list(METADATA_SCHEMA)).cast(METADATA_SCHEMA), rejects
