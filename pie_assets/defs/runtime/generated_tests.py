"""Generated tests, per problem partition: `generated_tests` (inputs the accepted programs agree on,
sized to stress them) and `generated_test_trials` (every candidate and what became of it), with
each partition's evidence (tried, kept, rejected by outcome, the cost spread of the kept tests) in
its materialisation metadata. See `pie_assets.testgen`."""

import os
import statistics

import dagster as dg
import polars as pl

import pie_assets.testgen.candidates
import pie_assets.testgen.consensus
import pie_assets.testgen.generate
import pie_assets.testgen.generator_prompt
import pie_assets.testgen.model_source
import pie_assets.testgen.mutate
import pie_assets.testgen.scale
import pie_assets.testgen.select
import pie_assets.testgen.tokens
from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.runtime.tables import GENERATED_TABLES
from pie_assets.defs.shared.automation import FOLLOW_INTERVAL_S
from pie_assets.defs.shared.checks import TableCheck, duplicates, outside
from pie_assets.defs.shared.loading import active_settings, simulator_config
from pie_assets.defs.shared.partition_batches import materialize_partitions
from pie_assets.defs.shared.partitions import problem_backfill_policy, problems_partitions
from pie_assets.defs.shared.resources import LakeResource, SimulatorResource
from pie_assets.evaluation.generators import make_generator
from pie_assets.evaluation.sampling import Generator
from pie_assets.runs import RUNTIME_STAGE_TAGS
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.testgen.candidates import TRIAL_SCHEMA, Candidate, TrialOutcome
from pie_assets.testgen.config import GeneratedTestsSettings
from pie_assets.testgen.generate import generate_tests
from pie_assets.testgen.model_source import model_candidates
from pie_assets.versions import modules_version

GROUP = "runtime"
TESTS, TRIALS = "generated_tests", "generated_test_trials"
PARTITION_WORKERS = 2  # problems at once; each one's programs fan out over the annotator's pool
TESTGEN_MODULES = (
    pie_assets.testgen.candidates,
    pie_assets.testgen.tokens,
    pie_assets.testgen.mutate,
    pie_assets.testgen.scale,
    pie_assets.testgen.consensus,
    pie_assets.testgen.select,
    pie_assets.testgen.generate,
    pie_assets.testgen.generator_prompt,
    pie_assets.testgen.model_source,
)


def generated_tests_version(config: SimulatorConfig, settings: GeneratedTestsSettings) -> str:
    """The testgen modules, the settings, and what of the simulator config decides a verdict (how
    programs are built, the native budget, the judge's tolerance)."""
    decisive = {name: config.section(name) for name in ("compile", "budget", "judge")}
    return modules_version(*TESTGEN_MODULES, setting=f"{settings!r}|{decisive!r}|{config.profile}")


def generated_checks(settings: GeneratedTestsSettings) -> tuple[TableCheck, ...]:
    return (
        TableCheck(
            TESTS,
            "agreed_by_min_consensus",
            f"Every generated test was agreed on by at least min_consensus ({settings.min_consensus}) accepted "
            "programs, and has an expected output.",
            lambda frame: frame.filter(
                (pl.col("consensus_size") < settings.min_consensus) | pl.col("expected_output").is_null()
            ),
        ),
        TableCheck(
            TESTS,
            "distinct_inputs",
            "No input twice among a problem's generated tests (PIE sums each test once).",
            duplicates("input_sha256"),
        ),
        TableCheck(
            TRIALS,
            "outcome_valid",
            f"outcome is one of {', '.join(TrialOutcome)}.",
            outside("outcome", tuple(TrialOutcome)),
        ),
    )


def evidence(tables: dict[str, pl.DataFrame]) -> dict[str, dg.MetadataValue]:
    """A problem's figures: inputs tried, kept, rejected by outcome, and the kept tests' native cost."""
    trials, tests = tables[TRIALS], tables[TESTS]
    outcomes = dict(trials.group_by("outcome").len().iter_rows())
    figures: dict[str, dg.MetadataValue] = {
        "pie/tried": dg.MetadataValue.int(trials.height),
        "pie/kept": dg.MetadataValue.int(tests.height),
        "pie/outcomes": dg.MetadataValue.json({str(o): int(outcomes.get(str(o), 0)) for o in TrialOutcome}),
    }
    if tests.height:
        figures |= {
            "pie/native_cost_min_s": dg.MetadataValue.float(tests.select(pl.col("native_cost_min_s").min()).item()),
            "pie/native_cost_median_s": dg.MetadataValue.float(
                statistics.median(tests["native_cost_median_s"].to_list())
            ),
            "pie/native_cost_max_s": dg.MetadataValue.float(tests.select(pl.col("native_cost_max_s").max()).item()),
        }
    return figures


def build_generated_tests(code_version: str, settings: GeneratedTestsSettings) -> dg.AssetsDefinition:
    checks = generated_checks(settings)

    @dg.multi_asset(
        name="generated_tests",
        specs=[
            dg.AssetSpec(
                name,
                deps=["submissions", "test_cases", "problem_statements"],
                skippable=True,
                group_name=GROUP,
                code_version=code_version,
                kinds={"parquet"},
                automation_condition=dg.AutomationCondition.eager(),
                description=GENERATED_TABLES[name].description,
                metadata=GENERATED_TABLES[name].spec_metadata(),
            ).with_io_manager_key("lake_io_manager")
            for name in (TRIALS, TESTS)
        ],
        check_specs=[check.spec() for check in checks],
        partitions_def=problems_partitions,
        backfill_policy=problem_backfill_policy,
        can_subset=False,
    )
    def generated_tests(
        context: dg.AssetExecutionContext,
        lake: LakeResource,
        simulator: SimulatorResource,
        evaluation: EvaluationResource,
    ):
        """Model-free candidates of each problem, and `[generated_tests] model`'s when it names a
        checkpoint, validated by the problem's accepted programs' consensus."""
        annotator = simulator.annotator()
        model = make_generator(evaluation.checkpoint(settings.model), evaluation.config()) if settings.model else None
        with annotator.executor() as pool:

            def from_model(
                problem_id: str, tests: pl.DataFrame, generator: Generator
            ) -> tuple[list[Candidate], pl.DataFrame]:
                """The model's candidates for the problem, and its rejected generator runs as trial rows."""
                statements = lake.read_partition("problem_statements", problem_id)
                statement = statements["statement"][0] if statements.height else ""
                samples = tests.filter(pl.col("origin") != "generated").sort("test_id")["input"].to_list()
                made = model_candidates(problem_id, statement, samples, settings, annotator, generator)
                return made.candidates, pl.DataFrame([r.trial_row() for r in made.rejections], schema=TRIAL_SCHEMA)

            def work(problem_id: str) -> dict[str, pl.DataFrame]:
                tests = lake.read_partition("test_cases", problem_id)
                extra, rejected = (
                    from_model(problem_id, tests, model) if model else ([], pl.DataFrame(schema=TRIAL_SCHEMA))
                )
                generated = generate_tests(
                    problem_id, tests, lake.read_partition("submissions", problem_id), settings, annotator, pool, extra
                )
                if generated.left_out:
                    context.log.warning(f"{problem_id}: accepted programs left out: {'; '.join(generated.left_out)}")
                return {TRIALS: pl.concat([generated.trials, rejected], how="vertical_relaxed"), TESTS: generated.tests}

            yield from materialize_partitions(
                context,
                lake,
                work,
                on_error=lambda problem_id, err: {},
                workers=min(PARTITION_WORKERS, os.cpu_count() or 1),
                checks=checks,
                partition_metadata=evidence,
            )

    return generated_tests


generated_tests_automation_sensor = dg.AutomationConditionSensorDefinition(
    "generated_tests_automation_sensor",
    target=dg.AssetSelection.assets(TESTS, TRIALS),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=FOLLOW_INTERVAL_S,
    run_tags=RUNTIME_STAGE_TAGS,
    description="Generates and validates tests of problem partitions whose submissions or tests were (re)ingested.",
)


@dg.definitions
def generated_tests_definitions() -> dg.Definitions:
    """The settings ([generated_tests] of the simulator config) are read where the defs are built;
    without `enabled` (and a test set that names generated tests) there are no such assets: the
    runtimes then read no generated_tests partition, as for a problem that has none."""
    config = simulator_config(active_settings())
    settings = GeneratedTestsSettings.from_config(config)
    if not settings.enabled:  # [generated_tests] enabled, or a runtime test set that sums over them
        return dg.Definitions()
    return dg.Definitions(
        assets=[build_generated_tests(generated_tests_version(config, settings), settings)],
        sensors=[generated_tests_automation_sensor],
    )
