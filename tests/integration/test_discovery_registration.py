"""The discovery sensor registers new problems itself, in one bulk insert, and requests the same
ranged runs as when Dagster's daemon registered them one query per key: at a few thousand problems
on a real SQLite instance (the tick as the code server evaluates it), and through Dagster's own
sensor daemon loop (`execute_sensor_iteration`) on an instance whose runs wait in a
QueuedRunCoordinator (nothing launches them here), where the runs it submits find their partitions.
The daemon test stays small: creating a run writes one planned event per asset and partition."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import discovery_registration
import pytest
from dagster._core.definitions.partitions.context import partition_loading_context
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.scheduler.instigation import TickStatus
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from dagster._core.test_utils import (
    InProcessTestWorkspaceLoadTarget,
    create_test_daemon_workspace_context,
    freeze_time,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._daemon.sensor import execute_sensor_iteration

from pie_assets.defs.codenet.jobs import PROBLEM_LIST_KEYS, PROBLEM_TABLE_KEYS
from pie_assets.defs.codenet.sensors import codenet_problem_sensor
from pie_assets.defs.shared.partitions import PROBLEMS, problems_partitions
from pie_assets.defs.shared.resources import CodeNetSource, LakeResource
from pie_assets.settings import CODE_LOCATION

EARLIER = 50  # registered before the first tick (as `pie run` does): neither registered again nor requested
SENSOR = "codenet_problem_sensor"


@pytest.fixture
def queued_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    """A real SQLite instance whose daemon-submitted runs stay queued (no run queue daemon here)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: QueuedRunCoordinator\n"
    )
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        yield instance


def _covered(instance: dg.DagsterInstance, ranges: list[tuple[str, str]]) -> list[str]:
    """The registered partitions the ranges resolve to, as a run of each resolves them."""
    with partition_loading_context(dynamic_partitions_store=instance):
        return [
            key
            for start, end in ranges
            for key in problems_partitions.get_partition_keys_in_range(dg.PartitionKeyRange(start, end))
        ]


def test_a_tick_over_thousands_of_problems_registers_each_once_and_requests_the_same_runs(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    ids = discovery_registration.problem_tree(tmp_path / "Project_CodeNet", 3_000)
    instance.add_dynamic_partitions(PROBLEMS, ids[:EARLIER])
    resources = {
        "codenet": CodeNetSource(root=str(tmp_path / "Project_CodeNet"), extra_tests_dir=None),
        "lake": LakeResource(warehouse=str(tmp_path / "wh")),
    }
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        first = codenet_problem_sensor.evaluate_tick(context)
    assert first.dynamic_partitions_requests == []  # nothing left for the daemon to register
    assert instance.get_dynamic_partitions(PROBLEMS) == ids  # each key once, the new ones after the earlier

    requests = first.run_requests or []
    ranged = [(r, k) for r in requests if (k := r.partition_key_range)]
    ranges = [(k.start, k.end) for _, k in ranged]
    assert ranges == discovery_registration.expected_ranges(ids, EARLIER) and len(ranges) == 30
    assert [r.run_key for r, _ in ranged] == [f"ingest:{start}..{end}" for start, end in ranges]
    assert all(r.asset_selection == PROBLEM_TABLE_KEYS for r, _ in ranged)
    assert [r.asset_selection for r in requests if not r.partition_key_range] == [PROBLEM_LIST_KEYS]
    assert _covered(instance, ranges) == ids[EARLIER:]

    # The next tick, nothing new: nothing registered, nothing requested.
    with dg.build_sensor_context(instance=instance, resources=resources, cursor=first.cursor) as context:
        again = codenet_problem_sensor.evaluate_tick(context)
    assert not again.run_requests and instance.get_dynamic_partitions(PROBLEMS) == ids


def test_the_daemons_tick_submits_ranged_runs_that_find_the_partitions_the_sensor_registered(
    tmp_path: Path, queued_instance: dg.DagsterInstance
) -> None:
    instance = queued_instance
    root = tmp_path / "Project_CodeNet"
    ids = discovery_registration.problem_tree(root, 160)
    instance.add_dynamic_partitions(PROBLEMS, ids[:EARLIER])
    module = tmp_path / "code_location.py"  # the project's definitions over this tree, as the daemon loads them
    module.write_text(
        "from pie_assets.code_location import build_defs\nfrom pie_assets.settings import Settings\n\n"
        f"defs = build_defs(Settings(codenet_root={str(root)!r}, warehouse={str(tmp_path / 'wh')!r}, "
        "extra_tests=None))\n"
    )
    origin = InProcessCodeLocationOrigin(LoadableTargetOrigin(python_file=str(module)), location_name=CODE_LOCATION)
    with create_test_daemon_workspace_context(InProcessTestWorkspaceLoadTarget(origin), instance) as process:
        (repository,) = process.create_request_context().get_code_location(CODE_LOCATION).get_repositories().values()
        for sensor in repository.get_sensors():  # only the discovery sensor ticks
            if sensor.name != SENSOR:
                instance.stop_sensor(sensor.get_remote_origin_id(), sensor.selector_id, sensor)
        discovery = repository.get_sensor(SENSOR)
        _tick(process)

        assert instance.get_dynamic_partitions(PROBLEMS) == ids
        (tick,) = instance.get_ticks(discovery.get_remote_origin_id(), discovery.selector_id)
        assert tick.status == TickStatus.SUCCESS
        runs = instance.get_runs()
        assert {run.status for run in runs} == {dg.DagsterRunStatus.QUEUED} and len(tick.run_ids) == len(runs) == 3
        (listing,) = [run for run in runs if run.asset_selection == set(PROBLEM_LIST_KEYS)]
        ranges = sorted(
            (run.tags[ASSET_PARTITION_RANGE_START_TAG], run.tags[ASSET_PARTITION_RANGE_END_TAG])
            for run in runs
            if run is not listing and run.asset_selection == set(PROBLEM_TABLE_KEYS)
        )
        assert (
            ranges
            == [("p00050", "p00149"), ("p00150", "p00159")]
            == discovery_registration.expected_ranges(ids, EARLIER)
        )
        assert _covered(instance, ranges) == ids[EARLIER:]

        # The next tick (past the sensor's interval), one problem later: it alone is registered and requested.
        (root / "data" / "p09999").mkdir()
        with freeze_time(time.time() + 120):
            _tick(process)
        assert instance.get_dynamic_partitions(PROBLEMS) == [*ids, "p09999"]
        latest = instance.get_ticks(discovery.get_remote_origin_id(), discovery.selector_id, limit=1)[0]
        (run,) = [instance.get_run_by_id(run_id) for run_id in latest.run_ids]
        assert run is not None
        assert (run.tags[ASSET_PARTITION_RANGE_START_TAG], run.tags[ASSET_PARTITION_RANGE_END_TAG]) == (
            "p09999",
            "p09999",
        )


def _tick(process: WorkspaceProcessContext) -> None:
    list(execute_sensor_iteration(process, logging.getLogger("sensor_daemon"), None, None))


def test_the_benchmark_checks_both_sides_register_the_same_keys_and_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """bench/discovery_registration.py at a small scale: its checks pass (its figures are not asserted)."""
    assert discovery_registration.main(["--problems", "250", "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "discovery registration of 250 problems" in out and "CHECK FAILED" not in out
    assert "4 run requests" in out  # 3 ranges of 100 + problem_list
