"""`fast_mode_fidelity`: fast mode against the full evaluation of every checkpoint whose latest
evaluation is full (`pie_assets.evaluation.fast_fidelity` says what each column means). Fast
mode is applied to the full evaluation's own generations, measured by the simulator resource's
annotator (cached by content: programs already measured on those tests cost nothing).
"""

import dagster as dg
import duckdb
import polars as pl

import pie_assets.evaluation.fast_fidelity
from pie_assets.defs.evaluation.inputs import checkpoint_tests
from pie_assets.defs.evaluation.over_evaluations import over_evaluations
from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.evaluation.tables import EVALUATION_TABLES
from pie_assets.defs.shared.resources import GENERATED_TESTS, LakeResource, SimulatorResource
from pie_assets.evaluation.fast_fidelity import fidelity
from pie_assets.evaluation.pipeline import fast_view
from pie_assets.table_metadata import table_metadata
from pie_assets.versions import content_version

TABLE = "fast_mode_fidelity"
DOC = EVALUATION_TABLES[TABLE]


def _read(con: duckdb.DuckDBPyConnection, table: str, checkpoint: str) -> pl.DataFrame:
    return con.execute(f"select * from {table} where checkpoint = ?", [checkpoint]).pl()


@over_evaluations(
    TABLE,
    pie_assets.evaluation.fast_fidelity,
    [
        "model_evaluations",
        "generations",
        "generation_runtimes",
        "prompts",
        "eval_pairs",
        dg.AssetDep("test_cases", partition_mapping=dg.AllPartitionMapping()),
        dg.AssetDep(GENERATED_TESTS, partition_mapping=dg.AllPartitionMapping()),
    ],
)
def fast_mode_fidelity(
    context: dg.AssetExecutionContext, lake: LakeResource, evaluation: EvaluationResource, simulator: SimulatorResource
) -> dg.MaterializeResult:
    config, annotator = evaluation.config(), simulator.annotator()
    try:
        with lake.catalog.connect() as con:
            full = con.execute("select * from model_evaluations where mode = 'full'").pl()
            inputs = {
                name: tuple(_read(con, t, name) for t in ("generation_runtimes", "prompts", "generations"))
                for name in full["checkpoint"].unique().sort().to_list()
            }
            pairs = con.execute("select * from eval_pairs").pl()
    except duckdb.CatalogException as err:
        raise dg.Failure(
            description=f"{TABLE} needs full evaluations (model_evaluations) and eval_pairs, which the catalog "
            f"does not hold yet: evaluate checkpoints first (pie run, or pie eval --model NAME) ({err})"
        ) from err
    views, skipped = [], {}
    for name, (runtimes, prompts, generations) in inputs.items():
        try:
            tests = checkpoint_tests(lake, runtimes, prompts, annotator.config.test_set)
            views.append(
                fast_view(
                    name,
                    config,
                    annotator,
                    runtimes,
                    prompts,
                    generations,
                    pairs.filter(pl.col("problem_id").is_in(list(tests))),
                    tests,
                    annotator.config.workers,
                )
            )
        except (ValueError, FileNotFoundError) as err:  # this checkpoint cannot be viewed fast: the others go on
            skipped[name] = str(err)
            context.log.warning(f"{TABLE}: {name} left out: {err}")
    table = fidelity(full, pl.concat(views) if views else pl.DataFrame())
    path = lake.catalog.write_table(TABLE, table)
    ranking = table.filter(pl.col("k") == 1).group_by("metric").agg(pl.col("spearman").first()).sort("metric")
    covered = table.select(pl.col("covered").cast(pl.Float64).mean()).item()
    metadata = table_metadata(table, path, descriptions=DOC.columns)
    metadata |= {
        "checkpoints": dg.MetadataValue.int(len(views)),
        "spearman_at_k1": dg.MetadataValue.json(dict(ranking.iter_rows())),
        "left_out": dg.MetadataValue.json(skipped),
    }
    if covered is not None:  # the share of rows whose fast interval covers the full value
        metadata["covered_share"] = dg.MetadataValue.float(float(covered))
    return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(content_version(table)))
