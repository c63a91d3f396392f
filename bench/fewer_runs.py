"""Benchmark: `pie run`'s Dagster runs, events and seconds, the code before a revision and now, side
by side in one run (the older tree exported with `git archive` and put first on PYTHONPATH).

1. Runs: a generated CodeNet tree of `--problems` tiny problems (more than the sensors' cap of
   MAX_PARTITIONS_PER_RUN), `pie run --select group:codenet` cold, each side on its own fresh
   DAGSTER_HOME and warehouse: wall seconds, Dagster runs, events written (every run's event log,
   plus runless source observations); and the current code with Dagster's
   DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS (one planned event per asset of a ranged run
   instead of one per partition; measured, not set: a failed run's partitions are then not marked
   failed).
2. Warm with nothing changed, on the embedded sample: one cold `pie run` (the current code) fills a
   warehouse, then `--rounds` rounds of a warm `pie run` by each side in turn on it; the median
   wall seconds of each, checking that neither starts a run.
3. The floor of any `pie run` process: `import dagster`, and opening the instance as well
   (Dagster's storage modules, SQLAlchemy and alembic import on the first open); medians.

    python bench/fewer_runs.py [--before REV] [--problems 250] [--rounds 5] [--dir DIR]

`--dir` reuses a warehouse `runtime_cold_warm.py --keep` left (its dagster_home, sql and wh).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import dagster as dg

from dbt_like.models import DEFAULT_SQL_DIR
from pie_assets.defs.shared.partitions import MAX_PARTITIONS_PER_RUN
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS

ROOT = Path(__file__).resolve().parent.parent


def export(rev: str, into: Path) -> Path:
    """The repository's tree at `rev`, for its `pie_assets` and `dbt_like` to import first."""
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def generated_codenet(root: Path, problems: int) -> None:
    """The tests' generator of small valid CodeNet problems (tests/support, off this script's path)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from support.synthetic_corpus import build_synthetic_corpus

    build_synthetic_corpus(root, n_problems=problems, per_problem=1)


def fresh_home(home: Path) -> Path:
    """An empty Dagster home: each side's `pie run` writes its own dagster.yaml into it."""
    home.mkdir(parents=True)
    return home


def pie_run(
    tree: Path | None, cwd: Path, home: Path, sql: Path, *args: str, extra_env: dict[str, str] | None = None
) -> tuple[float, int, int]:
    """One `pie run` process of `tree`'s code (None: this checkout's): wall s, runs, events it added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIE_")}
    env.update(DAGSTER_HOME=str(home), PIE_SQL_DIR=str(sql), **(extra_env or {}))
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs_before = {run.run_id for run in instance.get_runs()}
        mark = instance.event_log_storage.get_maximum_record_id() or 0
    command = [sys.executable, "-m", "pie_assets.cli", "run", "--quiet", *args]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"pie run failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        new = [run.run_id for run in instance.get_runs() if run.run_id not in runs_before]
        events = sum(len(instance.all_logs(run_id)) for run_id in new)
        runless = [
            record
            for key in instance.get_asset_keys()
            for record in instance.fetch_observations(
                dg.AssetRecordsFilter(asset_key=key, after_storage_id=mark), limit=10_000
            ).records
            if not record.run_id
        ]
    return wall, len(new), events + len(runless)


def median_s(command: list[str], rounds: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="dc5e50a", help="the revision to compare with (default: before #27 item 2)")
    parser.add_argument("--problems", type=int, default=2 * MAX_PARTITIONS_PER_RUN + 50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="a kept runtime_cold_warm.py dir: its warm sample warehouse")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pie-fewer-runs-"))
    try:
        before = export(args.before, tmp / "before")
        check = f"import pie_assets; assert pie_assets.__file__.startswith({str(before)!r}), pie_assets.__file__"
        subprocess.run(
            [sys.executable, "-c", check], cwd=tmp, env={**os.environ, "PYTHONPATH": str(before)}, check=True
        )
        sides: dict[str, Path | None] = {f"before ({args.before})": before, "now": None}
        print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")

        codenet = tmp / "codenet"
        generated_codenet(codenet, args.problems)
        shutil.copytree(DEFAULT_SQL_DIR, tmp / "sql")
        print(f"\n1. cold `pie run --select group:codenet`, {args.problems} generated problems")
        print(f"{'code':<26}{'wall s':>8}{'runs':>6}{'events':>8}")
        # Dagster's switch for one planned event per asset of a ranged run, not one per partition
        # (measured, not set: the partitions of a failed run are then not marked failed).
        subset = {"DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "1"}
        cold = [(label, tree, {}) for label, tree in sides.items()] + [("now, planned per range", None, subset)]
        for label, tree, extra_env in cold:
            side = tmp / label.replace(",", "").replace(" ", "_")
            side.mkdir(exist_ok=True)
            wall, runs, events = pie_run(
                tree,
                side,
                fresh_home(side / "dagster_home"),
                tmp / "sql",
                *("--select", "group:codenet", "--codenet", str(codenet), "--warehouse", str(side / "wh")),
                extra_env=extra_env,
            )
            print(f"{label:<26}{wall:>8.1f}{runs:>6}{events:>8}")

        # This checkout's sample for both sides: the files' versions include their paths.
        sample = args.dir or tmp / "sample"
        flags = ("--codenet", str(SAMPLE_CODENET_ROOT), "--extra-tests", str(SAMPLE_EXTRA_TESTS))
        flags += ("--warehouse", str(sample / "wh"))
        if args.dir is None:
            shutil.copytree(DEFAULT_SQL_DIR, sample / "sql")
            fresh_home(sample / "dagster_home")
        wall, runs, events = pie_run(None, sample, sample / "dagster_home", sample / "sql", *flags)
        print(f"\n(the sample, first run now: {wall:.1f} s, {runs} runs, {events} events; cold without --dir)")
        print(f"\n2. warm `pie run` with nothing changed, the sample, median of {args.rounds}")
        warm: dict[str, list[float]] = {label: [] for label in sides}
        for _ in range(args.rounds):
            for label, tree in sides.items():
                wall, runs, _ = pie_run(tree, sample, sample / "dagster_home", sample / "sql", *flags)
                assert runs == 0, f"{label}: a warm run with nothing changed started {runs} runs"
                warm[label].append(wall)
        for label, times in warm.items():
            print(f"{label:<24}{statistics.median(times):>8.2f} s  (min {min(times):.2f}, max {max(times):.2f})")

        print(f"\n3. the floor of a `pie run` process, median of {args.rounds}")
        env = {**os.environ, "DAGSTER_HOME": str(sample / "dagster_home")}
        python = [sys.executable, "-c"]
        floors = {
            "python alone": "pass",
            "import dagster": "import dagster",
            "+ open the instance": "import dagster as dg; dg.DagsterInstance.get().get_runs_count()",
            "+ import pie_assets.runner": "import dagster as dg; dg.DagsterInstance.get(); import pie_assets.runner",
        }
        for label, code in floors.items():
            print(f"{label:<28}{median_s([*python, code], args.rounds, env):>8.2f} s")
        print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
