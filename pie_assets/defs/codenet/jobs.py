"""Asset selections and the job of ingestion, which the sensor, the CLI and the UI target."""

import dagster as dg

from pie_assets.defs.codenet.assets import PROBLEM_TABLES

PROBLEM_TABLE_KEYS = [dg.AssetKey(k) for k in PROBLEM_TABLES]
PROBLEM_LIST_KEYS = [dg.AssetKey(k) for k in ("problems", "problem_list_rejects")]

ingest_problems_selection = dg.AssetSelection.assets(*PROBLEM_TABLE_KEYS)
problem_list_selection = dg.AssetSelection.assets(*PROBLEM_LIST_KEYS)

# A named job for the UI's launchpad and for `execute_job` (the code location's in-process executor).
ingest_problems_job = dg.define_asset_job(
    "ingest_problems",
    selection=ingest_problems_selection,
    description="Ingest the chosen problem partitions: submissions, test cases, statements and their rejects.",
)
