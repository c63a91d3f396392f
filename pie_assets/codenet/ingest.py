"""One problem's ingestion: its C++ submissions with code, its test cases, its statement, and its rejects."""

from __future__ import annotations

import os
from dataclasses import dataclass

import polars as pl

from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.codenet.problem_list import listed_problem_ids
from pie_assets.codenet.rejects import ProblemNotFoundError, Reject, rejects_frame
from pie_assets.codenet.sources import SOURCE_SCHEMA, index_sources, read_sources
from pie_assets.codenet.statements import read_statement
from pie_assets.codenet.submission_metadata import (
    CPP_LANGUAGE,
    METADATA_SCHEMA,
    ParsedMetadata,
    parse_metadata_files,
)
from pie_assets.codenet.test_cases import collect_test_cases
from pie_assets.lake.schema import ColumnTypes

SUBMISSIONS_SCHEMA: ColumnTypes = {
    **{k: v for k, v in METADATA_SCHEMA.items() if k not in ("line", "raw")},
    **{k: v for k, v in SOURCE_SCHEMA.items() if k != "submission_id"},
}


@dataclass(frozen=True)
class ProblemTables:
    submissions: pl.DataFrame
    test_cases: pl.DataFrame
    statements: pl.DataFrame
    rejects: pl.DataFrame


def parse_metadata_of(layout: CodeNetLayout, problem_ids: list[str]) -> ParsedMetadata:
    """The metadata CSVs of a batch of problems, parsed in one vectorised pass."""
    files = {}
    for problem_id in problem_ids:
        path = layout.metadata_csv(problem_id)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                files[problem_id] = (layout.relative(path), f.read())
    return parse_metadata_files(files)


def ingest_problem(
    layout: CodeNetLayout,
    problem_id: str,
    extra_tests_dir: str | None,
    metadata: ParsedMetadata | None = None,
    pie_tests: set[int] | None = None,
) -> ProblemTables:
    """`metadata` comes from parse_metadata_of over the batch (parsed here if not given);
    `pie_tests`: PIE's `tests` indices of the problem (see collect_test_cases).

    Raises MalformedFileError when the problem's metadata CSV is unusable as a whole, and
    ProblemNotFoundError when nothing of the problem exists.
    """
    rejects: list[Reject] = []
    if os.path.isfile(layout.problem_list_csv) and problem_id not in listed_problem_ids(layout.problem_list_csv):
        rejects.append(
            Reject(
                problem_id,
                "problems",
                layout.relative(layout.problem_list_csv),
                None,
                "missing",
                "problem not listed in problem_list.csv (no name or limits)",
            )
        )

    if metadata is None:
        metadata = parse_metadata_of(layout, [problem_id])
    if problem_id in metadata.errors:
        raise metadata.errors[problem_id]
    submissions, sub_rejects = _submissions(layout, problem_id, metadata)
    rejects.extend(sub_rejects)
    tests, test_rejects = collect_test_cases(layout, problem_id, extra_tests_dir, pie_tests)
    rejects.extend(test_rejects)
    statements, statement_rejects = read_statement(layout, problem_id)
    rejects.extend(statement_rejects)
    exists = problem_id in metadata.frames or os.path.isdir(layout.data_dir(problem_id)) or not tests.is_empty()
    if not exists:
        raise ProblemNotFoundError(problem_id, rejects)
    return ProblemTables(submissions, tests, statements, rejects_frame(rejects))


def _submissions(layout: CodeNetLayout, problem_id: str, parsed: ParsedMetadata) -> tuple[pl.DataFrame, list[Reject]]:
    rel_csv = layout.relative(layout.metadata_csv(problem_id))
    index = index_sources(layout.data_dir(problem_id), CPP_LANGUAGE)
    if problem_id in parsed.frames:
        metadata, rejects = parsed.frames[problem_id], list(parsed.rejects[problem_id])
    else:
        metadata = pl.DataFrame(schema=METADATA_SCHEMA)
        rejects = [Reject(problem_id, "submissions", rel_csv, None, "missing", "no metadata CSV for this problem")]

    known = set(metadata["submission_id"])
    cpp_folder = os.path.join(layout.data_dir(problem_id), CPP_LANGUAGE)
    for sid, path in sorted(index.items()):
        if sid not in known and os.path.dirname(path) == cpp_folder:
            rejects.append(
                Reject(
                    problem_id,
                    "submissions",
                    layout.relative(path),
                    None,
                    "file_rejected",
                    "source file has no C++ metadata row",
                )
            )
    if metadata.is_empty():
        return pl.DataFrame(schema=SUBMISSIONS_SCHEMA), rejects

    lines = {sid: (line, raw) for sid, line, raw in metadata.select("submission_id", "line", "raw").iter_rows()}
    sources, source_rejects = read_sources(
        metadata["submission_id"].to_list(),
        index,
        problem_id=problem_id,
        codenet_root=layout.root,
        metadata_lines=lines,
        metadata_path=rel_csv,
    )
    rejects.extend(source_rejects)
    joined = metadata.join(sources, on="submission_id", how="inner")
    return joined.select(list(SUBMISSIONS_SCHEMA)).cast(pl.Schema(SUBMISSIONS_SCHEMA)), rejects
