"""The asset decorator of a table over every checkpoint's scored evaluation (`checkpoint_comparisons`,
`fast_mode_fidelity`): one place for what such a table is in the graph, so the two cannot drift.
It is in the `evaluation` group, follows `model_evaluations` (the evaluation automation sensor
refreshes it after each scoring), is documented by its `EVALUATION_TABLES` entry, and is
versioned by its own module and the scoring code it reuses (intervals, metrics, the pipeline).
"""

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import dagster as dg

import pie_assets.evaluation.bootstrap
import pie_assets.evaluation.metrics
import pie_assets.evaluation.pipeline
from dbt_like.assets import MODEL_AUTOMATION
from pie_assets.defs.evaluation.tables import EVALUATION_TABLES
from pie_assets.versions import modules_version


def over_evaluations(
    table: str, rules: ModuleType, deps: Sequence[str | dg.AssetDep]
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """`@dg.asset` for `table`, computed by `rules` (its library module) from `deps`."""
    doc = EVALUATION_TABLES[table]
    return dg.asset(
        name=table,
        group_name="evaluation",
        deps=list(deps),
        kinds={"polars", "parquet"},
        code_version=modules_version(
            rules,
            pie_assets.evaluation.bootstrap,
            pie_assets.evaluation.metrics,
            pie_assets.evaluation.pipeline,
        ),
        automation_condition=MODEL_AUTOMATION,
        description=doc.description,
        metadata=doc.spec_metadata(),
    )
