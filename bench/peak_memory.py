"""Benchmark: how exactly a program's peak memory (the sandbox's max RSS) repeats, ASLR off and on.

The annotator records, per (program, test), the max resident set of the program's native judging
run (`runtime_annotations.peak_memory_kb`); the sandbox's init disables ASLR for the program. This
runs the accepted C++ programs of the embedded sample (read with the ingestion readers, as `pie
run` reads them; or, with --warehouse, the `submissions` and `test_cases` tables of a lake),
compiled with the versioned config by the project's Compiler, on their problem's runtime test set
(its distinct inputs) --repeats times each, in four ways, interleaved run by run:
  pipeline     NativeBackend(repeats=1).run, exactly the annotator's judging run (ASLR off);
  pinned       the same with the run's process tree pinned to one CPU (affinity is inherited);
  off, wrapped `setarch <arch> -R <program>`: ASLR still off, through the wrapper of the next line;
  on, wrapped  `setarch <arch> <program>`: setarch resets the personality, so ASLR is back on.
The wrapped pair isolates ASLR: setarch's own RSS carries over to the program across exec (the
kernel keeps the hiwater mark), so both wrapped ways share its floor (~1.2 MB here) and differ only
in ASLR. The pinned way isolates CPU migration: since Linux 6.2 a process's RSS counters are
per-CPU and the hiwater mark is taken from their approximate sum, off by up to a batch (32 pages,
128 KB) per CPU the process ran on. For each way it prints the share of (program, test) pairs
whose peak was identical in every run, and the max and median spread (max - min over the runs, in
KB and in % of the smallest), and each pair that was not identical.

Run as root with the cache in a private temp dir, the sandbox stages a fresh copy of the binary
for every run, as it does for the pipeline's private cache; a binary bound in place instead has
as many file-backed pages resident as the page cache holds of it then (tens of KB apart).

    python bench/peak_memory.py [--repeats 5] [--per-problem 0] [--warehouse DIR]   (~1 min on 2 cores)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from runtime_slowdown import load

from pie_assets.codenet.ingest import ingest_problem
from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.lake.storage import Warehouse
from pie_assets.runtime.annotate import Program, TestCase, runtime_cases
from pie_assets.runtime.backends.base import Budget
from pie_assets.runtime.backends.native import PROGRAM, NativeBackend, peak_rss_kb
from pie_assets.runtime.compile import Compiler
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.sandbox import Limits, Sandbox
from pie_assets.settings import SAMPLE_CODENET_ROOT, SAMPLE_EXTRA_TESTS

WAYS = ("pipeline", "pinned", "off, wrapped", "on, wrapped")
ARCH = platform.machine()


@dataclass(frozen=True)
class Subject:
    problem_id: str
    program: Program
    cases: list[TestCase]


def _accepted(submissions: pl.DataFrame, per_problem: int) -> pl.DataFrame:
    accepted = submissions.filter(pl.col("status") == "Accepted").sort("submission_id")
    return accepted.head(per_problem) if per_problem else accepted


def _programs(problem_id: str, submissions: pl.DataFrame, tests: pl.DataFrame, per_problem: int) -> list[Subject]:
    cases = runtime_cases(tests)
    return [
        Subject(problem_id, Program(r["submission_id"], r["code"].encode(r["code_encoding"]), r["code_sha256"]), cases)
        for r in _accepted(submissions, per_problem).iter_rows(named=True)
    ]


def sample_subjects(per_problem: int) -> list[Subject]:
    """The embedded sample, ingested as `pie run` ingests it."""
    layout = CodeNetLayout(str(SAMPLE_CODENET_ROOT))
    subjects = []
    for problem_id in layout.discover_problem_ids():
        tables = ingest_problem(layout, problem_id, str(SAMPLE_EXTRA_TESTS))
        subjects += _programs(problem_id, tables.submissions, tables.test_cases, per_problem)
    return subjects


def warehouse_subjects(root: str, per_problem: int) -> list[Subject]:
    """A lake's `submissions` and `test_cases` tables."""
    tables = Warehouse(root).tables()
    submissions = pl.read_parquet(tables["submissions"])
    tests = pl.read_parquet(tables["test_cases"])
    return [
        subject
        for problem_id in sorted(submissions["problem_id"].unique())
        for subject in _programs(
            problem_id,
            submissions.filter(pl.col("problem_id") == problem_id),
            tests.filter(pl.col("problem_id") == problem_id),
            per_problem,
        )
    ]


def runners(sandbox: Sandbox, budget: Budget) -> dict[str, Callable[[str, bytes], tuple[str, int | None]]]:
    """Each way of running a binary on an input: (status, peak RSS in KB)."""
    checker = NativeBackend(repeats=1, sandbox=sandbox)
    limits = Limits(
        cpu_s=budget.cpu_s, address_space_mb=budget.memory_mb, output_bytes=budget.output_bytes, wall_s=budget.wall_s
    )  # as NativeBackend sets them

    def pipeline(binary: str, stdin: bytes) -> tuple[str, int | None]:
        measured = checker.run(binary, stdin, budget)
        return measured.status, measured.peak_rss_kb

    def pinned(binary: str, stdin: bytes) -> tuple[str, int | None]:
        cpus = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {max(cpus)})
        try:
            return pipeline(binary, stdin)
        finally:
            os.sched_setaffinity(0, cpus)

    def wrapped(*flags: str) -> Callable[[str, bytes], tuple[str, int | None]]:
        def run(binary: str, stdin: bytes) -> tuple[str, int | None]:
            result = sandbox.run(
                ["setarch", ARCH, *flags, PROGRAM], stdin=stdin, limits=limits, ro_binds={binary: PROGRAM}
            )
            return ("OK" if result.returncode == 0 and not result.timed_out else "not OK"), peak_rss_kb(result)

        return run

    return dict(zip(WAYS, (pipeline, pinned, wrapped("-R"), wrapped()), strict=True))


def spreads(peaks: list[list[int]]) -> tuple[list[int], list[float]]:
    """Per pair: max - min over its runs, in KB and in % of the smallest."""
    kb = [max(runs) - min(runs) for runs in peaks]
    return kb, [100 * d / min(runs) for d, runs in zip(kb, peaks, strict=True)]


def report(way: str, peaks: list[list[int]]) -> None:
    kb, pct = spreads(peaks)
    identical = sum(d == 0 for d in kb)
    values = [v for runs in peaks for v in runs]
    print(
        f"  {way:<13} identical in every run: {identical}/{len(kb)} pairs ({100 * identical / len(kb):.1f}%); "
        f"spread max {max(kb)} KB ({max(pct):.2f}%), median {statistics.median(kb):g} KB "
        f"({statistics.median(pct):.2f}%); peaks {min(values):,}-{max(values):,} KB, "
        f"median {statistics.median(values):,.0f} KB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each (program, test) per way")
    parser.add_argument("--per-problem", type=int, default=0, help="accepted programs per problem (0 = all)")
    parser.add_argument("--warehouse", help="read submissions and test_cases from this lake, not the sample")
    args = parser.parse_args()

    config = SimulatorConfig.load()
    sandbox = Sandbox()
    run = runners(sandbox, config.native_budget())
    subjects = (
        warehouse_subjects(args.warehouse, args.per_problem) if args.warehouse else sample_subjects(args.per_problem)
    )
    peaks: dict[str, list[list[int]]] = {way: [] for way in WAYS}
    not_ok = unreported = 0
    with tempfile.TemporaryDirectory(prefix="pie-bench-") as cache:
        compiler = Compiler.from_config(config, cache, sandbox)
        for subject in subjects:
            compiled = compiler.compile(subject.program.code, subject.program.code_sha256)
            if not compiled.ok:
                raise RuntimeError(f"{subject.program.program_id}: {compiled.status} {compiled.error}")
            for case in subject.cases:
                runs: dict[str, list[tuple[str, int | None]]] = {way: [] for way in WAYS}
                for _ in range(args.repeats):
                    for way in WAYS:
                        runs[way].append(run[way](compiled.binary_path, case.input))
                not_ok += any(status != "OK" for status, _ in runs["pipeline"])
                if any(peak is None for way_runs in runs.values() for _, peak in way_runs):
                    unreported += 1
                    continue
                for way in WAYS:
                    peaks[way].append([peak for _, peak in runs[way]])
                varied = {way: p[-1] for way, p in peaks.items() if len(set(p[-1])) > 1}
                if varied:
                    print(
                        f"{subject.program.program_id} {case.test_id}: not identical: "
                        + "; ".join(f"{way} {runs_kb}" for way, runs_kb in varied.items())
                    )

    pairs = len(peaks["pipeline"])
    print(
        f"\npeak memory (max RSS, KB) of {len({s.program.program_id for s in subjects})} accepted programs on "
        f"{pairs} (program, test) pairs, {args.repeats} runs per pair and way "
        f"({pairs * args.repeats * len(WAYS)} sandboxed runs, {sandbox.mode}, flags "
        f"{' '.join(config.section('compile')['flags'])}); {not_ok} pairs with a pipeline run that did not exit "
        f"cleanly (kept: the peak is recorded whatever the status), {unreported} left out (a run without a peak)"
    )
    for way in WAYS:
        report(way, peaks[way])
    print(load())


if __name__ == "__main__":
    main()
