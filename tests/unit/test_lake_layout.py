"""The lake's hive layout: a per-problem lookup opens one file, views skip `union_by_name` only
while a table's files share one schema, and a warehouse of the earlier flat layout is moved to
hive paths on first use without losing a row."""

import json
import os

import duckdb
import polars as pl
import pytest

from pie_assets.lake.catalog import CATALOG_FILE, LAYOUT, MANIFEST_FILE, Catalog
from pie_assets.lake.storage import Warehouse


def _frame(problem: str, n: int = 3) -> pl.DataFrame:
    return pl.DataFrame({"problem_id": [problem] * n, "submission_id": [f"{problem}-{i}" for i in range(n)]})


def _union_by_name(root, table: str) -> bool:
    """Whether the published view of `table` reads with union_by_name (DuckDB stores it as a cast)."""
    with duckdb.connect(os.path.join(root, CATALOG_FILE), read_only=True) as con:
        (sql,) = con.execute("select sql from duckdb_views() where view_name = ?", [table]).fetchone()
    assert "union_by_name" in sql
    return "union_by_name = CAST('t'" in sql


def test_a_lookup_by_problem_opens_only_that_problems_file(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    for problem in ("p1", "p2", "p3"):
        warehouse.write_partition("submissions", problem, _frame(problem))
    catalog = Catalog(warehouse)
    catalog.ensure("submissions")
    assert (tmp_path / "submissions" / "problem_id=p2" / "data.parquet").is_file()
    assert not _union_by_name(tmp_path, "submissions")  # one schema: no file is read at bind

    # Another problem's file unreadable: a lookup never opens it, a scan of every file does.
    (tmp_path / "submissions" / "problem_id=p3" / "data.parquet").write_bytes(b"not parquet" * 10)
    with catalog.connect() as con:
        rows = con.execute("select submission_id from submissions where problem_id = 'p1' order by 1").fetchall()
        assert rows == [("p1-0",), ("p1-1",), ("p1-2",)]
        plan = con.execute("explain analyze select * from submissions where problem_id = 'p2'").fetchall()[0][1]
        assert "Scanning Files: 1/3" in plan
        with pytest.raises(duckdb.Error, match="p3"):
            con.execute("select count(*) from submissions").fetchall()


def test_files_of_another_schema_switch_the_view_to_union_by_name(tmp_path):
    warehouse = Warehouse(str(tmp_path))
    catalog = Catalog(warehouse)
    path = warehouse.write_partition("submissions", "p1", _frame("p1"))
    catalog.ensure("submissions", (path, _frame("p1").schema))
    keys = ["keys"] * 3  # "0042" stays a string: hive keys are not cast
    wider = _frame("0042").with_columns(pl.Series("language", keys))
    path = warehouse.write_partition("submissions", "0042", wider)
    catalog.ensure("submissions", (path, wider.schema))

    assert _union_by_name(tmp_path, "submissions")
    assert "submissions" not in json.loads((tmp_path / MANIFEST_FILE).read_text())["schemas"]
    with catalog.connect() as con:
        rows = con.execute("select problem_id, count(*), count(language) from submissions group by 1 order by 1")
        assert rows.fetchall() == [("0042", 3, 3), ("p1", 3, 0)]

    # Rewritten with one schema again, the next rebuild drops union_by_name.
    warehouse.write_partition("submissions", "p1", _frame("p1").with_columns(pl.Series("language", keys)))
    catalog.rebuild()
    assert not _union_by_name(tmp_path, "submissions")


def test_a_warehouse_of_the_flat_layout_moves_to_hive_paths_on_first_use(tmp_path):
    """Before hive paths, a partition was `<table>/<key>.parquet`; its dimension is the column
    holding the key in every row (`problem_id`, or `checkpoint` for per-checkpoint tables)."""
    (tmp_path / "submissions").mkdir()
    (tmp_path / "model_evaluations").mkdir()
    for problem in ("p1", "p2"):
        _frame(problem).write_parquet(tmp_path / "submissions" / f"{problem}.parquet")
    pl.DataFrame({"checkpoint": ["base"] * 2, "problem_id": ["p1", "p2"], "speedup": [1.0, 2.0]}).write_parquet(
        tmp_path / "model_evaluations" / "base.parquet"
    )
    pl.DataFrame({"problem_id": ["p1"], "name": ["A"]}).write_parquet(tmp_path / "problems.parquet")
    # The earlier catalog: views over the flat files, a manifest without a layout.
    with duckdb.connect(str(tmp_path / CATALOG_FILE)) as con:
        for table in ("submissions", "model_evaluations"):
            con.execute(f"create view {table} as select * from read_parquet('{tmp_path}/{table}/*.parquet')")
    (tmp_path / MANIFEST_FILE).write_text(
        json.dumps(
            {
                "views": ["model_evaluations", "problems", "submissions"],
                "models": {"n": "select count(*) as n from submissions"},
            }
        )
    )
    # A partition the new code already wrote at its hive path is newer than the flat file.
    Warehouse(str(tmp_path)).write_partition("submissions", "p2", _frame("p2", n=5))

    with Catalog(Warehouse(str(tmp_path))).connect() as con:
        assert con.execute("select problem_id, count(*) from submissions group by 1 order by 1").fetchall() == [
            ("p1", 3),
            ("p2", 5),
        ]
        assert con.execute("select checkpoint, sum(speedup) from model_evaluations group by 1").fetchall() == [
            ("base", 3.0)
        ]
        assert con.execute("select n from n").fetchall() == [(8,)]  # the registered model kept
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.parquet")) == [
        "model_evaluations/checkpoint=base/data.parquet",
        "problems.parquet",
        "submissions/problem_id=p1/data.parquet",
        "submissions/problem_id=p2/data.parquet",
    ]
    assert json.loads((tmp_path / MANIFEST_FILE).read_text())["layout"] == LAYOUT
