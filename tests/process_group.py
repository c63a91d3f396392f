"""The processes a test started: its descendants, and stopping the servers and daemons it
started in their own session (`start_new_session`)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def _parents() -> dict[int, int]:
    """Every live process's parent pid, from /proc (the field after the state in `stat`)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[1])
            except OSError:
                continue
    return parents


def descendants(ancestor: int) -> set[int]:
    """The live processes descending from `ancestor`, at any depth."""
    parents = _parents()
    found: set[int] = set()
    for pid in parents:
        chain, parent = [], pid
        while parent in parents and parent != ancestor and parent not in found and parent > 1:
            chain.append(parent)
            parent = parents[parent]
        if parent == ancestor or parent in found:
            found.update(chain)
    return found


def stop_group(process: subprocess.Popen, timeout_s: float = 60) -> None:
    """SIGINT to the process group (Dagster's processes shut their children down on it), then
    SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
