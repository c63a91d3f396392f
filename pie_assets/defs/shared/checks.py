"""Table checks, run on every partition before it is written (each domain lists its own in
`<domain>/checks.py`): on the core tables, what must never flow on to pairs, tiers or evaluations (blocking),
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


def duplicates(*columns: str) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda frame: frame.filter(frame.select(columns).is_duplicated())


def nulls(column: str) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda frame: frame.filter(pl.col(column).is_null())


def outside(column: str, allowed: tuple[str, ...]) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda frame: frame.filter(~pl.col(column).is_in(allowed))
