"""Native execution timed by CPU time: NON-DETERMINISTIC, for comparison with the simulators only.

CPU time of a native run moves with the machine, its load, frequency scaling and caches, so this
backend never decides a label on its own: it is the sanity check ("does the simulated speedup show
up on real hardware at all?"). The median of several sandboxed repeats damps the noise.
"""

from __future__ import annotations

import platform
import signal
import statistics
from collections.abc import Sequence
from pathlib import Path

from pie_assets.runtime.backends.base import Budget, Measurement
from pie_assets.runtime.sandbox import Limits, Sandbox, SandboxResult

PROGRAM = "/sandbox/prog"
# MLE heuristic, part 2: a crash this close to the address-space limit is taken as running out.
_NEAR_LIMIT = 0.8
_MEMORY_SIGNALS = (signal.SIGSEGV, signal.SIGBUS, signal.SIGKILL, signal.SIGABRT)
_BLOCKED = "blocked forever"  # how a TLE's detail starts when the program waited on itself (`sandbox.hang`)


class NativeBackend:
    """Runs the binary natively in the sandbox `repeats` times; cost = median CPU seconds. Peak
    memory is the largest max RSS of the runs. It repeats to the page on one CPU; a process that
    migrates reads up to 32 pages (128 KB) per CPU apart, since Linux 6.2 keeps RSS counters per
    CPU and the hiwater mark takes their approximate sum (bench/peak_memory.py)."""

    name = "native"
    deterministic = False

    def __init__(self, repeats: int = 5, sandbox: Sandbox | None = None) -> None:
        if repeats < 1:
            raise ValueError("repeats must be at least 1")
        self.repeats = repeats
        self.sandbox = sandbox or Sandbox()
        self.version = f"{platform.system()} {platform.release()} {platform.machine()}; {_cpu_model()}"

    def run(self, binary: str, stdin: bytes, budget: Budget, *, args: Sequence[str] = ()) -> Measurement:
        """Stops at the first repeat that is not OK (a crash does not get more reliable by repeating).
        `args`: the program's arguments (a test generator's scale and seed; judged programs get none)."""
        limits = Limits(
            cpu_s=budget.cpu_s,
            address_space_mb=budget.memory_mb,
            output_bytes=budget.output_bytes,
            wall_s=budget.wall_s,
            stop_when_blocked=True,
        )
        results: list[SandboxResult] = []
        for _ in range(self.repeats):
            result = self.sandbox.run([PROGRAM, *args], stdin=stdin, limits=limits, ro_binds={binary: PROGRAM})
            status, detail = classify(result, limits)
            if status != "OK":
                return Measurement(
                    status,
                    stdout=result.stdout,
                    cpu_time_s=result.cpu_s,
                    peak_rss_kb=peak_rss_kb(result),
                    detail=detail,
                    sandbox=result.mode,
                )
            results.append(result)
        cpu = statistics.median(r.cpu_s for r in results)
        return Measurement(
            "OK",
            stdout=results[0].stdout,
            cpu_time_s=cpu,
            peak_rss_kb=max(r.max_rss_kb for r in results),
            counters={"cpu_time_ns_median": round(cpu * 1e9), "repeats": self.repeats},
            sandbox=results[0].mode,
        )

    def cost(self, measurement: Measurement) -> float | None:
        return measurement.cpu_time_s


def blocked_forever(status: str, detail: str) -> bool:
    """Whether `classify` found the program waiting on itself: a TLE that no time limit would end."""
    return status == "TLE" and detail.startswith(_BLOCKED)


def classify(result: SandboxResult, limits: Limits) -> tuple[str, str]:
    """(status, detail) of one sandboxed run. A program that blocked itself forever first (TLE: it
    never finishes, see `sandbox.hang`), then the guard (INFRA is never the program's verdict), then
    the limits, then crashes.

    MLE heuristic (RLIMIT_AS makes allocations fail rather than the kernel kill): the C++ runtime
    reports `std::bad_alloc` on stderr before aborting; or the program died of a memory-ish signal
    with its peak RSS within 80% of the limit (malloc returned NULL and was dereferenced after
    touching most of the memory). A NULL dereference far below the limit stays RE.
    """
    if result.blocked:
        return "TLE", f"{_BLOCKED}: {result.blocked}"
    if result.timed_out:
        return "INFRA", f"wall-clock guard fired after {result.wall_s:.1f}s (limit {limits.wall_s}s)"
    if result.output_exceeded:
        return "OLE", f"stdout exceeded {limits.output_bytes} bytes"
    if result.cpu_limit_exceeded:
        return "TLE", f"CPU limit {limits.cpu_s}s exceeded ({result.cpu_s:.2f}s used)"
    if result.returncode == 0:
        return "OK", ""
    what = f"exit code {result.returncode}" if result.signal is None else f"signal {_signal_name(result.signal)}"
    excerpt = result.stderr[-500:].decode("utf-8", "replace")
    if _out_of_memory(result, limits):
        return "MLE", f"address-space limit {limits.address_space_mb} MB: {what}; {excerpt}"
    return "RE", f"{what}; {excerpt}" if excerpt else what


def peak_rss_kb(result: SandboxResult) -> int | None:
    """The program tree's max RSS, as our init reports it; None once the wall guard fired, since
    an init that had to be killed reports nothing and the usage left is the sandbox's own."""
    return None if result.timed_out else result.max_rss_kb


def _out_of_memory(result: SandboxResult, limits: Limits) -> bool:
    if b"std::bad_alloc" in result.stderr:
        return True
    near = result.max_rss_kb >= _NEAR_LIMIT * limits.address_space_mb * 1024
    return result.signal in _MEMORY_SIGNALS and near


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _cpu_model() -> str:
    """The CPU model from /proc/cpuinfo (x86 'model name'), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
