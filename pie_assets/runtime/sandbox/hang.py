"""A program that blocked itself forever, told apart from a slow program and a stalled harness.

A single-threaded program asleep in a futex wait with no timeout can never wake: nothing else in
its sandbox shares its memory, and nothing outside can reach it. It happens when an input runs a
program past an array's bounds and it writes over a static C library lock (stdio's, malloc's),
then waits for that "held" lock. With ASLR off and a static layout this repeats on every run of
the same binary and input, so it is a fact about the program: the supervisor probes for it while
a run that asked for it (`Limits.stop_when_blocked`) goes on, kills it at once, and the backend
says TLE (the program never finishes). Anything else asleep (several threads or processes,
another system call, a futex wait with a timeout, a /proc it may not read) is left to the
wall-clock guard, whose firing stays INFRA.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable

from pie_assets.runtime.sandbox.proc import descendants, tasks

# The futex system call's number, per machine (x86_64: arch/x86/entry/syscalls; aarch64: the
# generic table). Elsewhere nothing is ever called blocked.
FUTEX_SYSCALL = {"x86_64": 202, "aarch64": 98}
FUTEX_CMD_MASK = 0x7F  # the op without FUTEX_PRIVATE_FLAG / FUTEX_CLOCK_REALTIME
FUTEX_WAITS = frozenset({0, 9})  # FUTEX_WAIT, FUTEX_WAIT_BITSET


def blocked_forever(inits: Iterable[int]) -> str:
    """How the program under our init(s) waits forever, or "" when it does not (or we cannot tell)."""
    futex = FUTEX_SYSCALL.get(platform.machine())
    if futex is None:
        return ""
    threads = [task for pid in descendants(inits) for task in tasks(pid)]
    if len(threads) != 1:
        return ""
    try:
        stat = (threads[0] / "stat").read_text()
        call = (threads[0] / "syscall").read_text().split()
    except OSError:  # gone, or not ours to read
        return ""
    state = stat[stat.rindex(")") + 2 :].split(maxsplit=1)[0]
    if state != "S" or len(call) < 5 or call[0] != str(futex):
        return ""
    op, timeout = int(call[2], 16), int(call[4], 16)
    if op & FUTEX_CMD_MASK not in FUTEX_WAITS or timeout != 0:
        return ""
    return f"single-threaded and asleep in a futex wait with no timeout (lock word {call[1]}): nothing can wake it"
