"""`codedpo_scores`: CodeDPO's self-verification scores of every problem's programs and tests,
computed from the `program_test_links` SQL model (see `pie_assets.dataset.codedpo` for the
rule). An iteration to a fixed point is no SQL `select`, so this is a Python asset between the
links model and `preference_pairs`, which reads its table like any other."""

import json

import dagster as dg
import duckdb
import polars as pl

import pie_assets.dataset.codedpo
from dbt_like.assets import MODEL_AUTOMATION
from pie_assets.dataset.codedpo import LINK_COLUMNS, Params, self_verification_scores
from pie_assets.dataset.config import DatasetConfig
from pie_assets.defs.dataset.tables import DATASET_TABLES
from pie_assets.defs.shared.loading import active_settings, dataset_config
from pie_assets.defs.shared.resources import LakeResource
from pie_assets.table_metadata import table_metadata
from pie_assets.versions import content_version, modules_version

GROUP = "dataset"
TABLE = "codedpo_scores"
LINKS = "program_test_links"
CONVERGED_CHECK = "every_problem_converged"
DOC = DATASET_TABLES[TABLE]


def _read_links(lake: LakeResource) -> pl.DataFrame:
    columns = ", ".join(LINK_COLUMNS)
    try:
        with lake.catalog.connect() as con:
            return con.execute(f"select {columns} from {LINKS}").pl()
    except duckdb.CatalogException as err:
        raise dg.Failure(
            description=f"{TABLE} reads the SQL model {LINKS}, which the catalog does not hold yet: "
            f"materialise it first ({err})"
        ) from err


def build_codedpo_scores_asset(config: DatasetConfig) -> dg.AssetsDefinition:
    """The algorithm's source and the vars it uses are the code version: an edited algorithm or a
    new damping, tolerance or round cap makes the scores (and the pairs after them) stale."""
    params = Params.from_vars(config.vars)
    code_version = modules_version(pie_assets.dataset.codedpo, setting=json.dumps(params.as_vars(), sort_keys=True))

    @dg.asset(
        name=TABLE,
        deps=[dg.AssetKey(LINKS)],
        group_name=GROUP,
        kinds={"polars", "parquet"},
        description=DOC.description,
        code_version=code_version,
        automation_condition=MODEL_AUTOMATION,
        metadata=DOC.spec_metadata(),
        check_specs=[
            dg.AssetCheckSpec(
                CONVERGED_CHECK,
                asset=TABLE,
                blocking=False,
                description="Every problem's scores converged within codedpo_max_rounds (warn: the scores of one "
                "that did not are still its last round's).",
            )
        ],
    )
    def codedpo_scores(context: dg.AssetExecutionContext, lake: LakeResource):
        scores = self_verification_scores(_read_links(lake), params)
        path = lake.catalog.write_table(TABLE, scores)
        per_problem = scores.select("problem_id", "rounds", "converged").unique()
        unconverged = per_problem.filter(~pl.col("converged"))["problem_id"].sort().to_list()
        metadata = table_metadata(scores, path, descriptions=DOC.columns)
        metadata["vars"] = dg.MetadataValue.json(params.as_vars())
        metadata["problems"] = dg.MetadataValue.int(per_problem.height)
        metadata["max_rounds_run"] = dg.MetadataValue.int(int(per_problem.select(pl.col("rounds").max()).item() or 0))
        context.log.info(f"{per_problem.height} problems scored, {len(unconverged)} not converged")
        yield dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(content_version(scores)))
        yield dg.AssetCheckResult(
            check_name=CONVERGED_CHECK,
            passed=not unconverged,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "unconverged_problems": len(unconverged),
                "first_unconverged": dg.MetadataValue.json(unconverged[:20]),
            },
        )

    return codedpo_scores


@dg.definitions
def codedpo_scores_asset() -> dg.Definitions:
    return dg.Definitions(assets=[build_codedpo_scores_asset(dataset_config(active_settings()))])
