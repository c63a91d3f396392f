"""CodeNet ingestion assets: `problems` (one table) and, per problem partition, `submissions`,
`test_cases` and `ingest_rejects`."""


import os

import dagster as dg
import polars as pl

from pie_assets.codenet.ingest import ingest_problem, parse_metadata_of
from pie_assets.codenet.problem_list import PROBLEMS_SCHEMA, read_problem_list
from pie_assets.codenet.rejects import Reject, MalformedFileError, rejects_frame
from pie_assets.defs.partition_batches import materialize_partitions
from pie_assets.defs.partitions import problem_backfill_policy, problems_partitions
from pie_assets.defs.resources import CodeNetSource, LakeResource

GROUP = "codenet"
# The problem list's own rejects live beside the per-problem ones, in the same table.
PROBLEM_LIST_REJECTS_KEY = "problem_list"


@dg.asset(
    io_manager_key="lake_io_manager",
    group_name=GROUP,
    kinds={"polars", "parquet"},
    description="CodeNet problems from metadata/problem_list.csv: name, dataset, time and memory limits.",
)
def problems(context: dg.AssetExecutionContext, codenet: CodeNetSource, lake: LakeResource) -> pl.DataFrame:
    layout = codenet.layout
    path = layout.problem_list_csv
    if os.path.isfile(path):
        frame, rejects = read_problem_list(path)
        rejects = [Reject(r.problem_id, r.table_name, layout.relative(r.path), r.line, r.action, r.reason, r.raw)
                   for r in rejects]
    else:
        frame = pl.DataFrame(schema=PROBLEMS_SCHEMA)
        rejects = [Reject(None, "problems", layout.relative(path), None, "missing", "no problem_list.csv")]
    lake.store.write_partition("ingest_rejects", PROBLEM_LIST_REJECTS_KEY, rejects_frame(rejects))
    lake.catalog.ensure("ingest_rejects")
    context.add_output_metadata({"rows": len(frame), "rejects": len(rejects)})
    return frame


# Skippable: each partition's materialisation is emitted by materialize_partitions itself.
SPECS = [
    dg.AssetSpec(name, skippable=True, group_name=GROUP, kinds={"polars", "parquet"}, description=description)
    for name, description in (
        ("submissions", "C++ submissions of the problem with their code (code_sha256 over the exact file bytes)."),
        ("test_cases", "Tests: page samples (html_sample), derived input/output (codenet_derived), extra dir (extra_dir)."),
        ("ingest_rejects", "Every row, file or value ingestion could not use, with path, line and reason."),
    )
]


@dg.multi_asset(
    specs=SPECS,
    partitions_def=problems_partitions,
    backfill_policy=problem_backfill_policy,
    can_subset=False,
)
def codenet_problem(context: dg.AssetExecutionContext, codenet: CodeNetSource, lake: LakeResource):
    """Ingest each problem of the run's partition range; one bad problem fails only itself."""
    layout = codenet.layout
    metadata = parse_metadata_of(layout, list(context.partition_keys))

    def work(problem_id: str) -> dict[str, pl.DataFrame]:
        tables = ingest_problem(layout, problem_id, codenet.extra_tests_dir, metadata)
        return {"submissions": tables.submissions, "test_cases": tables.test_cases,
                "ingest_rejects": tables.rejects}

    def on_error(problem_id: str, err: Exception) -> dict[str, pl.DataFrame]:
        if isinstance(err, MalformedFileError):
            reject = Reject(problem_id, "submissions", err.path, err.line, "file_rejected", err.message)
        else:
            reject = Reject(problem_id, "ingest", layout.data_dir(problem_id), None, "file_rejected",
                            f"{type(err).__name__}: {err}")
        return {"ingest_rejects": rejects_frame([reject])}

    yield from materialize_partitions(context, lake, work, on_error)
