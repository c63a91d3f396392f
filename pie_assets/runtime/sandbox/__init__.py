"""Containment for untrusted C++ programs (CodeNet submissions, LLM generations) and their compiles.

One file per concern, as isolate splits its own:

* `launchers`: the modes. "bwrap" (preferred): bubblewrap with every namespace unshared, a
  read-only system, a private /tmp and one writable work dir at /sandbox/work; the host side runs
  as uid/gid 65534 when we are root, so RLIMIT_NPROC applies. "unshare (degraded)": the same init,
  rlimits, uid drop and ASLR-off, util-linux namespaces where permitted, but NO filesystem
  isolation: announced with a loud warning and recorded in every measured row.
* `init.c` / `init`: our init, pid 1 of the sandbox. It applies the rlimits and ASLR-off to the
  program in a fork right before exec, reaps everything, and reports the program's exact wait
  status and the tree's rusage on a pipe (bubblewrap's own init exits before reaping, so wait4 on
  bwrap sees no CPU time, and folds "killed by signal N" into exit 128+N). When the program cannot
  be started at all (exec fails: ETXTBSY, ENOENT, EACCES; or its rlimits cannot be set), it
  reports which step failed and its errno, and `run` raises ProgramNotStarted: a harness fault,
  INFRA for the caller, kept apart from a program that exits 127 itself. As pid 1 it cannot be
  signalled by the program, and it is non-dumpable, so the program cannot ptrace it or reach its
  fds. In its guard mode the same static binary is the host command in front of the containment:
  the whole run dies with the harness. Compiled on first use, cached by content.
* `supervisor`: the wall-clock guard, stdout / stderr caps, the kill and the reaping.
* `hang`: a program that blocked itself forever (single-threaded, asleep on a futex with no
  timeout), told apart from a slow one and from a stalled harness, for runs that ask
  (`Limits.stop_when_blocked`: the native backend); `proc`: the tree as /proc shows it.
* `files`: the run's private root, work dir, stdin file, read-only binds and collected files.
* `limits`, `errors`, `box` (the `Sandbox` that ties them together).

Everything that makes a run reproducible is fixed: paths, environment, hostname, no ASLR, pid 2.
stdin is a regular file, as PIE gives gem5 the test's input file (`files`).
"""

from pie_assets.runtime.sandbox.box import Sandbox, SandboxResult
from pie_assets.runtime.sandbox.errors import ProgramNotStarted, SandboxUnavailable
from pie_assets.runtime.sandbox.launchers import BWRAP, DEGRADED, FIXED_ENV
from pie_assets.runtime.sandbox.limits import Limits

__all__ = [
    "BWRAP",
    "DEGRADED",
    "FIXED_ENV",
    "Limits",
    "ProgramNotStarted",
    "Sandbox",
    "SandboxResult",
    "SandboxUnavailable",
]
