"""Checks on the ingested tables (blocking: a failure means an ingestion bug, not bad data; see
`pie_assets.defs.shared.checks` for how a partition's checks are enforced)."""

from __future__ import annotations

from pie_assets.codenet.validate import CODENET_STATUSES
from pie_assets.defs.shared.checks import TableCheck, duplicates, nulls, outside

CODENET_CHECKS: tuple[TableCheck, ...] = (
    TableCheck(
        "submissions",
        "submission_id_unique",
        "No submission_id appears twice in a problem.",
        duplicates("submission_id"),
    ),
    TableCheck(
        "submissions",
        "status_in_codenet_set",
        f"status is one of CodeNet's verdicts: {', '.join(CODENET_STATUSES)}.",
        outside("status", CODENET_STATUSES),
    ),
    TableCheck(
        "submissions",
        "code_sha256_not_null",
        "Every submission has the hash of its exact source bytes.",
        nulls("code_sha256"),
    ),
)
