"""Benchmark: the fake speedup of a program over itself, native timing vs cachegrind.

One accepted sample program is written byte-identically to two paths in two differently named
directories and compiled twice, each with its own compile cache (nothing shared, the binaries come
out identical anyway). Then, for --rounds rounds, alternating which copy goes first, both copies
are measured natively (NativeBackend, median CPU time of --repeats sandboxed runs, hyperfine-like)
and with cachegrind. Native "speedup" a/b of the same bytes is noise, and a pipeline that mines
pairs by native time would record it as an improvement; cachegrind's ratio must be exactly 1.000.
By default rounds 2-3, 6-7, ... run beside one cache-thrashing busy process per core, as on a
busy machine: native CPU times move with it (and with whatever else runs here), cachegrind's
counters do not. Figures: per round, then the ratio spread per condition and across conditions.

    python bench/identical_pair.py [--submission s903988039] [--rounds 10] [--repeats 5] [--no-burn]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runtime_slowdown import accepted_programs, compile_source, load, make_compiler, pie_tests

from pie_assets.runtime.annotate import make_backend
from pie_assets.runtime.backends.base import Measurement
from pie_assets.runtime.backends.native import NativeBackend
from pie_assets.runtime.config import SimulatorConfig
from pie_assets.runtime.sandbox import Sandbox

DEFAULT_SUBMISSION = "s903988039"  # p90002, per-query loop with cin/endl: ~190M instructions, ~20 ms


def _burn() -> None:
    """Busy and cache-thrashing: copies 64 MB over and over (memory bandwidth, last-level cache)."""
    block = bytes(64 << 20)
    while True:
        bytearray(block)


@contextmanager
def burning(enabled: bool) -> Iterator[None]:
    """One busy process per core while the block runs (or nothing)."""
    count = (os.cpu_count() or 1) if enabled else 0
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(count)]
    for burner in burners:
        burner.start()
    try:
        yield
    finally:
        for burner in burners:
            burner.terminate()
            burner.join()


def ok(measurement: Measurement) -> Measurement:
    """A failed run has no time to compare: stop rather than print a meaningless ratio."""
    if measurement.status != "OK":
        raise RuntimeError(f"{measurement.status}: {measurement.detail}")
    return measurement


def summary(values: list[float]) -> str:
    return f"mean {statistics.mean(values):.3f}, min {min(values):.3f}, max {max(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submission", default=DEFAULT_SUBMISSION, help="an accepted C++ submission of the sample")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5, help="native runs per measurement (median)")
    parser.add_argument("--no-burn", dest="burn", action="store_false", help="no background CPU load in any round")
    args = parser.parse_args()

    program = next((p for p in accepted_programs(0) if p.submission_id == args.submission), None)
    if program is None:
        parser.error(f"{args.submission} is not an accepted C++ submission of the sample")
    test = pie_tests(program.problem_id, largest_only=True)[0]
    config = SimulatorConfig.load()
    sandbox = Sandbox()
    native = NativeBackend(repeats=args.repeats, sandbox=sandbox)
    cachegrind = make_backend(config.with_backend("cachegrind"), sandbox)

    with tempfile.TemporaryDirectory(prefix="pie-bench-") as tmp:
        binaries = {}
        for copy, directory in (("a", "alice_submission"), ("b", "bob_submission")):
            path = Path(tmp, directory, "main.cpp")
            path.parent.mkdir()
            path.write_bytes(program.source.read_bytes())
            binaries[copy] = compile_source(
                make_compiler(config, str(Path(tmp, f"cache_{copy}")), sandbox), path.read_bytes()
            )
        same_binary = Path(binaries["a"]).read_bytes() == Path(binaries["b"]).read_bytes()
        print(
            f"{program.submission_id} ({program.problem_id}) on {test.name}, copied to alice_submission/main.cpp "
            f"and bob_submission/main.cpp, compiled separately: binaries identical {same_binary}; {sandbox.mode}"
        )
        print(
            f"background CPU burners ({os.cpu_count()} processes) in rounds 2-3, 6-7, ...: "
            f"{'yes' if args.burn else 'no (--no-burn)'}; {load()}"
        )
        print(
            f"{'round':>5} {'burn':>4} {'order':>5} {'native a ms':>11} {'native b ms':>11} {'a/b':>6} "
            f"{'cachegrind a':>14} {'cachegrind b':>14} {'a/b':>6}"
        )
        timings: list[tuple[bool, float, float]] = []  # (burners on, CPU s of a, CPU s of b) per round
        cost_pairs = []
        for round_ in range(args.rounds):
            burn = args.burn and round_ // 2 % 2 == 1
            order = "ab" if round_ % 2 == 0 else "ba"
            with burning(burn):
                cpu = {
                    copy: ok(native.run(binaries[copy], test.input, config.native_budget())).cpu_time_s
                    for copy in order
                }
                costs = {
                    copy: cachegrind.cost(ok(cachegrind.run(binaries[copy], test.input, config.measure_budget())))
                    for copy in order
                }
            timings.append((burn, cpu["a"], cpu["b"]))
            cost_pairs.append((costs["a"], costs["b"]))
            print(
                f"{round_:>5} {'yes' if burn else 'no':>4} {order:>5} {cpu['a'] * 1e3:11.2f} {cpu['b'] * 1e3:11.2f} "
                f"{cpu['a'] / cpu['b']:6.3f} {costs['a']:14.0f} {costs['b']:14.0f} {costs['a'] / costs['b']:6.3f}"
            )

    print(
        f"\nnative 'speedup' a/b of identical bytes, same round, over {len(timings)} rounds: "
        f"{summary([a / b for _, a, b in timings])}"
    )
    for burn, label in ((False, "rounds without burners"), (True, "rounds with burners")):
        rounds = [(a, b) for on, a, b in timings if on == burn]
        if rounds:
            print(
                f"  {label}: {summary([a / b for a, b in rounds])}; mean CPU "
                f"{statistics.mean(a + b for a, b in rounds) / 2 * 1e3:.2f} ms"
            )
    quiet_a = [a for on, a, _ in timings if not on]
    busy_b = [b for on, _, b in timings if on]
    if quiet_a and busy_b:
        print(
            f"  a measured without burners vs b with them (as when two versions are timed at different "
            f"times): mean a / mean b = {statistics.mean(quiet_a) / statistics.mean(busy_b):.3f}"
        )
    ratios = [a / b for a, b in cost_pairs]
    equal = all(int(a) == int(b) for a, b in cost_pairs) and len({a for a, _ in cost_pairs}) == 1
    print(
        f"cachegrind ratio a/b over {len(ratios)} rounds: min {min(ratios):.3f}, max {max(ratios):.3f}; "
        f"costs equal as integers in every round and across rounds: {equal} ({int(cost_pairs[0][0])})"
    )
    print(load())


if __name__ == "__main__":
    main()
