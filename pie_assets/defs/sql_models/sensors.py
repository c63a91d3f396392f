"""The SQL models' automation sensor (the models themselves: `pie_assets.defs.sql_models.assets`)."""

import dagster as dg

from dbt_like.assets import GROUP as SQL_MODELS_GROUP
from pie_assets.defs.shared.automation import FOLLOW_INTERVAL_S

# SQL models follow the tables they read (dbt_like.assets.MODEL_AUTOMATION); their checks run with them.
sql_model_automation_sensor = dg.AutomationConditionSensorDefinition(
    "sql_model_automation_sensor",
    target=dg.AssetSelection.groups(SQL_MODELS_GROUP, "dataset")
    | dg.AssetSelection.assets("retrieval_index", "pie_runtime_agreement"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=FOLLOW_INTERVAL_S,
    description="Refreshes SQL models (and runs their checks), the retrieval index and the agreement of the "
    "runtime labels with PIE's after a table or model they read was updated.",
)
