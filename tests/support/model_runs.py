"""Helpers for tests of SQL models and dataset assets: materialise them on a warehouse, query it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from pie_assets.defs.shared.resources import LakeResource
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse

# A small evaluation config for the sample: two strategies, two short generations a prompt.
SMALL_EVALUATION_CONFIG = """
[evaluation]
strategies = ["instruction", "perf_conditioned"]
[sampling]
n = 2
temperature = 0.7
max_new_tokens = 24
[generation]
concurrency = 2
max_retries = 2
[retrieval]
k = 2
encoder = "hashed-ngrams"
[fast]
pairs_per_problem = 1
tests_per_problem = 1
"""


def materialize_on(
    root: Path, assets: Sequence[dg.AssetsDefinition], selection: list[str] | None, raise_on_error: bool = True
) -> dg.ExecuteInProcessResult:
    """A real (ephemeral) Dagster instance, the lake resource on `root`."""
    return dg.materialize(
        assets,
        resources={"lake": LakeResource(warehouse=str(root))},
        instance=dg.DagsterInstance.ephemeral(),
        selection=selection,
        raise_on_error=raise_on_error,
    )


def rows(root: Path, sql: str) -> list[tuple]:
    with Catalog(Warehouse(str(root))).connect() as con:
        return con.execute(sql).fetchall()
