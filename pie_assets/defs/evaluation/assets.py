"""Evaluation assets: `retrieval_index` (FAISS over the training slow programs) and, per checkpoint
partition, `prompts` → `generations` → `generation_runtimes` → `model_evaluations`, computed in one
step (`checkpoint_evaluation`) from the test pairs (`eval_pairs`) by `pie_assets.evaluation.pipeline`.

`model_evaluations` records the inputs' fingerprint (`inputs_fingerprint`), which the nightly
schedule compares to decide whether a checkpoint needs a new evaluation, and shows the plots.
"""

import os
import warnings

import dagster as dg
import polars as pl

import pie_assets.evaluation.embeddings
import pie_assets.evaluation.extract
import pie_assets.evaluation.metrics
import pie_assets.evaluation.pipeline
import pie_assets.evaluation.prompts
import pie_assets.evaluation.retrieval
from dbt_like.assets import MODEL_AUTOMATION
from pie_assets.defs.dataset.versions import modules_version
from pie_assets.defs.evaluation.inputs import inputs_fingerprint
from pie_assets.defs.evaluation.partitions import checkpoints_partitions
from pie_assets.defs.evaluation.resources import EvaluationResource
from pie_assets.defs.resources import LakeResource, SimulatorResource
from pie_assets.defs.table_metadata import content_version, table_metadata
from pie_assets.defs.tables import TABLES
from pie_assets.evaluation.embeddings import make_embedder
from pie_assets.evaluation.pipeline import EvalInputs, EvalResult, evaluate_checkpoint
from pie_assets.evaluation.plots import markdown_image, speedup_distribution_png, topk_png, write_png
from pie_assets.evaluation.retrieval import RetrievalIndex
from pie_assets.progress import PROGRESS

GROUP = "evaluation"
EVALUATION_TABLES = ("prompts", "generations", "generation_runtimes", "model_evaluations")
EVALUATION_STAGE = "checkpoint_evaluation"
EVALUATION_CODE_VERSION = modules_version(pie_assets.evaluation.pipeline, pie_assets.evaluation.prompts,
                                          pie_assets.evaluation.extract, pie_assets.evaluation.metrics)
RETRIEVAL_CODE_VERSION = modules_version(pie_assets.evaluation.retrieval, pie_assets.evaluation.embeddings)
TRAIN_PAIRS_SQL = """
    select p.src_id, p.tgt_id, p.problem_id, p.src_code, p.tgt_code, p.speedup
    from trajectory_pairs p join problem_splits s using (problem_id)
    where s.split = 'train'
"""


@dg.asset(group_name=GROUP, deps=["trajectory_pairs", "problem_splits"], kinds={"faiss"},
          code_version=RETRIEVAL_CODE_VERSION, automation_condition=MODEL_AUTOMATION)
def retrieval_index(context: dg.AssetExecutionContext, lake: LakeResource,
                    evaluation: EvaluationResource) -> dg.MaterializeResult:
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
    corpus = pl.DataFrame({"src_id": [e.src_id for e in index.examples()], "tgt_id": [e.tgt_id for e in index.examples()],
                           "problem_id": [e.problem_id for e in index.examples()],
                           "speedup": [e.speedup for e in index.examples()]},
                          schema={"src_id": pl.Utf8, "tgt_id": pl.Utf8, "problem_id": pl.Utf8, "speedup": pl.Float64})
    return dg.MaterializeResult(
        data_version=dg.DataVersion(index.content_hash),
        metadata={**table_metadata("retrieval_index", corpus, location), "train_pairs": pairs.height,
                  "embedder": embedder.name, "embedder_version": embedder.version, "dim": embedder.dim},
    )


class EvaluationRequest(dg.Config):
    """What `pie eval` asks for; the checkpoint sensor and the schedule use the defaults."""

    strategies: list[str] = []  # empty: the checkpoint's own (models file), else the config's
    n: int = 0  # samples per prompt; 0: [sampling] n
    fast: bool = False  # one pair per problem and a few tests: mode "fast" in every row
    model_path: str = ""  # a model directory outside the checkpoints root, evaluated under the partition's name


def _inputs(lake: LakeResource, evaluation: EvaluationResource, needs_index: bool) -> EvalInputs:
    with lake.catalog.connect() as con:
        pairs = con.execute("select * from eval_pairs order by problem_id, fast_rank").pl()
        problems = sorted(pairs["problem_id"].unique().to_list())
        human = con.execute(
            "select a.problem_id, a.submission_id, a.test_id, a.status, a.cost from runtime_annotations a "
            "join tier_labels t using (submission_id) where a.problem_id in (select unnest($1::varchar[]))",
            [problems]).pl()
    tests = {problem: lake.read_partition("test_cases", problem) for problem in problems}
    index = None
    if needs_index and os.path.isdir(evaluation.index_dir):
        index = RetrievalIndex.load(evaluation.index_dir, make_embedder(evaluation.config().retrieval))
    return EvalInputs(pairs=pairs, tests=tests, human_tests=human, index=index)


def _plots(result: EvalResult, checkpoint: str, reports_dir: str) -> dict[str, dg.MetadataValue]:
    """PNGs under <reports>/<checkpoint>/, shown in the materialisation (Markdown images)."""
    metadata: dict[str, dg.MetadataValue] = {}
    directory = os.path.join(reports_dir, checkpoint)
    topk = topk_png(result.model_evaluations, f"{checkpoint}: %OPT and SPEEDUP against k ({result.mode})")
    write_png(topk, os.path.join(directory, "topk.png"))
    metadata["plot_topk"] = dg.MetadataValue.md(markdown_image(topk, "%OPT and SPEEDUP against k"))
    for name, per_pair in result.per_pair.items():
        png = speedup_distribution_png(per_pair, f"{checkpoint} / {name}: speedup per pair, best@{per_pair['k'].max()}")
        write_png(png, os.path.join(directory, f"speedups_{name}.png"))
        metadata[f"plot_speedups_{name}"] = dg.MetadataValue.md(markdown_image(png, f"speedups {name}"))
    metadata["reports"] = dg.MetadataValue.path(directory)
    return metadata


def _summary_markdown(evaluations: pl.DataFrame) -> str:
    best = evaluations.sort("k").group_by("strategy", maintain_order=True).last()
    lines = ["| strategy | k | %OPT | SPEEDUP | %Correct | pairs |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['strategy']} | {r['k']} | {r['pct_opt']:.2f} | {r['speedup']:.3f} | {r['pct_correct']:.2f} | "
              f"{r['n_pairs']} |" for r in best.iter_rows(named=True) if r["speedup"] is not None]
    return "\n".join(lines)


@dg.multi_asset(
    name=EVALUATION_STAGE,
    specs=[
        dg.AssetSpec(name, group_name=GROUP, code_version=EVALUATION_CODE_VERSION, kinds={"parquet"},
                     description=TABLES[name].description, metadata=TABLES[name].spec_metadata(),
                     deps=deps, skippable=False).with_io_manager_key("lake_io_manager")
        for name, deps in (
            ("prompts", ["eval_pairs", "retrieval_index"]),
            ("generations", ["prompts"]),
            ("generation_runtimes", [
                "generations", "eval_pairs",
                dg.AssetDep("test_cases", partition_mapping=dg.AllPartitionMapping())]),
            ("model_evaluations", [
                "generation_runtimes", "tier_labels",
                dg.AssetDep("runtime_annotations", partition_mapping=dg.AllPartitionMapping())]),
        )
    ],
    partitions_def=checkpoints_partitions,
    can_subset=False,
)
def checkpoint_evaluation(context: dg.AssetExecutionContext, config: EvaluationRequest, lake: LakeResource,
                          simulator: SimulatorResource, evaluation: EvaluationResource):
    name = context.partition_key
    spec = evaluation.checkpoint(name, config.model_path)
    eval_config = evaluation.config()
    annotator = simulator.annotator()
    wants_index = spec.name == "nearest-pair" or spec.is_model
    inputs = _inputs(lake, evaluation, wants_index)
    context.log.info(f"evaluating {spec.name} ({spec.kind} {spec.location}) on {inputs.pairs.height} pairs, "
                     f"backend {annotator.backend.name}, config {annotator.config.hash}")

    result = evaluate_checkpoint(spec, eval_config, annotator, inputs, strategies=config.strategies,
                                 n=config.n or None, fast=config.fast, cache_root=simulator.cache_dir,
                                 workers=annotator.config.workers, progress=PROGRESS.bound(EVALUATION_STAGE))
    fingerprint = inputs_fingerprint(context.instance, spec, eval_config, annotator.config.hash,
                                     EVALUATION_CODE_VERSION, config.fast)
    if result.errors:
        context.log.warning(f"{len(result.errors)} generation requests failed; first: "
                            f"{next(iter(result.errors.items()))}")
    frames = {"prompts": result.prompts, "generations": result.generations,
              "generation_runtimes": result.generation_runtimes, "model_evaluations": result.model_evaluations}
    for table, frame in frames.items():
        extra: dict[str, object] = {"checkpoint_kind": spec.kind, "mode": result.mode}
        if table == "generations":
            extra["failed_requests"] = dg.MetadataValue.json(result.errors)
        if table == "model_evaluations":
            extra.update(_plots(result, name, evaluation.reports_dir))
            extra["summary"] = dg.MetadataValue.md(_summary_markdown(result.model_evaluations))
            extra["inputs_fingerprint"] = fingerprint
        with warnings.catch_warnings():  # Output(data_version=...) is beta; it is what makes staleness truthful
            warnings.simplefilter("ignore", dg.BetaWarning)
            output = dg.Output(frame, output_name=table, data_version=dg.DataVersion(content_version(frame)),
                               metadata=extra)
        yield output
