"""No forked child of ours may hold a writable descriptor of an executable someone is about to run.

Why: `execve` of a file fails with ETXTBSY ("Text file busy") while any process holds it open for
writing. When a thread writes an executable (a compiled binary into the cache, a staged copy of a
binary for the sandbox, valgrind's exec-only tool) while another thread forks, the child inherits
the write descriptor and keeps it until its own exec closes it (O_CLOEXEC acts at exec, not at
fork). If a third thread's sandbox execs the new binary inside that window, the program "fails"
with exit 127 through no fault of its own: a harness race read as a verdict (seen under load: an
Accepted program labelled RE on two of its five tests).

The fix is the one Go's runtime uses for descriptors (`syscall.ForkLock`): a shared/exclusive
lock. Every fork of ours happens under the shared side (`spawning`), for as long as
`subprocess.Popen` takes to return, which is after the child's exec succeeded or failed, so
after the child dropped every O_CLOEXEC descriptor. Every write of an executable happens under
the exclusive side (`writing_executable`), from open to close. So no fork ever starts while such
a descriptor is open. Forks by other libraries in the process are not covered: what they cause is
caught by the sandbox init, which reports an exec failure apart from the program's exit code, and
becomes INFRA (retried, never cached).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _SharedExclusiveLock:
    """Many holders of the shared side at once, or one of the exclusive side; a waiting exclusive
    holder goes first, so a steady stream of spawns cannot starve a write."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not (self._exclusive or self._waiting))
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                if not self._shared:
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not (self._exclusive or self._shared))
            self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


_LOCK = _SharedExclusiveLock()
spawning = _LOCK.shared  # around every subprocess.Popen / subprocess.run of ours
writing_executable = _LOCK.exclusive  # from open to close of a file that will be executed
