"""Rejects: every row, file or value that ingestion could not use, with where and why.

`action` says what happened to it: `row_rejected` (the row is not in its table),
`file_rejected` (a whole file was unusable), `value_nulled` (the row is kept, one field set to
NULL), `missing` (something expected is absent, e.g. a problem without tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pie_assets.lake.schema import ColumnTypes

REJECT_SCHEMA: ColumnTypes = {
    "problem_id": pl.Utf8,
    "table_name": pl.Utf8,
    "path": pl.Utf8,
    "line": pl.Int64,
    "action": pl.Utf8,
    "reason": pl.Utf8,
    "raw": pl.Utf8,
}


@dataclass(frozen=True)
class Reject:
    problem_id: str | None
    table_name: str
    path: str
    line: int | None
    action: str
    reason: str
    raw: str | None = None


def rejects_frame(rejects: list[Reject]) -> pl.DataFrame:
    return pl.DataFrame([r.__dict__ for r in rejects], schema=REJECT_SCHEMA, orient="row")


class MalformedFileError(ValueError):
    """A whole file is unusable; the message names the file and the line."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


class ProblemNotFoundError(LookupError):
    """A partition whose problem has nothing under the CodeNet root (no metadata CSV, no sources,
    no tests): it fails, and its rejects say what is missing."""

    def __init__(self, problem_id: str, rejects: list[Reject], message: str | None = None) -> None:
        super().__init__(
            message
            or f"problem {problem_id} has no metadata CSV, no source files and no test cases under the CodeNet root"
        )
        self.rejects = rejects


class NoTestCasesError(ProblemNotFoundError):
    """A problem of PIE's release alone (no CodeNet tree) without a usable test: nothing of it
    can be measured, so its partition fails, naming what to give."""

    def __init__(self, problem_id: str, rejects: list[Reject], extra_dir: str | None) -> None:
        where = f"{problem_id}/input.N.txt + output.N.txt"
        super().__init__(
            problem_id,
            rejects,
            (
                f"no test cases for {problem_id}: give --extra-tests (or $PIE_EXTRA_TESTS) with PIE's "
                f"merged_test_cases ({where})"
                if extra_dir is None
                else f"no test cases for {problem_id}: --extra-tests {extra_dir} has no usable {where} of the tests "
                f"its pairs list (PIE's merged_test_cases; ingest_rejects of {problem_id} say what is missing)"
            ),
        )
