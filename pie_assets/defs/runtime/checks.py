"""Checks on the runtime tables: what must never flow on to pairs and tiers (blocking), and the
CodeNet-Accepted programs that fail here (a warning listing them; see
`pie_assets.defs.shared.checks` for how a partition's checks are enforced)."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pie_assets.defs.shared.checks import TableCheck, duplicates, outside
from pie_assets.runtime.statuses import STATUSES

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

RUNTIME_CHECKS: tuple[TableCheck, ...] = (
    TableCheck(
        "runtime_annotations",
        "one_row_per_submission_and_input",
        "One runtime row per (submission, distinct test input): no input is measured or summed twice.",
        duplicates("submission_id", "input_sha256"),
    ),
    TableCheck(
        "runtime_annotations", "status_valid", f"status is one of {', '.join(STATUSES)}.", outside("status", STATUSES)
    ),
    TableCheck(
        "submission_runtimes",
        "one_row_per_submission",
        "One aggregate row per submission.",
        duplicates("submission_id"),
    ),
    ACCEPTED_FAILING_HERE,
)
