"""CodeNet ingestion assets: `problems` and `problem_list_rejects` (from problem_list.csv) and,
per problem partition, `submissions`, `test_cases`, `ingest_rejects` and `problem_statements`."""

import os
import warnings
from pathlib import Path

import dagster as dg
import polars as pl

import pie_assets.codenet
import pie_assets.dataset.pie_problems
from pie_assets.codenet.ingest import ingest_problem, parse_metadata_of
from pie_assets.codenet.problem_list import PROBLEMS_SCHEMA, read_problem_list
from pie_assets.codenet.rejects import MalformedFileError, ProblemNotFoundError, Reject, rejects_frame
from pie_assets.dataset.pie_import import TABLE as PIE_PAIRS
from pie_assets.dataset.pie_problems import ingest_pie_problem, pie_rows, pie_tests
from pie_assets.defs.codenet.checks import CODENET_CHECKS
from pie_assets.defs.codenet.sources import CODENET_FILES, PROBLEM_LIST_FILE
from pie_assets.defs.codenet.tables import CODENET_TABLES
from pie_assets.defs.shared.loading import active_settings
from pie_assets.defs.shared.partition_batches import materialize_partitions
from pie_assets.defs.shared.partitions import problem_backfill_policy, problems_partitions
from pie_assets.defs.shared.resources import CodeNetSource, LakeResource
from pie_assets.versions import content_version, files_version

GROUP = "codenet"
PROBLEM_TABLES = ("submissions", "test_cases", "ingest_rejects", "problem_statements")
READER_DIR = Path(pie_assets.codenet.__file__).parent
PIE_READER = Path(pie_assets.dataset.pie_problems.__file__)
NO_CODENET_REASON = "no CodeNet tree (--codenet none / PIE_CODENET=none): no problem names or limits"


def ingest_code_version(extra_tests_dir: str | None) -> str:
    """The readers' source and the one setting that changes what they produce: editing a reader
    or pointing at other extra tests makes every ingested partition stale in the UI."""
    return files_version([*sorted(READER_DIR.glob("*.py")), PIE_READER], setting=f"extra_tests={extra_tests_dir or ''}")


def _spec(name: str, code_version: str, **kwargs) -> dg.AssetSpec:
    doc = CODENET_TABLES[name]
    return dg.AssetSpec(
        name,
        group_name=GROUP,
        kinds={"polars", "parquet"},
        description=doc.description,
        metadata=doc.spec_metadata(),
        code_version=code_version,
        **kwargs,
    ).with_io_manager_key("lake_io_manager")


def build_ingest_assets(extra_tests_dir: str | None) -> list[dg.AssetsDefinition]:
    code_version = ingest_code_version(extra_tests_dir)

    @dg.multi_asset(
        name="problem_list",
        specs=[
            _spec("problems", code_version, skippable=True, deps=[PROBLEM_LIST_FILE]),
            _spec("problem_list_rejects", code_version, skippable=True, deps=[PROBLEM_LIST_FILE]),
        ],
        can_subset=True,
    )
    def problem_list(context: dg.AssetExecutionContext, codenet: CodeNetSource):
        """problem_list.csv → `problems`, and the rows and values it could not use."""
        layout = codenet.layout
        if layout is None:
            frame = pl.DataFrame(schema=PROBLEMS_SCHEMA)
            rejects = [Reject(None, "problems", "", None, "missing", NO_CODENET_REASON)]
        elif os.path.isfile(path := layout.problem_list_csv):
            frame, rejects = read_problem_list(path)
            rejects = [
                Reject(r.problem_id, r.table_name, layout.relative(r.path), r.line, r.action, r.reason, r.raw)
                for r in rejects
            ]
        else:
            frame = pl.DataFrame(schema=PROBLEMS_SCHEMA)
            rejects = [Reject(None, "problems", layout.relative(path), None, "missing", "no problem_list.csv")]
        for name, table in (("problems", frame), ("problem_list_rejects", rejects_frame(rejects))):
            if dg.AssetKey(name) in context.selected_asset_keys:
                with warnings.catch_warnings():  # `data_version` is beta, and the only way to set it on an Output
                    warnings.simplefilter("ignore", dg.BetaWarning)
                    output = dg.Output(table, output_name=name, data_version=dg.DataVersion(content_version(table)))
                yield output

    @dg.multi_asset(
        name="codenet_problem",
        # PIE's release is the other source of a problem (`pie_pairs`: its programs and tests list).
        specs=[_spec(name, code_version, skippable=True, deps=[PIE_PAIRS, CODENET_FILES]) for name in PROBLEM_TABLES],
        check_specs=[check.spec() for check in CODENET_CHECKS],
        partitions_def=problems_partitions,
        backfill_policy=problem_backfill_policy,
        can_subset=False,
    )
    def codenet_problem(context: dg.AssetExecutionContext, codenet: CodeNetSource, lake: LakeResource):
        """Ingest each problem of the run's partition range from the CodeNet tree, or from PIE's
        release when the tree does not hold it; one bad problem fails only itself."""
        layout = codenet.layout
        problems = list(context.partition_keys)
        metadata = parse_metadata_of(layout, problems) if layout is not None else None
        pie = pie_rows(lake.store, problems)

        def work(problem_id: str) -> dict[str, pl.DataFrame]:
            rows = pie.get(problem_id)
            if rows is not None and (layout is None or not layout.holds(problem_id)):
                tables = ingest_pie_problem(rows, problem_id, codenet.extra_tests_dir)
            elif layout is not None:
                tables = ingest_problem(
                    layout, problem_id, codenet.extra_tests_dir, metadata, pie_tests(rows) if rows is not None else None
                )
            else:
                raise ProblemNotFoundError(
                    problem_id,
                    [],
                    f"problem {problem_id} is not in pie_pairs, and there is no CodeNet tree (--codenet none)",
                )
            return {
                "submissions": tables.submissions,
                "test_cases": tables.test_cases,
                "ingest_rejects": tables.rejects,
                "problem_statements": tables.statements,
            }

        def on_error(problem_id: str, err: Exception) -> dict[str, pl.DataFrame]:
            if isinstance(err, ProblemNotFoundError):
                return {"ingest_rejects": rejects_frame(err.rejects)}
            if isinstance(err, MalformedFileError):
                reject = Reject(problem_id, "submissions", err.path, err.line, "file_rejected", err.message)
            else:
                where = layout.relative(layout.data_dir(problem_id)) if layout is not None else problem_id
                reject = Reject(problem_id, "ingest", where, None, "file_rejected", f"{type(err).__name__}: {err}")
            return {"ingest_rejects": rejects_frame([reject])}

        yield from materialize_partitions(context, lake, work, on_error, checks=CODENET_CHECKS)

    return [problem_list, codenet_problem]


@dg.definitions
def codenet_assets() -> dg.Definitions:
    """The readers' code version names the extra tests directory of the settings being built for."""
    return dg.Definitions(assets=build_ingest_assets(active_settings().extra_tests))
