"""Projection: hours to label PIE's programs and all accepted CodeNet C++ programs, from measured CPU.

The per-program cost comes from `bench/measure_cost.py` (run here as a subprocess, or read from a
saved copy of its output with --from-output): its mean CPU seconds, with the current settings
(static, stripped, PCH), per compile, per native check (one run per test, as the annotator judges
before measuring) and per measured test (cachegrind), over the embedded sample's accepted
programs and their tests, through the pipeline's own compiler, sandbox and backends. Labelling
one program on T tests then costs compile + T x (native check + measured test) CPU seconds, and a
workload of N programs takes N x that / cores hours of wall time on a given number of cores.

Printed beside PIE's reported cost (../shared/pie_reference.md: a Best@8 evaluation ran more
than 4 days on more than 1,000 CPUs, at about 2 minutes per test under gem5 and 80 tests per
generation), and the same workloads at PIE's 2 minutes per test, so the ratio is side by side.
Every assumption is printed with the table.

    python bench/projection.py [--from-output FILE] [--per-problem 0] [--max-tests 0] [--repeats 5]   (~8 min)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CORES = (64, 512, 1024)
TESTS_PER_PROBLEM = 80  # PIE's merged public + generated tests, "about 80 per problem"
PIE_SECONDS_PER_TEST = 120.0  # "about 2 minutes per test" under gem5
PIE_PAIRS = {"train": 77_967, "val": 2_544, "test": 978}
PIE_SAMPLES = 8  # Best@8
CODENET_ACCEPTED_CPP = 4_350_000
CODENET_TESTS_PER_PROBLEM = 9_081 / 3_999  # page samples per real CodeNet page (docs/concepts/ingestion.md)
STAGES = {"compile": "per compile", "check": "per native check (one run)", "measure": "per measured test"}
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class UnitCosts:
    """Mean CPU seconds of the current settings, and how many samples each mean is over."""

    compile: float
    check: float
    measure: float
    samples: dict[str, int]

    def per_program(self, tests: float) -> float:
        return self.compile + tests * (self.check + self.measure)


@dataclass(frozen=True)
class Workload:
    name: str
    programs: int
    tests: float
    note: str


def parse_measure_cost(output: str) -> UnitCosts:
    """The 'new' column of measure_cost.py's stage lines: `<label> (<n>)  <old> <new> <ratio>x`."""
    values, samples = {}, {}
    for stage, label in STAGES.items():
        match = re.search(rf"^{re.escape(label)} \((\d+)\)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+x$", output, re.MULTILINE)
        if match is None:
            raise ValueError(f"bench/measure_cost.py printed no {label!r} line:\n{output}")
        samples[stage], values[stage] = int(match[1]), float(match[3])
    return UnitCosts(**values, samples=samples)


def run_measure_cost(args: argparse.Namespace) -> str:
    command = [
        sys.executable,
        str(HERE / "measure_cost.py"),
        "--per-problem",
        str(args.per_problem),
        "--max-tests",
        str(args.max_tests),
        "--repeats",
        str(args.repeats),
    ]
    print("$ " + " ".join(command), flush=True)
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    print(result.stdout, end="", flush=True)
    return result.stdout


def workloads() -> list[Workload]:
    pie_pairs = sum(PIE_PAIRS.values())
    return [
        Workload(
            "PIE's Best@8 evaluation",
            PIE_PAIRS["test"] * PIE_SAMPLES,
            TESTS_PER_PROBLEM,
            f"{PIE_PAIRS['test']} test pairs x {PIE_SAMPLES} generations, {TESTS_PER_PROBLEM} tests each",
        ),
        Workload(
            "PIE's programs",
            2 * pie_pairs,
            TESTS_PER_PROBLEM,
            f"2 x {pie_pairs:,} pairs (train+val+test): an upper bound, pairs share programs",
        ),
        Workload(
            "CodeNet accepted C++, 80 tests",
            CODENET_ACCEPTED_CPP,
            TESTS_PER_PROBLEM,
            "4.35M programs, PIE-sized test sets for every problem",
        ),
        Workload(
            "CodeNet accepted C++, own tests",
            CODENET_ACCEPTED_CPP,
            CODENET_TESTS_PER_PROBLEM,
            f"CodeNet's page samples only: {CODENET_TESTS_PER_PROBLEM:.2f} tests per problem",
        ),
    ]


def hours(cpu_seconds: float, cores: int) -> str:
    value = cpu_seconds / cores / 3600
    if value < 1:
        return f"{value * 60:.0f} min"
    return f"{value / 24:,.1f} d" if value >= 48 else f"{value:,.1f} h"


def report(costs: UnitCosts) -> None:
    print(
        f"\nmeasured (bench/measure_cost.py, new settings): compile {costs.compile:.3f} s CPU "
        f"(mean of {costs.samples['compile']}), native check {costs.check:.3f} s per test "
        f"(of {costs.samples['check']}), measured test {costs.measure:.3f} s (of {costs.samples['measure']}); "
        f"PIE: {PIE_SECONDS_PER_TEST:.0f} s per test, {PIE_SECONDS_PER_TEST / (costs.check + costs.measure):.0f}x ours "
        f"(native check + measurement)\n"
    )
    header = (
        f"{'workload':<33} {'programs':>10} {'tests':>6} {'CPU h (ours)':>13} "
        + "".join(f"{f'{c:,} cores':>12}" for c in CORES)
        + f" {'PIE, 2 min/test, 1,024 cores':>30}"
    )
    print(header)
    print("-" * len(header))
    for work in workloads():
        ours = work.programs * costs.per_program(work.tests)
        gem5 = work.programs * work.tests * PIE_SECONDS_PER_TEST
        print(
            f"{work.name:<33} {work.programs:>10,} {work.tests:>6.1f} {ours / 3600:>13,.0f} "
            + "".join(f"{hours(ours, c):>12}" for c in CORES)
            + f" {hours(gem5, 1024):>21} ({gem5 / ours:.0f}x)"
        )
    print(
        "\nPIE's reported cost: a Best@8 evaluation ran for more than 4 days on more than 1,000 CPUs "
        "(pie_reference.md, PIE's issue tracker)."
    )
    print("assumptions:")
    for work in workloads():
        print(f"  - {work.name}: {work.note}")
    for line in (
        f"every program is compiled once and judged natively on every test before it is measured (the annotator's "
        f"order); accepted programs pass, so all {TESTS_PER_PROBLEM} (or {CODENET_TESTS_PER_PROBLEM:.2f}) tests are "
        "measured",
        "the CPU seconds per test of the sample's tests (small inputs, mostly under 10 ms natively) hold for the "
        "workload's tests; larger tests cost more, roughly in proportion to their instruction count",
        "perfect scaling: no scheduling, transfer or retry overhead, cores as busy as the 2 here (CPU s / cores)",
        "the one-time PCH build per compiler (a few seconds) and the content-addressed caches are left out: "
        "every program and input is new",
        "PIE's column: the same programs and tests at 120 s of gem5 per test, the compile left out",
    ):
        print(f"  - {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from-output", type=Path, help="a saved output of bench/measure_cost.py (else it is run)")
    parser.add_argument("--per-problem", type=int, default=0, help="measure_cost.py: accepted programs per problem")
    parser.add_argument("--max-tests", type=int, default=0, help="measure_cost.py: pie tests per problem")
    parser.add_argument("--repeats", type=int, default=5, help="measure_cost.py: native reference runs per test")
    args = parser.parse_args()
    output = args.from_output.read_text() if args.from_output else run_measure_cost(args)
    report(parse_measure_cost(output))


if __name__ == "__main__":
    main()
