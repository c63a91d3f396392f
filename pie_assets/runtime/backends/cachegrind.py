"""The default backend: valgrind's cachegrind with a pinned cache geometry.

Deterministic: the same binary, input and (fixed) environment give the same counters on any
machine and under any load; cost is KCachegrind's CEst over those counters, so it ranks programs
like native time does (bench/runtime_slowdown.py on the sample: Spearman 0.94 vs native CPU time,
instruction count alone 0.90) at an 11-63x slowdown for runs of >= 10 ms (valgrind's start-up,
~0.1 s CPU for the static binaries the compiler builds by default and ~0.3 s for dynamic ones,
dominates shorter runs: bench/measure_cost.py), instead of PIE's ~2 minutes per test under gem5.

Limits: the instruction budget (`budget.instructions`, checked on the counters) is the
deterministic time limit. The CPU budget (`budget.cpu_s`, `[budget] measure_cpu_s`) is sized so
that a program within the instruction budget finishes well inside it (it would have to run below
33M Ir per CPU second; the slowest measured is ~48M), so it only stops programs far over budget
early, and it is TLE as well (cached like any verdict, as for gem5, whose CPU limit is PIE's).
The wall guard firing (`budget.wall_s`, longer than the CPU budget) is INFRA, and so is valgrind
failing by itself: a non-zero end whose log never shows the program started (the tool or the
program could not be executed) or that holds valgrind's own panic.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

from pie_assets.runtime.backends.base import Budget, Measurement
from pie_assets.runtime.fork_lock import spawning, writing_executable
from pie_assets.runtime.sandbox import FIXED_ENV, Limits, Sandbox

PROGRAM_PATH = "/sandbox/prog"
OUT_FILE = "cachegrind.out"
LOG_FILE = "valgrind.log"
VALGRIND_PANIC = "the 'impossible' happened"  # valgrind's own crash report, not the program's


@functools.cache
def valgrind_version() -> str:
    with spawning():
        return subprocess.run(["valgrind", "--version"], capture_output=True, text=True, check=True).stdout.strip()


@functools.cache
def exec_only_tool() -> tuple[str, str] | None:
    """(an exec-only copy of valgrind's cachegrind tool, the tool's path) to bind the copy over the
    tool in the sandbox, or None where the launcher does not say which file it runs.

    Why: at every start valgrind reads the debug information of its own tool executable (its
    call-frame tables, which serve only valgrind's own crash reports): ~7 ms of CPU a run, more
    than the sandbox costs. It skips a file it may not read, and exec needs no read permission,
    so under a copy of mode 0111 the same tool runs without that work; the program's counters
    are the same (tests/integration/test_measure_cost.py compares them on the sample). The measured process
    is then not dumpable (no core, which RLIMIT_CORE = 0 forbids anyway)."""
    with spawning():
        launch = subprocess.run(
            ["valgrind", "-d", "--tool=cachegrind", "--version"],
            capture_output=True,
            text=True,
            env={"PATH": FIXED_ENV["PATH"]},
        )  # the launcher the sandbox runs
    found = re.search(r"launcher launching (\S+)", launch.stderr)
    if launch.returncode != 0 or found is None:
        return None
    tool = found.group(1)
    directory = tempfile.mkdtemp(prefix="pie-valgrind-tool-")
    atexit.register(shutil.rmtree, directory, True)
    os.chmod(directory, 0o711)
    copy = os.path.join(directory, os.path.basename(tool))
    with writing_executable():
        shutil.copyfile(tool, copy)
    os.chmod(copy, 0o111)
    return copy, tool


def parse_cachegrind_out(text: str) -> dict[str, int]:
    """Totals from a cachegrind.out file: its `events:` names and the `summary:` line."""
    events: list[str] = []
    summary: list[int] = []
    for line in text.splitlines():
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("summary:"):
            summary = [int(v) for v in line.split()[1:]]
    if not events or len(events) != len(summary):
        raise ValueError("cachegrind output has no events/summary lines")
    return dict(zip(events, summary, strict=True))


class CachegrindBackend:
    name = "cachegrind"
    deterministic = True

    def __init__(self, sandbox: Sandbox, geometry: dict[str, str], weights: dict[str, float]) -> None:
        self.sandbox = sandbox
        self.geometry = {k: geometry[k] for k in ("I1", "D1", "LL")}
        self.weights = dict(weights)
        settings = json.dumps({"geometry": self.geometry, "weights": self.weights}, sort_keys=True)
        self.version = f"{valgrind_version()};{hashlib.sha256(settings.encode()).hexdigest()[:12]}"
        tool = exec_only_tool()
        self.tool_binds = {tool[0]: tool[1]} if tool else {}

    def argv(self) -> list[str]:
        return [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=yes",
            "--branch-sim=yes",
            *[f"--{level}={spec}" for level, spec in self.geometry.items()],
            f"--cachegrind-out-file=/sandbox/work/{OUT_FILE}",
            f"--log-file=/sandbox/work/{LOG_FILE}",
            PROGRAM_PATH,
        ]

    def run(self, binary: str, stdin: bytes, budget: Budget) -> Measurement:
        limits = Limits(
            cpu_s=budget.cpu_s,
            wall_s=budget.wall_s,
            address_space_mb=budget.memory_mb,
            output_bytes=budget.output_bytes,
        )
        result = self.sandbox.run(
            self.argv(),
            stdin=stdin,
            limits=limits,
            ro_binds={binary: PROGRAM_PATH, **self.tool_binds},
            collect=[OUT_FILE, LOG_FILE],
        )
        log = result.files.get(LOG_FILE, b"").decode("utf-8", "replace")
        base = Measurement(status="INFRA", stdout=result.stdout, sandbox=result.mode)
        if result.timed_out:
            base.detail = f"harness guard fired after {result.wall_s:.1f} s wall / {result.cpu_s:.1f} s CPU"
            return base
        if result.cpu_limit_exceeded:
            base.status = "TLE"
            base.detail = f"CPU budget of {budget.cpu_s:g} s exceeded under valgrind ({result.cpu_s:.1f} s used)"
            return base
        if result.output_exceeded:
            base.status, base.detail = "OLE", f"output exceeds {budget.output_bytes} bytes"
            return base
        if result.signal is not None or result.returncode != 0:
            if f"Command: {PROGRAM_PATH}" not in log or VALGRIND_PANIC in log:
                # valgrind itself failed (could not start its tool or load the program, or crashed):
                # the harness's fault, never the program's verdict
                stderr = result.stderr[-500:].decode("utf-8", "replace")
                base.detail = f"valgrind did not run the program to its end: {stderr or log[-500:]}"
                return base
            base.status = "RE"
            base.detail = (f"signal {result.signal}" if result.signal is not None else f"exit {result.returncode}") + (
                "; " + log[-500:] if "Process terminating" in log else ""
            )
            return base
        try:
            counters = parse_cachegrind_out(result.files[OUT_FILE].decode())
        except (KeyError, ValueError) as err:
            base.detail = f"no cachegrind counters: {err}; {log[-500:]}"
            return base
        base.counters = counters
        base.instructions = counters.get("Ir")
        if base.instructions is not None and base.instructions > budget.instructions:
            base.status, base.detail = "TLE", f"{base.instructions} instructions > budget {budget.instructions}"
            return base
        base.status = "OK"
        return base

    def cost(self, measurement: Measurement) -> float | None:
        if not measurement.counters:
            return None
        return float(sum(weight * measurement.counters.get(event, 0) for event, weight in self.weights.items()))
