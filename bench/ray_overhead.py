"""Benchmark: Ray's overhead per measurement task, the embedded sample measured by the local engine
(a thread pool of 2 workers) and by a 2-CPU local Ray cluster, in one run.

The sample is ingested once (`pie run --select group:codenet` into a temp warehouse); then each
engine measures every chosen program of every problem (compile → judge on every test → measure,
one task per program, all submitted at once) into its own empty cache, so both start cold (the
precompiled header included). Prints per engine the wall time, the CPU time (this process, its
waited children, and every live descendant with its own waited children: the Ray processes, the
workers and their sandboxed runs) and the per-task figures; then Ray's overhead per task,
(ray - local) / local over every round, for wall and CPU time (target < 10% at equal cores), and
whether the rows are the same (all columns but the machine's facts: cpu_time_s, peak_memory_kb and
a TLE's CPU seconds used). Ray's cluster is started for each of its rounds and stopped after, its
start (not a per-task cost: a cluster is started once) printed apart.

Ray starts its workers at nice 15 (`RAY_worker_niceness`), so on a machine shared with other work
they get less CPU than the local engine's threads at nice 0; at equal cores means equal priority,
so the workers run at this process's niceness unless `--worker-niceness` says otherwise (15: Ray's
default, to see what it costs under load).

    python bench/ray_overhead.py [--rounds N] [--worker-niceness N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import dagster as dg
import polars as pl
import psutil
import ray

from pie_assets.lake.storage import Warehouse
from pie_assets.runner import run_pipeline
from pie_assets.runtime.annotate import ANNOTATION_SCHEMA, Annotator, runtime_cases
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.sandbox import Sandbox
from pie_assets.runtime.test_sets import select_tests
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS, Settings

CORES = 2
# Facts of the machine, not of the program: valgrind's CPU seconds, the native run's peak RSS,
# and the CPU seconds a TLE run used before its limit stopped it (in its detail).
NOISE = ("cpu_time_s", "peak_memory_kb")
TLE_USAGE = r" \(\d+\.\d+s used\)$"
# Ray reads its config overrides from RAY_<name>, spelled as Ray spells the name (lowercase).
RAY_WORKER_NICENESS = "RAY_worker_niceness"


def cpu_seconds() -> float:
    """CPU of this process, its waited children, and every live descendant with its waited children
    (Ray's processes, its workers and their sandboxed runs; none while the local engine runs)."""
    own = sum(
        getattr(resource.getrusage(who), field)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for field in ("ru_utime", "ru_stime")
    )
    live = 0.0
    for process in psutil.Process().children(recursive=True):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        live += times.user + times.system + times.children_user + times.children_system
    return own + live


def ingest(root: Path) -> Warehouse:
    settings = Settings(
        codenet_root=str(SAMPLE_CODENET_ROOT),
        warehouse=str(root / "warehouse"),
        extra_tests=str(SAMPLE_EXTRA_TESTS),
        cache_dir=str(root / "ingest-cache"),
    )
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(settings, instance, selection="group:codenet")
    if outcome.failed_steps:
        raise SystemExit(f"ingestion failed: {outcome.failed_steps}")
    return Warehouse(settings.warehouse)


def measure(store: Warehouse, problems: list[str], engine: str, cache: Path) -> tuple[float, float, pl.DataFrame, int]:
    """(wall s, CPU s, the annotation rows, tasks) of one cold measurement of every problem."""
    os.environ["PIE_ENGINE"] = engine
    annotator = Annotator(SimulatorConfig.load(), str(cache), Sandbox())
    work = []
    for problem in problems:
        tests = select_tests(
            annotator.config.test_set, pl.read_parquet(store.partition_path("test_cases", problem).path)
        )
        cases = runtime_cases(tests.tests)
        submissions = annotator.chosen(pl.read_parquet(store.partition_path("submissions", problem).path))
        work += [(row, problem, cases, tests.name) for row in submissions.iter_rows(named=True)]
    cpu, wall = cpu_seconds(), time.perf_counter()
    with annotator.executor(CORES) as pool:
        futures = [pool.submit(annotator.submission_rows, *task) for task in work]
        rows = [row for future in futures for row in future.result()[0]]
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    frame = (
        pl.DataFrame(rows, schema=ANNOTATION_SCHEMA, orient="row")
        .drop(NOISE)
        .sort("submission_id", "test_id")
        .with_columns(pl.col("detail").str.replace(TLE_USAGE, ""))
    )
    return wall, cpu, frame, len(work)


def measure_on(
    engine: str, store: Warehouse, problems: list[str], cache: Path
) -> tuple[float, float, pl.DataFrame, int]:
    """One cold measurement on `engine`; Ray's 2-CPU cluster is started for it (timed apart) and
    stopped after, so the local engine never shares the machine with an idle cluster."""
    if engine == "local":
        return measure(store, problems, engine, cache)
    started = time.perf_counter()
    ray.init(num_cpus=CORES, include_dashboard=False, log_to_driver=False, configure_logging=False)
    print(f"  ray start: {time.perf_counter() - started:.1f} s (once per cluster: not in the figures)")
    try:
        return measure(store, problems, engine, cache)
    finally:
        ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=1, help="cold measurements per engine, alternating which goes first (load drifts)"
    )
    parser.add_argument(
        "--worker-niceness",
        type=int,
        default=os.nice(0),
        help="niceness of Ray's workers (default: this process's; Ray's own default is 15)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (warehouse, caches) and print it")
    args = parser.parse_args()
    os.environ[RAY_WORKER_NICENESS] = str(args.worker_niceness)
    root = Path(tempfile.mkdtemp(prefix="pie-ray-overhead-"))
    try:
        store = ingest(root)
        problems = sorted(
            path.name.removeprefix("problem_id=") for path in (root / "warehouse" / "submissions").iterdir()
        )
        print(
            f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {len(problems)} problems, "
            f"{CORES} cores each engine, Ray workers at nice {args.worker_niceness}"
        )
        totals = {"local": [0.0, 0.0], "ray": [0.0, 0.0]}
        rows: dict[str, pl.DataFrame] = {}
        for round_ in range(args.rounds):
            for engine in ("local", "ray") if round_ % 2 == 0 else ("ray", "local"):
                wall, cpu, rows[engine], tasks = measure_on(engine, store, problems, root / f"cache-{engine}-{round_}")
                totals[engine][0] += wall
                totals[engine][1] += cpu
                print(
                    f"round {round_ + 1} {engine:5}: wall {wall:6.1f} s, CPU {cpu:6.1f} s; per task "
                    f"{1000 * wall / tasks:5.0f} ms wall, {1000 * cpu / tasks:5.0f} ms CPU "
                    f"({tasks} tasks, {rows[engine].height} rows)"
                )
        for index, what in enumerate(("wall", "CPU")):
            local, through_ray = totals["local"][index], totals["ray"][index]
            overhead = (through_ray - local) / local
            print(
                f"Ray overhead per task, {what}: {1000 * (through_ray - local) / (tasks * args.rounds):+.0f} ms = "
                f"{100 * overhead:+.1f}% of local (target < 10%: {'met' if overhead < 0.10 else 'NOT met'})"
            )
        same = rows["local"].equals(rows["ray"])
        print(f"rows identical (a TLE's CPU seconds used aside): {'yes' if same else 'NO'}")
        # Not strict: the row counts are printed per round above; a missing row must not hide the others.
        for a, b in zip(rows["local"].iter_rows(named=True), rows["ray"].iter_rows(named=True), strict=False):
            if a != b:
                print(f"  differs: {a['submission_id']} {a['test_id']}: {', '.join(k for k in a if a[k] != b[k])}")
    finally:
        if args.keep:
            print(f"kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
