"""deploy/dagster.yaml as a deployment of many workers uses it, against a real Postgres started here:
two `pie run` workers at once record their runs and materialisations in one Postgres (no SQLite
anywhere), and, with the real `dagster-daemon`, the queued run coordinator's tag limit holds runs
of the limited stage back until the one in progress ends."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from support.postgres_server import PostgresServer, postgres_server
from support.process_group import stop_group

from pie_assets.defs.evaluation.sensors import generation_request
from pie_assets.defs.runtime.sensors import runtime_automation_sensor
from pie_assets.defs.shared.partitions import range_run_requests
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runs import GENERATION_STAGE_TAGS, RUNTIME_STAGE_TAGS, STAGE_TAG
from pie_assets.settings import CODE_LOCATION

pg_storage = pytest.importorskip(
    "dagster_postgres", reason="Dagster's Postgres storage is in the cluster extra: pip install -e '.[cluster]'"
)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
WORKSPACE = ROOT / "workspace.yaml"
PIE = [sys.executable, "-m", "pie_assets.cli"]
SCRIPTS = Path(sys.executable).parent  # this environment's `dagster` and `dagster-daemon`
PROBLEMS = "problems"  # the dynamic partitions of every per-problem table
LIMITED = (STAGE_TAG, "runtime")  # the tag deploy/dagster.yaml limits (the sensors' runtime runs)
DONE = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def deploy_home(tmp_path: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DAGSTER_HOME holding deploy/dagster.yaml unchanged, its DAGSTER_PG_* set for this process and
    every process it starts, the schema created once as deploy/README.md says (dagster-postgres
    races when several processes create it at once); the warehouse a fresh one shared by them all."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in postgres.dagster_env().items():
        monkeypatch.setenv(name, value)
    for name in ("PIE_CODENET", "PIE_EXTRA_TESTS", "PIE_DATASET"):
        monkeypatch.delenv(name, raising=False)  # the embedded sample
    monkeypatch.setenv("PIE_WAREHOUSE", str(tmp_path / "warehouse"))
    migrate = subprocess.run(
        [str(SCRIPTS / "dagster"), "instance", "migrate"], capture_output=True, text=True, timeout=120
    )
    assert migrate.returncode == 0, migrate.stderr
    return home


def _ranges(runs: Sequence[dg.DagsterRun]) -> set[tuple[str, str]]:
    return {
        (run.tags[ASSET_PARTITION_RANGE_START_TAG], run.tags[ASSET_PARTITION_RANGE_END_TAG])
        for run in runs
        if ASSET_PARTITION_RANGE_START_TAG in run.tags
    }


def test_two_pie_run_workers_at_once_record_runs_and_materialisations_in_postgres(deploy_home: Path, tmp_path: Path):
    problems = ("p90001", "p90002")
    workers = [
        subprocess.Popen(
            [*PIE, "run", "--quiet", "--select", "group:codenet", "--problems", problem],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for problem in problems
    ]
    try:
        outputs = [worker.communicate(timeout=300) for worker in workers]
    finally:
        for worker in workers:
            stop_group(worker, timeout_s=30)
    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr

    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, pg_storage.PostgresRunStorage)
        assert isinstance(instance.event_log_storage, pg_storage.PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, pg_storage.PostgresScheduleStorage)
        runs = [record.dagster_run for record in instance.get_run_records()]
        assert runs and {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}, [
            (run.job_name, run.status) for run in runs
        ]
        # Each worker's per-problem stage ran as its own ranged run.
        assert _ranges(runs) == {(problem, problem) for problem in problems}
        assert set(instance.get_dynamic_partitions(PROBLEMS)) == set(problems)
        for table in ("submissions", "test_cases"):
            assert instance.get_materialized_partitions(dg.AssetKey(table)) == set(problems), table
    # Everything went to Postgres: no SQLite storage was created beside dagster.yaml.
    assert not [path for path in deploy_home.rglob("*.db")], list(deploy_home.rglob("*"))
    # Both workers' partitions landed in the one shared warehouse and its catalog.
    with Catalog(Warehouse(os.environ["PIE_WAREHOUSE"])).connect() as con:
        landed = {row[0] for row in con.execute("select distinct problem_id from submissions").fetchall()}
    assert landed == set(problems)


def test_the_runs_the_sensors_request_carry_the_tags_the_queue_limits():
    """A limit acts only on runs tagged with it: the runtime sensors' and the evaluation's
    generation runs must carry exactly the stage tags deploy/dagster.yaml limits."""
    local = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    limited = {(rule["key"], rule["value"]) for rule in local["run_coordinator"]["config"]["tag_concurrency_limits"]}
    assert limited == {*RUNTIME_STAGE_TAGS.items(), *GENERATION_STAGE_TAGS.items()}
    assert runtime_automation_sensor.run_tags == RUNTIME_STAGE_TAGS
    (config_run,) = range_run_requests(
        ["p1", "p2"], [dg.AssetKey("submission_runtimes")], "config:1", tags=RUNTIME_STAGE_TAGS
    )
    assert config_run.tags[STAGE_TAG] == "runtime" and config_run.tags[ASSET_PARTITION_RANGE_END_TAG] == "p2"
    assert generation_request("k", "tiny", ["p1"]).tags[STAGE_TAG] == "generation"


def test_the_kubernetes_variant_shares_storage_and_queue_and_is_a_valid_instance_config(tmp_path: Path):
    """dagster-k8s is not installed here: its launcher's own keys are not checked, the rest is."""
    from dagster._core.instance.config import dagster_instance_config

    local, k8s = (yaml.safe_load((DEPLOY / name).read_text()) for name in ("dagster.yaml", "dagster-k8s.yaml"))
    assert k8s["storage"] == local["storage"] and k8s["telemetry"] == local["telemetry"]
    assert k8s["run_coordinator"]["class"] == local["run_coordinator"]["class"] == "QueuedRunCoordinator"
    limited = [
        {k: v for k, v in limit.items() if k != "limit"}
        for limit in local["run_coordinator"]["config"]["tag_concurrency_limits"]
    ]
    assert limited == [
        {k: v for k, v in limit.items() if k != "limit"}
        for limit in k8s["run_coordinator"]["config"]["tag_concurrency_limits"]
    ]
    assert {"key": LIMITED[0], "value": LIMITED[1]} in limited
    assert (k8s["run_launcher"]["module"], k8s["run_launcher"]["class"]) == ("dagster_k8s", "K8sRunLauncher")
    shutil.copy(DEPLOY / "dagster-k8s.yaml", tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))  # raises on any key Dagster's schema rejects
    assert config["run_launcher"]["config"]["instance_config_map"]


def _queue_runs(instance: dg.DagsterInstance, partitions: Sequence[str], tags: dict[str, str]) -> list[str]:
    """Through the code location of workspace.yaml (the daemon's): stop its sensors and schedules
    (they would start runs of their own), then queue one `ingest_problems` run per partition."""
    with WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(WORKSPACE)])) as process:
        workspace = process.create_request_context()
        location = workspace.get_code_location(CODE_LOCATION)
        (repository,) = location.get_repositories().values()
        for sensor in repository.get_sensors():
            instance.stop_sensor(sensor.get_remote_origin_id(), sensor.selector_id, sensor)
        for schedule in repository.get_schedules():
            instance.stop_schedule(schedule.get_remote_origin_id(), schedule.selector_id, schedule)
        job = repository.get_full_job("ingest_problems")
        plan = location.get_execution_plan(job, {}, step_keys_to_execute=None, known_state=None, instance=instance)
        run_ids = []
        for partition in partitions:
            run = instance.create_run(
                job_name=job.name,
                run_id=None,
                run_config={},
                resolved_op_selection=None,
                step_keys_to_execute=None,
                op_selection=None,
                status=None,
                root_run_id=None,
                parent_run_id=None,
                tags={**job.tags, **tags, PARTITION_NAME_TAG: partition},
                job_snapshot=job.job_snapshot,
                execution_plan_snapshot=plan.execution_plan_snapshot,
                parent_job_snapshot=job.parent_job_snapshot,
                remote_job_origin=job.get_remote_origin(),
                job_code_origin=job.get_python_origin(),
                asset_selection=None,
                asset_check_selection=None,
                asset_graph=repository.asset_graph,
            )
            run_ids.append(instance.submit_run(run.run_id, workspace).run_id)
    return run_ids


def _most_at_once(records: Sequence[dg.RunRecord]) -> int:
    """The most runs in progress at one moment, from the start and end times Postgres recorded."""
    return max(
        sum(1 for other in records if other.start_time <= record.start_time < other.end_time) for record in records
    )


@pytest.mark.slow
def test_the_daemon_runs_at_most_the_tag_limit_of_runtime_runs_at_once(deploy_home: Path, tmp_path: Path):
    partitions = ("p90001", "p90002", "p90003")
    with dg.DagsterInstance.get() as instance:
        queue = instance.get_concurrency_config().run_queue_config
        (limit,) = [
            rule["limit"] for rule in queue.tag_concurrency_limits if (rule["key"], rule.get("value")) == LIMITED
        ]
        # Otherwise max_concurrent_runs alone would hold them back and the tag limit would go untested.
        assert limit < len(partitions) <= queue.max_concurrent_runs
        instance.add_dynamic_partitions(PROBLEMS, list(partitions))
        run_ids = _queue_runs(instance, partitions, dict([LIMITED]))
        assert {instance.get_run_by_id(r).status for r in run_ids} == {dg.DagsterRunStatus.QUEUED}

        with open(tmp_path / "daemon.log", "w") as log:  # the daemon keeps its own copy of the descriptor
            daemon = subprocess.Popen(
                [str(SCRIPTS / "dagster-daemon"), "run", "-w", str(WORKSPACE)],
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline:
                assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
                if all(instance.get_run_by_id(r).status in DONE for r in run_ids):
                    break
                time.sleep(1)
        finally:
            stop_group(daemon, timeout_s=30)
        records = instance.get_run_records(dg.RunsFilter(run_ids=run_ids))
        statuses = {record.dagster_run.tags[PARTITION_NAME_TAG]: record.dagster_run.status for record in records}
        assert statuses == dict.fromkeys(partitions, dg.DagsterRunStatus.SUCCESS), (
            statuses,
            (tmp_path / "daemon.log").read_text()[-3000:],
        )
        assert _most_at_once(records) <= limit, [(r.start_time, r.end_time) for r in records]
        assert instance.get_materialized_partitions(dg.AssetKey("submissions")) == set(partitions)
