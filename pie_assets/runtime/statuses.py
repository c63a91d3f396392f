"""The statuses a measured program gets: a contract. docs/reference/statuses.md is its long form,
and tests/unit/test_statuses_doc.py keeps the two listing the same statuses.

One test (`runtime_annotations.status`; a generation's tests alike). The native judging run comes
first on every test, the backend measures only a program that passed them all:

    OK     ran within every limit and printed the expected output (natively and under the backend)
    WA     ran, but the output does not match (PIE's judge), or the backend's output differs from
           the native run's
    RE     exited non-zero or died of a signal that no limit explains
    TLE    over the CPU limit (native), or blocked itself forever natively (single-threaded, asleep on a
           futex with no timeout: `sandbox.hang`), or the instruction budget / CPU limit under the backend
    MLE    ran out of address space (native run: std::bad_alloc, or a memory signal near the limit)
    OLE    wrote more stdout than the output limit
    CE     did not compile (the compiler's error kept in `detail`)
    INFRA  the harness failed, not the program: the wall-clock guard fired on a run not known to be
           blocked forever, the sandbox could not start it (an exec race, no sandbox), the compile
           ran out of time, valgrind or gem5 broke by themselves

A program (`submission_runtimes.status`, `generation_runtimes.status`): its first test status that
is not OK, else OK; or one of these, when nothing ran:

    NO_TESTS  the problem has no runtime test
    NO_CODE   a generation from which no code was extracted (evaluation)

Everything but INFRA is a fact about the program under the simulator config (limits, compiler,
backend are in the config hash) and is cached by content: outcomes per (binary, input, expected
output, config), CE per (code, compiler, flags). INFRA (`HARNESS_FAULTS`) is never cached and is
tried again at once, up to `[measure] infra_attempts` tries per run or compile; one that persists
is written as INFRA (an unknown outcome downstream) and is run again by the next materialisation.
"""

from __future__ import annotations

OK = "OK"
WA = "WA"
RE = "RE"
TLE = "TLE"
MLE = "MLE"
OLE = "OLE"
CE = "CE"
INFRA = "INFRA"
NO_TESTS = "NO_TESTS"
NO_CODE = "NO_CODE"

# What one test can end as: the values of runtime_annotations.status.
STATUSES = (OK, WA, RE, TLE, MLE, OLE, CE, INFRA)
# What a program can end as besides its tests' statuses, when nothing ran.
PROGRAM_ONLY_STATUSES = (NO_TESTS, NO_CODE)
# The harness's fault, never the program's: not cached, retried up to `[measure] infra_attempts` times.
HARNESS_FAULTS = frozenset({INFRA})
