"""Evaluation assets: `retrieval_index` (FAISS over the training slow programs); per checkpoint x
test problem, `prompts` → `generations` → `generation_runtimes` (`checkpoint_generation`, one run
per checkpoint over a range of problems, each problem landing or failing on its own); and per
checkpoint `model_evaluations` over all its problems, requested by declarative automation once
its generations land (and by `pie run` / `pie eval` as their next stage).

Every generation_runtimes row carries the inputs' fingerprint (`inputs_fingerprint`);
`model_evaluations` records it, and the nightly schedule compares it to decide whether a
checkpoint needs a new evaluation. `model_evaluations` shows the plots (its Events tab).
"""

import os
import warnings
from collections.abc import Iterator
from typing import Any

import dagster as dg
import polars as pl

import pie_assets.evaluation.embeddings
import pie_assets.evaluation.extract
import pie_assets.evaluation.metrics
import pie_assets.evaluation.pipeline
import pie_assets.evaluation.prompts
import pie_assets.evaluation.retrieval
from dbt_like.assets import MODEL_AUTOMATION
from pie_assets.defs.evaluation.inputs import checkpoint_tests, inputs_fingerprint, problems_without_test_cases
from pie_assets.defs.evaluation.partitions import (
    CHECKPOINT_DIMENSION,
    PROBLEM_DIMENSION,
    checkpoint_problem_partitions,
    checkpoints_partitions,
)
from pie_assets.defs.evaluation.plot_events import plots_link, plots_observation
from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.evaluation.tables import EVALUATION_TABLES
from pie_assets.defs.shared.partition_batches import materialize_partitions
from pie_assets.defs.shared.resources import GENERATED_TESTS, LakeResource, SimulatorResource
from pie_assets.evaluation.embeddings import make_embedder
from pie_assets.evaluation.pipeline import (
    EvalInputs,
    Generated,
    Scored,
    generate_and_measure,
    score,
)
from pie_assets.evaluation.plots import speedup_distribution_png, topk_png, write_png
from pie_assets.evaluation.retrieval import RetrievalIndex
from pie_assets.progress import PROGRESS
from pie_assets.table_metadata import table_metadata
from pie_assets.versions import content_version, modules_version

GROUP = "evaluation"
GENERATION_TABLES = ("prompts", "generations", "generation_runtimes")
GENERATION_STAGE = "checkpoint_generation"
EVALUATION_CODE_VERSION = modules_version(
    pie_assets.evaluation.pipeline,
    pie_assets.evaluation.prompts,
    pie_assets.evaluation.extract,
    pie_assets.evaluation.metrics,
)
RETRIEVAL_CODE_VERSION = modules_version(pie_assets.evaluation.retrieval, pie_assets.evaluation.embeddings)
TRAIN_PAIRS_SQL = """
    select p.src_id, p.tgt_id, p.problem_id, p.src_code, p.tgt_code, p.speedup
    from trajectory_pairs p join problem_splits s using (problem_id)
    where s.split = 'train'
"""


@dg.asset(
    group_name=GROUP,
    deps=["trajectory_pairs", "problem_splits"],
    kinds={"faiss"},
    code_version=RETRIEVAL_CODE_VERSION,
    automation_condition=MODEL_AUTOMATION,
)
def retrieval_index(
    context: dg.AssetExecutionContext, lake: LakeResource, evaluation: EvaluationResource
) -> dg.MaterializeResult:
    """PIE's retrieval corpus: a FAISS IndexFlatL2 over the unique slow programs of the train
    split's pairs (the highest-speedup pair of a repeated src), embedded by the configured
    encoder (default: hashed token n-grams, no weights needed). The retrieval strategy and the
    nearest-pair baseline read it."""
    with lake.catalog.connect() as con:
        pairs = con.execute(TRAIN_PAIRS_SQL).pl()
    embedder = make_embedder(evaluation.config().retrieval)
    index = RetrievalIndex.build(pairs, embedder)
    location = index.save(evaluation.index_dir)
    context.log.info(f"retrieval index: {len(index)} programs from {pairs.height} train pairs, {embedder.name}")
    corpus = pl.DataFrame(
        {
            "src_id": [e.src_id for e in index.examples()],
            "tgt_id": [e.tgt_id for e in index.examples()],
            "problem_id": [e.problem_id for e in index.examples()],
            "speedup": [e.speedup for e in index.examples()],
        },
        schema={"src_id": pl.Utf8, "tgt_id": pl.Utf8, "problem_id": pl.Utf8, "speedup": pl.Float64},
    )
    return dg.MaterializeResult(
        data_version=dg.DataVersion(index.content_hash),
        metadata={
            **table_metadata(corpus, location, descriptions=EVALUATION_TABLES["retrieval_index"].columns),
            "train_pairs": pairs.height,
            "embedder": embedder.name,
            "embedder_version": embedder.version,
            "dim": embedder.dim,
        },
    )


class EvaluationRequest(dg.Config):
    """What `pie eval` asks for; the checkpoint sensor and the schedule use the defaults."""

    strategies: list[str] = []  # empty: the checkpoint's own (models file), else the config's
    n: int = 0  # samples per prompt; 0: [sampling] n
    fast: bool = False  # one pair per problem and a few tests: mode "fast" in every row
    model_path: str = ""  # a model directory outside the checkpoints root, evaluated under the partition's name


def _generation_inputs(
    lake: LakeResource, evaluation: EvaluationResource, problems: list[str], needs_index: bool, test_set: str
) -> tuple[EvalInputs, dict[str, Exception]]:
    """The inputs of the problems that have test cases (their tests of `test_set`, the runtime
    test set), and an error for each problem without any (it fails alone; its pairs are not
    generated for)."""
    missing: dict[str, Exception] = {
        problem: LookupError(
            f"no test cases for {problem}: its test_cases partition is missing or holds no "
            "runtime test (ingest it; PIE's release needs --extra-tests with PIE's "
            "merged_test_cases)"
        )
        for problem in problems_without_test_cases(lake, problems)
    }
    with lake.catalog.connect() as con:
        pairs = con.execute(
            "select * from eval_pairs where problem_id in (select unnest($1::varchar[])) "
            "order by problem_id, fast_rank",
            [[p for p in problems if p not in missing]],
        ).pl()
    tests = {problem: lake.problem_tests(problem, test_set) for problem in pairs["problem_id"].unique()}
    index = None
    if needs_index and os.path.isdir(evaluation.index_dir):
        index = RetrievalIndex.load(evaluation.index_dir, make_embedder(evaluation.config().retrieval))
    return EvalInputs(pairs=pairs, tests=tests, index=index), missing


def _per_problem(generated: Generated, problems: list[str]) -> dict[str, dict[str, pl.DataFrame]]:
    """problem -> its rows of each generation table (empty frames for a problem without test pairs)."""
    frames = {
        "prompts": generated.prompts,
        "generations": generated.generations,
        "generation_runtimes": generated.generation_runtimes,
    }
    return {
        problem: {table: frame.filter(pl.col("problem_id") == problem) for table, frame in frames.items()}
        for problem in problems
    }


GENERATION_DEPS: dict[str, list[str | dg.AssetDep]] = {
    "prompts": ["eval_pairs", "retrieval_index"],
    "generations": ["prompts"],
    "generation_runtimes": [
        "generations",
        "eval_pairs",
        dg.AssetDep("test_cases", partition_mapping=dg.AllPartitionMapping()),
        dg.AssetDep(GENERATED_TESTS, partition_mapping=dg.AllPartitionMapping()),
    ],
}


@dg.multi_asset(
    name=GENERATION_STAGE,
    specs=[
        dg.AssetSpec(
            name,
            group_name=GROUP,
            code_version=EVALUATION_CODE_VERSION,
            kinds={"parquet"},
            description=EVALUATION_TABLES[name].description,
            metadata=EVALUATION_TABLES[name].spec_metadata(),
            deps=deps,
            skippable=True,
        )
        for name, deps in GENERATION_DEPS.items()
    ],
    partitions_def=checkpoint_problem_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=False,
)
def checkpoint_generation(
    context: dg.AssetExecutionContext,
    config: EvaluationRequest,
    lake: LakeResource,
    simulator: SimulatorResource,
    evaluation: EvaluationResource,
):
    """Per checkpoint x test problem: the prompts, the generations and their measurement. A run
    covers a range of problems; each checkpoint's problems are generated and measured as one batch
    (so the concurrency limits span problems), then every problem lands as its own partition."""
    eval_config = evaluation.config()
    annotator = simulator.annotator()
    by_checkpoint: dict[str, list[tuple[str, str]]] = {}
    for key in context.partition_keys:
        keys = checkpoint_problem_partitions.get_partition_key_from_str(key).keys_by_dimension
        by_checkpoint.setdefault(keys[CHECKPOINT_DIMENSION], []).append((key, keys[PROBLEM_DIMENSION]))
    outcomes: dict[str, dict[str, pl.DataFrame] | Exception] = {}
    for name, entries in by_checkpoint.items():
        problems = [problem for _key, problem in entries]
        try:
            spec = evaluation.checkpoint(name, config.model_path)
            needs_index = spec.name == "nearest-pair" or spec.is_model
            inputs, missing = _generation_inputs(lake, evaluation, problems, needs_index, annotator.config.test_set)
            outcomes.update({key: missing[problem] for key, problem in entries if problem in missing})
            entries = [(key, problem) for key, problem in entries if problem not in missing]
            problems = [problem for _key, problem in entries]
            context.log.info(
                f"generating for {spec.name} ({spec.kind} {spec.location}): {inputs.pairs.height} pairs "
                f"of {len(problems)} problems, backend {annotator.backend.name}, config {annotator.config.hash}"
            )
            fingerprint = inputs_fingerprint(
                context.instance, spec, eval_config, annotator.config.hash, EVALUATION_CODE_VERSION, config.fast
            )
            generated = generate_and_measure(
                spec,
                eval_config,
                annotator,
                inputs,
                inputs_fingerprint=fingerprint,
                strategies=config.strategies,
                n=config.n or None,
                fast=config.fast,
                cache_root=simulator.cache_dir,
                workers=annotator.config.workers,
                progress=PROGRESS.bound(GENERATION_STAGE),
            )
        except Exception as err:  # every problem of this checkpoint fails with it; others go on
            outcomes.update({key: err for key, _problem in entries})
            continue
        if generated.errors:
            context.log.warning(
                f"{name}: {len(generated.errors)} generation requests failed; first: "
                f"{next(iter(generated.errors.items()))}"
            )
        tables = _per_problem(generated, problems)
        outcomes.update({key: tables[problem] for key, problem in entries})

    def work(key: str) -> dict[str, pl.DataFrame]:
        outcome = outcomes[key]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    yield from materialize_partitions(context, lake, work, on_error=lambda _key, _err: {})


def _plots(scored: Scored, checkpoint: str, reports_dir: str) -> dict[str, bytes]:
    """Title -> PNG of each plot, written under <reports>/<checkpoint>/ too."""
    directory = os.path.join(reports_dir, checkpoint)
    topk = topk_png(scored.model_evaluations, f"{checkpoint}: %OPT and SPEEDUP against k ({scored.mode})")
    write_png(topk, os.path.join(directory, "topk.png"))
    plots = {"%OPT and SPEEDUP against k": topk}
    for name, per_pair in scored.per_pair.items():
        k = per_pair.select(pl.col("k").max()).item()
        png = speedup_distribution_png(per_pair, f"{checkpoint} / {name}: speedup per pair, best@{k}")
        write_png(png, os.path.join(directory, f"speedups_{name}.png"))
        plots[f"speedups per pair: {name}"] = png
    return plots


def _summary_markdown(evaluations: pl.DataFrame) -> str:
    best = evaluations.sort("k").group_by("strategy", maintain_order=True).last()
    lines = [
        "| strategy | k | %OPT [95%] | SPEEDUP [95%] | %Correct [95%] | pairs | problems |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['strategy']} | {r['k']} | {_with_interval(r, 'pct_opt', 2)} | {_with_interval(r, 'speedup', 3)} | "
        f"{_with_interval(r, 'pct_correct', 2)} | {r['n_pairs']} | {r['n_problems']} |"
        for r in best.iter_rows(named=True)
        if r["speedup"] is not None
    ]
    return "\n".join(lines)


def _with_interval(row: dict[str, Any], metric: str, digits: int) -> str:
    low, high = row[f"{metric}_low"], row[f"{metric}_high"]
    bounds = "" if low is None else f" [{low:.{digits}f}, {high:.{digits}f}]"
    return f"{row[metric]:.{digits}f}{bounds}"


# Scored once the checkpoint's generations land: after a generation run (sensor, schedule, UI or
# CLI) has updated any of its problems and no input is still being written.
SCORING_AUTOMATION = (
    dg.AutomationCondition.any_deps_updated()
    .allow(dg.AssetSelection.assets("generation_runtimes"))
    .since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("after_generations")


@dg.asset(
    group_name=GROUP,
    code_version=EVALUATION_CODE_VERSION,
    kinds={"parquet"},
    io_manager_key="lake_io_manager",
    description=EVALUATION_TABLES["model_evaluations"].description,
    metadata=EVALUATION_TABLES["model_evaluations"].spec_metadata(),
    partitions_def=checkpoints_partitions,
    automation_condition=SCORING_AUTOMATION,
    # A checkpoint reads its problems of the generation tables (Dagster infers the mapping from
    # the shared `checkpoint` dimension), and the human labels of every problem.
    deps=[
        "prompts",
        "generation_runtimes",
        "tier_labels",
        dg.AssetDep("runtime_annotations", partition_mapping=dg.AllPartitionMapping()),
        dg.AssetDep("test_cases", partition_mapping=dg.AllPartitionMapping()),
        dg.AssetDep(GENERATED_TESTS, partition_mapping=dg.AllPartitionMapping()),
    ],
)
def model_evaluations(
    context: dg.AssetExecutionContext, lake: LakeResource, evaluation: EvaluationResource, simulator: SimulatorResource
) -> Iterator[dg.Output[pl.DataFrame] | dg.AssetObservation]:
    """PIE's metrics for one checkpoint over every problem of its generation_runtimes, the human
    programs of those problems summed on the same tests; with a summary, and the plots (an
    observation after the materialisation, see `plot_events`)."""
    name = context.partition_key
    with lake.catalog.connect() as con:
        runtimes, prompts = (
            con.execute(f"select * from {table} where checkpoint = ?", [name]).pl()
            for table in ("generation_runtimes", "prompts")
        )
        tests = checkpoint_tests(lake, runtimes, prompts, simulator.config().test_set)
        problems = list(tests)
        human = con.execute(
            "select a.problem_id, a.submission_id, a.test_id, a.status, a.cost from runtime_annotations a "
            "join tier_labels t using (submission_id) where a.problem_id in (select unnest($1::varchar[]))",
            [problems],
        ).pl()
    scored = score(name, evaluation.config(), runtimes, prompts, tests, human)
    frame = scored.model_evaluations
    plots = _plots(scored, name, evaluation.reports_dir)
    metadata: dict[str, Any] = {
        "mode": scored.mode,
        "problems": len(problems),
        "summary": dg.MetadataValue.md(_summary_markdown(frame)),
        "inputs_fingerprint": scored.inputs_fingerprint,
        "reports": dg.MetadataValue.path(os.path.join(evaluation.reports_dir, name)),
        **plots_link("model_evaluations", plots, name),
    }
    with warnings.catch_warnings():  # Output(data_version=...) is beta; it is what makes staleness truthful
        warnings.simplefilter("ignore", dg.BetaWarning)
        yield dg.Output(frame, data_version=dg.DataVersion(content_version(frame)), metadata=metadata)
    yield plots_observation("model_evaluations", plots, name)
