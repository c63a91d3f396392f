"""Work counted where it is done, for `pie run`'s progress bar.

`pie run` executes assets in its own process, so a stage that knows its work in finer units than
partitions (the runtime stage: programs and sandboxed tests) plans and advances a counter here,
and the runner's poller shows it moving every second instead of once per problem. Under `dagster
dev` runs go to other processes and nobody reads the counter; counting costs a lock per program.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class StageWork:
    planned: Counter[str]
    done: Counter[str]


class WorkCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._planned: dict[str, Counter[str]] = {}
        self._done: dict[str, Counter[str]] = {}

    def reset(self, stage: str) -> None:
        with self._lock:
            self._planned[stage], self._done[stage] = Counter(), Counter()

    def plan(self, stage: str, **units: int) -> None:
        with self._lock:
            self._planned.setdefault(stage, Counter()).update(units)

    def advance(self, stage: str, **units: int) -> None:
        with self._lock:
            self._done.setdefault(stage, Counter()).update(units)

    def bound(self, stage: str) -> StageCounter:
        return StageCounter(self, stage)

    def snapshot(self, stage: str) -> StageWork:
        with self._lock:
            return StageWork(Counter(self._planned.get(stage, ())), Counter(self._done.get(stage, ())))


@dataclass(frozen=True)
class StageCounter:
    """One stage's side of the counter, for code that should not know the stage's name."""

    counter: WorkCounter
    stage: str

    def plan(self, **units: int) -> None:
        self.counter.plan(self.stage, **units)

    def advance(self, **units: int) -> None:
        self.counter.advance(self.stage, **units)


PROGRESS = WorkCounter()
