"""A reconstructable ingest job for multiprocess execution (child processes re-import this). The
code location runs steps in process; this job asks for Dagster's default executor, whose run
config picks multiprocess."""

import os

import dagster as dg

from pie_assets.code_location import build_defs
from pie_assets.defs.codenet.jobs import ingest_problems_selection
from pie_assets.settings import Settings

MULTIPROCESS_INGEST = dg.define_asset_job(
    "ingest_problems_multiprocess", selection=ingest_problems_selection, executor_def=dg.multi_or_in_process_executor
)


def ingest_job():
    settings = Settings(codenet_root=os.environ["PIE_CODENET"], warehouse=os.environ["PIE_WAREHOUSE"], extra_tests=None)
    defs = dg.Definitions.merge(build_defs(settings), dg.Definitions(jobs=[MULTIPROCESS_INGEST]))
    return defs.resolve_job_def(MULTIPROCESS_INGEST.name)
