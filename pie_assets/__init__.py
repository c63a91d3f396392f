"""PIE Lakehouse: CodeNet → Parquet lake + DuckDB catalog, driven by Dagster."""
