"""The warehouse on a real S3 HTTP API (moto's server on 127.0.0.1), reached the way users reach
theirs: the `pie` CLI in its own process, s3fs configured by the standard AWS variables."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

pytest.importorskip("s3fs", reason="an s3:// warehouse needs s3fs: pip install -e '.[cluster]' (or '.[s3]')")
pytest.importorskip("moto", reason="the S3 server of these tests is moto's: pip install -e '.[test]'")

# After the skips: s3_server imports moto.
import s3fs
from support.catalog_reader import CatalogReader
from support.s3_server import S3Server, s3_server

from pie_assets.lake.catalog import LAYOUT, Catalog
from pie_assets.lake.remote_lock import ObjectLock
from pie_assets.lake.storage import Warehouse
from pie_assets.settings import SAMPLE_CODENET_ROOT

PIE = str(Path(sys.executable).with_name("pie"))
RUN_TIMEOUT_S = 300
CODENET_TABLES = {
    "ingest_rejects",
    "problem_list_rejects",
    "problem_statements",
    "problems",
    "submissions",
    "test_cases",
}


@pytest.fixture(scope="module")
def s3() -> S3Server:
    with s3_server() as server:
        yield server


@dataclass
class Lake:
    url: str  # s3://<bucket>/pie
    fs: s3fs.S3FileSystem  # the test's own client, for looking at the objects
    env: dict[str, str]  # a subprocess's environment

    @property
    def key(self) -> str:
        return self.url.removeprefix("s3://")

    def objects(self) -> list[str]:
        return [path.removeprefix(self.key + "/") for path in self.fs.find(self.key)]

    def dagster_env(self, home: Path, **extra: str) -> dict[str, str]:
        home.mkdir(parents=True)
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        return {**self.env, "DAGSTER_HOME": str(home), **extra}


@pytest.fixture
def lake(s3, monkeypatch, tmp_path) -> Lake:
    """A fresh bucket; this process and its children see only the test server (a user's own
    AWS profile or endpoint variables must not leak in)."""
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "PIE_CACHE", "PIE_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name, value in s3.env.items():
        monkeypatch.setenv(name, value)
    fs = s3fs.S3FileSystem(endpoint_url=s3.endpoint, use_listings_cache=False)
    return Lake(url=f"s3://{s3.new_bucket()}/pie", fs=fs, env=dict(os.environ))


def _pie(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([PIE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, f"{proc.args} exited {proc.returncode}:\n{out}\n{err}"
    return out


def _published_views(lake: Lake, tmp_path: Path) -> tuple[set[str], set[str]]:
    """(views named by `_catalog.json`, views in the uploaded `pie.duckdb`), the latter read the
    way any DuckDB client reads it: a downloaded copy over the bucket's filesystem."""
    manifest = json.loads(lake.fs.cat_file(f"{lake.key}/_catalog.json"))
    local = tmp_path / f"pie-{time.monotonic_ns()}.duckdb"
    lake.fs.get_file(f"{lake.key}/pie.duckdb", str(local))
    with duckdb.connect(str(local), read_only=True) as con:
        con.register_filesystem(lake.fs)
        in_file = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
        for view in in_file:  # every view binds and answers
            con.execute(f'select count(*) from "{view}"').fetchone()
    return set(manifest["views"]) | set(manifest["models"]), in_file


def test_pie_run_on_s3_while_a_reader_queries_then_pie_sql_answers(lake, tmp_path):
    reader = CatalogReader(lake.url, pause_s=0.2)  # a user's pace; the server is shared with the run
    reader.start()
    run = _pie(
        "run",
        "--select",
        "group:codenet",
        "--warehouse",
        lake.url,
        "--quiet",
        env=lake.dagster_env(tmp_path / "dagster"),
    )
    out = _finish(run)
    queries_during_run = reader.queries
    time.sleep(0.5)
    reader.stop.set()
    reader.join()
    assert reader.errors == []
    assert queries_during_run > 0
    assert reader.counts == sorted(reader.counts)  # partitions only ever appear, whole

    # `pie sql` in a fresh process, this time with the S3-only endpoint variable.
    env = {k: v for k, v in lake.env.items() if k != "AWS_ENDPOINT_URL"} | {
        "AWS_ENDPOINT_URL_S3": lake.env["AWS_ENDPOINT_URL"]
    }
    sql = _pie(
        "sql",
        "select count(*) as n, count(distinct problem_id) as problems from submissions",
        "--warehouse",
        lake.url,
        "--format",
        "csv",
        env=env,
    )
    n, problems = map(int, _finish(sql).splitlines()[1].split(","))
    assert problems == len(list((SAMPLE_CODENET_ROOT / "data").iterdir())) and n > 0
    assert re.search(rf"^ *submissions +{n:,} rows$", out, re.M), out  # the run's own summary agrees
    assert reader.counts[-1] == n  # the reader, a long-lived process, saw every partition land

    objects = lake.objects()
    assert not any(name.endswith(".tmp") or name.startswith(".") for name in objects), objects  # lock released
    assert not any(name.startswith("_cache") for name in objects)  # binaries stay local
    manifest_views, file_views = _published_views(lake, tmp_path)
    assert manifest_views == file_views == CODENET_TABLES


def test_two_runs_write_different_problems_at_once(lake, tmp_path):
    runs = [
        _pie(
            "run",
            "--select",
            "group:codenet",
            "--problems",
            problem,
            "--warehouse",
            lake.url,
            "--quiet",
            env=lake.dagster_env(tmp_path / f"dagster-{problem}"),
        )
        for problem in ("p90001", "p90002")
    ]
    for run in runs:
        _finish(run)
    manifest_views, file_views = _published_views(lake, tmp_path)
    assert manifest_views == file_views == CODENET_TABLES
    with Catalog(Warehouse(lake.url)).connect() as con:
        for table in ("submissions", "test_cases", "problem_statements"):
            per_problem = dict(con.execute(f"select problem_id, count(*) from {table} group by 1").fetchall())
            assert set(per_problem) == {"p90001", "p90002"}, table
            for problem, n in per_problem.items():  # the view shows each run's whole partition
                with lake.fs.open(f"{lake.key}/{table}/problem_id={problem}/data.parquet", "rb") as f:
                    assert n == pl.read_parquet(f).height > 0, (table, problem)


def _add_tables(url: str, writer: int, n_tables: int, start: multiprocessing.synchronize.Barrier) -> None:
    """One writer process: its own new tables, each published as soon as it is written (as an
    asset's first partition is), then a model over them."""
    warehouse = Warehouse(url)
    catalog = Catalog(warehouse)
    start.wait()
    for i in range(n_tables):
        warehouse.write_partition(f"w{writer}_t{i}", "p1", pl.DataFrame({"writer": [writer], "table": [i]}))
        catalog.rebuild()
    catalog.register_model(
        f"w{writer}_rows", " union all ".join(f"select * from w{writer}_t{i}" for i in range(n_tables))
    )


def test_concurrent_rebuilds_lose_no_table_and_no_model(lake, tmp_path):
    writers, n_tables = 3, 3
    ctx = multiprocessing.get_context("spawn")  # fork would copy s3fs's event loop thread
    start = ctx.Barrier(writers)
    procs = [ctx.Process(target=_add_tables, args=(lake.url, w, n_tables, start)) for w in range(writers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(RUN_TIMEOUT_S)
    assert [proc.exitcode for proc in procs] == [0] * writers

    tables = {f"w{w}_t{i}" for w in range(writers) for i in range(n_tables)}
    models = {f"w{w}_rows" for w in range(writers)}
    manifest_views, file_views = _published_views(lake, tmp_path)
    assert manifest_views == file_views == tables | models
    with Catalog(Warehouse(lake.url)).connect() as con:
        for w in range(writers):
            assert con.execute(f"select count(*), min(writer), max(writer) from w{w}_rows").fetchone() == (
                n_tables,
                w,
                w,
            )
    assert not lake.fs.exists(f"{lake.key}/.catalog.lock")


HOLDER = """
import sys
import s3fs
from pie_assets.lake.remote_lock import LockLost, ObjectLock

lock = ObjectLock(s3fs.S3FileSystem(), sys.argv[1], lease_s=float(sys.argv[2]))
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
try:
    lock.renew()
    print("renewed", flush=True)
except LockLost:
    print("lost", flush=True)
lock.release()
"""
LEASE_S = 1.0


def _holder(lake: Lake, path: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, path, str(LEASE_S)],
        env=lake.env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_live_holder_keeps_the_lock_and_a_crashed_one_loses_it_after_its_lease(lake):
    path = f"{lake.key}/.catalog.lock"
    holder = _holder(lake, path)
    try:
        with pytest.raises(TimeoutError, match=f'"pid": {holder.pid}'):  # renewals keep it alive
            ObjectLock(lake.fs, path, lease_s=LEASE_S, timeout_s=3 * LEASE_S).acquire()
    finally:
        holder.kill()
        holder.wait()
    started = time.monotonic()
    with ObjectLock(lake.fs, path, lease_s=LEASE_S, timeout_s=30):
        waited = time.monotonic() - started
        assert lake.fs.exists(path)
    assert LEASE_S <= waited < 10 * LEASE_S
    assert not lake.fs.exists(path)


def test_a_holder_paused_past_its_lease_learns_it_lost_the_lock_and_leaves_the_new_holders(lake):
    path = f"{lake.key}/.catalog.lock"
    holder = _holder(lake, path)
    os.kill(holder.pid, signal.SIGSTOP)  # a long GC pause, a suspended VM
    try:
        successor = ObjectLock(lake.fs, path, lease_s=LEASE_S, timeout_s=30)
        successor.acquire()
    finally:
        os.kill(holder.pid, signal.SIGCONT)
    try:
        out, _ = holder.communicate("go\n", timeout=60)
        assert out.split() == ["lost"]  # its fence refuses, so a catalog rebuild would publish nothing
        assert holder.returncode == 0
        successor.renew()  # the old holder's release left the successor's lock alone
    finally:
        successor.release()
    assert not lake.fs.exists(path)


def test_a_store_without_a_lock_is_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="not http://"):
        Catalog(Warehouse("http://127.0.0.1:9/pie")).rebuild()


@pytest.mark.slow
def test_runtimes_of_an_s3_warehouse_are_cached_on_local_disk(lake, tmp_path):
    """Binaries and measurements need a local directory: `Settings.resolved_cache_dir()` gives
    ~/.cache/pie-lakehouse for a remote warehouse."""
    home = tmp_path / "home"
    run = _pie(
        "run",
        "--select",
        "group:codenet or group:runtime",
        "--problems",
        "p90001",
        "--warehouse",
        lake.url,
        "--quiet",
        env=lake.dagster_env(tmp_path / "dagster", HOME=str(home)),
    )
    _finish(run)
    assert any((home / ".cache" / "pie-lakehouse" / "compile").iterdir())
    assert not any(name.startswith("_cache") for name in lake.objects())
    with Catalog(Warehouse(lake.url)).connect() as con:
        measured = con.execute("select count(*) from submission_runtimes").fetchone()[0]
        submitted = con.execute("select count(*) from submissions where problem_id = 'p90001'").fetchone()[0]
    assert measured == submitted > 0


def test_a_flat_layout_warehouse_on_s3_moves_to_hive_paths_and_lookups_prune(lake):
    """The earlier `<table>/<problem>.parquet` objects move to hive paths on first use (the
    catalog's upgrade runs under the S3 lock), and a per-problem lookup opens one object."""
    for problem in ("p1", "p2", "p3"):
        with lake.fs.open(f"{lake.key}/submissions/{problem}.parquet", "wb") as f:
            pl.DataFrame(
                {"problem_id": [problem] * 2, "submission_id": [f"{problem}-a", f"{problem}-b"]}
            ).write_parquet(f)
    lake.fs.pipe(f"{lake.key}/_catalog.json", json.dumps({"views": ["submissions"], "models": {}}).encode())

    with Catalog(Warehouse(lake.url)).connect() as con:
        assert con.execute("select problem_id, count(*) from submissions group by 1 order by 1").fetchall() == [
            ("p1", 2),
            ("p2", 2),
            ("p3", 2),
        ]
        plan = con.execute("explain analyze select * from submissions where problem_id = 'p2'").fetchall()[0][1]
        assert "Scanning Files: 1/3" in plan
    assert sorted(o for o in lake.objects() if o.endswith(".parquet")) == [
        f"submissions/problem_id={p}/data.parquet" for p in ("p1", "p2", "p3")
    ]
    assert json.loads(lake.fs.cat(f"{lake.key}/_catalog.json"))["layout"] == LAYOUT


COPY_QUERY = (
    "select (select count(*) from submissions) s, (select count(*) from problems) p, "
    "(select sum(n)::int from per_problem) n"
)


def _sql(url: str, env: dict[str, str]) -> list[dict]:
    return json.loads(_finish(_pie("sql", COPY_QUERY, "--warehouse", url, "--format", "json", env=env)))


def test_a_prefix_copied_in_the_bucket_answers_from_its_own_objects(lake, tmp_path):
    """A warehouse prefix copied within the bucket is a warehouse of its own: `pie sql` reads the
    copy's objects while the original stands and after it is deleted, and the catalog uploaded
    to the copy is rebuilt for its prefix (its views name objects by URL)."""
    warehouse = Warehouse(lake.url)
    catalog = Catalog(warehouse)
    for problem, n in (("p1", 2), ("p2", 3)):
        warehouse.write_partition("submissions", problem, pl.DataFrame({"problem_id": [problem] * n}))
    catalog.write_table("problems", pl.DataFrame({"problem_id": ["p1", "p2"]}))
    catalog.register_model("per_problem", "select problem_id, count(*) n from submissions group by 1")
    copy = f"{lake.url.rsplit('/', 1)[0]}/elsewhere/pie"
    copy_key = copy.removeprefix("s3://")
    lake.fs.copy(lake.key, copy_key, recursive=True)
    assert sorted(p.removeprefix(copy_key + "/") for p in lake.fs.find(copy_key)) == lake.objects()
    lake.fs.rm(f"{copy_key}/submissions/problem_id=p2/data.parquet")  # the copy's own change

    assert _sql(copy, lake.env) == [{"s": 2, "p": 2, "n": 2}]
    assert _sql(lake.url, lake.env) == [{"s": 5, "p": 2, "n": 5}]
    lake.fs.rm(lake.key, recursive=True)
    assert _sql(copy, lake.env) == [{"s": 2, "p": 2, "n": 2}]

    assert json.loads(lake.fs.cat_file(f"{copy_key}/_catalog.json"))["root"] == copy
    local = tmp_path / "copy.duckdb"
    lake.fs.get_file(f"{copy_key}/pie.duckdb", str(local))
    with duckdb.connect(str(local), read_only=True) as con:  # as any DuckDB client reads the uploaded file
        con.register_filesystem(lake.fs)
        views = dict(con.execute("select view_name, sql from duckdb_views() where not internal").fetchall())
        assert f"read_parquet('{copy}/submissions/*/*.parquet'" in views["submissions"]
        assert not any(f"'{lake.url}/" in sql for sql in views.values())
        assert con.execute("select count(*) from submissions").fetchone() == (2,)
