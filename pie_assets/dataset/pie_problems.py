"""The problems of PIE's release (`pie_pairs`) as problem partitions, with no CodeNet tree needed.

PIE's users evaluate on PIE's test split with PIE's files alone (its `*.jsonl` and
`merged_test_cases/<problem>/input.N.txt` + `output.N.txt`). Every problem of `pie_pairs` is a
problem partition; one the CodeNet tree does not hold (or every one, with `--codenet none`) is
ingested from the release by `ingest_pie_problem`:

- `submissions`: the src and tgt programs of the problem's pairs, one row per program id (PIE's
  ids are CodeNet submission ids), with the pair's user_id and the src_status / tgt_status PIE
  gives, so the runtime stage measures them like any program (same backend, config, cache and
  sandbox) and `candidate_programs` holds them. PIE releases no submission time, CPU time, memory
  or compiler (NULL). The first row in (source_file, line) order gives a program its code; the
  same id with another code later, or a status that is not one of CodeNet's, is a reject.
- `test_cases`: the extra tests directory alone (PIE's merged_test_cases), restricted to the union
  of the problem's rows' `tests` indices as PIE restricts them (`collect_test_cases`): a test no
  row lists is kept as a row but never run. Rows without `tests` (PIE's train files) leave every
  merged test in. A problem without a usable test fails its partition (`NoTestCasesError`).
- no `problem_statements` row (PIE releases no statement: a `missing` reject) and no `problems`
  row (no name, dataset or limits). Every problem is judged under the simulator config's budgets
  (`[budget] native_cpu_s` = 10 s, PIE's judge timeout), CodeNet's too: CodeNet's time_limit_ms
  is never used to judge.

A problem the CodeNet tree holds is ingested from the tree; PIE's `tests` still restrict its
extra tests (`pie_tests`).
"""

from __future__ import annotations

import polars as pl

from pie_assets.codenet.ingest import SUBMISSIONS_SCHEMA, ProblemTables
from pie_assets.codenet.layout import PROBLEM_ID_RE
from pie_assets.codenet.rejects import NoTestCasesError, Reject, rejects_frame
from pie_assets.codenet.statements import STATEMENT_SCHEMA
from pie_assets.codenet.submission_metadata import CPP_LANGUAGE
from pie_assets.codenet.test_cases import collect_test_cases
from pie_assets.codenet.text import sha256_hex
from pie_assets.codenet.validate import CODENET_STATUSES
from pie_assets.dataset.pie_import import TABLE
from pie_assets.lake.storage import Warehouse

PIE_ROW_COLUMNS = (
    "problem_id",
    "src_id",
    "tgt_id",
    "src_code",
    "tgt_code",
    "src_status",
    "tgt_status",
    "user_id",
    "tests",
    "source_file",
    "line",
)


def _pie_pairs(warehouse: Warehouse, columns: list[str]) -> pl.DataFrame | None:
    """`pie_pairs`' columns read from its Parquet file, not through `pie.duckdb`: a run must never
    wait on a user who holds the catalog open read-write; None when the lake has no import."""
    try:
        with (warehouse.root / f"{TABLE}.parquet").open("rb") as f:
            return pl.read_parquet(f, columns=columns)
    except FileNotFoundError:
        return None


def pie_problem_ids(warehouse: Warehouse) -> list[str]:
    """The problems of `pie_pairs`, sorted (partition order); none when the lake has no import.
    An id that is not a CodeNet problem id (pNNNNN) never becomes a partition (it names paths)."""
    pairs = _pie_pairs(warehouse, ["problem_id"])
    found = [] if pairs is None else pairs["problem_id"].drop_nulls().unique().sort().to_list()
    return [p for p in found if PROBLEM_ID_RE.match(p)]


def pie_rows(warehouse: Warehouse, problems: list[str]) -> dict[str, pl.DataFrame]:
    """problem -> its `pie_pairs` rows (the columns ingestion uses), in (source_file, line) order;
    empty when the lake has no import."""
    pairs = _pie_pairs(warehouse, list(PIE_ROW_COLUMNS))
    if pairs is None:
        return {}
    frame = pairs.filter(pl.col("problem_id").is_in(problems)).sort("problem_id", "source_file", "line")
    return {key[0]: rows for key, rows in frame.partition_by("problem_id", as_dict=True).items()}


def pie_tests(rows: pl.DataFrame) -> set[int] | None:
    """The union of the rows' `tests` indices (PIE's tests of the problem); None when no row
    lists any (PIE's train files have no `tests`)."""
    listed = rows["tests"].drop_nulls().to_list()
    return {index for tests in listed for index in tests if index is not None} if listed else None


def pie_submissions(rows: pl.DataFrame, problem_id: str) -> tuple[pl.DataFrame, list[Reject]]:
    """One `submissions` row per distinct program id of the rows (see the module docstring)."""
    programs: dict[str, dict] = {}
    rejects: list[Reject] = []
    for row in rows.iter_rows(named=True):
        where = f"{row['source_file']}:{row['line']}"
        for side in ("src", "tgt"):
            program_id, code, status = row[f"{side}_id"], row[f"{side}_code"], row[f"{side}_status"]
            path = f"{where}#{side}_code"
            known = programs.get(program_id)
            if known is not None:
                if known["code"] != code:
                    reason = f"{program_id} has another code at {known['source_path']}; the first is kept"
                    rejects.append(Reject(problem_id, "submissions", path, row["line"], "row_rejected", reason))
                continue
            if status not in CODENET_STATUSES:
                rejects.append(
                    Reject(
                        problem_id,
                        "submissions",
                        path,
                        row["line"],
                        "row_rejected",
                        f"{program_id}: {side}_status {status!r} is not one of CodeNet's verdicts",
                    )
                )
                continue
            data = code.encode("utf-8")
            programs[program_id] = {
                **dict.fromkeys(SUBMISSIONS_SCHEMA),
                "submission_id": program_id,
                "problem_id": problem_id,
                "user_id": row["user_id"],
                "language": CPP_LANGUAGE,
                "status": status,
                "code_size": len(data),
                "code": code,
                "code_encoding": "utf-8",
                "code_sha256": sha256_hex(data),
                "code_bytes": len(data),
                "source_path": path,
            }
    return pl.DataFrame(list(programs.values()), schema=SUBMISSIONS_SCHEMA), rejects


def ingest_pie_problem(rows: pl.DataFrame, problem_id: str, extra_dir: str | None) -> ProblemTables:
    """A problem of PIE's release without a CodeNet tree: its programs and its listed tests.
    Raises NoTestCasesError when no listed test is usable (nothing could be measured)."""
    submissions, rejects = pie_submissions(rows, problem_id)
    tests, test_rejects = collect_test_cases(None, problem_id, extra_dir, pie_tests(rows))
    rejects += test_rejects
    if tests["runtime_test_id"].is_null().all():
        raise NoTestCasesError(problem_id, rejects, extra_dir)
    rejects.append(
        Reject(
            problem_id,
            "problem_statements",
            rows["source_file"][0],
            None,
            "missing",
            "PIE's release has no problem statement",
        )
    )
    return ProblemTables(submissions, tests, pl.DataFrame(schema=STATEMENT_SCHEMA), rejects_frame(rejects))
