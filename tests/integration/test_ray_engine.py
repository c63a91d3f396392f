"""Measurement on a real local Ray cluster (`ray.init(num_cpus=2)` on 127.0.0.1): the sample's
runtime rows equal the local engine's; a worker killed mid-task loses and doubles nothing; a
node without valgrind is named before anything is measured."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from support.ray_cluster import killing_one_worker

from pie_assets.lake.storage import Warehouse
from pie_assets.runner import run_pipeline
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS, Settings

ray = pytest.importorskip("ray", reason="the Ray engine needs the cluster extra: pip install -e '.[cluster]'")

# No program near a time limit (a TLE program sits at the native CPU limit, where machine load decides).
PROBLEMS = ["p90004", "p90007"]
# Measured facts of a run that are not functions of the program: the CPU seconds valgrind took and
# the native run's peak RSS (exact in 97.7% of runs, docs/concepts/profiles.md: bench/peak_memory.py). Every other
# column must be equal, byte for byte.
NOISE = ("cpu_time_s", "peak_memory_kb")


@pytest.fixture
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _run(root: Path, name: str, engine: str) -> Settings:
    settings = Settings(
        codenet_root=str(SAMPLE_CODENET_ROOT),
        warehouse=str(root / name / "warehouse"),
        extra_tests=str(SAMPLE_EXTRA_TESTS),
        cache_dir=str(root / name / "cache"),
    )
    with pytest.MonkeyPatch.context() as patch, dg.DagsterInstance.ephemeral() as instance:
        patch.setenv("PIE_ENGINE", engine)
        outcome = run_pipeline(settings, instance, problems=PROBLEMS, selection="group:codenet or group:runtime")
    assert outcome.failed_steps == []
    return settings


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Settings:
    """The two problems through the local engine, once for the module: the rows Ray must give."""
    return _run(tmp_path_factory.mktemp("local"), "local", "local")


def _rows(settings: Settings, table: str) -> pl.DataFrame:
    store = Warehouse(settings.warehouse)
    frames = [pl.read_parquet(store.partition_path(table, problem).path) for problem in PROBLEMS]
    keys = ["submission_id", "test_id"] if table == "runtime_annotations" else ["submission_id"]
    return pl.concat(frames).drop([c for c in NOISE if c in frames[0].columns]).sort(keys)


@pytest.mark.slow  # two cold runs of two problems (one shared with the next test) and a Ray start
def test_the_sample_through_ray_gives_the_local_engines_rows(tmp_path, local, local_ray):
    through_ray = _run(tmp_path, "ray", "ray")  # its own empty cache: every program measured on Ray
    assert len(list((tmp_path / "ray" / "cache" / "outcome").rglob("*.json"))) > 0
    for table in ("runtime_annotations", "submission_runtimes"):
        expected, got = _rows(local, table), _rows(through_ray, table)
        assert expected.height > 0
        assert got.equals(expected), table


@pytest.mark.slow
def test_a_killed_worker_loses_and_doubles_no_row(tmp_path, monkeypatch, local, local_ray):
    from pie_assets.runtime.annotate import Annotator
    from pie_assets.runtime.config import SimulatorConfig
    from pie_assets.runtime.sandbox import Sandbox
    from pie_assets.runtime.test_sets import select_tests

    monkeypatch.setenv("PIE_ENGINE", "ray")
    annotator = Annotator(SimulatorConfig.load(), str(tmp_path / "ray-cache"), Sandbox())
    store = Warehouse(local.warehouse)
    with killing_one_worker() as killed, annotator.executor() as pool:
        frames = [
            annotator.annotate(
                problem,
                pl.read_parquet(store.partition_path("submissions", problem).path),
                select_tests(
                    annotator.config.test_set, pl.read_parquet(store.partition_path("test_cases", problem).path)
                ),
                pool,
            )
            for problem in PROBLEMS
        ]
    assert killed, "no worker was caught running a task"
    annotations = pl.concat([a for a, _ in frames])
    assert annotations.select("submission_id", "test_id").is_duplicated().sum() == 0
    expected = _rows(local, "runtime_annotations")
    assert annotations.drop(list(NOISE)).sort("submission_id", "test_id").equals(expected)


def test_a_node_without_valgrind_is_named_before_measuring(tmp_path):
    from pie_assets.runtime.engine import RayExecutor, WorkerSetupError

    # A worker whose PATH has every system tool but valgrind.
    tools = tmp_path / "bin"
    tools.mkdir()
    for directory in ("/usr/local/bin", "/usr/bin", "/bin"):
        for entry in Path(directory).iterdir() if Path(directory).is_dir() else []:
            if not entry.name.startswith("valgrind") and not (tools / entry.name).exists():
                (tools / entry.name).symlink_to(entry)
    ray.init(
        num_cpus=1,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        runtime_env={"env_vars": {"PATH": str(tools)}},
    )
    try:
        with pytest.raises(WorkerSetupError, match=r"lacks valgrind\. Every node needs g\+\+, valgrind, bwrap"):
            RayExecutor(None, ["g++", "valgrind", "bwrap"])
    finally:
        ray.shutdown()
