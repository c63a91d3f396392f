"""One sandbox: picks the most contained launcher that works here, runs a program in a fresh box
(files, supervisor, our init), and turns what our init reported into a `SandboxResult`."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pie_assets.runtime.sandbox import files
from pie_assets.runtime.sandbox.errors import ProgramNotStarted, SandboxUnavailable
from pie_assets.runtime.sandbox.init import Report, private_init
from pie_assets.runtime.sandbox.launchers import DEGRADED, Launcher, candidates, warn_degraded
from pie_assets.runtime.sandbox.limits import MB, Limits
from pie_assets.runtime.sandbox.supervisor import Supervisor


@dataclass
class SandboxResult:
    returncode: int | None  # exit code if the program exited normally
    signal: int | None  # terminating signal if it was killed
    stdout: bytes
    stderr: bytes
    wall_s: float
    cpu_s: float  # user+sys of the program's process tree
    max_rss_kb: int
    timed_out: bool  # the wall guard fired (an infrastructure event)
    blocked: str  # how the program blocked itself forever, when it did and the limits asked (`hang`)
    cpu_limit_exceeded: bool
    output_exceeded: bool
    files: dict[str, bytes]
    mode: str


class Sandbox:
    """Runs untrusted programs contained; see the package docstring for the modes."""

    def __init__(self, mode: str = "auto", cache_root: str | None = None) -> None:
        """auto: bwrap when it works here, else the degraded fallback (warned once per process);
        'bwrap' / 'unshare' force one. Raises SandboxUnavailable rather than run uncontained.
        `cache_root`: where the compiled init is cached (default: the per-user cache)."""
        self._as_root = os.geteuid() == 0  # then the program runs as 65534, whatever the launcher
        launchers = candidates(mode, self._as_root)
        init_dir = Path(tempfile.mkdtemp(prefix="pie-sandbox-init-"))
        weakref.finalize(self, shutil.rmtree, init_dir, True)
        self._init = private_init(init_dir, cache_root)
        failures: list[str] = []
        for launcher in launchers:
            reason = self._probe(launcher)
            if reason is None:
                break
            failures.append(f"{launcher.description}: {reason}")
        else:
            raise SandboxUnavailable("no usable sandbox: " + "; ".join(failures))
        if launcher.mode == DEGRADED:
            warn_degraded(launcher, failures)

    @property
    def mode(self) -> str:
        return self._launcher.mode

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: bytes,
        limits: Limits,
        ro_binds: Mapping[str, str] = {},
        collect: Sequence[str] = (),
    ) -> SandboxResult:
        """Run `argv` (paths as seen inside: /sandbox/work, ro_binds destinations) and return what
        happened; `collect` names files in the work dir to hand back."""
        names = [files.check_name(name) for name in collect]
        root = Path(tempfile.mkdtemp(prefix="pie-sandbox-"))
        try:
            work = files.work_dir(root, self._as_root)
            binds = [
                (files.staged(root, i, src, self._as_root), dest) for i, (src, dest) in enumerate(ro_binds.items())
            ]
            with files.stdin_file(root, stdin) as stdin_fd:
                child = Supervisor(
                    lambda fd: self._launcher.command(self._init, argv, work, binds, limits, fd),
                    self._launcher,
                    work,
                    stdin_fd,
                    limits,
                )
            child.supervise()
            return self._result(child, argv, limits, work, names)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _probe(self, launcher: Launcher) -> str | None:
        """Why `launcher` cannot run `true` here, or None when it can (and is now ours)."""
        self._launcher = launcher
        try:
            result = self.run(["true"], stdin=b"", limits=Limits(wall_s=20))
        except (OSError, SandboxUnavailable) as exc:
            return str(exc)
        if result.returncode != 0:
            return f"exit {result.returncode}, signal {result.signal}: {result.stderr[-300:]!r}"
        return None

    def _result(
        self, child: Supervisor, argv: Sequence[str], limits: Limits, work: Path, names: list[str]
    ) -> SandboxResult:
        report = Report.parse(child.report_text)
        if report is None and not child.killed and self._launcher.pid_namespace:
            # our init is pid 1 there, out of the program's reach: no report means no start
            raise SandboxUnavailable(f"{self._launcher.description} did not start: {bytes(child.stderr[-500:])!r}")
        if report is None:  # we had to SIGKILL our init (or, without a pid namespace, the program did)
            status = signal.SIGKILL if child.killed else child.status  # SIGKILL's own wait status
            usage = child.rusage
            report = Report(status, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
        not_started = report.not_started(argv[0])
        if not_started:
            raise ProgramNotStarted(f"sandbox init: {not_started}")
        returncode, sig = _decode(report.status)
        # SIGXCPU comes from RLIMIT_CPU; an unsolicited SIGKILL counts if the CPU time is there
        # (the hard limit, soft + 1, when SIGXCPU was caught or ignored).
        hard_kill = sig == signal.SIGKILL and not child.killed and report.cpu_s >= 0.9 * limits.rlimit_cpu_s
        return SandboxResult(
            returncode=returncode,
            signal=sig,
            stdout=bytes(child.stdout),
            stderr=bytes(child.stderr),
            wall_s=child.wall_s,
            cpu_s=report.cpu_s,
            max_rss_kb=report.max_rss_kb,
            timed_out=child.timed_out,
            blocked=child.blocked,
            cpu_limit_exceeded=sig == signal.SIGXCPU or hard_kill,
            output_exceeded=child.output_exceeded,
            files=files.collect(work, names, limits.file_size_mb * MB),
            mode=self.mode,
        )


def _decode(status: int) -> tuple[int | None, int | None]:
    """(exit code, signal) from a wait status."""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None
