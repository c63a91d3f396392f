"""What the Ray tests share: finding a worker process of this process's own Ray cluster while it
runs one of our tasks, and killing it from a thread (SIGKILL, as a node's out-of-memory killer or
a lost machine would). Tests run in parallel (pytest-xdist), so another worker's cluster may be
running tasks too: only processes descending from this one are ours."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psutil


def ray_worker_running_a_task() -> int | None:
    """A worker process of our cluster (ray.init started its raylet, the workers' parent, from
    this process) executing one of our tasks: Ray titles it `ray::_call` while it runs."""
    for worker in psutil.Process().children(recursive=True):
        try:
            title = worker.cmdline()[:1]
        except psutil.Error:
            continue
        if title and title[0].startswith("ray::_call"):
            return worker.pid
    return None


@contextmanager
def killing_one_worker(ready: Callable[[], bool] = lambda: True, timeout_s: float = 60) -> Iterator[list[int]]:
    """Kills one worker running a task, once `ready()` holds, while the body runs; yields the
    list that then holds the killed pid (empty if none was caught before the body ended)."""
    killed: list[int] = []
    finished = threading.Event()

    def kill() -> None:
        deadline = time.monotonic() + timeout_s
        while not killed and not finished.is_set() and time.monotonic() < deadline:
            if ready() and (pid := ray_worker_running_a_task()) is not None:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill)
    killer.start()
    try:
        yield killed
    finally:
        finished.set()
        killer.join()
