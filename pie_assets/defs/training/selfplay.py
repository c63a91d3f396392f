"""`selfplay_pairs`: PIE's self-play synthetic pairs (`pie_assets.training.selfplay` has the rules)
as an unpartitioned table, marked synthetic, for the exports to add to the training data.

Settings are the training config's `[selfplay]` section (PIE's values when absent); the backend
is the checkpoint it names, `identity` by default: the model-free baseline, with which the
honest result is no pair, and the materialisation says so rather than inventing any.

Declarative automation (selfplay_automation_sensor) refreshes it after its inputs were updated
only when the generator is a model: with `identity` every refresh would compile and run every
seed to find nothing, so then it is materialised on demand only.
"""

import json
from dataclasses import asdict
from typing import Any

import dagster as dg

import pie_assets.training.selfplay
from dbt_like.assets import follows_inputs
from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.shared.resources import LakeResource, SimulatorResource
from pie_assets.defs.training.tables import TRAINING_TABLES
from pie_assets.table_metadata import table_metadata
from pie_assets.training.selfplay import (
    SelfPlaySettings,
    build_seeds,
    self_play,
    selfplay_generator,
)
from pie_assets.versions import content_version, modules_version

GROUP = "training"
TABLE = "selfplay_pairs"
SEEDS_SQL = """
    select f.problem_id, f.submission_id, s.code, coalesce(st.statement, '') as statement
    from fastest_human f
    join problem_splits p using (problem_id)
    join submissions s on s.submission_id = f.submission_id and s.problem_id = f.problem_id
    left join problem_statements st on st.problem_id = f.problem_id
    where p.split = 'train'
    order by f.problem_id
"""
DOC = TRAINING_TABLES[TABLE]
SETTINGS = SelfPlaySettings.load()
IDENTITY = SelfPlaySettings().generator  # the model-free default: it can find nothing


@dg.asset(
    name=TABLE,
    group_name=GROUP,
    kinds={"polars", "parquet"},
    # Edited rules or new [selfplay] settings make the table stale.
    code_version=modules_version(pie_assets.training.selfplay, setting=json.dumps(asdict(SETTINGS))),
    automation_condition=None if SETTINGS.generator == IDENTITY else follows_inputs("selfplay"),
    metadata=DOC.spec_metadata(),
    deps=[
        "fastest_human",
        "problem_splits",
        *(
            dg.AssetDep(table, partition_mapping=dg.AllPartitionMapping())
            for table in ("problem_statements", "submissions", "test_cases")
        ),
    ],
    description=DOC.description,
)
def selfplay_pairs(
    context: dg.AssetExecutionContext, lake: LakeResource, simulator: SimulatorResource, evaluation: EvaluationResource
) -> dg.MaterializeResult:
    settings = SelfPlaySettings.load()
    spec = evaluation.checkpoint(settings.generator)
    generator = selfplay_generator(spec, evaluation.config())
    with lake.catalog.connect() as con:
        rows = con.execute(SEEDS_SQL).pl()
    tests = {problem: lake.read_partition("test_cases", problem) for problem in rows["problem_id"].unique()}
    seeds = build_seeds(rows, tests, settings.min_tests)
    annotator = simulator.annotator()
    context.log.info(
        f"self-play: {len(seeds)} seeds of {rows.height} train problems, generator {generator.name}, "
        f"backend {annotator.backend.name}"
    )
    result = self_play(
        seeds,
        generator,
        spec.name,
        annotator,
        settings,
        cache_root=simulator.cache_dir,
        concurrency=evaluation.config().concurrency,
    )
    if result.errors:
        context.log.warning(
            f"{len(result.errors)} generation requests failed; first: {next(iter(result.errors.items()))}"
        )

    path = lake.catalog.write_table(TABLE, result.pairs)
    counts = result.counts.as_dict()
    why_empty = result.counts.explain(settings)
    context.log.info(f"self-play stages: {json.dumps(counts)}")
    if why_empty:
        context.log.warning(f"self-play kept no pair: {why_empty}")
    metadata: dict[str, Any] = {
        **table_metadata(result.pairs, path, descriptions=DOC.columns),
        **{f"stage_{name}": dg.MetadataValue.int(value) for name, value in counts.items()},
        "generator": spec.name,
        "settings": dg.MetadataValue.json(asdict(settings)),
        "failed_requests": dg.MetadataValue.json(result.errors),
        "found_nothing": why_empty or "",
    }
    return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(content_version(result.pairs)))


selfplay_automation_sensor = dg.AutomationConditionSensorDefinition(
    "selfplay_automation_sensor",
    target=dg.AssetSelection.assets(selfplay_pairs),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Re-runs self-play after a table it reads was updated, when the training config's [selfplay] "
    "generator is a model (the identity baseline finds nothing: then selfplay_pairs is not automated).",
)
