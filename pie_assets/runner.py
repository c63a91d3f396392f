"""In-process materialisation of the asset graph, as `pie run` does it.

Stages (assets definitions) run in the topological order of the definitions: unpartitioned ones
in one run, per-problem ones in ranged runs of MAX_PARTITIONS_PER_RUN (the same batching the
backfill policy gives the UI and sensors), while a poller turns each per-problem stage's
materialisation events into progress, reported under the stage's name.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.defs.partitions import MAX_PARTITIONS_PER_RUN, PROBLEMS
from pie_assets.definitions import build_defs
from pie_assets.runs import partition_range_tags
from pie_assets.settings import Settings


class UserError(RuntimeError):
    """A problem with what the user asked for; the CLI prints it as one line."""


@dataclass
class RunOutcome:
    partitions: int = 0
    failed_steps: list[str] = field(default_factory=list)
    wall_s: float = 0.0


def problem_ranges(ordered_keys: list[str], selected: set[str], size: int) -> list[list[str]]:
    """Selected keys cut into runs that are contiguous in the partition order, at most `size` each."""
    ranges: list[list[str]] = []
    current: list[str] = []
    for key in ordered_keys:
        if key in selected and len(current) < size:
            current.append(key)
            continue
        if current:
            ranges.append(current)
        current = [key] if key in selected else []
    if current:
        ranges.append(current)
    return ranges


def open_instance() -> dg.DagsterInstance:
    """$DAGSTER_HOME if set, else ./.dagster: the instance `pie ui` shows, so runs stay visible."""
    home = os.environ.get("DAGSTER_HOME") or os.path.abspath(".dagster")
    os.makedirs(home, exist_ok=True)
    config = os.path.join(home, "dagster.yaml")
    if not os.path.exists(config):
        with open(config, "w") as f:
            f.write("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = home
    return dg.DagsterInstance.get()


def run_pipeline(
    settings: Settings,
    instance: dg.DagsterInstance,
    *,
    problems: list[str] | None = None,
    selection: str | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    log_level: str = "CRITICAL",
) -> RunOutcome:
    """Discover problems, register their partitions, materialise `selection` (default: all).

    on_progress(stage, done, total) is called while each per-problem stage runs.
    """
    started = time.perf_counter()
    if not os.path.isdir(settings.codenet_root):
        raise UserError(f"CodeNet root {settings.codenet_root} is not a directory")
    discovered = CodeNetLayout(settings.codenet_root).discover_problem_ids()
    if problems:
        unknown = sorted(set(problems) - set(discovered))
        if unknown:
            raise UserError(f"unknown problem(s) under {settings.codenet_root}: {', '.join(unknown)}")
        discovered = sorted(set(problems))
    known = set(instance.get_dynamic_partitions(PROBLEMS))
    instance.add_dynamic_partitions(PROBLEMS, [p for p in discovered if p not in known])

    defs = build_defs(settings)
    graph = defs.resolve_asset_graph()
    try:
        chosen = dg.AssetSelection.from_string(selection) if selection else dg.AssetSelection.all()
        # Tables written together (one multi-asset per problem) are materialized together.
        keys = chosen.required_multi_asset_neighbors().resolve(graph)
    except Exception as err:
        raise UserError(f"invalid --select {selection!r}: {err}") from err
    if not keys:
        raise UserError(f"--select {selection!r} matches no asset")
    assets = list(defs.assets or [])
    resources = dict(defs.resources or {})
    outcome = RunOutcome(partitions=len(discovered))
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}

    # One stage per assets definition, in the (topological) order of defs.assets; a partitioned
    # stage runs once per chunk of problems. Stages are separate runs, so a stage's failed
    # partitions never skip the next stage's good ones.
    stages = [(asset.node_def.name, [k for k in asset.keys if k in keys]) for asset in assets]
    stages = [(name, stage) for name, stage in stages if stage]
    chunks = problem_ranges(list(instance.get_dynamic_partitions(PROBLEMS)), set(discovered),
                            MAX_PARTITIONS_PER_RUN)
    for name, stage in stages:
        if not graph.get(stage[0]).is_partitioned:
            result = dg.materialize(assets, instance=instance, resources=resources, run_config=run_config,
                                    selection=stage, raise_on_error=False)
            outcome.failed_steps += _failures(result)
            continue
        report = (lambda d, n=name: on_progress(n, d, len(discovered))) if on_progress else None
        done = 0
        for chunk in chunks:
            result = _materialize_with_progress(
                instance, lambda c=chunk, s=stage: dg.materialize(
                    assets, instance=instance, resources=resources, selection=s, run_config=run_config,
                    tags=partition_range_tags(c[0], c[-1]), raise_on_error=False),
                on_progress=(lambda k, d=done: report(d + k)) if report else None,
                track=stage[-1],
            )
            outcome.failed_steps += _failures(result)
            done += len(chunk)
            if report:
                report(done)
    outcome.wall_s = time.perf_counter() - started
    return outcome


def _latest_storage_id(instance: dg.DagsterInstance, asset: dg.AssetKey) -> int:
    records = instance.fetch_materializations(asset, limit=1).records
    return records[0].storage_id if records else 0


def _materialize_with_progress(instance, run, on_progress, track: dg.AssetKey) -> dg.ExecuteInProcessResult:
    """Counts `track`'s per-partition materialisations while the run goes (the last stage's table)."""
    if not on_progress:
        return run()
    after = _latest_storage_id(instance, track)
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["result"] = run()
        except BaseException as err:  # re-raised in the caller's thread
            box["error"] = err

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.5)
        seen = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=track, after_storage_id=after), limit=10_000
        ).records
        on_progress(len(seen))
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]  # type: ignore[return-value]


def _failures(result: dg.ExecuteInProcessResult) -> list[str]:
    messages = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        message = error.message.strip() if error else f"step {event.step_key} failed"
        messages.append(message.removeprefix("dagster._core.definitions.events.Failure: "))
    return messages
