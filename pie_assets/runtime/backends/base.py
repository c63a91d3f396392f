"""The measurement backend interface: every backend measures one binary on one input.

Statuses a backend may return (`pie_assets.runtime.statuses`, the contract): OK, RE, TLE, MLE,
OLE, INFRA (the harness failed, e.g. the wall-clock guard fired first: never a verdict on the
program). WA / CE are decided outside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Budget:
    """Limits of one measured run. `instructions` is the deterministic time limit (TLE above
    it); `cpu_s` stops runs far over it (TLE too); `wall_s`, longer than `cpu_s`, only guards the
    harness (firing → INFRA)."""

    instructions: int
    wall_s: float
    cpu_s: float
    memory_mb: int
    output_bytes: int


@dataclass
class Measurement:
    status: str
    stdout: bytes = b""
    instructions: int | None = None
    counters: dict[str, int] = field(default_factory=dict)  # raw backend counters (Ir, Dr, D1mr, ...)
    sim_seconds: float | None = None  # gem5 only
    cpu_time_s: float | None = None  # native only
    # native only: the run's max resident set (KB); over repeats, the largest. None when the
    # wall guard fired (the sandbox may then report its own usage, not the program's).
    peak_rss_kb: int | None = None
    detail: str = ""  # why, for non-OK statuses (stderr excerpt, signal, guard)
    sandbox: str = ""  # how the program was contained (e.g. "bwrap", "unshare (degraded)")


class Backend(Protocol):
    name: str
    version: str
    deterministic: bool

    def run(self, binary: str, stdin: bytes, budget: Budget) -> Measurement: ...

    def cost(self, measurement: Measurement) -> float | None: ...
