"""The Dagster code location: `dagster dev -w workspace.yaml`, `dg dev`, and `pie run` load this."""

from __future__ import annotations

import dagster as dg

from dbt_like.assets import build_sql_assets
from pie_assets.dataset.config import DatasetConfig
from pie_assets.defs.assets.ingest import build_ingest_assets
from pie_assets.defs.assets.runtime import build_runtime_assets
from pie_assets.defs.dataset.exports import export_assets
from pie_assets.defs.dataset.pie_import import PieDatasetSource, build_pie_import_assets
from pie_assets.defs.dataset.preference import build_codedpo_scores_asset
from pie_assets.defs.evaluation.assets import checkpoint_generation, model_evaluations, retrieval_index
from pie_assets.defs.evaluation.pie_agreement import pie_runtime_agreement
from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.evaluation.schedules import build_evaluation_schedule
from pie_assets.defs.evaluation.sensors import checkpoint_sensor, evaluation_automation_sensor
from pie_assets.defs.jobs import ingest_problems_job
from pie_assets.defs.resources import CodeNetSource, LakeParquetIOManager, LakeResource, SimulatorResource
from pie_assets.defs.sensors import (
    codenet_problem_sensor,
    runtime_automation_sensor,
    runtime_config_sensor,
    sql_model_automation_sensor,
)
from pie_assets.defs.training.jobs import train_checkpoint_job
from pie_assets.defs.training.selfplay import selfplay_automation_sensor, selfplay_pairs
from pie_assets.evaluation.config import EvaluationConfig
from pie_assets.evaluation.config import config_path as evaluation_config_path
from pie_assets.runtime.config import SimulatorConfig, config_path
from pie_assets.settings import Settings


def build_defs(settings: Settings) -> dg.Definitions:
    simulator_config = settings.simulator_config or str(config_path())
    evaluation_config = str(evaluation_config_path())
    dataset_config = DatasetConfig.load()
    if settings.eval_pairs:  # `--eval-pairs`: this command's eval_pairs_from
        dataset_config = dataset_config.with_vars(eval_pairs_from=settings.eval_pairs)
    return dg.Definitions(
        assets=[
            *build_ingest_assets(settings.extra_tests),
            build_runtime_assets(SimulatorConfig.load(simulator_config, settings.profile or None).hash),
            *build_sql_assets(config=dataset_config),
            build_codedpo_scores_asset(),
            build_pie_import_assets(settings.pie_dataset),
            *export_assets,
            retrieval_index,
            checkpoint_generation,
            model_evaluations,
            selfplay_pairs,
            pie_runtime_agreement,
        ],
        jobs=[ingest_problems_job, train_checkpoint_job],
        sensors=[
            codenet_problem_sensor,
            runtime_config_sensor,
            runtime_automation_sensor,
            sql_model_automation_sensor,
            checkpoint_sensor,
            evaluation_automation_sensor,
            selfplay_automation_sensor,
        ],
        schedules=[build_evaluation_schedule(EvaluationConfig.load(evaluation_config).cron)],
        resources={
            "codenet": CodeNetSource(root=settings.codenet_root, extra_tests_dir=settings.extra_tests),
            "lake": LakeResource(warehouse=settings.warehouse),
            "pie_dataset": PieDatasetSource(directory=settings.pie_dataset),
            "lake_io_manager": LakeParquetIOManager(base_dir=settings.warehouse),
            "simulator": SimulatorResource(
                config_path=simulator_config, cache_dir=settings.resolved_cache_dir(), profile=settings.profile
            ),
            "evaluation": EvaluationResource(
                config_path=evaluation_config,
                checkpoints_dir=settings.resolved_checkpoints_dir(),
                models_file=settings.resolved_models_file(),
                index_dir=settings.resolved_index_dir(),
                reports_dir=settings.resolved_reports_dir(),
            ),
        },
    )


defs = build_defs(Settings.resolve())
