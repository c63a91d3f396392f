"""Asset selections the sensors, the CLI and the UI target."""

import dagster as dg

PROBLEM_TABLE_KEYS = [dg.AssetKey(k) for k in ("submissions", "test_cases", "ingest_rejects")]
PROBLEM_LIST_KEYS = [dg.AssetKey("problems")]

ingest_problems_selection = dg.AssetSelection.assets(*PROBLEM_TABLE_KEYS)
problem_list_selection = dg.AssetSelection.assets(*PROBLEM_LIST_KEYS)
