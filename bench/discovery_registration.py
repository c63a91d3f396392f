"""Benchmark: registering the problems `codenet_problem_sensor` discovers, one query per key against
one bulk insert, side by side in one run, each on a fresh SQLite instance of the same kind.

On a tree of --problems empty problem directories (discovery reads names only; CodeNet's 4,053 by
default), each repeat measures:
  one per key: what Dagster's sensor daemon does with a sensor's dynamic-partition request (the
    sensor returned one before, 22.8 s at CodeNet scale): one `has_dynamic_partition` query per
    key, then one insert of the missing ones (dagster/_daemon/sensor.py,
    `_handle_dynamic_partitions_requests`, as of Dagster 1.13);
  bulk: the sensor's whole tick as it is now (`evaluate_tick` on a real instance: discovery, the
    run requests and its one `add_dynamic_partitions` call), which leaves the daemon nothing to
    register.
Prints the median of each and their ratio, and checks that both instances end with every key
once, in the same order, and that the tick's ranged run requests cover the keys in runs of 100.

    python bench/discovery_registration.py [--problems 4053] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
from dagster._core.definitions.sensor_definition import SensorExecutionData

from pie_assets.codenet.problem_list import PROBLEM_LIST_HEADER
from pie_assets.defs.codenet.sensors import codenet_problem_sensor
from pie_assets.defs.shared.partitions import MAX_PARTITIONS_PER_RUN, PROBLEMS
from pie_assets.defs.shared.resources import CodeNetSource, LakeResource

CODENET_PROBLEMS = 4053


def problem_tree(root: Path, count: int) -> list[str]:
    """A CodeNet-shaped tree of `count` empty problem directories and an empty problem_list.csv."""
    ids = [f"p{i:05d}" for i in range(count)]
    for problem in ids:
        (root / "data" / problem).mkdir(parents=True)
    (root / "metadata").mkdir()
    (root / "metadata" / "problem_list.csv").write_text(",".join(PROBLEM_LIST_HEADER) + "\n")
    return ids


def expected_ranges(keys: list[str], first: int = 0) -> list[tuple[str, str]]:
    """The ranged runs one-per-key registration gave for keys[first:]: runs of 100, in partition order."""
    step = MAX_PARTITIONS_PER_RUN
    return [(keys[i], keys[min(i + step, len(keys)) - 1]) for i in range(first, len(keys), step)]


def fresh_instance(home: Path) -> dg.DagsterInstance:
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return dg.DagsterInstance.local_temp(str(home))


def one_per_key(instance: dg.DagsterInstance, keys: list[str]) -> float:
    """Dagster's daemon registering the keys of one AddDynamicPartitionsRequest; seconds."""
    started = time.perf_counter()
    missing = [key for key in keys if not instance.has_dynamic_partition(PROBLEMS, key)]
    if missing:
        instance.add_dynamic_partitions(PROBLEMS, missing)
    return time.perf_counter() - started


def sensor_tick(instance: dg.DagsterInstance, root: Path, warehouse: Path) -> tuple[float, SensorExecutionData]:
    """The discovery sensor's tick, its bulk registration included; seconds and its result."""
    resources = {
        "codenet": CodeNetSource(root=str(root), extra_tests_dir=None),
        "lake": LakeResource(warehouse=str(warehouse)),
    }
    started = time.perf_counter()
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        data = codenet_problem_sensor.evaluate_tick(context)
    return time.perf_counter() - started, data


def check(
    keys: list[str], per_key: dg.DagsterInstance, bulk: dg.DagsterInstance, data: SensorExecutionData
) -> list[str]:
    """What must hold for the two figures to compare: the same partitions, the same runs."""
    problems = []
    if per_key.get_dynamic_partitions(PROBLEMS) != keys or bulk.get_dynamic_partitions(PROBLEMS) != keys:
        problems.append("the instances do not hold every key once, in order")
    if data.dynamic_partitions_requests:
        problems.append("the sensor still returned dynamic-partition requests")
    ranged = [(k.start, k.end) for r in data.run_requests or [] if (k := r.partition_key_range)]
    if ranged != expected_ranges(keys):
        problems.append(f"unexpected ranged run requests: {ranged[:3]}...")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=CODENET_PROBLEMS)
    parser.add_argument("--repeat", type=int, default=3, help="fresh pairs of instances measured")
    args = parser.parse_args(argv)
    per_key_s, bulk_s, failures, runs = [], [], [], 0
    with tempfile.TemporaryDirectory(prefix="pie-discovery-") as scratch:
        root = Path(scratch, "Project_CodeNet")
        keys = problem_tree(root, args.problems)
        for n in range(args.repeat):
            with (
                fresh_instance(Path(scratch, f"home_per_key_{n}")) as per_key,
                fresh_instance(Path(scratch, f"home_bulk_{n}")) as bulk,
            ):
                # Alternate which side runs first, so neither always finds the page cache warmer.
                if n % 2:
                    seconds, data = sensor_tick(bulk, root, Path(scratch, "wh"))
                    per_key_s.append(one_per_key(per_key, keys))
                else:
                    per_key_s.append(one_per_key(per_key, keys))
                    seconds, data = sensor_tick(bulk, root, Path(scratch, "wh"))
                bulk_s.append(seconds)
                failures += check(keys, per_key, bulk, data)
                runs = len(data.run_requests or [])
    one, many = statistics.median(per_key_s), statistics.median(bulk_s)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"discovery registration of {args.problems:,} problems (median of {args.repeat}; {os.cpu_count()} CPUs, "
        f"load {load}): one query per key {one:.2f} s, the sensor's tick with one bulk insert {many:.3f} s: "
        f"{one / many:.0f}x; {runs} run requests (ranges of {MAX_PARTITIONS_PER_RUN} + problem_list)"
    )
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
