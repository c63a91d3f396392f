"""Where measurement tasks run: threads in this process (`[measure] engine = "local"`, the
default) or a Ray cluster (`"ray"`, `pie run --engine ray`; address from `$RAY_ADDRESS` or
`[measure] ray_address`, none: a local Ray instance).

Both are a `concurrent.futures.Executor`, so the runtime assets and the evaluation's measurement
submit work the same way either way. A task is an `Annotator` method call; on Ray the Annotator
travels as its recipe (config, cache root, sandbox mode: `Annotator.__reduce__`) and each worker
process rebuilds it once (`worker_annotator`). Results come back to the driver, which writes the
lake: Ray runs a task again when its worker dies (`max_retries`), and the driver takes each
task's result once, so no row is lost or doubled. Caches: a worker uses the driver's cache path;
on one machine or a shared filesystem the cache is shared, a node without it computes into its
own directory (content-addressed and written by rename, so either way nothing is corrupted).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from pie_assets.runtime.config import SimulatorConfig

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


def _call(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    return fn(*args, **kwargs)


class RayExecutor(Executor):
    """`submit` runs the call as a Ray task (one CPU each) and returns its future. Joins the cluster
    at `address` (none: starts a local instance), then checks every alive node for the tools."""

    def __init__(self, address: str | None, tools: list[str]) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     configure_logging=False, runtime_env={"env_vars": {"PIE_ENGINE": "local"}})
        self._ray = ray
        self._task = ray.remote(num_cpus=1, max_retries=RAY_TASK_RETRIES, retry_exceptions=False)(_call)
        self.check_nodes(tools)

    def check_nodes(self, tools: list[str]) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        probe = self._ray.remote(num_cpus=0)(missing_tools)
        nodes = [node["NodeID"] for node in self._ray.nodes() if node["Alive"]]
        found = self._ray.get([probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
                               .remote(tools) for node in nodes])
        broken = [f"{host} lacks {', '.join(missing)}" for host, missing in found if missing]
        if broken:
            raise WorkerSetupError(
                f"Ray worker node(s) cannot measure: {'; '.join(broken)}. Every node needs {', '.join(tools)} "
                "on its PATH (the node image: deploy/ray-node.Dockerfile)")

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self._task.remote(fn, args, kwargs).future()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Leaves Ray running: the process's later runs (and other drivers) share the cluster."""


_WORKER_ANNOTATORS: dict[tuple[str, str, str], Any] = {}


def worker_annotator(config: SimulatorConfig, cache_root: str, sandbox_mode: str):
    """The Annotator of this worker process for (config, cache, sandbox): built once, so its
    sandbox probe and compile state are paid once per process, not once per task."""
    from pie_assets.runtime.annotate import Annotator
    from pie_assets.runtime.sandbox import Sandbox

    key = (config.hash, cache_root, sandbox_mode)
    if key not in _WORKER_ANNOTATORS:
        try:
            os.makedirs(cache_root, exist_ok=True)
        except OSError:  # a node without the driver's cache path: its own cache
            cache_root = os.path.join(os.path.expanduser("~"), ".cache", "pie-lakehouse")
        _WORKER_ANNOTATORS[key] = Annotator(config, cache_root, Sandbox(mode=sandbox_mode))
    return _WORKER_ANNOTATORS[key]
