"""Benchmark: cold vs warm re-materialisation of the embedded sample, end to end through the CLI.

In a temp dir with a fresh DAGSTER_HOME, runs `python -m pie_assets.cli run --quiet --warehouse
<tmp>/wh` twice. The first (cold) run compiles, judges and measures everything, filling the
content-addressed compile/outcome cache under <tmp>/wh/_cache; the second (warm) run must find all
of it there. Prints both wall times (time.perf_counter around each process) and warm/cold as a
percentage (target <= 5%), the cache files the warm run added (must be 0), and the sandbox launches
of each run: the CLI runs under a Python audit hook that counts the `subprocess.Popen` calls
starting a sandbox (argv `<init> --guard ... bwrap|unshare|init`), separating the probe each `Sandbox()`
makes at start from program and compiler runs; the warm run must launch nothing but probes.

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
from pathlib import Path

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


def timed_run(tmp: Path, label: str) -> tuple[float, dict[str, int]]:
    """One `pie run` process: (wall seconds, sandbox launch counts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIE_")}
    env["DAGSTER_HOME"] = str(tmp / "dagster_home")
    counts = tmp / f"launches_{label}.json"
    command = [sys.executable, "-c", COUNTING_CLI, str(counts), "run", "--quiet", "--warehouse", str(tmp / "wh")]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{label} run failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return wall, json.loads(counts.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (warehouse, cache) and print it")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pie-cold-warm-"))
    try:
        (tmp / "dagster_home").mkdir()
        print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        cold, cold_launches = timed_run(tmp, "cold")
        before = cache_files(tmp / "wh")
        warm, warm_launches = timed_run(tmp, "warm")
        added = cache_files(tmp / "wh") - before
        print(
            f"cold: {cold:.1f} s  ({len(before)} cache files written; sandbox launches: "
            f"{cold_launches['runs']} runs + {cold_launches['probes']} probes)"
        )
        print(
            f"warm: {warm:.1f} s  ({len(added)} cache files added; sandbox launches: "
            f"{warm_launches['runs']} runs + {warm_launches['probes']} probes)"
        )
        verdict = "met" if warm <= 0.05 * cold else "NOT met"
        print(f"warm/cold: {100 * warm / cold:.1f}%  (target <= 5%: {verdict})")
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
