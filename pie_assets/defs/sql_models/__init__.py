"""Group `sql_models`: one asset per SQL model of `sql/` (`dbt_like`), rendered with the dataset
config, and the sensor that refreshes models (and the dataset group) after their inputs change."""
