"""Blocking checks on the core tables: what must never flow on to pairs, tiers or evaluations.

Each check counts a partition's offending rows before the partition is written. A partition that
fails a check is not written (it fails alone, with the check named in its message), and the run
records one result per check over its partitions, listing the failed ones. The ingestion rules
(rejects) are meant to make these checks pass on any input: a failure means a bug, not bad data.
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
    failing_rows: Callable[[pl.DataFrame], int]

    def spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=self.table, description=self.description, blocking=True)


def _duplicates(*columns: str) -> Callable[[pl.DataFrame], int]:
    return lambda frame: int(frame.select(columns).is_duplicated().sum())


def _nulls(column: str) -> Callable[[pl.DataFrame], int]:
    return lambda frame: frame[column].null_count()


def _outside(column: str, allowed: tuple[str, ...]) -> Callable[[pl.DataFrame], int]:
    return lambda frame: int((~frame[column].is_in(allowed)).sum())


CORE_CHECKS: tuple[TableCheck, ...] = (
    TableCheck("submissions", "submission_id_unique", "No submission_id appears twice in a problem.",
               _duplicates("submission_id")),
    TableCheck("submissions", "status_in_codenet_set", f"status is one of CodeNet's verdicts: {', '.join(CODENET_STATUSES)}.",
               _outside("status", CODENET_STATUSES)),
    TableCheck("submissions", "code_sha256_not_null", "Every submission has the hash of its exact source bytes.",
               _nulls("code_sha256")),
    TableCheck("runtime_annotations", "one_row_per_submission_and_input",
               "One runtime row per (submission, distinct test input): no input is measured or summed twice.",
               _duplicates("submission_id", "input_sha256")),
    TableCheck("runtime_annotations", "status_valid", f"status is one of {', '.join(STATUSES)}.",
               _outside("status", STATUSES)),
    TableCheck("submission_runtimes", "one_row_per_submission", "One aggregate row per submission.",
               _duplicates("submission_id")),
)


def checks_for(tables: tuple[str, ...] | list[str]) -> list[TableCheck]:
    return [check for check in CORE_CHECKS if check.table in tables]
