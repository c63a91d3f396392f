"""`metadata/pXXXXX.csv` → typed, validated submission metadata rows (C++ only).

Vectorised over a whole batch of problems at once (polars), because this is the step that
scales with CodeNet's 13.9M rows; see `bench/ingest_metadata.py` for its ratio to DuckDB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from pie_assets.codenet.csv_lines import split_files
from pie_assets.codenet.rejects import MalformedFileError, Reject
from pie_assets.codenet.validate import CODENET_STATUSES, SUBMISSION_ID_PATTERN, non_negative_int
from pie_assets.lake.schema import ColumnTypes

METADATA_HEADER = (
    "submission_id",
    "problem_id",
    "user_id",
    "date",
    "language",
    "original_language",
    "filename_ext",
    "status",
    "cpu_time",
    "memory",
    "code_size",
    "accuracy",
)
CPP_LANGUAGE = "C++"

METADATA_SCHEMA: ColumnTypes = {
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
NUMERIC = {"date": "date_s", "cpu_time": "cpu_time_ms", "memory": "memory_kb", "code_size": "code_size_n"}


@dataclass
class ParsedMetadata:
    """Per problem: typed C++ rows, rejects; and the problems whose file was unusable."""

    frames: dict[str, pl.DataFrame]
    rejects: dict[str, list[Reject]]
    errors: dict[str, MalformedFileError]


def parse_metadata_files(files: Mapping[str, tuple[str, bytes]]) -> ParsedMetadata:
    """files: problem_id → (path, bytes) of its metadata CSV."""
    # Only C++ rows are ingested; a row with the wrong field count is kept whatever its language
    # field says, so it is rejected rather than dropped.
    cpp_or_malformed = (pl.col("language").str.strip_chars() == CPP_LANGUAGE) | (
        pl.col("n_fields") != len(METADATA_HEADER)
    )
    frame, errors = split_files(files, METADATA_HEADER, keep=cpp_or_malformed)
    paths = {key: path for key, (path, _) in files.items()}
    rejects: dict[str, list[Reject]] = {key: [] for key in files if key not in errors}

    def split_off(frame: pl.DataFrame, reason: pl.Expr) -> pl.DataFrame:
        """Rows with a reason become rejects; the rest go on. One pass, one filter."""
        frame = frame.with_columns(reason.alias("reason"))
        for key, line, raw, why in (
            frame.filter(pl.col("reason").is_not_null()).select("key", "line", "raw", "reason").iter_rows()
        ):
            rejects[key].append(Reject(key, "submissions", paths[key], line, "row_rejected", why, raw))
        return frame.filter(pl.col("reason").is_null()).drop("reason")

    sid, n_fields = pl.col("submission_id"), pl.col("n_fields")
    frame = split_off(
        frame,
        pl.when(n_fields != len(METADATA_HEADER))
        .then(pl.format("expected {} fields, found {}", pl.lit(len(METADATA_HEADER)), n_fields))
        .when(~sid.str.contains(SUBMISSION_ID_PATTERN))
        .then(pl.format("invalid submission_id '{}'", sid))
        .when(pl.col("problem_id") != pl.col("key"))
        .then(pl.format("row belongs to problem '{}', not {}", pl.col("problem_id"), pl.col("key")))
        .when(pl.col("status") == "")
        .then(pl.lit("empty status"))
        .when(~pl.col("status").is_in(CODENET_STATUSES))
        .then(pl.format("unknown status '{}'", pl.col("status"))),
    )  # what is left is C++: split_files kept only C++ rows and rows of the wrong width, rejected above
    if frame["submission_id"].is_duplicated().any():
        frame = split_off(frame, pl.when(~sid.is_first_distinct()).then(pl.format("duplicate submission_id {}", sid)))

    typed, bad = non_negative_int(frame, NUMERIC)
    for key, line, raw, sid, field, value in bad.select(
        "key", "line", "raw", "submission_id", "field", "value"
    ).iter_rows():
        rejects[key].append(
            Reject(
                key,
                "submissions",
                paths[key],
                line,
                "value_nulled",
                f"{sid}: invalid {field} {value!r} set to NULL",
                raw,
            )
        )
    typed = (
        typed.with_columns(
            pl.from_epoch(pl.col("date_s"), time_unit="s").dt.replace_time_zone("UTC").alias("submitted_at"),
            pl.col("code_size_n").alias("code_size"),
            *[pl.col(c).replace("", None) for c in ("user_id", "original_language", "filename_ext", "accuracy")],
        )
        .select("key", *METADATA_SCHEMA)
        .cast(pl.Schema(METADATA_SCHEMA))
    )
    by_key = typed.partition_by("key", as_dict=True, include_key=False)
    empty = typed.clear().drop("key")
    frames = {key: by_key.get((key,), empty) for key in rejects}
    return ParsedMetadata(frames, rejects, errors)


def parse_submission_metadata(data: bytes, path: str, problem_id: str) -> tuple[pl.DataFrame, list[Reject]]:
    """One problem's CSV; raises MalformedFileError (file and line) when it is unusable."""
    parsed = parse_metadata_files({problem_id: (path, data)})
    if problem_id in parsed.errors:
        raise parsed.errors[problem_id]
    return parsed.frames[problem_id], parsed.rejects[problem_id]
