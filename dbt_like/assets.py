"""SQL models as Dagster assets: materialising one registers its view in the DuckDB catalog,
and its declared tests run as asset checks against that view."""

from pathlib import Path

import dagster as dg

from dbt_like.models import SqlModel, load_models
from pie_assets.defs.resources import LakeResource
from pie_assets.defs.table_metadata import PREVIEW_ROWS, table_metadata

GROUP = "sql_models"
# Refresh after any input was updated (or the SQL changed), once every input has some data to
# bind to. Not eager(): its ~any_deps_missing() maps an unpartitioned model onto every partition
# of a per-problem table, so one failed problem would block the model for good; here a table
# counts as present once any of its partitions is.
MODEL_AUTOMATION = (
    (dg.AutomationCondition.any_deps_updated() | dg.AutomationCondition.code_version_changed()).since_last_handled()
    & dg.AutomationCondition.all_deps_match(
        ~dg.AutomationCondition.missing() | dg.AutomationCondition.will_be_requested()
    ).with_label("all_deps_have_data")
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("sql_model")


def _model_asset(model: SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        name=model.name,
        deps=[dg.AssetKey(dep) for dep in model.deps],
        group_name=GROUP,
        kinds={"duckdb", "sql"},
        description=model.error or model.description or None,
        code_version=model.code_version,
        automation_condition=MODEL_AUTOMATION,
        check_specs=[dg.AssetCheckSpec(test.name, asset=model.name, description=test.description)
                     for test in model.tests],
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```")},
    )
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource):
        if model.error:
            raise dg.Failure(description=f"SQL model {model.name!r} cannot be read: {model.error}")
        lake.catalog.register_model(model.name, model.sql)
        with lake.catalog.connect() as con:
            rows = con.execute(f'select count(*) from "{model.name}"').fetchone()[0]
            head = con.execute(f'select * from "{model.name}" limit {PREVIEW_ROWS}').pl()
            failing = {test.name: con.execute(test.failing_rows_sql).fetchone()[0] for test in model.tests}
        yield dg.MaterializeResult(metadata=table_metadata(model.name, head, rows=rows))
        for name, count in failing.items():
            yield dg.AssetCheckResult(check_name=name, passed=count == 0, metadata={"failing_rows": count})

    return _asset


def build_sql_assets(directory: Path | None = None) -> list[dg.AssetsDefinition]:
    """One asset per model of `directory` (default `$PIE_SQL_DIR` or `sql/`), unreadable ones included."""
    return [_model_asset(model) for model in load_models(directory)]
