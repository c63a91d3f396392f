"""Dagster definitions, one module per concern (partitions, resources, assets, jobs, sensors)."""
