"""Runtime annotation assets, per problem partition: `runtime_annotations` (one row per
submission × test) and `submission_runtimes` (one row per submission, PIE's agg_runtime), on the
problem's tests of the runtime test set (`[tests] runtime_set`, `--test-set`): its `test_cases`
and its `generated_tests` (a problem without a generated_tests partition has none: not an error)."""

import os

import dagster as dg
import polars as pl

from pie_assets.defs.runtime.checks import RUNTIME_CHECKS
from pie_assets.defs.runtime.tables import RUNTIME_TABLES
from pie_assets.defs.shared.loading import active_settings, simulator_config
from pie_assets.defs.shared.partition_batches import materialize_partitions
from pie_assets.defs.shared.partitions import problem_backfill_policy, problems_partitions
from pie_assets.defs.shared.resources import GENERATED_TESTS, LakeResource, SimulatorResource
from pie_assets.progress import PROGRESS
from pie_assets.runtime.annotate import runtime_cases

GROUP = "runtime"
# Problems handled at once in a run; each one's programs fan out over the measurement pool.
PARTITION_WORKERS = 2
# A problem is annotated once its submissions or tests are (re)ingested, or its generated tests
# (re)generated; a problem without generated tests (none made, or none yet) is not held back.
AUTOMATION = dg.AutomationCondition.eager().replace(
    "any_deps_missing",
    dg.AutomationCondition.any_deps_missing()
    .ignore(dg.AssetSelection.assets(GENERATED_TESTS))
    .with_label("any_deps_missing"),
)


def build_runtime_assets(config_hash: str) -> dg.AssetsDefinition:
    """The config hash is the assets' code version: change the simulator config and Dagster
    shows every runtime partition as stale until the config sensor has re-simulated it."""

    @dg.multi_asset(
        name="problem_runtimes",
        specs=[
            dg.AssetSpec(
                name,
                deps=["submissions", "test_cases", GENERATED_TESTS],
                skippable=True,
                group_name=GROUP,
                code_version=config_hash,
                kinds=kinds,
                automation_condition=AUTOMATION,
                description=RUNTIME_TABLES[name].description,
                metadata=RUNTIME_TABLES[name].spec_metadata(),
            ).with_io_manager_key("lake_io_manager")
            for name, kinds in (("runtime_annotations", {"valgrind", "parquet"}), ("submission_runtimes", {"parquet"}))
        ],
        check_specs=[check.spec() for check in RUNTIME_CHECKS],
        partitions_def=problems_partitions,
        backfill_policy=problem_backfill_policy,
        can_subset=False,
    )
    def problem_runtimes(context: dg.AssetExecutionContext, lake: LakeResource, simulator: SimulatorResource):
        annotator = simulator.annotator()
        if annotator.config.hash != config_hash:
            context.log.warning(f"simulator config changed since load ({config_hash} → {annotator.config.hash})")
        context.log.info(
            f"backend {annotator.backend.name} {annotator.backend.version}, "
            f"config {annotator.config.hash}, sandbox {annotator.sandbox.mode}, "
            f"engine {annotator.config.engine}"
        )
        stage = context.assets_def.node_def.name
        for problem_id in context.partition_keys:  # the work ahead, for progress (inputs are small to read)
            try:
                programs = annotator.chosen(lake.read_partition("submissions", problem_id)).height
                tests = len(runtime_cases(lake.problem_tests(problem_id, annotator.config.test_set).tests))
            except FileNotFoundError:
                continue  # that partition fails in work() with the same message
            PROGRESS.plan(stage, programs=programs, tests=programs * tests)

        def counted(tests: int) -> None:
            PROGRESS.advance(stage, programs=1, tests=tests)

        with annotator.executor() as pool:

            def work(problem_id: str) -> dict[str, pl.DataFrame]:
                submissions = lake.read_partition("submissions", problem_id)
                tests = lake.problem_tests(problem_id, annotator.config.test_set)
                annotations, summaries = annotator.annotate(problem_id, submissions, tests, pool, counted)
                return {"runtime_annotations": annotations, "submission_runtimes": summaries}

            yield from materialize_partitions(
                context,
                lake,
                work,
                on_error=lambda problem_id, err: {},
                workers=min(PARTITION_WORKERS, os.cpu_count() or 1),
                code_version=annotator.config.hash,
                checks=RUNTIME_CHECKS,
            )

    return problem_runtimes


@dg.definitions
def runtime_assets() -> dg.Definitions:
    """The code version is the hash of the simulator config (and profile) being built for."""
    return dg.Definitions(assets=[build_runtime_assets(simulator_config(active_settings()).hash)])
