"""What one sandboxed run may use: the rlimits our init sets, the wall guard and output caps the
supervisor enforces, the private /tmp's size."""

from __future__ import annotations

import math
from dataclasses import dataclass

MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    cpu_s: float = 10.0  # RLIMIT_CPU, rounded up to whole seconds (soft; hard = soft + 1)
    address_space_mb: int = 2048  # RLIMIT_AS
    file_size_mb: int = 16  # RLIMIT_FSIZE; also sizes the private /tmp (4 such files)
    processes: int = 64  # RLIMIT_NPROC, per sandbox (its own user namespace) in bwrap mode
    wall_s: float = 30.0  # wall-clock guard: the whole sandbox is killed (a lone program using CPU: up to 4x)
    output_bytes: int = 64 << 20  # stdout kept up to this; beyond → kill, output_exceeded
    stderr_bytes: int = 64 << 10  # stderr excerpt kept; the rest is read and discarded
    stop_when_blocked: bool = False  # kill a program found blocked forever (`hang`): a verdict, not INFRA

    @property
    def rlimit_cpu_s(self) -> int:
        """RLIMIT_CPU's soft limit: whole seconds, at least one."""
        return max(1, math.ceil(self.cpu_s))
