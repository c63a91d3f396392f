"""Benchmark: cold vs warm re-materialisation of the embedded sample, end to end through the CLI.

In a temp dir with a fresh DAGSTER_HOME and a copy of the SQL models ($PIE_SQL_DIR), runs
`python -m pie_assets.cli run --quiet --warehouse <tmp>/wh` four times: cold (compiles, judges and
measures everything, filling the content-addressed compile/outcome cache under <tmp>/wh/_cache);
warm with `--all` (every stage again: what a warm run cost before `pie run` skipped what is up to
date); warm with nothing changed (the default: only what is missing or stale, so no run); and
warm after one edited SQL model (`hq_pairs.sql` keeps one pair less per problem: it and its
downstream re-run). Prints each wall
time (time.perf_counter around each process) side by side with the Dagster runs it started and
the tables it materialised, and warm/cold as a percentage (target <= 5%), the cache files a warm
run added (must be 0), and the sandbox launches of each run: the CLI runs under a Python audit
hook that counts the `subprocess.Popen` calls starting a sandbox (argv `<init> --guard ...
bwrap|unshare|init`), separating the probe each `Sandbox()` makes at start from program and
compiler runs; a warm run must launch nothing but probes.

    python bench/runtime_cold_warm.py [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from dbt_like.models import DEFAULT_SQL_DIR

# The CLI as `python -m pie_assets.cli`, plus an audit hook writing its sandbox launch counts on exit.
COUNTING_CLI = """
import atexit, json, runpy, sys
out, counts = sys.argv.pop(1), {"probes": 0, "runs": 0}
def hook(event, args):
    if event == "subprocess.Popen" and list(args[1][1:2]) == ["--guard"]:
        counts["probes" if list(args[1][-1:]) == ["true"] else "runs"] += 1
sys.addaudithook(hook)
atexit.register(lambda: open(out, "w").write(json.dumps(counts)))
runpy.run_module("pie_assets.cli", run_name="__main__", alter_sys=True)
"""


def cache_files(warehouse: Path) -> set[str]:
    return {os.path.join(d, f) for d, _, files in os.walk(warehouse / "_cache") for f in files}


@dataclass
class Measured:
    label: str
    wall_s: float
    launches: dict[str, int]
    runs: int  # Dagster runs it started
    tables: list[str]  # the assets it materialised
    cache_added: int


def timed_run(tmp: Path, label: str, *flags: str) -> Measured:
    """One `pie run` process: its wall seconds, sandbox launches, Dagster runs and materialised tables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIE_")}
    env["DAGSTER_HOME"] = str(tmp / "dagster_home")
    env["PIE_SQL_DIR"] = str(tmp / "sql")
    counts = tmp / f"launches_{label}.json"
    command = [
        sys.executable,
        "-c",
        COUNTING_CLI,
        str(counts),
        "run",
        "--quiet",
        "--warehouse",
        str(tmp / "wh"),
        *flags,
    ]
    before_cache = cache_files(tmp / "wh")
    with dg.DagsterInstance.from_config(str(tmp / "dagster_home")) as instance:
        runs_before = instance.get_runs_count()
        mark = instance.event_log_storage.get_maximum_record_id() or 0
    started = time.perf_counter()
    result = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{label} run failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    with dg.DagsterInstance.from_config(str(tmp / "dagster_home")) as instance:
        runs = instance.get_runs_count() - runs_before
        tables = sorted(
            key.to_user_string()
            for key in instance.get_asset_keys()
            if instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key, after_storage_id=mark), limit=1
            ).records
        )
    added = len(cache_files(tmp / "wh") - before_cache)
    return Measured(label, wall, json.loads(counts.read_text()), runs, tables, added)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (warehouse, cache) and print it")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pie-cold-warm-"))
    try:
        (tmp / "dagster_home").mkdir()  # `pie run` writes its dagster.yaml, as for a new user
        shutil.copytree(DEFAULT_SQL_DIR, tmp / "sql")
        print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        cold = timed_run(tmp, "cold")
        forced = timed_run(tmp, "warm --all", "--all")
        warm = timed_run(tmp, "warm")
        model = tmp / "sql" / "hq_pairs.sql"
        model.write_text(model.read_text().replace("qualify hq_rank <= {{", "qualify hq_rank < {{"))
        edited = timed_run(tmp, "warm, hq_pairs.sql edited")
        print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        print(f"{'run':<28}{'wall s':>8}{'% cold':>8}{'runs':>6}{'tables':>8}{'cache+':>8}{'sandbox runs':>14}")
        for m in (cold, forced, warm, edited):
            print(
                f"{m.label:<28}{m.wall_s:>8.1f}{100 * m.wall_s / cold.wall_s:>7.1f}%{m.runs:>6}{len(m.tables):>8}"
                f"{m.cache_added:>8}{m.launches['runs']:>14}"
            )
        print(f"hq_pairs.sql edited re-ran: {', '.join(edited.tables)}")
        verdict = "met" if warm.wall_s <= 0.05 * cold.wall_s else "NOT met"
        print(f"warm (nothing changed)/cold: {100 * warm.wall_s / cold.wall_s:.1f}%  (target <= 5%: {verdict})")
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
