"""The same pipeline against an fsspec URL warehouse (object-storage code path), in-process."""

from __future__ import annotations

import tempfile
import uuid

import duckdb
from upath import UPath

from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runner import run_pipeline
from pie_assets.settings import Settings


def test_memory_url_warehouse_runs_and_answers_sql(quirky, instance):
    root, extra = quirky
    url = f"memory://pie-{uuid.uuid4().hex}"
    settings = Settings(codenet_root=str(root), warehouse=url, extra_tests=str(extra))
    outcome = run_pipeline(settings, instance, selection="group:codenet")
    assert len(outcome.failed_steps) == 1 and "p00002" in outcome.failed_steps[0]  # the malformed CSV only

    names = sorted(p.name for p in UPath(url).iterdir())
    assert names == [
        "_catalog.json",
        "ingest_rejects",
        "pie.duckdb",
        "problem_list_rejects.parquet",
        "problem_statements",
        "problems.parquet",
        "submissions",
        "test_cases",
    ]
    assert not any(name.endswith(".tmp") for name in UPath(url).fs.find(url))
    with Catalog(Warehouse(url)).connect() as con:
        assert con.execute("select count(*) from submissions").fetchone()[0] == 6

    # The published catalog file works for any client that can read the URL.
    local = tempfile.mktemp(suffix=".duckdb")
    UPath(url).fs.get_file(f"{url}/pie.duckdb", local)
    con = duckdb.connect(local, read_only=True)
    con.register_filesystem(UPath(url).fs)
    assert con.execute("select count(*) from test_cases").fetchone()[0] == 5


def test_file_url_is_treated_as_local(quirky, instance, tmp_path):
    root, extra = quirky
    settings = Settings(codenet_root=str(root), warehouse=f"file://{tmp_path}/wh", extra_tests=str(extra))
    run_pipeline(settings, instance, problems=["p00001"], selection="group:codenet")
    assert (tmp_path / "wh" / "submissions" / "problem_id=p00001" / "data.parquet").exists()
    assert (tmp_path / "wh" / "pie.duckdb").exists()
