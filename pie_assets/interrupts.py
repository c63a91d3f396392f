"""SIGINT and SIGTERM that stop a process however it was started.

Dagster maps SIGTERM to whatever handles SIGINT on every in-process run
(`dagster._utils.interrupts.setup_interrupt_handlers`) and leaves it so after the run. A process
started in the background by a script has SIGINT ignored, so it ends up ignoring SIGTERM: `kill`
no longer stops it, and an ignored signal is inherited across exec, so the compute-log `tail -F`
processes Dagster starts survive the SIGTERM meant to stop them and hold the run's output pipes.
"""

from __future__ import annotations

import signal


def restore_interrupts() -> None:
    """Give an ignored SIGINT Python's own handler (KeyboardInterrupt), as in an interactive run,
    so that SIGTERM, mapped to it by Dagster, stops the process instead of being ignored."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
