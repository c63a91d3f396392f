"""Test cases of a problem from its three origins, in PIE's input/expected-output form.

- `html_sample`: every Sample Input N / Sample Output N pair of the problem page;
- `codenet_derived`: `derived/input_output/data/pXXXXX/{input,output}.txt`;
- `extra_dir`: an extra directory in PIE's layout, `<dir>/pXXXXX/input.N.txt` + `output.N.txt`
  (PIE's merged public and generated tests).

Every row is kept, but the same input often arrives through several origins (a page's first
sample is also CodeNet's derived input.txt; PIE's merged tests repeat the public ones), and PIE
sums each test of a program once. So the runtime test set is the problem's DISTINCT inputs:
`runtime_test_id` names, for each row, the one row that stands for its input (extra_dir first,
as PIE's own test files, then codenet_derived, then html_sample; the lowest number within an
origin). PIE restricts a problem's tests to the indices of its rows' `tests` field: given those
(the union over the problem's `pie_pairs` rows), or else a JSON list of them in
`<dir>/pXXXXX/tests.json`, the runtime set is restricted to those extra tests: rows whose input is
not among them get NULL, so a test not listed is never run.

Without a CodeNet tree (`layout` None: PIE's release alone) the extra directory is the only origin.
"""

from __future__ import annotations

import json
import os
import re

import polars as pl

from pie_assets.codenet.html_samples import extract_samples
from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.codenet.rejects import Reject
from pie_assets.codenet.text import decode_exact, sha256_hex
from pie_assets.lake.schema import ColumnTypes

TEST_CASE_SCHEMA: ColumnTypes = {
    "problem_id": pl.Utf8,
    "test_id": pl.Utf8,
    "origin": pl.Utf8,
    "input": pl.Utf8,
    "expected_output": pl.Utf8,
    "input_sha256": pl.Utf8,
    "source_path": pl.Utf8,
    "runtime_test_id": pl.Utf8,
}
EXTRA_FILE_RE = re.compile(r"^(input|output)\.(\d+)\.txt$")
TESTS_LIST_FILE = "tests.json"  # PIE's `tests` field: the indices of the extra tests to use
ORIGIN_PRIORITY = {"extra_dir": 0, "codenet_derived": 1, "html_sample": 2}


def _read(path: str) -> str:
    """File text with LF line ends: CRLF test files and LF page samples must compare alike."""
    with open(path, "rb") as f:
        return decode_exact(f.read())[0].replace("\r\n", "\n")


def _input_sha256(text: str) -> str:
    """Hash of the bytes a program is fed: the stored input, UTF-8 encoded."""
    return sha256_hex(text.encode("utf-8"))


def collect_test_cases(
    layout: CodeNetLayout | None, problem_id: str, extra_dir: str | None, pie_tests: set[int] | None = None
) -> tuple[pl.DataFrame, list[Reject]]:
    """`pie_tests`: PIE's `tests` indices of the problem, which take the place of `tests.json`
    (they index the extra directory, so they apply only with one)."""
    rows: list[tuple] = []
    rejects: list[Reject] = []
    if layout is not None:
        rows, rejects = _codenet_tests(layout, problem_id)

    listed: set[int] | None = None
    if extra_dir:
        directory = os.path.join(extra_dir, problem_id)
        rows_extra, rejects_extra = _extra_dir_tests(directory, problem_id)
        present = {int(r[1].rsplit("_", 1)[1]) for r in rows_extra}
        if pie_tests is None:
            listed, list_rejects = _tests_list(directory, problem_id, present)
        else:
            listed, list_rejects = (
                pie_tests,
                _listed_without_files(directory, problem_id, pie_tests, present, "PIE's tests field"),
            )
        rows.extend(rows_extra)
        rejects.extend(rejects_extra + list_rejects)

    if not rows:
        where = (
            layout.relative(layout.description_html(problem_id))
            if layout is not None
            else os.path.join(extra_dir or "", problem_id)
        )
        rejects.append(
            Reject(
                problem_id,
                "test_cases",
                where,
                None,
                "missing",
                "problem has no test cases (no page samples, derived or extra tests)",
            )
        )
    frame = pl.DataFrame(
        rows, schema={k: v for k, v in TEST_CASE_SCHEMA.items() if k != "runtime_test_id"}, orient="row"
    )
    return with_runtime_test_ids(frame, listed), rejects


def _codenet_tests(layout: CodeNetLayout, problem_id: str) -> tuple[list[tuple], list[Reject]]:
    """The page's samples and CodeNet's derived test."""
    rows: list[tuple] = []
    rejects: list[Reject] = []
    page = layout.description_html(problem_id)
    if os.path.isfile(page):
        html = _read(page)
        parsed = extract_samples(html)
        for sample in parsed.samples:
            rows.append(
                (
                    problem_id,
                    f"html_sample_{sample.number}",
                    "html_sample",
                    sample.input,
                    sample.output,
                    _input_sha256(sample.input),
                    layout.relative(page),
                )
            )
        rejects.extend(
            Reject(problem_id, "test_cases", layout.relative(page), None, "row_rejected", note)
            for note in parsed.problems
        )

    derived = layout.derived_tests_dir(problem_id)
    inp, out = os.path.join(derived, "input.txt"), os.path.join(derived, "output.txt")
    if os.path.isfile(inp) and os.path.isfile(out):
        text = _read(inp)
        rows.append(
            (
                problem_id,
                "codenet_derived_0",
                "codenet_derived",
                text,
                _read(out),
                _input_sha256(text),
                layout.relative(inp),
            )
        )
    elif os.path.isfile(inp) or os.path.isfile(out):
        present = inp if os.path.isfile(inp) else out
        rejects.append(
            Reject(
                problem_id,
                "test_cases",
                layout.relative(present),
                None,
                "file_rejected",
                "derived test has only one of input.txt / output.txt",
            )
        )
    return rows, rejects


def with_runtime_test_ids(tests: pl.DataFrame, listed: set[int] | None = None) -> pl.DataFrame:
    """Adds `runtime_test_id` (see the module docstring): one representative row per distinct
    input, within PIE's tests list when there is one."""
    number = pl.col("test_id").str.extract(r"_(\d+)$").cast(pl.Int64)
    ranked = tests.with_columns(
        _priority=pl.col("origin").replace_strict(ORIGIN_PRIORITY, default=len(ORIGIN_PRIORITY), return_dtype=pl.Int64),
        _number=number,
    )
    eligible = ranked if listed is None else ranked.filter((pl.col("origin") == "extra_dir") & number.is_in(listed))
    representatives = (
        eligible.sort("_priority", "_number", "test_id")
        .group_by("input_sha256", maintain_order=True)
        .agg(runtime_test_id=pl.col("test_id").first())
    )
    return ranked.join(representatives, on="input_sha256", how="left", maintain_order="left").select(
        *tests.columns, pl.col("runtime_test_id").cast(pl.Utf8)
    )


def _tests_list(directory: str, problem_id: str, present: set[int]) -> tuple[set[int] | None, list[Reject]]:
    """PIE's `tests` indices from `<dir>/tests.json`, or None without the file."""
    path = os.path.join(directory, TESTS_LIST_FILE)
    if not os.path.isfile(path):
        return None, []
    try:
        with open(path) as f:
            indices = json.load(f)
        if not isinstance(indices, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in indices):
            raise ValueError("expected a JSON list of test indices")
    except ValueError as err:
        reason = f"unusable {TESTS_LIST_FILE} ({err}): every extra test is used"
        return None, [Reject(problem_id, "test_cases", path, None, "file_rejected", reason)]
    return set(indices), _listed_without_files(path, problem_id, set(indices), present, TESTS_LIST_FILE)


def _listed_without_files(path: str, problem_id: str, listed: set[int], present: set[int], source: str) -> list[Reject]:
    """A `missing` reject per listed test index without its input/output files."""
    return [
        Reject(
            problem_id,
            "test_cases",
            path,
            None,
            "missing",
            f"{source} lists test {n}, which has no input.{n}.txt / output.{n}.txt pair",
        )
        for n in sorted(listed - present)
    ]


def _extra_dir_tests(directory: str, problem_id: str) -> tuple[list[tuple], list[Reject]]:
    if not os.path.isdir(directory):
        return [], []
    files: dict[tuple[str, int], str] = {}
    rejects: list[Reject] = []
    for name in sorted(os.listdir(directory)):
        match = EXTRA_FILE_RE.match(name)
        if name == TESTS_LIST_FILE:
            continue
        if match:
            files[(match.group(1), int(match.group(2)))] = os.path.join(directory, name)
        else:
            rejects.append(
                Reject(
                    problem_id,
                    "test_cases",
                    os.path.join(directory, name),
                    None,
                    "file_rejected",
                    "not a PIE test file name (input.N.txt / output.N.txt)",
                )
            )
    rows = []
    for n in sorted({n for _, n in files}):
        inp, out = files.get(("input", n)), files.get(("output", n))
        if inp is None or out is None:
            present = inp if inp is not None else files[("output", n)]
            rejects.append(
                Reject(
                    problem_id,
                    "test_cases",
                    present,
                    None,
                    "file_rejected",
                    f"extra test {n} has only one of input.{n}.txt / output.{n}.txt",
                )
            )
            continue
        text = _read(inp)
        rows.append((problem_id, f"extra_dir_{n}", "extra_dir", text, _read(out), _input_sha256(text), inp))
    return rows, rejects
