"""SQL models as Dagster assets: materialising one registers its view in the DuckDB catalog,
and its declared tests run as asset checks against that view."""

from pathlib import Path

import dagster as dg

from dbt_like.models import SqlModel, load_models
from pie_assets.defs.resources import LakeResource

GROUP = "sql_models"


def _model_asset(model: SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        name=model.name,
        deps=[dg.AssetKey(dep) for dep in model.deps],
        group_name=GROUP,
        kinds={"duckdb", "sql"},
        description=model.description or None,
        code_version=model.code_version,
        check_specs=[dg.AssetCheckSpec(test.name, asset=model.name) for test in model.tests],
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```")},
    )
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource):
        lake.catalog.register_model(model.name, model.sql)
        with lake.catalog.connect() as con:
            rows = con.execute(f'select count(*) from "{model.name}"').fetchone()[0]
            failing = {test.name: con.execute(test.failing_rows_sql).fetchone()[0] for test in model.tests}
        yield dg.MaterializeResult(metadata={"rows": rows})
        for name, count in failing.items():
            yield dg.AssetCheckResult(check_name=name, passed=count == 0, metadata={"failing_rows": count})

    return _asset


def build_sql_assets(directory: Path | None = None) -> list[dg.AssetsDefinition]:
    return [_model_asset(model) for model in load_models(directory)]
