"""Benchmark: what the generated tests change on the embedded sample (issue #25, item 4).

In a temp dir, runs `pie run` on the sample twice, `--test-set samples` and `--test-set
samples+generated` (two warehouses, one shared measurement cache: a test measured in the first run
is not measured again), measures a static hello-world with `pie measure` (the same backend, profile
and cache), and prints side by side:

- the start-up share of the measured cost: hello-world cost × tests summed / total agg cost, over
  the CodeNet-Accepted programs that pass every test (all_pass);
- the median accepted program's cost per generated test, as a multiple of the hello-world's (the
  issue's bar: at least 10x), from the runtime_annotations rows whose test is a generated_tests row;
- trajectory_pairs in each run, and how many appear and disappear with the generated tests.

Without generated tests in the lake (the generated_tests asset absent from this code, or no
problem got one), samples+generated sums over the samples alone: the script says so, and prints
the figures it has.

    python bench/generated_tests_effect.py [--dir DIR] [--problems p90001,p90002]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse

SETS = ("samples", "samples+generated")
HELLO = b'#include <iostream>\nint main() { std::cout << "hello" << std::endl; }\n'
# The pairs and every table upstream of them (the generated tests included, where this code has them).
SELECTION = "*trajectory_pairs"


def pie(tmp: Path, args: list[str], label: str) -> subprocess.CompletedProcess:
    """`python -m pie_assets.cli ARGS` with its own Dagster home and the shared cache; exits on failure."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIE_")}
    env["DAGSTER_HOME"] = str(tmp / f"dagster_{label}")
    env["PIE_CACHE"] = str(tmp / "cache")
    result = subprocess.run(
        [sys.executable, "-m", "pie_assets.cli", *args], cwd=tmp, env=env, capture_output=True, text=True
    )
    if result.returncode != 0 and not (args[0] == "measure" and result.returncode == 2):  # 2: its row says why
        sys.exit(f"pie {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def hello_cost(tmp: Path) -> float:
    source, stdin = tmp / "hello.cpp", tmp / "empty.txt"
    source.write_bytes(HELLO)
    stdin.write_bytes(b"")
    row = json.loads(pie(tmp, ["measure", str(source), "--input", str(stdin), "--json"], "measure").stdout)
    if row["status"] != "OK":
        sys.exit(f"the hello-world did not measure: {row['status']} {row['detail']}")
    return float(row["cost"])


def figures(warehouse: Path, hello: float) -> dict[str, object]:
    """The run's figures from its catalog (see the module docstring)."""
    with Catalog(Warehouse(str(warehouse))).connect() as con:
        accepted = con.execute(
            "select count(*), sum(n_tests), sum(agg_cost), string_agg(distinct test_set, ',') "
            "from submission_runtimes where codenet_status = 'Accepted' and all_pass"
        ).fetchone()
        pairs = {tuple(r) for r in con.execute("select src_id, tgt_id from trajectory_pairs").fetchall()}
        try:
            generated = con.execute("select count(*), count(distinct problem_id) from generated_tests").fetchone()
            per_test = con.execute(
                "select median(per_test) from ("
                "  select a.submission_id, avg(a.cost) as per_test from runtime_annotations a"
                "  join submission_runtimes r using (submission_id)"
                "  join generated_tests g on g.problem_id = a.problem_id and g.test_id = a.test_id"
                "  where r.codenet_status = 'Accepted' and r.all_pass group by a.submission_id)"
            ).fetchone()[0]
        except duckdb.CatalogException:  # no generated_tests view: the asset never wrote a partition
            generated, per_test = (0, 0), None
    programs, tests, total, sets = accepted
    return {
        "test sets (resolved)": sets or "-",
        "accepted all_pass programs": programs,
        "tests summed (over them)": int(tests or 0),
        "total agg cost": f"{float(total or 0.0):,.0f}",
        "start-up share": f"{hello * (tests or 0) / total:.1%}" if total else "-",
        "generated tests (problems)": f"{generated[0]} ({generated[1]})",
        "median cost / generated test": f"{per_test / hello:,.1f}x hello" if per_test else "-",
        "trajectory_pairs": len(pairs),
        "_pairs": pairs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", help="work in DIR and keep it (warehouses, cache); default: a temp dir, removed")
    parser.add_argument("--problems", help="comma-separated sample problems (default: all)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = Path(args.dir or stack.enter_context(tempfile.TemporaryDirectory(prefix="pie-generated-tests-")))
        tmp.mkdir(parents=True, exist_ok=True)
        hello = hello_cost(tmp)
        results = {}
        for name in SETS:
            warehouse = tmp / f"wh_{name.replace('+', '_')}"
            command = ["run", "--quiet", "--warehouse", str(warehouse), "--test-set", name, "--select", SELECTION]
            started = time.perf_counter()
            pie(tmp, [*command, *(["--problems", args.problems] if args.problems else [])], name)
            results[name] = figures(warehouse, hello) | {"wall": f"{time.perf_counter() - started:.0f} s"}
        before, after = (results[name].pop("_pairs") for name in SETS)
        print(f"static hello-world cost (same backend, profile and cache): {hello:,.0f}")
        rows = [key for key in results[SETS[0]] if not key.startswith("_")]
        width = max(map(len, rows))
        print(f"{'':<{width}}  {SETS[0]:>22}  {SETS[1]:>22}")
        for key in rows:
            print(f"{key:<{width}}  {results[SETS[0]][key]!s:>22}  {results[SETS[1]][key]!s:>22}")
        print(
            f"trajectory_pairs with the generated tests: {len(after - before)} appear, {len(before - after)} disappear"
        )
        if str(results[SETS[1]]["generated tests (problems)"]).startswith("0 "):
            print(
                "no generated tests in the lake (the generated_tests asset is not in this code, or no sample "
                "problem got one): samples+generated summed over the samples alone"
            )


if __name__ == "__main__":
    main()
