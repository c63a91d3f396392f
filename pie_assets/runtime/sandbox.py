"""Containment for untrusted C++ programs (CodeNet submissions, LLM generations) and their compiles.

Preferred mode, "bwrap": bubblewrap with every namespace unshared (no network, private pids), a
read-only /usr, a private tmpfs /tmp, and one writable host temp dir bound at the fixed path
/sandbox/work (the cwd); nothing else is writable. The host side runs as uid/gid 65534, so
RLIMIT_NPROC applies (root ignores it).

Inside, pid 1 is a tiny init of ours (C, compiled once per `Sandbox`): it applies the rlimits and
ASLR-off to the program in a fork right before exec, reaps everything, and reports the program's
exact wait status and the tree's rusage on a pipe. bubblewrap's own init cannot do that: its
monitor exits as soon as the program does, before reaping it, so wait4 on bwrap sees no CPU time,
and it folds "killed by signal N" into exit code 128+N. When the program cannot be started at all
(exec fails: ETXTBSY, ENOENT, EACCES; or its rlimits cannot be set), the init reports which step
failed and its errno instead, and `run` raises ProgramNotStarted: a harness fault, INFRA for the
caller, kept apart from a program that exits 127 itself. As pid 1 of the namespace, our init cannot
be signalled by the program, and it is non-dumpable, so the program cannot ptrace it or reach its fds.
The same binary, in its guard mode, is the host command in front of the containment: it sets the
parent-death signal (the whole run dies with the harness) and execs bwrap, as `setpriv
--pdeathsig` did, but as a static binary: ~0.5 ms less CPU on every run.

Fallback, "unshare (degraded)": the same init, rlimits, uid drop and ASLR-off, plus util-linux
`unshare` namespaces where permitted. The filesystem is NOT isolated there (the program can write
wherever uid 65534 may), so it is announced with a loud warning and recorded in every measured row.

Everything that makes a run reproducible is fixed: paths, environment, hostname, no ASLR, pid 2.

stdin is a regular file, as PIE gives gem5 the test's input file: the bytes are written to the
run's private temp root (outside the writable work dir, never bound inside, so the program cannot
alter them), opened read-only and inherited as fd 0. Programs may fstat, mmap or lseek it. In the
degraded modes, which show the program the host's files, the file is mode 0400 and owned by the
harness, so uid 65534 cannot open it (without root there is no other uid to protect it from).
"""

from __future__ import annotations

import logging
import math
import os
import selectors
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pie_assets.runtime.fork_lock import spawning, writing_executable

log = logging.getLogger(__name__)

SANDBOX_UID = SANDBOX_GID = 65534
WORK_DIR = "/sandbox/work"
INIT_PATH = "/sandbox/init"
# Identical for every run: the environment's size shifts stack addresses and instruction counts.
FIXED_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C", "HOME": WORK_DIR, "PWD": WORK_DIR}
BWRAP = "bwrap"
DEGRADED = "unshare (degraded)"
_MB = 1 << 20
_KILL_GRACE_S = 2.0  # after a kill: how long before escalating / giving up on stray pipe holders
_CHUNK = 1 << 16
# Host paths the sandbox sees read-only (if present): toolchain, loader, and `cc`/`c++` links.
_SYSTEM_PATHS = ("/usr", "/bin", "/lib", "/lib64", "/etc/alternatives")
_UNSHARE_NS = ("--net", "--pid", "--fork", "--kill-child", "--ipc", "--uts", "--mount", "--mount-proc")

_INIT_SOURCE = r"""
// pid 1 of a sandbox: rlimits + ASLR-off for the program, reaping, and an exact report.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static rlim_t number(const char *text) { return strtoull(text, nullptr, 10); }

static long micros(struct timeval tv) { return tv.tv_sec * 1000000L + tv.tv_usec; }

static pid_t program;

// SIGTERM from the harness (wall guard, output cap): kill the program; the rest goes as usual, so
// even a killed run gets an exact report.
static void stop(int) {
    if (getpid() == 1) kill(-1, SIGKILL);
    else kill(program, SIGKILL);
}

// Kill what is left of the program's tree and reap it all, so the usage covers the whole tree.
// As pid 1, kill(-1) reaches exactly the sandbox's processes; otherwise, as a subreaper, every
// orphan of the tree (setsid() escapees included) is our child.
static void kill_rest(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    for (;;) {
        if (getpid() == 1) {
            kill(-1, SIGKILL);
        } else if (FILE *children = fopen(path, "r")) {
            int pid;
            while (fscanf(children, "%d", &pid) == 1) kill(pid, SIGKILL);
            fclose(children);
        }
        if (waitpid(-1, nullptr, 0) < 0 && errno == ECHILD) return;
    }
}

// init --guard HARNESS_PID -- COMMAND [ARGS...]: on the host, in front of the containment, what
// `setpriv --pdeathsig KILL` did, without a dynamic binary's start: die with the harness, and never
// start the command once the harness has died.
static int guard(char **argv) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != (pid_t)atol(argv[2])) return 125;
    execvp(argv[4], argv + 4);
    fprintf(stderr, "sandbox guard: cannot execute %s: %s\n", argv[4], strerror(errno));
    return 127;
}

// What the program's fork failed at before running it, told to us on a pipe that its exec closes.
enum { STARTED, SET_RLIMITS, SET_PERSONALITY, EXEC };
struct failure { int stage, error; };

static void fail(int pipe_fd, int stage) {
    struct failure what = {stage, errno};
    if (write(pipe_fd, &what, sizeof what) != sizeof what) {}  // nothing more to do: we exit 127 anyway
    _exit(127);
}

static void limit(int pipe_fd, int resource, rlim_t soft, rlim_t hard) {
    struct rlimit value = {soft, hard};
    if (setrlimit(resource, &value) != 0) fail(pipe_fd, SET_RLIMITS);
}

// init REPORT_FD CPU_S AS_BYTES FSIZE_BYTES NPROC -- PROGRAM [ARGS...]
// Reports "STATUS UTIME_US STIME_US MAXRSS_KB STAGE ERRNO": STAGE is STARTED once the program's
// exec succeeded; otherwise what failed, with its errno, and STATUS is only our fork's exit 127,
// never the program's (a program may exit 127 itself).
int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "--guard") == 0 && strcmp(argv[3], "--") == 0) return guard(argv);
    if (argc < 8 || strcmp(argv[6], "--") != 0) { fputs("sandbox init: bad usage\n", stderr); return 125; }
    int report = atoi(argv[1]);
    prctl(PR_SET_DUMPABLE, 0);         // the program (same uid) may not ptrace us or open our fds
    prctl(PR_SET_CHILD_SUBREAPER, 1);  // without a pid namespace, orphans still come back to us
    int failed[2];
    if (pipe2(failed, O_CLOEXEC) != 0) { perror("sandbox init: pipe2"); return 125; }
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, nullptr);  // until `program` is known
    pid_t child = program = fork();
    if (child < 0) { perror("sandbox init: fork"); return 125; }
    if (child == 0) {
        sigprocmask(SIG_UNBLOCK, &term, nullptr);
        int out = failed[1];  // kept (close-on-exec) through the close of every other fd above 2
        if (out > 3) close_range(3, out - 1, 0);
        close_range(out + 1, ~0U, 0);
        rlim_t cpu = number(argv[2]);
        limit(out, RLIMIT_CPU, cpu, cpu + 1);
        limit(out, RLIMIT_AS, number(argv[3]), number(argv[3]));
        limit(out, RLIMIT_FSIZE, number(argv[4]), number(argv[4]));
        limit(out, RLIMIT_NPROC, number(argv[5]), number(argv[5]));
        limit(out, RLIMIT_CORE, 0, 0);
        if (personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE) == -1) fail(out, SET_PERSONALITY);
        execvp(argv[7], argv + 7);
        fail(out, EXEC);
    }
    close(failed[1]);
    signal(SIGTERM, stop);
    sigprocmask(SIG_UNBLOCK, &term, nullptr);
    int status;
    for (;;) {
        pid_t pid = waitpid(-1, &status, 0);
        if (pid == child) break;
        if (pid < 0 && errno != EINTR) { perror("sandbox init: waitpid"); return 125; }
    }
    kill_rest();
    struct failure what = {STARTED, 0};
    if (read(failed[0], &what, sizeof what) != sizeof what) what.stage = STARTED;
    struct rusage usage;
    getrusage(RUSAGE_CHILDREN, &usage);
    dprintf(report, "%d %ld %ld %ld %d %d\n", status, micros(usage.ru_utime), micros(usage.ru_stime), usage.ru_maxrss,
            what.stage, what.error);
    return 0;
}
"""

_warned = False
_warn_lock = threading.Lock()


@dataclass(frozen=True)
class Limits:
    cpu_s: float = 10.0  # RLIMIT_CPU, rounded up to whole seconds (soft; hard = soft + 1)
    address_space_mb: int = 2048  # RLIMIT_AS
    file_size_mb: int = 16  # RLIMIT_FSIZE; also sizes the private /tmp (4 such files)
    processes: int = 64  # RLIMIT_NPROC, per sandbox (its own user namespace) in bwrap mode
    wall_s: float = 30.0  # wall-clock guard: the whole sandbox is killed
    output_bytes: int = 64 << 20  # stdout kept up to this; beyond → kill, output_exceeded
    stderr_bytes: int = 64 << 10  # stderr excerpt kept; the rest is read and discarded


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
    cpu_limit_exceeded: bool
    output_exceeded: bool
    files: dict[str, bytes]
    mode: str


class SandboxUnavailable(RuntimeError):
    """No acceptable containment here, or the sandbox could not be set up for a run."""


class ProgramNotStarted(SandboxUnavailable):
    """Our init could not start the program (exec, rlimits or personality failed in its fork):
    the harness's fault, never the program's verdict, even though the fork exits 127 as a shell
    would. Reported apart from the program's own exit status, so `exit(127)` stays the program's."""


@dataclass(frozen=True)
class _Launcher:
    """How one containment starts our init."""

    mode: str  # BWRAP or DEGRADED
    description: str
    unshare: tuple[str, ...] = ()  # degraded: namespace prefix before the init
    drop_uid: bool = True  # Popen becomes 65534 on the host before exec (we are root)
    pid_namespace: bool = True  # our init is pid 1: unkillable from inside, takes the tree along


@dataclass(frozen=True)
class _Report:
    """What our init saw: the program's wait status and its reaped tree's usage, or which step of
    starting it failed (`stage`, the init's enum: 0 = started) with the errno."""

    status: int
    cpu_s: float
    max_rss_kb: int
    stage: int = 0
    errno: int = 0


# The init's stages of starting a program (its enum), as the error message names them.
_STAGES = {1: "set the rlimits of", 2: "turn address randomisation off for", 3: "execute"}


class Sandbox:
    """Runs untrusted programs contained; see the module docstring for the modes."""

    def __init__(self, mode: str = "auto") -> None:
        """auto: bwrap when it works here, else the degraded fallback (warned once per process);
        'bwrap' / 'unshare' force one. Raises SandboxUnavailable rather than run uncontained."""
        if mode not in ("auto", "bwrap", "unshare"):
            raise ValueError(f"unknown sandbox mode {mode!r}")
        init_dir = Path(tempfile.mkdtemp(prefix="pie-sandbox-init-"))
        weakref.finalize(self, shutil.rmtree, init_dir, True)
        self._init = _build_init(init_dir)
        self._as_root = os.geteuid() == 0  # then the program runs as 65534, whatever the launcher
        failures: list[str] = []
        candidates = [_Launcher(BWRAP, "bubblewrap", drop_uid=self._as_root)] if mode != "unshare" else []
        if mode != "bwrap":
            candidates += _degraded_launchers(self._as_root)
        for launcher in candidates:
            reason = self._probe(launcher)
            if reason is None:
                break
            failures.append(f"{launcher.description}: {reason}")
        else:
            raise SandboxUnavailable("no usable sandbox: " + "; ".join(failures))
        if launcher.mode == DEGRADED:
            _warn_degraded(launcher, failures)

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
        names = [_check_name(name) for name in collect]
        root = Path(tempfile.mkdtemp(prefix="pie-sandbox-"))
        try:
            work = self._prepare(root)
            binds = [(self._stage(root, i, src), dest) for i, (src, dest) in enumerate(ro_binds.items())]
            with _stdin_file(root, stdin) as stdin_fd:
                child = _Child(
                    lambda fd: self._command(argv, work, binds, limits, fd), self._launcher, work, stdin_fd, limits
                )
            child.supervise()
            return self._result(child, argv, limits, work, names)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _probe(self, launcher: _Launcher) -> str | None:
        """Why `launcher` cannot run `true` here, or None when it can (and is now ours)."""
        self._launcher = launcher
        try:
            result = self.run(["true"], stdin=b"", limits=Limits(wall_s=20))
        except (OSError, SandboxUnavailable) as exc:
            return str(exc)
        if result.returncode != 0:
            return f"exit {result.returncode}, signal {result.signal}: {result.stderr[-300:]!r}"
        return None

    def _prepare(self, root: Path) -> Path:
        """The private work dir, writable by the sandbox user only; `root` traversable for it."""
        work = root / "work"
        work.mkdir(mode=0o700)
        root.chmod(0o711)
        if self._as_root:
            os.chown(work, SANDBOX_UID, SANDBOX_GID)
        return work

    def _stage(self, root: Path, index: int, src: str) -> str:
        """A host path for `src` that uid 65534 can reach (bwrap resolves bind sources as that
        user): `src` itself, or a read-only copy inside this run's temp dir."""
        if not self._as_root or _reachable_by_others(src):
            return src
        copy = root / "ro" / str(index)
        copy.parent.mkdir(mode=0o711, exist_ok=True)
        with writing_executable():  # a binary staged here is run next: no fork may hold its write
            if os.path.isdir(src):
                shutil.copytree(src, copy)
            else:
                shutil.copy2(src, copy)
        _make_world_readable(copy)
        return str(copy)

    def _command(
        self, argv: Sequence[str], work: Path, binds: list[tuple[str, str]], limits: Limits, report_fd: int
    ) -> list[str]:
        """The full host command: parent-death guard (our init's guard mode), containment, our init
        (limits), program."""
        guard = [self._init, "--guard", str(os.getpid()), "--"]
        if self.mode == BWRAP:
            init_binds = [*binds, (self._init, INIT_PATH)]
            return [*guard, *_bwrap_args(work, init_binds, limits), *_init_args(INIT_PATH, report_fd, limits), *argv]
        mapping = {dest: src for src, dest in binds} | {WORK_DIR: str(work)}
        init = _init_args(self._init, report_fd, limits)
        return [*guard, *self._launcher.unshare, *init, *_translate(argv, mapping)]

    def _result(
        self, child: _Child, argv: Sequence[str], limits: Limits, work: Path, names: list[str]
    ) -> SandboxResult:
        report = child.report()
        if report is None and not child.killed and self._launcher.pid_namespace:
            # our init is pid 1 there, out of the program's reach: no report means no start
            raise SandboxUnavailable(f"{self._launcher.description} did not start: {bytes(child.stderr[-500:])!r}")
        if report is None:  # we had to SIGKILL our init (or, without a pid namespace, the program did)
            status = signal.SIGKILL if child.killed else child.status  # SIGKILL's own wait status
            usage = child.rusage
            report = _Report(status, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
        if report.stage:
            what = _STAGES.get(report.stage, f"start (stage {report.stage})")
            raise ProgramNotStarted(f"sandbox init: cannot {what} {argv[0]}: {os.strerror(report.errno)}")
        returncode, sig = _decode(report.status)
        # SIGXCPU comes from RLIMIT_CPU; an unsolicited SIGKILL counts if the CPU time is there
        # (the hard limit, soft + 1, when SIGXCPU was caught or ignored).
        hard_kill = sig == signal.SIGKILL and not child.killed and report.cpu_s >= 0.9 * _rlimit_cpu(limits)
        return SandboxResult(
            returncode=returncode,
            signal=sig,
            stdout=bytes(child.stdout),
            stderr=bytes(child.stderr),
            wall_s=child.wall_s,
            cpu_s=report.cpu_s,
            max_rss_kb=report.max_rss_kb,
            timed_out=child.timed_out,
            cpu_limit_exceeded=sig == signal.SIGXCPU or hard_kill,
            output_exceeded=child.output_exceeded,
            files=_collect(work, names, limits.file_size_mb * _MB),
            mode=self.mode,
        )


class _Child:
    """One sandboxed process tree: spawned, drained with caps, guarded by the wall clock, reaped.
    One selector loop does all I/O (no threads), so nothing can deadlock on a full pipe."""

    def __init__(
        self,
        command: Callable[[int], list[str]],
        launcher: _Launcher,
        cwd: Path,
        stdin_fd: int,
        limits: Limits,
    ) -> None:
        """Spawn `command(report_fd)`: the write end of the pipe our init reports on; `stdin_fd`
        (a read-only regular file) becomes the tree's fd 0."""
        self.launcher, self.limits = launcher, limits
        self.stdout, self.stderr, self.report_text = bytearray(), bytearray(), bytearray()
        self.timed_out = self.output_exceeded = self.killed = self.exited = False
        drop: dict[str, Any] = (
            {"user": SANDBOX_UID, "group": SANDBOX_GID, "extra_groups": []} if launcher.drop_uid else {}
        )
        self.start = time.monotonic()
        self._deadline = self.start + limits.wall_s
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
                    **drop,
                )
        except BaseException:
            os.close(self.report_fd)
            raise
        finally:
            os.close(report_w)

    def supervise(self) -> None:
        """Pump until the tree is gone, then reap the outer process."""
        out, err = self.proc.stdout, self.proc.stderr
        if out is None or err is None:  # spawned with stdout=PIPE and stderr=PIPE: never
            raise RuntimeError("the sandboxed process has no stdout or stderr pipe")
        pidfd = os.pidfd_open(self.proc.pid)
        sel = selectors.DefaultSelector()
        try:
            sel.register(pidfd, selectors.EVENT_READ, self._on_exit)
            sel.register(out, selectors.EVENT_READ, self._on_stdout)
            sel.register(err, selectors.EVENT_READ, self._on_stderr)
            sel.register(self.report_fd, selectors.EVENT_READ, self._on_report)
            self._pump(sel)
        finally:
            if not self.exited:  # the loop failed: never leave the tree running
                self.killed = True
                self._escalate()
            sel.close()
            os.close(pidfd)
            os.close(self.report_fd)
            for stream in (out, err):
                stream.close()
            _, self.status, self.rusage = os.wait4(self.proc.pid, 0)
            self.proc.returncode = os.waitstatus_to_exitcode(self.status)  # reaped here, not by Popen
        self.wall_s = time.monotonic() - self.start

    def report(self) -> _Report | None:
        try:
            status, utime_us, stime_us, max_rss_kb, stage, errno = (int(v) for v in self.report_text.split())
        except ValueError:
            return None
        return _Report(status, (utime_us + stime_us) / 1e6, max_rss_kb, stage, errno)

    def _pump(self, sel: selectors.BaseSelector) -> None:
        """Until the outer process exited and every pipe hit EOF. A deadline passing means, in turn:
        wall guard → kill; kill ignored → kill the outer process; exited but pipes held → give up."""
        while not (self.exited and not sel.get_map()):
            now = time.monotonic()
            if now >= self._deadline:
                if self.exited:
                    return  # strays outside any pid namespace (plain degraded mode) hold the pipes
                if self.killed:
                    self._escalate()
                else:
                    self.timed_out = True
                    self._kill()
                self._deadline = now + _KILL_GRACE_S
            for key, _ in sel.select(max(0.0, self._deadline - now)):
                key.data(sel, key.fileobj)  # each handler closes at most its own fd

    def _kill(self) -> None:
        """Ask our init (SIGTERM) to kill the program's tree; it still reports exact usage. Under
        bwrap / unshare the init is the outer process's child, else the outer process itself."""
        self.killed = True
        self._deadline = time.monotonic() + _KILL_GRACE_S
        inits = _children(self.proc.pid) if self.launcher.pid_namespace else [self.proc.pid]
        if not inits:
            _killpg(self.proc.pid)
        for pid in inits:
            _signal(pid, signal.SIGTERM)

    def _escalate(self) -> None:
        """The init did not finish in time: SIGKILL it (as pid 1 it takes the namespace along, and
        the outer process reaps it, so no zombie is orphaned), then the outer process group."""
        for pid in _children(self.proc.pid):
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


@contextmanager
def _stdin_file(root: Path, data: bytes) -> Iterator[int]:
    """`data` as a read-only fd of a regular file in the run's private root (never bound inside):
    PIE feeds gem5 the input file itself, and programs may fstat or seek it like one."""
    path = root / "stdin"
    path.write_bytes(data)
    path.chmod(0o400)
    fd = os.open(path, os.O_RDONLY)
    try:
        yield fd
    finally:
        os.close(fd)


def _read_or_close(sel: selectors.BaseSelector, pipe: IO[bytes]) -> bytes:
    data = os.read(pipe.fileno(), _CHUNK)
    if not data:
        sel.unregister(pipe)
        pipe.close()
    return data


def _signal(pid: int, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)


def _killpg(pgid: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    """Direct children of `pid`."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _build_init(directory: Path) -> str:
    """Compile our init, static so it needs nothing inside the sandbox, where uid 65534 can run it."""
    directory.chmod(0o711)
    source, binary = directory / "init.cpp", directory / "init"
    source.write_text(_INIT_SOURCE)
    command = ["g++", "-O2", "-static", "-o", str(binary), str(source)]
    with spawning():
        compiled = subprocess.run(command, capture_output=True, text=True)
    if compiled.returncode != 0:
        raise SandboxUnavailable(f"cannot build the sandbox init: {compiled.stderr[-500:]}")
    binary.chmod(0o755)
    return str(binary)


def _rlimit_cpu(limits: Limits) -> int:
    return max(1, math.ceil(limits.cpu_s))


def _init_args(init: str, report_fd: int, limits: Limits) -> list[str]:
    """Our init's command line: where to report, the rlimits for the program, then the program."""
    sizes = (limits.address_space_mb * _MB, limits.file_size_mb * _MB, limits.processes)
    return [init, str(report_fd), str(_rlimit_cpu(limits)), *map(str, sizes), "--"]


def _bwrap_args(work: Path, binds: list[tuple[str, str]], limits: Limits) -> list[str]:
    args = [
        "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",
        "--uid", str(SANDBOX_UID),
        "--gid", str(SANDBOX_GID),
        "--hostname", "sandbox",
        "--clearenv",
    ]  # fmt: skip
    for key, value in FIXED_ENV.items():
        args += ["--setenv", key, value]
    args += _system_mounts()
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(4 * limits.file_size_mb * _MB), "--tmpfs", "/tmp"]
    args += ["--bind", str(work), WORK_DIR]
    for src, dest in binds:
        args += ["--ro-bind", src, dest]
    args += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", WORK_DIR, "--"]
    return args


def _system_mounts() -> list[str]:
    """Read-only system paths, mirrored as the host has them (usr-merged symlinks or directories)."""
    args: list[str] = []
    for path in _SYSTEM_PATHS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _degraded_launchers(root: bool) -> list[_Launcher]:
    """Fallbacks, most contained first; without root there is no uid to drop to, so only userns."""
    user_ns = ("unshare", "--user", f"--map-user={SANDBOX_UID}", f"--map-group={SANDBOX_GID}", *_UNSHARE_NS, "--")
    launchers = [_Launcher(DEGRADED, "unshare in a user namespace", user_ns, drop_uid=root)]
    if root:
        as_root = ("unshare", *_UNSHARE_NS, "--setuid", str(SANDBOX_UID), "--setgid", str(SANDBOX_GID), "--")
        launchers.append(_Launcher(DEGRADED, "unshare as root, then uid 65534", as_root, drop_uid=False))
        launchers.append(_Launcher(DEGRADED, "rlimits and uid 65534 only", (), pid_namespace=False))
    return launchers


def _warn_degraded(launcher: _Launcher, failures: list[str]) -> None:
    global _warned
    with _warn_lock:
        if _warned:
            return
        _warned = True
    log.warning(
        "SANDBOX DEGRADED: untrusted programs run with %s (rlimits, uid 65534, no ASLR) and NO "
        "filesystem isolation; results are marked %r. Better modes failed: %s",
        launcher.description,
        DEGRADED,
        "; ".join(failures) or "not tried (mode='unshare' forced)",
    )


def _translate(argv: Sequence[str], mapping: Mapping[str, str]) -> list[str]:
    """Sandbox paths in argv → host paths, for modes without a private mount tree."""
    out = []
    for arg in argv:
        for dest in sorted(mapping, key=len, reverse=True):
            if arg == dest or arg.startswith(dest.rstrip("/") + "/"):
                arg = mapping[dest] + arg[len(dest) :]
                break
        out.append(arg)
    return out


def _decode(status: int) -> tuple[int | None, int | None]:
    """(exit code, signal) from a wait status."""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


def _reachable_by_others(path: str) -> bool:
    """Whether 'other' permission bits let uid 65534 use `path` (ACLs ignored: a miss only copies):
    read it, or, for an exec-only file (no read bit at all), execute it, so that it is bound as it
    is and stays unreadable inside too."""
    resolved = Path(path).resolve()
    if not all(parent.stat().st_mode & stat.S_IXOTH for parent in resolved.parents):
        return False
    mode = resolved.stat().st_mode
    if stat.S_ISDIR(mode):
        needed = stat.S_IROTH | stat.S_IXOTH
    elif mode & 0o444:
        needed = stat.S_IROTH
    else:
        needed = stat.S_IXOTH  # exec-only
    return mode & needed == needed


def _make_world_readable(path: Path) -> None:
    """a+r (and a+x where anyone had x, and on dirs) on a staged copy, so uid 65534 can use it; an
    exec-only file stays exec-only (a+x)."""
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    for item in paths:
        mode = item.stat().st_mode
        execute = stat.S_ISDIR(mode) or mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        if not stat.S_ISDIR(mode) and not mode & 0o444:
            item.chmod(0o111)
        else:
            item.chmod(0o555 if execute else 0o444)


def _check_name(name: str) -> str:
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"collect takes plain file names in {WORK_DIR}, not {name!r}")
    return name


def _collect(work: Path, names: list[str], cap: int) -> dict[str, bytes]:
    """Requested regular files from the work dir. The program controls that dir, so no symlink is
    followed and FIFOs / devices are skipped (we read as root)."""
    files = {}
    for name in names:
        try:
            fd = os.open(work / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        with os.fdopen(fd, "rb") as handle:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                files[name] = handle.read(cap)
    return files
