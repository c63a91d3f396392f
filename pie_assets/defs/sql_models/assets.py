"""The SQL models of `sql/` as assets (`dbt_like.assets`), rendered with the dataset config of the
settings being built for (`--eval-pairs` included)."""

import dagster as dg

from dbt_like.assets import build_sql_assets
from pie_assets.defs.shared.loading import active_settings, dataset_config


@dg.definitions
def sql_model_assets() -> dg.Definitions:
    return dg.Definitions(assets=build_sql_assets(None, dataset_config(active_settings())))
