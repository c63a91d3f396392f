"""`checkpoint_comparisons`: every pair of checkpoints evaluated on the same test pairs, paired
per pair (`pie_assets.evaluation.comparisons` has the rules), from the per-pair results the
evaluation stores (`generation_runtimes`, `prompts`) of every checkpoint `model_evaluations` has
scored. `pie eval --compare A B` prints A's rows against B.
"""

import dagster as dg
import duckdb
import polars as pl

import pie_assets.evaluation.comparisons
from pie_assets.defs.evaluation.over_evaluations import over_evaluations
from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.evaluation.tables import EVALUATION_TABLES
from pie_assets.defs.shared.resources import LakeResource
from pie_assets.evaluation.comparisons import compare
from pie_assets.evaluation.pipeline import checkpoint_outcomes
from pie_assets.table_metadata import table_metadata
from pie_assets.versions import content_version

TABLE = "checkpoint_comparisons"
DOC = EVALUATION_TABLES[TABLE]


def _read(lake: LakeResource) -> tuple[list[str], pl.DataFrame, pl.DataFrame]:
    try:
        with lake.catalog.connect() as con:
            scored = [
                r[0] for r in con.execute("select distinct checkpoint from model_evaluations order by 1").fetchall()
            ]
            wanted = "where checkpoint in (select distinct checkpoint from model_evaluations)"
            return (
                scored,
                con.execute(f"select * from generation_runtimes {wanted}").pl(),
                con.execute(f"select * from prompts {wanted}").pl(),
            )
    except duckdb.CatalogException as err:
        raise dg.Failure(
            description=f"{TABLE} compares the checkpoints of model_evaluations, which the catalog does not "
            f"hold yet: evaluate two checkpoints first (pie run, or pie eval --model NAME) ({err})"
        ) from err


@over_evaluations(TABLE, pie_assets.evaluation.comparisons, ["model_evaluations", "generation_runtimes", "prompts"])
def checkpoint_comparisons(
    context: dg.AssetExecutionContext, lake: LakeResource, evaluation: EvaluationResource
) -> dg.MaterializeResult:
    checkpoints, runtimes, prompts = _read(lake)
    outcomes, skipped = [], {}
    for name in checkpoints:
        try:
            outcomes.append(
                checkpoint_outcomes(
                    name, runtimes.filter(pl.col("checkpoint") == name), prompts.filter(pl.col("checkpoint") == name)
                )
            )
        except ValueError as err:  # this checkpoint's generations are mixed or gone: the others go on
            skipped[name] = str(err)
            context.log.warning(f"{TABLE}: {name} left out: {err}")
    table = compare(pl.concat(outcomes) if outcomes else pl.DataFrame(), evaluation.config().intervals)
    path = lake.catalog.write_table(TABLE, table)
    compared = table.select("checkpoint_a", "checkpoint_b").unique().height // 2
    context.log.info(f"{compared} pairs of checkpoints compared, of {len(checkpoints)} scored")
    metadata = table_metadata(table, path, descriptions=DOC.columns)
    metadata |= {
        "checkpoints": dg.MetadataValue.int(len(checkpoints)),
        "checkpoint_pairs": dg.MetadataValue.int(compared),
        "left_out": dg.MetadataValue.json(skipped),
    }
    return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(content_version(table)))
