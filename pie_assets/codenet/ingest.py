"""One problem's ingestion: its C++ submissions with code, its test cases, and its rejects."""

from __future__ import annotations

import os
from dataclasses import dataclass

import polars as pl

from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.codenet.problem_list import read_problem_list
from pie_assets.codenet.rejects import Reject, rejects_frame
from pie_assets.codenet.sources import SOURCE_SCHEMA, index_sources, read_sources
from pie_assets.codenet.submission_metadata import CPP_LANGUAGE, METADATA_SCHEMA, parse_submission_metadata
from pie_assets.codenet.test_cases import collect_test_cases

SUBMISSIONS_SCHEMA: dict[str, pl.DataType] = {
    **{k: v for k, v in METADATA_SCHEMA.items() if k not in ("line", "raw")},
    **{k: v for k, v in SOURCE_SCHEMA.items() if k != "submission_id"},
}


@dataclass(frozen=True)
class ProblemTables:
    submissions: pl.DataFrame
    test_cases: pl.DataFrame
    rejects: pl.DataFrame


def ingest_problem(layout: CodeNetLayout, problem_id: str, extra_tests_dir: str | None) -> ProblemTables:
    """Raises MalformedFileError when the problem's metadata CSV is unusable as a whole."""
    rejects: list[Reject] = []
    if os.path.isfile(layout.problem_list_csv):
        listed, _ = read_problem_list(layout.problem_list_csv)
        if problem_id not in set(listed["problem_id"]):
            rejects.append(Reject(problem_id, "problems", layout.relative(layout.problem_list_csv), None,
                                  "missing", "problem not listed in problem_list.csv (no name or limits)"))

    submissions, sub_rejects = _submissions(layout, problem_id)
    rejects.extend(sub_rejects)
    tests, test_rejects = collect_test_cases(layout, problem_id, extra_tests_dir)
    rejects.extend(test_rejects)
    return ProblemTables(submissions, tests, rejects_frame(rejects))


def _submissions(layout: CodeNetLayout, problem_id: str) -> tuple[pl.DataFrame, list[Reject]]:
    csv_path = layout.metadata_csv(problem_id)
    rel_csv = layout.relative(csv_path)
    index = index_sources(layout.data_dir(problem_id), CPP_LANGUAGE)
    if not os.path.isfile(csv_path):
        metadata = pl.DataFrame(schema={"submission_id": pl.Utf8, "line": pl.Int64})
        rejects = [Reject(problem_id, "submissions", rel_csv, None, "missing", "no metadata CSV for this problem")]
    else:
        with open(csv_path, "rb") as f:
            data = f.read()
        metadata, rejects = parse_submission_metadata(data, rel_csv, problem_id)

    known = set(metadata["submission_id"])
    cpp_folder = os.path.join(layout.data_dir(problem_id), CPP_LANGUAGE)
    for sid, path in sorted(index.items()):
        if sid not in known and os.path.dirname(path) == cpp_folder:
            rejects.append(Reject(problem_id, "submissions", layout.relative(path), None, "file_rejected",
                                  "source file has no C++ metadata row"))
    if metadata.is_empty():
        return pl.DataFrame(schema=SUBMISSIONS_SCHEMA), rejects

    lines = {sid: (line, raw) for sid, line, raw in metadata.select("submission_id", "line", "raw").iter_rows()}
    sources, source_rejects = read_sources(
        metadata["submission_id"].to_list(), index, problem_id=problem_id, codenet_root=layout.root,
        metadata_lines=lines, metadata_path=rel_csv,
    )
    rejects.extend(source_rejects)
    joined = metadata.join(sources, on="submission_id", how="inner")
    return joined.select(list(SUBMISSIONS_SCHEMA)).cast(SUBMISSIONS_SCHEMA), rejects
