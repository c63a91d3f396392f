"""Shared field validation: typed columns out, and the bad values to report as rejects."""

from __future__ import annotations

import polars as pl

PROBLEM_ID_PATTERN = r"^p\d{5}$"
SUBMISSION_ID_PATTERN = r"^s\d{9}$"
# Every verdict CodeNet's metadata holds (the last two are rare); anything else is rejected.
CODENET_STATUSES = (
    "Accepted",
    "Wrong Answer",
    "Time Limit Exceeded",
    "Memory Limit Exceeded",
    "Runtime Error",
    "Compile Error",
    "Output Limit Exceeded",
    "WA: Presentation Error",
    "Judge Not Available",
    "Waiting for Judging",
    "Internal Error",
)


def non_negative_int(frame: pl.DataFrame, columns: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cast string `columns` (raw name → typed name) to Int64; the fields come stripped
    (csv_lines strips them).

    Empty is NULL. Invalid or negative is NULL too (CodeNet holds e.g. cpu_time -1 on failed
    runs), and comes back in the second frame: the offending rows with `field` and `value`, one
    row per bad value, for the caller to turn into `value_nulled` rejects.
    """
    parsed = frame.with_columns(pl.col(raw).cast(pl.Int64, strict=False).alias(name) for raw, name in columns.items())
    is_bad = {raw: (pl.col(raw) != "") & (pl.col(name).is_null() | (pl.col(name) < 0)) for raw, name in columns.items()}
    # Bad values are few: narrow to their rows once, then split them per field.
    offending = parsed.filter(pl.any_horizontal(*is_bad.values()))
    bad = pl.concat(
        [
            offending.filter(bad_value).select(pl.exclude(list(columns.values())), field=pl.lit(raw), value=pl.col(raw))
            for raw, bad_value in is_bad.items()
        ]
    )
    typed = parsed.with_columns(pl.when(pl.col(name) >= 0).then(pl.col(name)).alias(name) for name in columns.values())
    return typed, bad
