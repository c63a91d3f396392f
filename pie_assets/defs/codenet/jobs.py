"""Asset selections and jobs the sensors, the CLI and the UI target."""

import dagster as dg

from pie_assets.defs.assets.ingest import PROBLEM_TABLES

PROBLEM_TABLE_KEYS = [dg.AssetKey(k) for k in PROBLEM_TABLES]
PROBLEM_LIST_KEYS = [dg.AssetKey(k) for k in ("problems", "problem_list_rejects")]
RUNTIME_KEYS = [dg.AssetKey(k) for k in ("runtime_annotations", "submission_runtimes")]

ingest_problems_selection = dg.AssetSelection.assets(*PROBLEM_TABLE_KEYS)
problem_list_selection = dg.AssetSelection.assets(*PROBLEM_LIST_KEYS)
runtime_selection = dg.AssetSelection.assets(*RUNTIME_KEYS)

# A named job for the UI's launchpad and for `execute_job` (multiprocess executor by default).
ingest_problems_job = dg.define_asset_job("ingest_problems", selection=ingest_problems_selection)
