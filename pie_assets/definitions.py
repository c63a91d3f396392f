"""The Dagster code location: `dagster dev -w workspace.yaml`, `dg dev`, and `pie run` load this."""

from __future__ import annotations

import dagster as dg

from dbt_like.assets import build_sql_assets
from pie_assets.defs.assets.ingest import build_ingest_assets
from pie_assets.defs.assets.runtime import build_runtime_assets
from pie_assets.defs.dataset.exports import export_assets
from pie_assets.defs.dataset.pie_import import PieDatasetSource, build_pie_import_assets
from pie_assets.defs.dataset.preference import build_codedpo_scores_asset
from pie_assets.defs.jobs import ingest_problems_job
from pie_assets.defs.resources import CodeNetSource, LakeParquetIOManager, LakeResource, SimulatorResource
from pie_assets.defs.sensors import (
    codenet_problem_sensor,
    runtime_automation_sensor,
    runtime_config_sensor,
    sql_model_automation_sensor,
)
from pie_assets.runtime.config import SimulatorConfig, config_path
from pie_assets.settings import Settings


def build_defs(settings: Settings) -> dg.Definitions:
    simulator_config = settings.simulator_config or str(config_path())
    return dg.Definitions(
        assets=[
            *build_ingest_assets(settings.extra_tests),
            build_runtime_assets(SimulatorConfig.load(simulator_config).hash),
            *build_sql_assets(),
            build_codedpo_scores_asset(),
            build_pie_import_assets(settings.pie_dataset),
            *export_assets,
        ],
        jobs=[ingest_problems_job],
        sensors=[codenet_problem_sensor, runtime_config_sensor, runtime_automation_sensor, sql_model_automation_sensor],
        resources={
            "codenet": CodeNetSource(root=settings.codenet_root, extra_tests_dir=settings.extra_tests),
            "lake": LakeResource(warehouse=settings.warehouse),
            "pie_dataset": PieDatasetSource(directory=settings.pie_dataset),
            "lake_io_manager": LakeParquetIOManager(base_dir=settings.warehouse),
            "simulator": SimulatorResource(config_path=simulator_config, cache_dir=settings.resolved_cache_dir()),
        },
    )


defs = build_defs(Settings.resolve())
