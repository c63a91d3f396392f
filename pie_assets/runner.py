"""In-process materialisation of the asset graph, as `pie run` does it.

Stages (assets definitions) run in the topological order of the asset graph: unpartitioned ones
in one run, per-problem ones in one ranged run per contiguous range of the problems to run (cut by
`partition_ranges`, without the sensors' cap of MAX_PARTITIONS_PER_RUN a run), while a poller
reports each per-problem stage's progress under its name: problems done (its materialisation
events), and, for a stage that counts finer work in `pie_assets.progress` (the runtime stage:
programs and tests), that work.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import dagster as dg
import duckdb
from dagster_shared.error import SerializableErrorInfo

from pie_assets.code_location import build_defs
from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.dagster_internals import AssetGraph, toposort
from pie_assets.dataset.pie_problems import pie_problem_ids
from pie_assets.defs.dataset.pie_import import HOW_TO_SET as PIE_DATASET_HOW_TO_SET
from pie_assets.defs.evaluation.inputs import eval_problem_ids, problems_without_test_cases
from pie_assets.defs.evaluation.partitions import (
    CHECKPOINT_DIMENSION,
    CHECKPOINTS,
    PROBLEM_DIMENSION,
    checkpoint_problem_partitions,
    checkpoint_range_tags,
    register_eval_problems,
)
from pie_assets.defs.shared.partitions import PROBLEMS, partition_ranges
from pie_assets.lake.storage import atomic_local_target
from pie_assets.progress import PROGRESS
from pie_assets.runs import PIE_RELEASE_TAGS, partition_range_tags
from pie_assets.selection import parse_selection
from pie_assets.settings import Settings
from pie_assets.staleness import Staleness

# What only PIE's release feeds: its import, its re-export and the agreement of the labels with it.
PIE_RELEASE_SELECTION = dg.AssetSelection.tag(*next(iter(PIE_RELEASE_TAGS.items())))
# The resource of PIE's release directory: an asset that reads it (the import) may add problems.
PIE_DATASET_RESOURCE = "pie_dataset"


class UserError(RuntimeError):
    """A problem with what the user asked for; the CLI prints it as one line."""


@dataclass(frozen=True)
class StageProgress:
    """What a progress bar shows: `done` of `total` `unit`s of `stage`, and a note."""

    stage: str
    done: int
    total: int
    unit: str
    note: str = ""


@dataclass
class RunOutcome:
    partitions: int = 0
    failed_steps: list[str] = field(default_factory=list)
    checks_passed: int = 0
    failed_checks: list[str] = field(default_factory=list)  # "asset.check (severity, rows)"
    skipped: list[str] = field(default_factory=list)  # stages with nothing to do, and why
    up_to_date: list[str] = field(default_factory=list)  # stages with nothing stale or missing (`only_stale`)
    stale: dict[str, str] = field(default_factory=dict)  # "stage[partition]" -> why it ran (`only_stale`)
    wall_s: float = 0.0

    def record(self, result: dg.ExecuteInProcessResult) -> None:
        """Adds a run's failures and checks; a run that SIGINT or SIGTERM interrupted stops the
        pipeline (Dagster turns the signal into a failed step, and later stages would go on)."""
        self.failed_steps += _failures(result)
        if any(
            event.step_failure_data.error is not None and event.step_failure_data.error.cls_name == INTERRUPTED
            for event in result.get_step_failure_events()
        ):
            raise KeyboardInterrupt
        for check in result.get_asset_check_evaluations():
            if check.passed:
                self.checks_passed += 1
            else:
                rows = check.metadata.get("failing_rows")
                self.failed_checks.append(
                    f"{check.asset_key.to_user_string()}.{check.check_name} "
                    f"({check.severity.value.lower()}" + (f", {rows.value} rows)" if rows is not None else ")")
                )


@dataclass
class Landings:
    """What this run's stages landed, so that no stage runs on a table the run failed to write: a
    table none of whose partitions landed (its stage failed, or was skipped) skips the stages
    reading it, naming the failure behind it, instead of failing each of them on a missing table;
    and a problem that a per-problem stage failed on is left out of the per-problem stages after it."""

    outcome: RunOutcome
    missing: dict[dg.AssetKey, frozenset[str]] = field(default_factory=dict)  # table -> the failed tables behind it
    failed_problems: dict[dg.AssetKey, set[str]] = field(default_factory=dict)  # per-problem table -> problems

    def skip(self, name: str, stage: list[dg.AssetKey], reason: str, causes: frozenset[str] = frozenset()) -> None:
        self.outcome.skipped.append(f"{name}: {reason}")
        self.missing.update({key: causes for key in stage})

    def skip_if_blocked(self, name: str, stage: list[dg.AssetKey], parents: Set[dg.AssetKey]) -> bool:
        blocked = [p for p in parents if p in self.missing]
        if blocked:
            causes = frozenset().union(*(self.missing[p] for p in blocked))
            self.skip(
                name,
                stage,
                f"not run, as {', '.join(sorted(causes))} failed above"
                if causes
                else "not run, as its input was skipped",
                causes,
            )
        return bool(blocked)

    def ran(self, result: dg.ExecuteInProcessResult) -> dg.ExecuteInProcessResult:
        self.outcome.record(result)  # at once: an interrupted run stops the pipeline here
        return result

    def settle(
        self, stage: list[dg.AssetKey], results: list[dg.ExecuteInProcessResult], attempted: list[str] | None = None
    ) -> None:
        """After a stage's runs (`attempted`: the problems of a per-problem stage)."""
        if all(result.success for result in results):
            return
        landed: dict[dg.AssetKey, set[str | None]] = {key: set() for key in stage}
        for result in results:
            for event in result.get_asset_materialization_events():
                if event.asset_key in landed:
                    landed[event.asset_key].add(event.partition)
        self.missing.update({key: frozenset({key.to_user_string()}) for key, got in landed.items() if not got})
        if attempted is not None:
            self.failed_problems.update({key: set(attempted) - got for key, got in landed.items()})

    def runnable(
        self, name: str, stage: list[dg.AssetKey], parents: Set[dg.AssetKey], problems: list[str]
    ) -> list[str]:
        """`problems` less those an input of the stage failed on in this run (reported)."""
        failed = set().union(*(self.failed_problems.get(p, set()) for p in parents))
        if dropped := [p for p in problems if p in failed]:
            self.outcome.skipped.append(f"{name}: not run on {', '.join(dropped)}, whose input failed above")
        chosen = [p for p in problems if p not in failed]
        if not chosen:
            self.skip(name, stage, "every problem's input failed above")
        return chosen


# The instance config `pie` writes into a Dagster home that has none: no telemetry, and the run
# queue that `pie ui`'s daemon serves checked every second (Dagster's default: 5 s), so a run a
# sensor asks for starts at once. A home holding what earlier versions wrote (telemetry alone)
# gets it too; any other dagster.yaml (deploy/dagster.yaml, the user's own) is left as it is.
LOCAL_INSTANCE_CONFIG = "telemetry:\n  enabled: false\nrun_queue:\n  dequeue_interval_seconds: 1\n"
EARLIER_INSTANCE_CONFIG = "telemetry:\n  enabled: false\n"


def open_instance() -> dg.DagsterInstance:
    """$DAGSTER_HOME if set, else ./.dagster: the instance `pie ui` shows, so runs stay visible."""
    home = os.environ.get("DAGSTER_HOME") or os.path.abspath(".dagster")
    os.makedirs(home, exist_ok=True)
    config = Path(home) / "dagster.yaml"
    if not config.exists() or config.read_text() == EARLIER_INSTANCE_CONFIG:
        with atomic_local_target(str(config)) as tmp:
            Path(tmp).write_text(LOCAL_INSTANCE_CONFIG)
    os.environ["DAGSTER_HOME"] = home
    return dg.DagsterInstance.get()


def run_pipeline(
    settings: Settings,
    instance: dg.DagsterInstance,
    *,
    problems: list[str] | None = None,
    selection: str | None = None,
    on_progress: Callable[[StageProgress], None] | None = None,
    log_level: str = "CRITICAL",
    checkpoints: list[str] | None = None,
    evaluation_request: dict[str, object] | None = None,
    only_stale: bool = False,
) -> RunOutcome:
    """Discover problems, register their partitions, materialise `selection` (default:
    `default_selection`). Evaluation stages run once per checkpoint: `checkpoints` (default: every
    one the checkpoint sensor would find); the generation stage on every test problem (registered
    from `eval_pairs`), with `evaluation_request` as its config (`EvaluationRequest`: strategies,
    n, fast, model_path), then the scoring stage per checkpoint.

    on_progress is called about twice a second while each per-problem stage runs. `only_stale`
    (`pie run`'s default): only the partitions that are missing or stale (`pie_assets.staleness`);
    a stage with none starts no run.
    """
    started = time.perf_counter()
    defs = build_defs(settings)
    graph = defs.resolve_asset_graph()
    keys = _selected_keys(graph, settings, selection)
    # Only CodeNet readers need the root (`--select pie_pairs` runs without one); `--codenet none`
    # says there is none: the problems then come from PIE's release alone.
    layout = CodeNetLayout(settings.codenet_root) if settings.codenet_root else None
    needs_codenet = any(
        _partitions_name(graph, key) == PROBLEMS or "codenet" in graph.assets_def_for_key(key).required_resource_keys
        for key in keys
    )
    if needs_codenet and layout is not None and not os.path.isdir(layout.root):
        raise UserError(f"CodeNet root {layout.root} is not a directory (`--codenet none`: PIE's release alone)")
    # Every asset of the project is one of these (none is a CacheableAssetsDefinition), as materialize() wants.
    assets = [a for a in defs.assets or [] if isinstance(a, (dg.AssetsDefinition, dg.AssetSpec, dg.SourceAsset))]
    resources = dict(defs.resources or {})
    outcome = RunOutcome()
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    problem_keys: list[str] = []

    def registered_problems() -> list[str]:
        """The problems of the CodeNet tree and of `pie_pairs` (or `problems`), registered as
        partitions when a per-problem stage first needs them: after the import of PIE's release."""
        if not problem_keys:
            found = set(layout.discover_problem_ids() if layout is not None and os.path.isdir(layout.root) else [])
            found |= set(pie_problem_ids(resources["lake"].store))
            if problems:
                if unknown := sorted(set(problems) - found):
                    raise UserError(
                        f"unknown problem(s) under {settings.codenet_root or 'no CodeNet root'} and in "
                        f"pie_pairs: {', '.join(unknown)}"
                    )
                found = set(problems)
            known = set(instance.get_dynamic_partitions(PROBLEMS))
            instance.add_dynamic_partitions(PROBLEMS, sorted(found - known))
            problem_keys.extend(sorted(found))
            outcome.partitions = len(found)
        return problem_keys

    if problems and not any(
        PIE_DATASET_RESOURCE in graph.assets_def_for_key(key).required_resource_keys for key in keys
    ):
        registered_problems()  # no problem can appear during this run: say now that one is unknown

    # Stages are separate runs, so a stage's failed partitions never skip the next stage's good ones.
    stages = _stages(graph, keys)
    checkpoint_names: list[str] = []

    def registered_checkpoints() -> list[str]:
        if not checkpoint_names:
            checkpoint_names.extend(
                checkpoints if checkpoints is not None else [s.name for s in resources["evaluation"].checkpoints()]
            )
            known_checkpoints = set(instance.get_dynamic_partitions(CHECKPOINTS))
            instance.add_dynamic_partitions(CHECKPOINTS, [c for c in checkpoint_names if c not in known_checkpoints])
        return checkpoint_names

    landings = Landings(outcome)
    staleness = Staleness(instance, graph, resources)
    fast = bool((evaluation_request or {}).get("fast"))

    def up_to_date(name: str, chosen: list) -> bool:
        if not chosen:
            outcome.up_to_date.append(name)
        return not chosen

    for name, stage in stages:
        partitions_def = graph.get(stage[0]).partitions_def
        parents = {p for key in stage for p in graph.get(key).parent_keys} - set(stage)
        if landings.skip_if_blocked(name, stage, parents):
            continue
        # One run of this stage: the caller adds its partition, tags and run config.
        materialize = partial(
            dg.materialize, assets, instance=instance, resources=resources, selection=stage, raise_on_error=False
        )
        if partitions_def == checkpoint_problem_partitions:
            names = registered_checkpoints()
            try:
                eval_problems = register_eval_problems(instance, eval_problem_ids(resources["lake"]))
            except duckdb.CatalogException:  # an upstream stage failed: its failure is reported
                landings.skip(name, stage, "eval_pairs is not in the catalog, so no checkpoint is evaluated")
                continue
            if not eval_problems:
                landings.skip(
                    name,
                    stage,
                    "eval_pairs holds no test pair (no problem of the test split has a "
                    "trajectory pair), so no checkpoint is evaluated",
                )
                continue
            if untested := problems_without_test_cases(resources["lake"], eval_problems):
                landings.skip(
                    name,
                    stage,
                    f"no test cases for {', '.join(untested)} (ingestion failed above, or "
                    "give --extra-tests with PIE's merged_test_cases), so no checkpoint is "
                    "evaluated: every test pair counts in PIE's metrics",
                )
                continue
            op_config = {"ops": {name: {"config": evaluation_request}}} if evaluation_request else {}
            if only_stale:
                outdated = staleness.outdated_checkpoints(names, fast)
                names = [
                    c
                    for c in names
                    if c in outdated
                    or staleness.stale(
                        stage,
                        [dg.MultiPartitionKey({CHECKPOINT_DIMENSION: c, PROBLEM_DIMENSION: p}) for p in eval_problems],
                    )
                ]
                if up_to_date(name, names):
                    continue
            results = []
            for number, checkpoint in enumerate(names, start=1):
                PROGRESS.reset(name)
                results.append(
                    landings.ran(
                        _materialize_with_progress(
                            instance,
                            partial(
                                materialize,
                                tags=checkpoint_range_tags(checkpoint, eval_problems),
                                run_config={**run_config, **op_config},
                            ),
                            on_progress=partial(_report_checkpoint, on_progress, name, checkpoint, number, len(names))
                            if on_progress
                            else None,
                            track=stage[-1],
                        )
                    )
                )
            landings.settle(stage, results)
            continue
        if _partitions_name(graph, stage[0]) == CHECKPOINTS:
            chosen = registered_checkpoints()
            if only_stale:
                outdated = staleness.outdated_checkpoints(chosen, fast)
                chosen = [c for c in chosen if c in outdated or staleness.stale(stage, [c])]
                if up_to_date(name, chosen):
                    continue
            landings.settle(
                stage,
                [landings.ran(materialize(partition_key=checkpoint, run_config=run_config)) for checkpoint in chosen],
            )
            continue
        if not graph.get(stage[0]).is_partitioned:
            staleness.observe_sources(stage, [])
            if only_stale and up_to_date(name, staleness.stale(stage, [None])):
                continue
            landings.settle(
                stage,
                [landings.ran(materialize(run_config=run_config))],
            )
            continue
        run_problems = landings.runnable(name, stage, parents, registered_problems())
        if not run_problems:
            continue
        staleness.observe_sources(stage, run_problems)
        if only_stale:
            run_problems = [p for p in staleness.stale(stage, run_problems) if p is not None]
            if up_to_date(name, run_problems):
                continue
        PROGRESS.reset(name)
        done = 0
        results = []
        # One run per contiguous range of the stage's problems, however many: on one machine a
        # ranged run's partitions share its thread pool, and every further run adds its own start,
        # events and SQLite shard (the sensors' runs keep MAX_PARTITIONS_PER_RUN, for the queue).
        ordered = list(instance.get_dynamic_partitions(PROBLEMS))
        for chunk in partition_ranges(ordered, set(run_problems), size=len(ordered)):
            results.append(
                landings.ran(
                    _materialize_with_progress(
                        instance,
                        partial(materialize, run_config=run_config, tags=partition_range_tags(chunk[0], chunk[-1])),
                        on_progress=partial(_report_chunk, on_progress, name, done, len(run_problems))
                        if on_progress
                        else None,
                        track=stage[-1],
                    )
                )
            )
            done += len(chunk)
            if on_progress:
                on_progress(_progress(name, done, len(run_problems)))
        landings.settle(stage, results, attempted=run_problems)
    outcome.stale = staleness.reasons
    outcome.wall_s = time.perf_counter() - started
    return outcome


def check_selection(settings: Settings, selection: str) -> None:
    """A UserError when `selection` does not parse, names an unknown asset or group, or matches
    nothing: what `pie run` checks before it opens the Dagster instance."""
    _selected_keys(build_defs(settings).resolve_asset_graph(), settings, selection)


def _selected_keys(graph: AssetGraph, settings: Settings, selection: str | None) -> Set[dg.AssetKey]:
    """The selection's assets; without a PIE dataset directory, never the assets of PIE's release
    (they could only fail): a lineage selection such as `*model_evaluations` reaches `pie_pairs`
    through ingestion, which reads it only when it exists."""
    try:
        chosen = parse_selection(selection, graph) if selection else default_selection(settings)
        # Tables written together (one multi-asset per problem) are materialized together; a lineage
        # selection may reach a dependency no definition here materialises (an external asset).
        keys = {key for key in chosen.required_multi_asset_neighbors().resolve(graph) if graph.get(key).is_executable}
    except Exception as err:
        raise UserError(f"invalid --select {selection!r}: {err}") from err
    if not keys:
        raise UserError(f"--select {selection!r} matches no asset")
    if not settings.pie_dataset:
        keys = keys - PIE_RELEASE_SELECTION.resolve(graph)
        if not keys:
            raise UserError(f"--select {selection!r} names only assets of PIE's release: {PIE_DATASET_HOW_TO_SET}")
    return keys


def default_selection(settings: Settings) -> dg.AssetSelection:
    """Every asset, exports included (content-addressed: an unchanged input publishes nothing new);
    without a PIE dataset directory, not its import, re-export and runtime agreement."""
    if settings.pie_dataset:
        return dg.AssetSelection.all()
    return dg.AssetSelection.all() - PIE_RELEASE_SELECTION


def _progress(stage: str, problems_done: int, problems: int) -> StageProgress:
    """Tests when the stage counts them (the total grows as each ranged run plans its problems),
    else problems."""
    work = PROGRESS.snapshot(stage)
    if not work.planned["tests"]:
        return StageProgress(stage, problems_done, problems, "problem")
    note = f"{work.done['programs']}/{work.planned['programs']} programs, {problems_done}/{problems} problems"
    return StageProgress(stage, work.done["tests"], work.planned["tests"], "test", note)


def _partitions_name(graph: AssetGraph, key: dg.AssetKey) -> str | None:
    partitions_def = graph.get(key).partitions_def
    return partitions_def.name if isinstance(partitions_def, dg.DynamicPartitionsDefinition) else None


def _report_chunk(
    report: Callable[[StageProgress], None], stage: str, done_before: int, problems: int, materialized: int
) -> None:
    """A ranged run's progress callback (bound per run with functools.partial)."""
    report(_progress(stage, done_before + materialized, problems))


def _report_checkpoint(
    report: Callable[[StageProgress], None], stage: str, checkpoint: str, number: int, checkpoints: int, _: int
) -> None:
    """A checkpoint's run's progress callback (bound per run with functools.partial)."""
    report(_evaluation_progress(stage, checkpoint, number, checkpoints))


def _evaluation_progress(stage: str, checkpoint: str, number: int, checkpoints: int) -> StageProgress:
    """Programs measured (generations and srcs), with the samples generated in the note."""
    work = PROGRESS.snapshot(stage)
    note = f"checkpoint {number}/{checkpoints} {checkpoint}"
    if work.planned["generations"]:
        note += f", {work.done['generations']}/{work.planned['generations']} generations"
    return StageProgress(f"{stage}", work.done["programs"], work.planned["programs"], "program", note)


def _stages(graph: AssetGraph, keys: Set[dg.AssetKey]) -> list[tuple[str, list[dg.AssetKey]]]:
    """The selected keys grouped by assets definition (a multi-asset runs whole; its keys in the
    order of its specs, the last one tracked for progress), the definitions in Dagster's
    topological order, so a model reading another model runs after it."""
    definitions = {graph.assets_def_for_key(key).node_def.name: graph.assets_def_for_key(key) for key in keys}
    stages = {name: [spec.key for spec in d.specs if spec.key in keys] for name, d in definitions.items()}
    stage_of = {key: name for name, stage in stages.items() for key in stage}
    upstream = {
        name: {stage_of[parent] for key in stage for parent in graph.get(key).parent_keys if parent in stage_of}
        - {name}
        for name, stage in stages.items()
    }
    return [(name, stages[name]) for level in toposort(upstream) for name in level]


def _latest_storage_id(instance: dg.DagsterInstance, asset: dg.AssetKey) -> int:
    records = instance.fetch_materializations(asset, limit=1).records
    return records[0].storage_id if records else 0


def _materialize_with_progress(
    instance: dg.DagsterInstance,
    run: Callable[[], dg.ExecuteInProcessResult],
    on_progress: Callable[[int], None] | None,
    track: dg.AssetKey,
) -> dg.ExecuteInProcessResult:
    """Counts `track`'s per-partition materialisations while the run goes (the last stage's table).
    The run stays on the main thread, where Dagster turns SIGINT and SIGTERM into an interrupted
    run; a thread counts."""
    if not on_progress:
        return run()
    after = _latest_storage_id(instance, track)
    finished = threading.Event()

    def report() -> None:
        on_progress(
            len(
                instance.fetch_materializations(
                    dg.AssetRecordsFilter(asset_key=track, after_storage_id=after), limit=10_000
                ).records
            )
        )

    def poll() -> None:
        while not finished.wait(0.5):
            report()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        result = run()
    finally:
        finished.set()
        poller.join()
    report()
    return result


# Dagster's wrapper around an exception raised in a step; its message only names the step.
STEP_WRAPPER = "DagsterExecutionStepExecutionError"
INTERRUPTED = "DagsterExecutionInterruptedError"


def _failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per failed step: `step: the exception; caused by: its cause ...`."""
    return [
        f"{event.step_key}: {_error_line(event.step_failure_data.error)}" for event in result.get_step_failure_events()
    ]


def _error_line(error: SerializableErrorInfo | None) -> str:
    """The exception the step's code raised and the chain behind it (causes, else contexts)."""
    parts = []
    while error is not None:
        if error.cls_name != STEP_WRAPPER:
            message = error.message.strip().removeprefix("dagster._core.definitions.events.Failure: ")
            parts.append(" ".join(line.strip() for line in message.splitlines() if line.strip()))
        error = error.cause or error.context
    return "; caused by: ".join(parts) or "failed without an error"
