"""The code location's definitions for given settings: `pie_assets/defs/` one folder per domain,
loaded by Dagster's autoloader (`dg.ComponentTree`, what `dg.load_from_defs_folder` runs, given the
package rather than a pyproject so a non-editable install loads too), with the settings in effect
for the modules whose definitions depend on them (`pie_assets.defs.shared.loading`); plus the
resources. Kept apart from `pie_assets.definitions` (which builds the definitions on import, for
Dagster's loaders) so that `pie run` and the tests build them once, for their own settings.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import dagster as dg

import pie_assets.defs
from pie_assets.defs.dataset.pie_import import PieDatasetSource
from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.shared.loading import building_for, simulator_config_path
from pie_assets.defs.shared.resources import CodeNetSource, LakeParquetIOManager, LakeResource, SimulatorResource
from pie_assets.evaluation.config import config_path as evaluation_config_path
from pie_assets.settings import PACKAGE_DIR, Settings


def resources(settings: Settings) -> dict[str, Any]:
    return {
        "codenet": CodeNetSource(root=settings.codenet_root, extra_tests_dir=settings.extra_tests),
        "lake": LakeResource(warehouse=settings.warehouse),
        "pie_dataset": PieDatasetSource(directory=settings.pie_dataset),
        "lake_io_manager": LakeParquetIOManager(base_dir=settings.warehouse),
        "simulator": SimulatorResource(
            config_path=simulator_config_path(settings),
            cache_dir=settings.resolved_cache_dir(),
            profile=settings.profile,
            engine=settings.engine,
            test_set=settings.test_set,
        ),
        "evaluation": EvaluationResource(
            config_path=str(evaluation_config_path()),
            checkpoints_dir=settings.resolved_checkpoints_dir(),
            models_file=settings.resolved_models_file(),
            index_dir=settings.resolved_index_dir(),
            reports_dir=settings.resolved_reports_dir(),
        ),
    }


def build_defs(settings: Settings) -> dg.Definitions:
    with building_for(settings), warnings.catch_warnings():
        # The autoloader runs Dagster's module loader, marked preview; `dg.load_from_defs_folder`
        # silences it alike.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        domains = dg.ComponentTree.from_module(
            defs_module=pie_assets.defs, project_root=Path(PACKAGE_DIR).parent
        ).build_defs()
    # Every step of a run in the run's own process, as `pie run` executes them: the multiprocess
    # executor (Dagster's default) starts a process per step that loads this code location again,
    # 5-10 s each on 2 loaded cores (the sample's SQL-model run under `pie ui`: 97 s for 17 s of
    # work); the heavy steps spread their work over the CPUs themselves (threads, sandboxes, Ray).
    return dg.Definitions.merge(domains, dg.Definitions(resources=resources(settings), executor=dg.in_process_executor))
