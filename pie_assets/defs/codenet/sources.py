"""The files ingestion reads, as observable source assets, so Dagster's staleness covers them:
`codenet_files` (per problem: its metadata CSV, submissions, statement, derived tests, extra tests
and whether problem_list.csv lists it) feeds `codenet_problem`, `problem_list_file` feeds
`problem_list`. A version is the files' names, sizes and mtimes (`versions.paths_version`), read
without reading the bytes: `pie run` observes them before it decides what is stale, and records
an observation only when a version changed."""

import os
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from pie_assets.codenet.problem_list import listed_problem_ids
from pie_assets.defs.shared.observed_files import observed_files
from pie_assets.defs.shared.partitions import PROBLEMS, problems_partitions
from pie_assets.defs.shared.resources import CodeNetSource
from pie_assets.versions import paths_version, source_version

GROUP = "codenet"
CODENET_FILES = dg.AssetKey("codenet_files")
PROBLEM_LIST_FILE = dg.AssetKey("problem_list_file")


def problem_file_versions(codenet: CodeNetSource, problems: Sequence[str]) -> dict[str, str]:
    """Each problem's source version: the files of the tree it is ingested from, its extra tests,
    and whether problem_list.csv lists it (its other rows are `problems`', not the problem's)."""
    layout = codenet.layout
    listed = (
        listed_problem_ids(layout.problem_list_csv)
        if layout is not None and os.path.isfile(layout.problem_list_csv)
        else None
    )
    versions = {}
    for problem in problems:
        paths = [Path(p) for p in (layout.problem_files(problem) if layout is not None else [])]
        if codenet.extra_tests_dir:
            paths.append(Path(codenet.extra_tests_dir) / problem)
        listing = "none" if listed is None else str(problem in listed)
        versions[problem] = source_version([("files", paths_version(paths).encode())], setting=f"listed={listing}")
    return versions


def problem_list_version(codenet: CodeNetSource) -> str:
    layout = codenet.layout
    return paths_version([Path(layout.problem_list_csv)]) if layout is not None else "no-codenet"


def observe_codenet_files(context: dg.OpExecutionContext) -> dg.DataVersionsByPartition:
    problems = context.instance.get_dynamic_partitions(PROBLEMS)
    versions = problem_file_versions(context.resources.codenet, problems)
    return dg.DataVersionsByPartition({p: dg.DataVersion(v) for p, v in versions.items()})


def observe_problem_list_file(context: dg.OpExecutionContext) -> dg.DataVersion:
    return dg.DataVersion(problem_list_version(context.resources.codenet))


codenet_files = observed_files(
    observe_codenet_files,
    key=CODENET_FILES,
    group_name=GROUP,
    partitions_def=problems_partitions,
    required_resource_keys={"codenet"},
    description="Per problem, the CodeNet files and extra tests its ingestion reads (names, sizes, mtimes).",
)
problem_list_file = observed_files(
    observe_problem_list_file,
    key=PROBLEM_LIST_FILE,
    group_name=GROUP,
    required_resource_keys={"codenet"},
    description="metadata/problem_list.csv of the CodeNet tree (its size and mtime).",
)
