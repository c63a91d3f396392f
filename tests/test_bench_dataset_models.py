"""bench/dataset_models.py at a tiny scale: the project's five SQL models (DuckDB, as the assets
compute them) and the polars implementation agree, and the comparison does catch a difference.
Also the [duckdb] settings of the dataset config that the bench motivated reach the connection."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dbt_like.assets import _apply_settings
from pie_assets.dataset.config import DatasetConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import dataset_models


def test_both_sides_agree_on_a_tiny_lake(tmp_path, capsys):
    warehouse = tmp_path / "lake"
    assert (
        dataset_models.main(["--problems", "20", "--programs", "2000", "--repeats", "1", "--warehouse", str(warehouse)])
        == 0
    )
    out = capsys.readouterr().out
    assert "results: identical" in out and "RESULTS DIFFER" not in out
    assert "mean length" in out and "i<j pairs before the filter" in out
    # every model has rows on both sides, and the same number
    for name in dataset_models.MODELS:
        ours = pl.read_parquet(warehouse / f"{name}.parquet")
        theirs = pl.read_parquet(warehouse / dataset_models.POLARS_DIR / f"{name}.parquet")
        assert ours.height == theirs.height > 0, name
    # the inputs hold what the real runtime table does besides correct programs
    submissions = pl.read_parquet(warehouse / "submissions" / "*" / "*.parquet", hive_partitioning=False)
    assert submissions["status"].n_unique() > 1 and submissions["user_id"].null_count() > 0
    assert submissions["code"].str.contains("\r\n", literal=True).any()

    # a changed value, a reordered file and a missing row are all reported
    target = warehouse / dataset_models.POLARS_DIR / "tier_labels.parquet"
    tiers = pl.read_parquet(target)
    tiers.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.col("tier") - 1).otherwise(pl.col("tier")).alias("tier")
    ).write_parquet(target)
    assert any("tier_labels.tier: 1 rows differ" in p for p in dataset_models.compare(warehouse))
    tiers.reverse().write_parquet(target)
    assert any(p.startswith("tier_labels.") for p in dataset_models.compare(warehouse))
    tiers.head(-1).write_parquet(target)
    assert any("rows (duckdb)" in p for p in dataset_models.compare(warehouse))


def test_duckdb_settings_of_the_dataset_config_reach_the_connection(tmp_path):
    settings = DatasetConfig.load().duckdb
    assert {"memory_limit", "threads"} <= set(settings)
    con = duckdb.connect()
    _apply_settings(con, {"memory_limit": "1GB", "threads": 1})
    assert con.execute("select current_setting('threads')").fetchone()[0] == 1
    assert con.execute("select current_setting('memory_limit')").fetchone()[0] in ("953.6 MiB", "1.0 GB")
    bad = tmp_path / "dataset.toml"
    bad.write_text('[vars]\n[duckdb]\n"memory_limit; drop" = "1GB"\n')
    with pytest.raises(ValueError, match="not a DuckDB setting"):
        DatasetConfig.load(bad)
