"""Readers and parallel writers on one warehouse: no lock errors, never a half-written file."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import dagster as dg
import duckdb
import pytest
from catalog_reader import CatalogReader
from synthetic_corpus import build_synthetic_corpus

from pie_assets.defs.partitions import PROBLEMS
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runner import run_pipeline
from pie_assets.runs import partition_range_tags
from pie_assets.settings import Settings

TESTS_DIR = os.path.dirname(__file__)


@pytest.fixture
def synthetic(tmp_path):
    root = tmp_path / "Project_CodeNet"
    ids = build_synthetic_corpus(root, n_problems=40, per_problem=30)
    settings = Settings(codenet_root=str(root), warehouse=str(tmp_path / "warehouse"), extra_tests=None)
    return settings, ids


def test_reader_queries_while_a_run_writes(synthetic, instance):
    settings, ids = synthetic
    reader = CatalogReader(settings.warehouse)
    reader.start()
    outcome = run_pipeline(settings, instance, selection="group:codenet")
    time.sleep(0.2)
    reader.stop.set()
    reader.join()
    assert outcome.failed_steps == []
    assert reader.errors == []
    assert reader.queries > 0
    assert reader.counts == sorted(reader.counts)  # partitions only ever appear, whole
    with Catalog(Warehouse(settings.warehouse)).connect() as con:
        assert con.execute("select count(*) from submissions").fetchone()[0] == 40 * 30
    leftovers = [f for _, _, files in os.walk(settings.warehouse) for f in files if f.endswith(".tmp")]
    assert leftovers == []


def _execute_range(codenet: str, warehouse: str, home: str, first: str, last: str) -> bool:
    os.environ.update({"PIE_CODENET": codenet, "PIE_WAREHOUSE": warehouse, "DAGSTER_HOME": home})
    sys.path.insert(0, TESTS_DIR)
    import parallel_job

    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(
            dg.reconstructable(parallel_job.ingest_job),
            instance=instance,
            tags=partition_range_tags(first, last),
            run_config={"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}},
        )
        return result.success


def test_parallel_partition_runs_with_the_multiprocess_executor(synthetic, instance):
    """Two runs in two processes, each on the multiprocess executor, write one warehouse at once."""
    settings, ids = synthetic
    instance.add_dynamic_partitions(PROBLEMS, ids)
    home = os.environ["DAGSTER_HOME"]
    reader = CatalogReader(settings.warehouse)
    reader.start()
    half = len(ids) // 2
    # Non-daemonic workers (unlike multiprocessing.Pool), so Dagster's executor may fork its own.
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = [
            pool.submit(_execute_range, settings.codenet_root, settings.warehouse, home, chunk[0], chunk[-1])
            for chunk in (ids[:half], ids[half:])
        ]
        assert [j.result(timeout=300) for j in jobs] == [True, True]
    reader.stop.set()
    reader.join()
    assert reader.errors == []
    assert len(instance.get_runs()) == 2
    assert instance.get_materialized_partitions(dg.AssetKey("submissions")) == set(ids)
    with Catalog(Warehouse(settings.warehouse)).connect() as con:
        assert con.execute("select count(distinct problem_id) from submissions").fetchone()[0] == 40


def test_a_user_holding_the_catalog_open_read_write_does_not_block_runs(synthetic, instance, tmp_path):
    """The duckdb CLI opens files read-write by default; a run must still add new tables."""
    settings, ids = synthetic
    run_pipeline(settings, instance, problems=ids[:2], selection="problems")
    catalog_path = os.path.join(settings.warehouse, "pie.duckdb")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,sys,time; c=duckdb.connect({catalog_path!r}); c.execute('select 1'); "
            "print('open', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(duckdb.IOException):
            duckdb.connect(catalog_path)  # proof that the file is really locked by the holder
        outcome = run_pipeline(settings, instance, problems=ids[:2], selection="group:codenet")
        assert outcome.failed_steps == []
    finally:
        holder.communicate("", timeout=30)
    with Catalog(Warehouse(settings.warehouse)).connect() as con:
        assert con.execute("select count(*) from submissions").fetchone()[0] == 2 * 30
