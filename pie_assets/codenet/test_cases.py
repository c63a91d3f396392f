"""Test cases of a problem from its three origins, in PIE's input/expected-output form.

- `html_sample`: every Sample Input N / Sample Output N pair of the problem page;
- `codenet_derived`: `derived/input_output/data/pXXXXX/{input,output}.txt`;
- `extra_dir`: an extra directory in PIE's layout, `<dir>/pXXXXX/input.N.txt` + `output.N.txt`
  (PIE's merged public and generated tests).
"""

from __future__ import annotations

import os
import re

import polars as pl

from pie_assets.codenet.html_samples import extract_samples
from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.codenet.rejects import Reject
from pie_assets.codenet.text import decode_exact, sha256_hex

TEST_CASE_SCHEMA: dict[str, pl.DataType] = {
    "problem_id": pl.Utf8,
    "test_id": pl.Utf8,
    "origin": pl.Utf8,
    "input": pl.Utf8,
    "expected_output": pl.Utf8,
    "input_sha256": pl.Utf8,
    "source_path": pl.Utf8,
}
EXTRA_FILE_RE = re.compile(r"^(input|output)\.(\d+)\.txt$")


def _read(path: str) -> str:
    """File text with LF line ends: CRLF test files and LF page samples must compare alike."""
    with open(path, "rb") as f:
        return decode_exact(f.read())[0].replace("\r\n", "\n")


def _input_sha256(text: str) -> str:
    """Hash of the bytes a program is fed: the stored input, UTF-8 encoded."""
    return sha256_hex(text.encode("utf-8"))


def collect_test_cases(
    layout: CodeNetLayout, problem_id: str, extra_dir: str | None
) -> tuple[pl.DataFrame, list[Reject]]:
    rows: list[tuple] = []
    rejects: list[Reject] = []

    page = layout.description_html(problem_id)
    if os.path.isfile(page):
        html = _read(page)
        parsed = extract_samples(html)
        for sample in parsed.samples:
            rows.append((problem_id, f"html_sample_{sample.number}", "html_sample", sample.input, sample.output,
                         _input_sha256(sample.input), layout.relative(page)))
        rejects.extend(Reject(problem_id, "test_cases", layout.relative(page), None, "row_rejected", note)
                       for note in parsed.problems)

    derived = layout.derived_tests_dir(problem_id)
    inp, out = os.path.join(derived, "input.txt"), os.path.join(derived, "output.txt")
    if os.path.isfile(inp) and os.path.isfile(out):
        text = _read(inp)
        rows.append((problem_id, "codenet_derived_0", "codenet_derived", text, _read(out),
                     _input_sha256(text), layout.relative(inp)))
    elif os.path.isfile(inp) or os.path.isfile(out):
        present = inp if os.path.isfile(inp) else out
        rejects.append(Reject(problem_id, "test_cases", layout.relative(present), None, "file_rejected",
                              "derived test has only one of input.txt / output.txt"))

    if extra_dir:
        rows_extra, rejects_extra = _extra_dir_tests(os.path.join(extra_dir, problem_id), problem_id)
        rows.extend(rows_extra)
        rejects.extend(rejects_extra)

    if not rows:
        rejects.append(Reject(problem_id, "test_cases", layout.relative(page), None, "missing",
                              "problem has no test cases (no page samples, derived or extra tests)"))
    return pl.DataFrame(rows, schema=TEST_CASE_SCHEMA, orient="row"), rejects


def _extra_dir_tests(directory: str, problem_id: str) -> tuple[list[tuple], list[Reject]]:
    if not os.path.isdir(directory):
        return [], []
    files: dict[tuple[str, int], str] = {}
    rejects: list[Reject] = []
    for name in sorted(os.listdir(directory)):
        match = EXTRA_FILE_RE.match(name)
        if match:
            files[(match.group(1), int(match.group(2)))] = os.path.join(directory, name)
        else:
            rejects.append(Reject(problem_id, "test_cases", os.path.join(directory, name), None, "file_rejected",
                                  "not a PIE test file name (input.N.txt / output.N.txt)"))
    rows = []
    for n in sorted({n for _, n in files}):
        inp, out = files.get(("input", n)), files.get(("output", n))
        if inp is None or out is None:
            present = inp or out
            rejects.append(Reject(problem_id, "test_cases", present, None, "file_rejected",
                                  f"extra test {n} has only one of input.{n}.txt / output.{n}.txt"))
            continue
        text = _read(inp)
        rows.append((problem_id, f"extra_dir_{n}", "extra_dir", text, _read(out), _input_sha256(text), inp))
    return rows, rejects
