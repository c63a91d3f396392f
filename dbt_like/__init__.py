"""A small dbt-like layer: `sql/*.sql` models become Dagster assets (DuckDB views in the
catalog) with lineage parsed from their SQL and tests declared next to them in `<model>.yml`."""
