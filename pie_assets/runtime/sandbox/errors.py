"""The sandbox's two failures, both the harness's fault (INFRA for the caller), never a program's verdict."""

from __future__ import annotations


class SandboxUnavailable(RuntimeError):
    """No acceptable containment here, or the sandbox could not be set up for a run."""


class ProgramNotStarted(SandboxUnavailable):
    """Our init could not start the program (exec, rlimits or personality failed in its fork):
    the harness's fault, never the program's verdict, even though the fork exits 127 as a shell
    would. Reported apart from the program's own exit status, so `exit(127)` stays the program's."""
