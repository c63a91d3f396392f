"""Checks on the core tables: what must never flow on to pairs, tiers or evaluations (blocking),
and what a user must see before trusting a label (warnings).

Each check finds a partition's offending rows before the partition is written. A partition that
fails a blocking check is not written (it fails alone, with the check named in its message); a
warning never stops it, and lists its rows instead. The run records one result per check over its
partitions. The ingestion rules (rejects) are meant to make the blocking checks pass on any input:
a failure means a bug, not bad data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg
import polars as pl

from pie_assets.codenet.validate import CODENET_STATUSES
from pie_assets.runtime.backends.base import STATUSES


@dataclass(frozen=True)
class TableCheck:
    table: str
    name: str
    description: str
    failing: Callable[[pl.DataFrame], pl.DataFrame]  # the offending rows of a partition's frame
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR
    listed: tuple[str, ...] = ()  # columns of the offending rows shown in the result (a warning's)

    @property
    def blocking(self) -> bool:
        return self.severity == dg.AssetCheckSeverity.ERROR

    def spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=self.table, description=self.description, blocking=self.blocking)


def _duplicates(*columns: str) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda frame: frame.filter(frame.select(columns).is_duplicated())


def _nulls(column: str) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda frame: frame.filter(pl.col(column).is_null())


def _outside(column: str, allowed: tuple[str, ...]) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda frame: frame.filter(~pl.col(column).is_in(allowed))


# An Accepted program that fails here is either a weak CodeNet test set (ours are stricter) or a
# fault of ours that escaped INFRA: either way a label a user must see before trusting it.
ACCEPTED_FAILING_HERE = TableCheck(
    "submission_runtimes",
    "accepted_programs_pass_here",
    "Every CodeNet-Accepted program passes every test here (a warning: the failing ones are listed with "
    "the test and detail that failed, so a suspicious label is visible).",
    lambda frame: frame.filter((pl.col("codenet_status") == "Accepted") & ~pl.col("all_pass")),
    severity=dg.AssetCheckSeverity.WARN,
    listed=("problem_id", "submission_id", "status", "detail"),
)

CORE_CHECKS: tuple[TableCheck, ...] = (
    TableCheck(
        "submissions",
        "submission_id_unique",
        "No submission_id appears twice in a problem.",
        _duplicates("submission_id"),
    ),
    TableCheck(
        "submissions",
        "status_in_codenet_set",
        f"status is one of CodeNet's verdicts: {', '.join(CODENET_STATUSES)}.",
        _outside("status", CODENET_STATUSES),
    ),
    TableCheck(
        "submissions",
        "code_sha256_not_null",
        "Every submission has the hash of its exact source bytes.",
        _nulls("code_sha256"),
    ),
    TableCheck(
        "runtime_annotations",
        "one_row_per_submission_and_input",
        "One runtime row per (submission, distinct test input): no input is measured or summed twice.",
        _duplicates("submission_id", "input_sha256"),
    ),
    TableCheck(
        "runtime_annotations", "status_valid", f"status is one of {', '.join(STATUSES)}.", _outside("status", STATUSES)
    ),
    TableCheck(
        "submission_runtimes",
        "one_row_per_submission",
        "One aggregate row per submission.",
        _duplicates("submission_id"),
    ),
    ACCEPTED_FAILING_HERE,
)


def checks_for(tables: tuple[str, ...] | list[str]) -> list[TableCheck]:
    return [check for check in CORE_CHECKS if check.table in tables]
