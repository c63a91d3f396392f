"""A reconstructable ingest job for multiprocess execution (child processes re-import this)."""

import os

from pie_assets.code_location import build_defs
from pie_assets.settings import Settings


def ingest_job():
    settings = Settings(codenet_root=os.environ["PIE_CODENET"], warehouse=os.environ["PIE_WAREHOUSE"], extra_tests=None)
    return build_defs(settings).resolve_job_def("ingest_problems")
