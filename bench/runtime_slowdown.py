"""Benchmark: what cachegrind costs in wall time against native runs, and whether it ranks like them.

For the accepted C++ programs of the embedded sample (all 67 by default, or the first
--per-problem of each of its 7 problems, by submission id), compiled with the versioned
config's flags, on each problem's largest pie test (or every pie test with --all-tests), in one
run and on the same binaries:
  native:     CPU time, NativeBackend median of --repeats sandboxed runs;
  cachegrind: wall time of one CachegrindBackend.run call (sandbox start included), its cost
              (KCachegrind's CEst with the config's weights) and instruction count (Ir).
Prints each (program, test), the median/min/max slowdown (cachegrind wall / native CPU), also
over the runs long enough to amortise valgrind's start, and the Spearman rank correlation over
all (program, test) pairs of native time vs cachegrind cost and vs Ir alone (the programs'
outputs are judged against the expected ones first: only correct runs count).
Runs are sequential so they do not contend with each other; the load average is printed since
other work on the machine moves native times.

    python bench/runtime_slowdown.py [--per-problem 0] [--repeats 5] [--all-tests]   (~1 min on 2 cores)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pie_assets.runtime.annotate import make_backend
from pie_assets.runtime.backends.native import NativeBackend
from pie_assets.runtime.compile import Compiler
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.judge import accuracy
from pie_assets.runtime.sandbox import Sandbox
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS

# Below this native time, valgrind's fixed start (~0.1 s CPU for a static binary, ~0.3 s dynamic) dominates
# the slowdown figure.
LONG_RUN_S = 0.010


@dataclass(frozen=True)
class Program:
    submission_id: str
    problem_id: str
    source: Path


@dataclass(frozen=True)
class Test:
    name: str
    input: bytes
    expected: str


def accepted_programs(per_problem: int) -> list[Program]:
    """The sample's accepted C++ submissions, the first `per_problem` of each problem (0 = all)."""
    programs = []
    for csv in sorted((SAMPLE_CODENET_ROOT / "metadata").glob("p[0-9]*.csv")):
        rows = (
            pl.read_csv(csv, infer_schema=False)
            .filter((pl.col("language") == "C++") & (pl.col("status") == "Accepted"))
            .sort("submission_id")
        )
        ids = rows["submission_id"].to_list()
        for sid in ids[:per_problem] if per_problem else ids:
            programs.append(Program(sid, csv.stem, SAMPLE_CODENET_ROOT / "data" / csv.stem / "C++" / f"{sid}.cpp"))
    return programs


def pie_tests(problem_id: str, largest_only: bool) -> list[Test]:
    """The problem's pie tests; the largest input alone is where programs differ most."""
    inputs = sorted((SAMPLE_EXTRA_TESTS / problem_id).glob("input.*.txt"), key=lambda p: p.stat().st_size)
    chosen = inputs[-1:] if largest_only else inputs
    return [
        Test(f"{problem_id}/{p.name}", p.read_bytes(), (p.parent / p.name.replace("input", "output")).read_text())
        for p in chosen
    ]


def make_compiler(config: SimulatorConfig, cache_root: str, sandbox: Sandbox) -> Compiler:
    """A compiler exactly as the pipeline configures it (flags, limits, static, PCH), with its own cache."""
    return Compiler.from_config(config, cache_root, sandbox)


def compile_source(compiler: Compiler, source: bytes) -> str:
    compiled = compiler.compile(source, hashlib.sha256(source).hexdigest())
    if not compiled.ok:
        raise RuntimeError(f"compile failed:\n{compiled.error}")
    return compiled.binary_path


def spread(slowdowns: list[float]) -> str:
    return f"median {statistics.median(slowdowns):.0f}x, min {min(slowdowns):.0f}x, max {max(slowdowns):.0f}x"


def spearman(x: list[float], y: list[float]) -> float:
    return pl.DataFrame({"x": x, "y": y}).select(pl.corr("x", "y", method="spearman")).item()


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-problem", type=int, default=0, help="accepted programs per problem (0 = all)")
    parser.add_argument("--repeats", type=int, default=5, help="native runs per measurement (median)")
    parser.add_argument("--all-tests", action="store_true", help="every pie test, not only the largest")
    args = parser.parse_args()

    config = SimulatorConfig.load()
    sandbox = Sandbox()
    native = NativeBackend(repeats=args.repeats, sandbox=sandbox)
    cachegrind = make_backend(config.with_backend("cachegrind"), sandbox)
    programs = accepted_programs(args.per_problem)
    with tempfile.TemporaryDirectory(prefix="pie-bench-") as cache, ThreadPoolExecutor(os.cpu_count()) as pool:
        compiler = make_compiler(config, cache, sandbox)
        binaries = list(pool.map(lambda p: compile_source(compiler, p.source.read_bytes()), programs))
        flags = " ".join(config.section("compile")["flags"])
        print(f"{len(programs)} accepted programs, {sandbox.mode}, flags {flags}; {load()}")
        print(
            f"{'submission':<11} {'test':<18} {'native ms':>9} {'cachegrind s':>12} {'slowdown':>8} "
            f"{'Ir (M)':>8} {'cost (M)':>9}"
        )
        rows = []
        for program, binary in zip(programs, binaries, strict=True):
            for test in pie_tests(program.problem_id, largest_only=not args.all_tests):
                n = native.run(binary, test.input, config.native_budget())
                started = time.perf_counter()
                c = cachegrind.run(binary, test.input, config.measure_budget())
                wall = time.perf_counter() - started
                for m in (n, c):
                    if m.status != "OK" or accuracy(m.stdout.decode("utf-8", "replace"), test.expected) != 1.0:
                        raise RuntimeError(f"{program.submission_id} on {test.name}: {m.status} {m.detail}")
                rows.append((n.cpu_time_s, wall, cachegrind.cost(c), c.instructions))
                print(
                    f"{program.submission_id:<11} {test.name:<18} {n.cpu_time_s * 1e3:9.2f} {wall:12.2f} "
                    f"{wall / n.cpu_time_s:7.0f}x {c.instructions / 1e6:8.1f} {cachegrind.cost(c) / 1e6:9.1f}"
                )

    native_s, wall_s, cost, instructions = (list(column) for column in zip(*rows, strict=True))
    slowdowns = [w / n for n, w in zip(native_s, wall_s, strict=True)]
    long_runs = [w / n for n, w in zip(native_s, wall_s, strict=True) if n >= LONG_RUN_S]
    print(f"\nslowdown (cachegrind wall / native CPU) over {len(rows)} runs: {spread(slowdowns)}")
    if long_runs:
        print(
            f"  the {len(long_runs)} runs of >= {LONG_RUN_S * 1e3:.0f} ms native (valgrind's start amortised): "
            f"{spread(long_runs)}"
        )
    print(
        f"Spearman vs native CPU time: cachegrind cost {spearman(native_s, cost):.3f}, "
        f"Ir alone {spearman(native_s, instructions):.3f}  ({len(rows)} (program, test) pairs)"
    )
    print(load())


if __name__ == "__main__":
    main()
