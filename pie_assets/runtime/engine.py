"""Where the heavy tasks run, measurement and generation requests alike: threads in this process
(`[measure] engine = "local"`, the default) or a Ray cluster (`"ray"`, `pie run --engine ray`;
address from `$RAY_ADDRESS` or `[measure] ray_address`, none: a local Ray instance).

Both are a `concurrent.futures.Executor`, so the runtime assets, the evaluation and self-play
submit work the same way either way. This layer knows nothing of what a task does: a task is any
picklable callable. An object that is costly to build (an annotator with its sandbox probe, a
local model's weights) travels as its recipe (its `__reduce__` names a module-level builder and
the arguments), and the builder asks `worker_instance` for it, so each worker process builds it
once, not once per task. Results come back to the driver, which writes the lake and the caches:
Ray runs a task again when its worker dies (`max_retries`), and the driver takes each task's
result once, so no row or sample is lost or doubled.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

from pie_assets.runtime.config import SimulatorConfig

T = TypeVar("T")

# Ray retries a task whose worker process died this many times; a program's own failure is a
# row (CE, RE, TLE ...), never an exception, so application errors are not retried.
RAY_TASK_RETRIES = 3


class WorkerSetupError(RuntimeError):
    """A worker node lacks a tool the measurement needs: named, with the node."""


def required_tools(config: SimulatorConfig, sandbox_mode: str) -> list[str]:
    """The executables every worker needs for this config: the compiler, the backend's simulator
    and, when the driver sandboxes with bubblewrap, bwrap (never a silent downgrade on a node)."""
    tools = [config.section("compile").get("compiler", "g++")]
    if config.backend == "cachegrind":
        tools.append("valgrind")
    elif config.backend == "gem5":
        tools.append(config.section("gem5").get("binary") or "gem5.opt")
    if sandbox_mode == "bwrap":
        tools.append("bwrap")
    return tools


def missing_tools(tools: list[str]) -> tuple[str, list[str]]:
    """(this host, the tools not found on its PATH)."""
    return socket.gethostname(), [tool for tool in tools if shutil.which(tool) is None]


def make_executor(config: SimulatorConfig, sandbox_mode: str, workers: int | None = None) -> Executor:
    """The configured engine; `workers` bounds the local thread pool (Ray schedules by its CPUs)."""
    if config.engine == "ray":
        return RayExecutor(config.ray_address, required_tools(config, sandbox_mode))
    return ThreadPoolExecutor(max_workers=max(1, workers or config.workers))


def make_generation_executor(config: SimulatorConfig | None, task_cpus: float, concurrency: int) -> Executor:
    """Where generation requests run: the same engine switch as measurement (no config: local).
    Locally a thread pool of `concurrency`; on Ray tasks holding `task_cpus` each (the generator's:
    0 for a remote endpoint's request, which only waits on the network) and no tool check: a
    request needs no compiler. The caller bounds the requests in flight either way."""
    if config is not None and config.engine == "ray":
        return RayExecutor(config.ray_address, [], num_cpus=task_cpus)
    return ThreadPoolExecutor(max_workers=max(1, concurrency))


def _call(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    return fn(*args, **kwargs)


class RayExecutor(Executor):
    """`submit` runs the call as a Ray task (`num_cpus` each) and returns its future. Joins the
    cluster at `address` (none: starts a local instance), then checks every alive node for the tools."""

    def __init__(self, address: str | None, tools: list[str], num_cpus: float = 1) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                runtime_env={"env_vars": {"PIE_ENGINE": "local"}},
            )
        self._ray = ray
        self._task = ray.remote(num_cpus=num_cpus, max_retries=RAY_TASK_RETRIES, retry_exceptions=False)(_call)
        if tools:
            self.check_nodes(tools)

    def check_nodes(self, tools: list[str]) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        probe = self._ray.remote(num_cpus=0)(missing_tools)
        nodes = [node["NodeID"] for node in self._ray.nodes() if node["Alive"]]
        found = self._ray.get(
            [
                probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)).remote(tools)
                for node in nodes
            ]
        )
        broken = [f"{host} lacks {', '.join(missing)}" for host, missing in found if missing]
        if broken:
            raise WorkerSetupError(
                f"Ray worker node(s) cannot measure: {'; '.join(broken)}. Every node needs {', '.join(tools)} "
                "on its PATH (the node image: deploy/ray-node.Dockerfile)"
            )

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self._task.remote(fn, args, kwargs).future()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Leaves Ray running: the process's later runs (and other drivers) share the cluster."""


# Objects a worker process keeps per kind (annotators, generators): like the driver's model cache,
# a third recipe of a kind evicts the least recently used, so a long-lived worker that serves
# many checkpoints holds at most two models.
WORKER_INSTANCES_PER_KIND = 2
_WORKER_INSTANCES: dict[str, OrderedDict[Hashable, Any]] = {}
_WORKER_INSTANCES_LOCK = threading.RLock()


def worker_instance(kind: str, key: Hashable, build: Callable[[], T]) -> T:
    """This process's object of `kind` for `key` (a recipe), built by `build` on first use: a
    task's annotator or generator is made once per worker process and reused by its later tasks."""
    with _WORKER_INSTANCES_LOCK:
        cache = _WORKER_INSTANCES.setdefault(kind, OrderedDict())
        if key in cache:
            cache.move_to_end(key)
        else:
            cache[key] = build()
            while len(cache) > WORKER_INSTANCES_PER_KIND:
                cache.popitem(last=False)
        return cache[key]
