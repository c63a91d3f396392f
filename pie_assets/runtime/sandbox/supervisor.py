"""The supervisor: spawns one containment, drains its output with caps, keeps the wall-clock
guard, kills the tree when told to or when the program blocked itself forever (`hang`), and
reaps it.

One selector loop does all I/O (no threads), so nothing can deadlock on a full pipe. Killing goes
through our init (SIGTERM: it kills the program's tree and still reports exact usage); an init
that does not finish in time is SIGKILLed, and as pid 1 it takes its namespace along. The program's
limits themselves (CPU, memory, file size, processes) are rlimits our init sets (`init.c`).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from pie_assets.runtime.fork_lock import spawning
from pie_assets.runtime.sandbox.hang import blocked_forever
from pie_assets.runtime.sandbox.launchers import FIXED_ENV, SANDBOX_GID, SANDBOX_UID, Launcher
from pie_assets.runtime.sandbox.limits import Limits
from pie_assets.runtime.sandbox.proc import children, cpu_ticks, descendants

_KILL_GRACE_S = 2.0  # after a kill: how long before escalating / giving up on stray pipe holders
_CHUNK = 1 << 16
_HANG_PROBE_S = 0.5  # how often a run with `stop_when_blocked` is looked at (a few /proc reads)
_RUNNING_WINDOW_S = 0.5  # past the wall guard: how often a still-running program is looked at again
_MAX_STRETCH = 4.0  # ... and for how long at most, in multiples of the guard
_CLK_TCK = os.sysconf("SC_CLK_TCK")


class Supervisor:
    """One sandboxed process tree: spawned, drained with caps, guarded by the wall clock, reaped."""

    def __init__(
        self,
        command: Callable[[int], list[str]],
        launcher: Launcher,
        cwd: Path,
        stdin_fd: int,
        limits: Limits,
    ) -> None:
        """Spawn `command(report_fd)`: the write end of the pipe our init reports on; `stdin_fd`
        (a read-only regular file) becomes the tree's fd 0."""
        self.launcher, self.limits = launcher, limits
        self.stdout, self.stderr, self.report_text = bytearray(), bytearray(), bytearray()
        self.timed_out = self.output_exceeded = self.killed = self.exited = False
        self.blocked = ""  # how the program blocked itself forever, when it did (then killed)
        self.start = time.monotonic()
        self._deadline = self.start + limits.wall_s
        self._probe_at = self.start + _HANG_PROBE_S if limits.stop_when_blocked else float("inf")
        self._ticks: dict[int, int] | None = None  # the tree's CPU ticks at the last look past the guard
        self.report_fd, report_w = os.pipe()
        try:
            with spawning():  # no executable's write descriptor may leak into this fork (fork_lock)
                self.proc = subprocess.Popen(
                    command(report_w),
                    stdin=stdin_fd,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    cwd=cwd,
                    env=FIXED_ENV,
                    start_new_session=True,
                    pass_fds=(report_w,),
                    user=SANDBOX_UID if launcher.drop_uid else None,
                    group=SANDBOX_GID if launcher.drop_uid else None,
                    extra_groups=[] if launcher.drop_uid else None,
                )
        except BaseException:
            os.close(self.report_fd)
            raise
        finally:
            os.close(report_w)

    def supervise(self) -> None:
        """Pump until the tree is gone, then reap the outer process."""
        stdout, stderr = self.proc.stdout, self.proc.stderr
        assert stdout is not None and stderr is not None  # both spawned as pipes
        pidfd = os.pidfd_open(self.proc.pid)
        sel = selectors.DefaultSelector()
        try:
            sel.register(pidfd, selectors.EVENT_READ, self._on_exit)
            sel.register(stdout, selectors.EVENT_READ, self._on_stdout)
            sel.register(stderr, selectors.EVENT_READ, self._on_stderr)
            sel.register(self.report_fd, selectors.EVENT_READ, self._on_report)
            self._pump(sel)
        finally:
            if not self.exited:  # the loop failed: never leave the tree running
                self.killed = True
                self._escalate()
            sel.close()
            os.close(pidfd)
            os.close(self.report_fd)
            stdout.close()
            stderr.close()
            _, self.status, self.rusage = os.wait4(self.proc.pid, 0)
            self.proc.returncode = os.waitstatus_to_exitcode(self.status)  # reaped here, not by Popen
        self.wall_s = time.monotonic() - self.start

    def _pump(self, sel: selectors.BaseSelector) -> None:
        """Until the outer process exited and every pipe hit EOF. A deadline passing means, in turn:
        wall guard → kill; kill ignored → kill the outer process; exited but pipes held → give up.
        Before the guard, a program found blocked forever is killed at once."""
        while not (self.exited and not sel.get_map()):
            now = time.monotonic()
            if now >= self._probe_at:
                self._probe_at = now + _HANG_PROBE_S
                if not (self.killed or self.exited) and (blocked := blocked_forever(self._inits())):
                    self.blocked = blocked
                    self._kill()
            if now >= self._deadline:
                if self.exited:
                    return  # strays outside any pid namespace (plain degraded mode) hold the pipes
                if self.killed:
                    self._escalate()
                    self._deadline = now + _KILL_GRACE_S
                elif self._running_alone(now):
                    self._deadline = now + _RUNNING_WINDOW_S
                else:
                    self.timed_out = True
                    self._kill()
            for key, _ in sel.select(max(0.0, min(self._deadline, self._probe_at) - now)):
                key.data(sel, key.fileobj)  # each handler closes at most its own fd

    def _running_alone(self, now: float) -> bool:
        """Past the wall guard: is the program one process still using CPU below its CPU limit?
        Then its CPU limit ends it, and the guard firing would be the machine's load (a program
        given a sixth of a core) taken for the program: INFRA where the verdict is TLE or a result.
        So the guard waits for it, up to `_MAX_STRETCH` times itself, looking every window; it
        fires on anything asleep, and on several processes using CPU (no single CPU limit ends
        them). The first look only takes the ticks: everything gets one window more."""
        if now >= self.start + self.limits.wall_s * _MAX_STRETCH:
            return False
        ticks = cpu_ticks(descendants(self._inits()))
        previous, self._ticks = self._ticks, ticks
        if previous is None:
            return True
        moved = [pid for pid, used in ticks.items() if used > previous.get(pid, 0)]
        return len(moved) == 1 and ticks[moved[0]] < self.limits.rlimit_cpu_s * _CLK_TCK

    def _kill(self) -> None:
        """Ask our init (SIGTERM) to kill the program's tree; it still reports exact usage. Under
        bwrap / unshare the init is the outer process's child, else the outer process itself."""
        self.killed = True
        self._deadline = time.monotonic() + _KILL_GRACE_S
        inits = self._inits()
        if not inits:
            _killpg(self.proc.pid)
        for pid in inits:
            _signal(pid, signal.SIGTERM)

    def _inits(self) -> list[int]:
        """Our init: the outer process's child under bwrap / unshare, else the outer process."""
        return children(self.proc.pid) if self.launcher.pid_namespace else [self.proc.pid]

    def _escalate(self) -> None:
        """The init did not finish in time: SIGKILL it (as pid 1 it takes the namespace along, and
        the outer process reaps it, so no zombie is orphaned), then the outer process group."""
        for pid in children(self.proc.pid):
            _signal(pid, signal.SIGKILL)
        _killpg(self.proc.pid)

    def _on_exit(self, sel: selectors.BaseSelector, pidfd: int) -> None:
        sel.unregister(pidfd)
        self.exited = True
        self._deadline = time.monotonic() + _KILL_GRACE_S
        _killpg(self.proc.pid)  # degraded modes: stragglers left in the group (outer is a zombie: safe)

    def _on_stdout(self, sel: selectors.BaseSelector, pipe: IO[bytes]) -> None:
        data = _read_or_close(sel, pipe)
        room = self.limits.output_bytes - len(self.stdout)
        self.stdout += data[:room]
        if len(data) > room:
            self.output_exceeded = True
            sel.unregister(pipe)
            pipe.close()
            if not self.killed:
                self._kill()

    def _on_stderr(self, sel: selectors.BaseSelector, pipe: IO[bytes]) -> None:
        data = _read_or_close(sel, pipe)
        self.stderr += data[: max(0, self.limits.stderr_bytes - len(self.stderr))]

    def _on_report(self, sel: selectors.BaseSelector, fd: int) -> None:
        data = os.read(fd, _CHUNK)
        if not data:
            sel.unregister(fd)
        self.report_text += data[:_CHUNK]


def _read_or_close(sel: selectors.BaseSelector, pipe: IO[bytes]) -> bytes:
    data = os.read(pipe.fileno(), _CHUNK)
    if not data:
        sel.unregister(pipe)
        pipe.close()
    return data


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _killpg(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
