"""Benchmark: the UI route (`pie ui`: Dagster's webserver and daemon, the sensors and automation
doing everything) against a cold `pie run`, on the same problems, side by side in one run.

Each route starts cold in its own temp dir: a fresh Dagster home, warehouse and runtime cache.
First `pie run --quiet` (the whole default graph): its wall time, its Dagster runs and the
checkpoints it evaluated. Then `pie ui` on an empty warehouse, timed from its start until
`model_evaluations` holds every one of those checkpoints and `leaderboard` has been materialised
after the last of them (the times come from the events' own timestamps; the instance is polled
once a second). Prints both walls, the ratio (the target of issue #27: UI <= 2x CLI) and the UI's
runs in order: who asked for each (sensor, backfill), what it materialised, when it was created,
started and ended, so where the time goes is on the page.

    python bench/ui_route.py                       # the whole sample
    python bench/ui_route.py --problems p90006,p90004 --keep
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS

# tests/support holds the one way to stop a process group that a server started in (`support.process_group`).
TESTS = Path(__file__).resolve().parents[1] / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

MODEL_EVALUATIONS = dg.AssetKey("model_evaluations")
LEADERBOARD = dg.AssetKey("leaderboard")
UI_LIMIT_S = 3600.0  # give up on the UI route after this long


@dataclass
class Sources:
    codenet: Path
    extra_tests: Path

    def flags(self) -> list[str]:
        return ["--codenet", str(self.codenet), "--extra-tests", str(self.extra_tests)]


def sample_subset(problems: list[str], dest: Path) -> Sources:
    """The embedded sample cut down to `problems`, in its own CodeNet layout (every file of theirs,
    the problem list's rows of theirs), with their extra tests."""
    sample = SAMPLE_CODENET_ROOT
    root, extra = dest / "Project_CodeNet", dest / "pie_tests"
    for problem in problems:
        if not (sample / "data" / problem).is_dir():
            raise SystemExit(f"{problem} is not a problem of the sample ({sample})")
        shutil.copytree(sample / "data" / problem, root / "data" / problem)
        shutil.copytree(
            sample / "derived" / "input_output" / "data" / problem, root / "derived" / "input_output" / "data" / problem
        )
        shutil.copytree(SAMPLE_EXTRA_TESTS / problem, extra / problem)
        (root / "metadata").mkdir(parents=True, exist_ok=True)
        (root / "problem_descriptions").mkdir(parents=True, exist_ok=True)
        shutil.copy(sample / "metadata" / f"{problem}.csv", root / "metadata")
        shutil.copy(sample / "problem_descriptions" / f"{problem}.html", root / "problem_descriptions")
    header, *rows = (sample / "metadata" / "problem_list.csv").read_text().splitlines(keepends=True)
    (root / "metadata" / "problem_list.csv").write_text(
        header + "".join(r for r in rows if r.split(",", 1)[0] in problems)
    )
    return Sources(root, extra)


def _env(place: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIE_")}
    env["DAGSTER_HOME"] = str(place / "dagster_home")
    return env


def _fresh(place: Path) -> None:
    """An empty Dagster home: `pie` writes the local instance's dagster.yaml into it, as for a new user."""
    (place / "dagster_home").mkdir(parents=True)


@dataclass
class CliRoute:
    wall_s: float
    runs: int
    checkpoints: list[str]


def cold_cli(place: Path, sources: Sources) -> CliRoute:
    """One cold `pie run` of the default graph on its own Dagster home, warehouse and cache."""
    _fresh(place)
    command = [sys.executable, "-m", "pie_assets.cli", "run", "--quiet", "--warehouse", str(place / "wh")]
    started = time.perf_counter()
    result = subprocess.run([*command, *sources.flags()], cwd=place, env=_env(place), capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"cold pie run failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    with dg.DagsterInstance.from_config(str(place / "dagster_home")) as instance:
        checkpoints = sorted(
            instance.get_latest_storage_id_by_partition(MODEL_EVALUATIONS, dg.DagsterEventType.ASSET_MATERIALIZATION)
        )
        return CliRoute(wall, instance.get_runs_count(), checkpoints)


@dataclass
class RunLine:
    origin: str
    selection: str
    status: str
    created_s: float
    started_s: float | None
    ended_s: float | None


@dataclass
class UiRoute:
    to_evaluations_s: float
    to_leaderboard_s: float
    runs: list[RunLine] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _finished(instance: dg.DagsterInstance, checkpoints: list[str]) -> tuple[float, float] | None:
    """(when the last of `checkpoints` was scored, when leaderboard was materialised after it), as
    event timestamps; None until both happened."""
    by_partition = instance.get_latest_storage_id_by_partition(
        MODEL_EVALUATIONS, dg.DagsterEventType.ASSET_MATERIALIZATION
    )
    if not set(checkpoints) <= set(by_partition):
        return None
    last = max(by_partition[c] for c in checkpoints)
    (scored,) = instance.fetch_materializations(dg.AssetRecordsFilter(MODEL_EVALUATIONS, storage_ids=[last]), 1).records
    board = instance.fetch_materializations(dg.AssetRecordsFilter(LEADERBOARD, after_storage_id=last), 1).records
    return (scored.timestamp, board[0].timestamp) if board else None


def _selection(run: dg.DagsterRun) -> str:
    keys = sorted(k.to_user_string() for k in run.asset_selection or ())
    names = ", ".join(keys[:3]) + (f" +{len(keys) - 3}" if len(keys) > 3 else "")
    tags = run.tags
    start, end = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
    single = tags.get("dagster/partition")
    partition = f"[{start}..{end}]" if start else (f"[{single}]" if single else "")
    return f"{names} {partition}".strip()


def _origin(run: dg.DagsterRun) -> str:
    tags = run.tags
    if "dagster/backfill" in tags:
        return f"backfill {tags['dagster/backfill'][:8]}"
    return tags.get("dagster/sensor_name") or tags.get("dagster/schedule_name") or "-"


def ui_route(place: Path, sources: Sources, checkpoints: list[str], log_every_s: float = 30.0) -> UiRoute:
    """`pie ui` on an empty warehouse, timed until `leaderboard` follows every checkpoint's score."""
    from support.process_group import stop_group

    _fresh(place)
    command = [sys.executable, "-m", "pie_assets.cli", "ui", "--port", str(_free_port()), "--warehouse", "wh"]
    log_path = place / "ui.log"
    with open(log_path, "w") as log:  # the UI keeps its own copy of the descriptor
        started = time.time()
        ui = subprocess.Popen(
            [*command, *sources.flags()],
            cwd=place,
            env=_env(place),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        with dg.DagsterInstance.from_config(str(place / "dagster_home")) as instance:
            done, last_log = None, time.time()
            while done is None:
                if ui.poll() is not None:
                    raise SystemExit(f"pie ui exited ({ui.returncode}):\n{log_path.read_text()[-3000:]}")
                if time.time() - started > UI_LIMIT_S:
                    raise SystemExit(f"the UI route did not reach leaderboard in {UI_LIMIT_S:.0f} s")
                time.sleep(1)
                done = _finished(instance, checkpoints)
                if time.time() - last_log > log_every_s:
                    last_log = time.time()
                    print(f"  ui: {last_log - started:.0f} s, {instance.get_runs_count()} runs", flush=True)
            runs = [
                RunLine(
                    _origin(r.dagster_run),
                    _selection(r.dagster_run),
                    r.dagster_run.status.value,
                    r.create_timestamp.timestamp() - started,
                    r.start_time - started if r.start_time else None,
                    r.end_time - started if r.end_time else None,
                )
                for r in reversed(instance.get_run_records())
            ]
    finally:
        stop_group(ui)
    return UiRoute(done[0] - started, done[1] - started, runs)


def measured_leaderboard(warehouse: Path) -> list[tuple]:
    """The leaderboard's measured rows (the paper's reported ones are constants): what both routes
    must agree on, so a faster route is the same work done sooner."""
    with Catalog(Warehouse(str(warehouse))).connect() as con:
        return con.execute(
            "select checkpoint, strategy, mode, n_pairs, speedup, pct_opt, pct_correct from leaderboard "
            "where source = 'measured' order by all"
        ).fetchall()


def _at(value: float | None) -> str:
    return f"{value:8.1f}" if value is not None else f"{'-':>8}"


def compare(tmp: Path, problems: list[str] | None) -> tuple[CliRoute, UiRoute, bool]:
    """Both routes cold under `tmp`, the CLI first; and whether their leaderboards agree."""
    sources = sample_subset(problems, tmp / "corpus") if problems else Sources(SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS)
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    cli = cold_cli(tmp / "cli", sources)
    print(f"cold pie run: {cli.wall_s:.1f} s, {cli.runs} runs, checkpoints {', '.join(cli.checkpoints)}", flush=True)
    ui = ui_route(tmp / "ui", sources, cli.checkpoints)
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return cli, ui, measured_leaderboard(tmp / "cli" / "wh") == measured_leaderboard(tmp / "ui" / "wh")


def report(cli: CliRoute, ui: UiRoute, same: bool) -> None:
    print(f"{'origin':<34}{'selection':<58}{'status':>9}{'created':>8}{'started':>8}{'ended':>8}")
    for r in ui.runs:
        print(
            f"{r.origin[:33]:<34}{r.selection[:57]:<58}{r.status:>9}{_at(r.created_s)}{_at(r.started_s)}{_at(r.ended_s)}"
        )
    rows = [
        ("cold pie run (whole default graph)", cli.wall_s, str(cli.runs)),
        ("pie ui, start -> model_evaluations", ui.to_evaluations_s, ""),
        ("pie ui, start -> leaderboard", ui.to_leaderboard_s, str(len(ui.runs))),
    ]
    print(f"{'route':<44}{'wall s':>8}{'runs':>6}{'x cold CLI':>12}")
    for label, wall, runs in rows:
        print(f"{label:<44}{wall:>8.1f}{runs:>6}{wall / cli.wall_s:>12.2f}")
    print(f"leaderboards (measured rows) of both routes identical: {same}")
    verdict = "met" if ui.to_leaderboard_s <= 2 * cli.wall_s else "NOT met"
    print(f"UI route / cold CLI: {ui.to_leaderboard_s / cli.wall_s:.2f}x  (target <= 2x: {verdict})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", help="comma-separated problems of the sample (default: all of them)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (warehouses, Dagster homes, ui.log)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="pie-ui-route-"))
    try:
        cli, ui, same = compare(tmp, args.problems.split(",") if args.problems else None)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    report(cli, ui, same)
    if args.keep:
        print(f"kept: {tmp}")


if __name__ == "__main__":
    main()
