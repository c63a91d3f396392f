"""The lake: Parquet files under a warehouse root plus a DuckDB catalog of views over them."""
