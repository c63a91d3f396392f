"""The sandbox's process tree as /proc shows it from the host: one reader for the supervisor's kill,
the hang probe and the wall guard's look at who is still running."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def descendants(pids: Iterable[int]) -> list[int]:
    """Every process below `pids` (not themselves), parents first."""
    found: list[int] = []
    frontier = list(pids)
    while frontier:
        frontier = [child for pid in frontier for child in children(pid)]
        found += frontier
    return found


def children(pid: int) -> list[int]:
    """Direct children of `pid` (every thread's); none once it is gone."""
    found: list[int] = []
    for task in tasks(pid):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tasks(pid: int) -> list[Path]:
    """/proc's directory of each thread of `pid`."""
    try:
        return sorted(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []


def cpu_ticks(pids: Iterable[int]) -> dict[int, int]:
    """pid -> CPU time used so far (user + system, every thread, in clock ticks) of each of `pids`
    still there."""
    found: dict[int, int] = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[pid] = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5)
    return found
