"""`pie_runtime_agreement`: this project's runtime labels against PIE's released ones, on PIE's own
programs (`pie_assets.evaluation.pie_agreement` says what each number means).

It exists only where PIE's release is imported (`pie_pairs`): its programs are measured like any
program (their problems are partitions, their ids submissions), and the table says, for the
profile and backend that measured them, how far the labels here are from PIE's gem5 runtimes.
The Events tab shows the scatter plots; the overall row's numbers are the materialisation's
metadata too.
"""

from collections.abc import Iterator

import dagster as dg
import duckdb
import polars as pl

import pie_assets.evaluation.pie_agreement
from dbt_like.assets import MODEL_AUTOMATION
from pie_assets.defs.evaluation.plot_events import plots_link, plots_observation
from pie_assets.defs.evaluation.tables import EVALUATION_TABLES
from pie_assets.defs.shared.resources import LakeResource
from pie_assets.evaluation.pie_agreement import OVERALL, measured_pairs, runtime_agreement
from pie_assets.evaluation.plots import agreement_png
from pie_assets.runs import PIE_RELEASE_TAGS
from pie_assets.table_metadata import table_metadata
from pie_assets.versions import content_version, modules_version

TABLE = "pie_runtime_agreement"
GROUP = "evaluation"
DOC = EVALUATION_TABLES[TABLE]
PAIRS_SQL = "select problem_id, src_id, tgt_id, src_agg_runtime, tgt_agg_runtime from pie_pairs"
COSTS_SQL = (
    "select submission_id as program_id, agg_cost, profile, backend, config_hash "
    "from submission_runtimes where all_pass"
)


def _read(lake: LakeResource) -> tuple[pl.DataFrame, pl.DataFrame]:
    try:
        with lake.catalog.connect() as con:
            return con.execute(PAIRS_SQL).pl(), con.execute(COSTS_SQL).pl()
    except duckdb.CatalogException as err:
        raise dg.Failure(
            description=f"{TABLE} compares pie_pairs with submission_runtimes, which the catalog does "
            f"not hold yet: import PIE's release (pie run --pie-dataset DIR) and measure "
            f"its programs first ({err})"
        ) from err


def _single(costs: pl.DataFrame, column: str) -> str | None:
    """The one profile / backend / config that measured the programs; a mix would make the
    comparison meaningless, so it fails, naming them."""
    values = costs[column].unique().drop_nulls().to_list()
    if len(values) > 1:
        raise dg.Failure(
            description=f"{TABLE}: PIE's programs were measured under several {column}s "
            f"({', '.join(sorted(values))}): re-run problem_runtimes under one"
        )
    return values[0] if values else None


@dg.asset(
    name=TABLE,
    deps=["pie_pairs", "submission_runtimes"],
    group_name=GROUP,
    kinds={"polars", "parquet"},
    tags=PIE_RELEASE_TAGS,
    code_version=modules_version(pie_assets.evaluation.pie_agreement),
    automation_condition=MODEL_AUTOMATION,
    description=DOC.description,
    metadata=DOC.spec_metadata(),
)
def pie_runtime_agreement(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> Iterator[dg.MaterializeResult | dg.AssetObservation]:
    pairs, costs = _read(lake)
    measured_costs = costs.filter(pl.col("program_id").is_in(pl.concat([pairs["src_id"], pairs["tgt_id"]])))
    provenance = {column: _single(measured_costs, column) for column in ("profile", "backend", "config_hash")}
    table = runtime_agreement(pairs, measured_costs).with_columns(
        **{column: pl.lit(value, pl.Utf8) for column, value in provenance.items()}
    )
    path = lake.catalog.write_table(TABLE, table)
    overall = table.filter(pl.col("scope") == OVERALL).row(0, named=True)
    context.log.info(
        f"{overall['n_pairs']} of {pairs.height} PIE pairs measured here ({provenance['profile']}): "
        f"Spearman {overall['spearman_cost']}, direction {overall['direction_agreement']}"
    )
    png = agreement_png(
        measured_pairs(pairs, measured_costs),
        f"labels here ({provenance['profile']}, {provenance['backend']}) vs PIE's, {overall['n_pairs']} pairs",
    )
    metadata = table_metadata(table, path, descriptions=DOC.columns)
    metadata |= {
        f"overall_{name}": dg.MetadataValue.float(float(value))
        if isinstance(value, float)
        else dg.MetadataValue.int(int(value))
        for name, value in overall.items()
        if isinstance(value, int | float)
    }
    metadata["pie_pairs"] = dg.MetadataValue.int(pairs.height)
    plots = {"labels here vs PIE's": png}
    metadata |= plots_link(TABLE, plots)
    yield dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(content_version(table)))
    yield plots_observation(TABLE, plots)
