"""What each CodeNet table is (the `codenet` group): its description, its columns' descriptions and
its schema, so each asset shows its column schema in the UI before and after it materialises."""

from __future__ import annotations

from pie_assets.codenet.ingest import SUBMISSIONS_SCHEMA
from pie_assets.codenet.problem_list import PROBLEMS_SCHEMA
from pie_assets.codenet.rejects import REJECT_SCHEMA
from pie_assets.codenet.statements import STATEMENT_SCHEMA
from pie_assets.codenet.test_cases import TEST_CASE_SCHEMA
from pie_assets.defs.shared.tables import TableDoc

_REJECT_COLUMNS = {
    "problem_id": "the problem, when known",
    "table_name": "the table the item was meant for",
    "path": "the file, relative to the CodeNet root",
    "line": "line in the file, when it is a row",
    "action": "row_rejected | file_rejected | value_nulled | missing",
    "reason": "why",
    "raw": "the raw row, when it is a row",
}

CODENET_TABLES: dict[str, TableDoc] = {
    "problems": TableDoc(
        "CodeNet problems from metadata/problem_list.csv: name, dataset, time and memory limits.",
        PROBLEMS_SCHEMA,
        {
            "problem_id": "CodeNet problem id, pXXXXX",
            "name": "problem title",
            "dataset": "AIZU or AtCoder",
            "time_limit_ms": "the judge's time limit (ms)",
            "memory_limit_kb": "the judge's memory limit (KB)",
            "rating": "empty in CodeNet",
            "tags": "empty in CodeNet",
            "complexity": "empty in CodeNet",
        },
    ),
    "submissions": TableDoc(
        "C++ submissions of the problem with their code (code_sha256 over the exact file bytes).",
        SUBMISSIONS_SCHEMA,
        {
            "submission_id": "CodeNet submission id, sXXXXXXXXX (unique)",
            "problem_id": "the problem (partition)",
            "user_id": "CodeNet user id, uXXXXXXXXX",
            "submitted_at": "submission time (UTC); NULL for a program of PIE's release, which gives none",
            "language": "CodeNet language (C++ only here)",
            "original_language": "the judge's language name, e.g. C++ (GCC 9.2.1)",
            "filename_ext": "file extension of the source",
            "status": "CodeNet verdict: Accepted, Wrong Answer, Time Limit Exceeded, ...",
            "cpu_time_ms": "the judge's CPU time (ms); NULL when invalid",
            "memory_kb": "the judge's memory (KB); NULL when invalid",
            "code_size": "the judge's code size (bytes)",
            "accuracy": "passed/total tests on AIZU, empty on AtCoder",
            "code": "the source text",
            "code_encoding": "encoding that gives back the exact bytes: code.encode(code_encoding)",
            "code_sha256": "sha256 of the exact source bytes",
            "code_bytes": "size of the source file",
            "source_path": "the source file, relative to the CodeNet root; for a problem of PIE's release "
            "alone, the JSONL line and field, e.g. test.jsonl:3#src_code",
        },
    ),
    "test_cases": TableDoc(
        "Tests: page samples (html_sample), derived input/output (codenet_derived), extra dir "
        "(extra_dir). runtime_test_id names the row that stands for its input in the runtime test set.",
        TEST_CASE_SCHEMA,
        {
            "problem_id": "the problem (partition)",
            "test_id": "<origin>_<N>, unique within the problem",
            "origin": "html_sample | codenet_derived | extra_dir",
            "input": "stdin of the test (LF line ends)",
            "expected_output": "expected stdout",
            "input_sha256": "sha256 of the UTF-8 input bytes a program is fed",
            "source_path": "where the test came from",
            "runtime_test_id": "the test row measured for this input (one per distinct input_sha256); "
            "NULL when the row is outside the runtime test set (PIE's tests list)",
        },
    ),
    "ingest_rejects": TableDoc(
        "Every row, file or value ingestion of a problem could not use, with path, line and reason.",
        REJECT_SCHEMA,
        _REJECT_COLUMNS,
    ),
    "problem_statements": TableDoc(
        "The problem page's statement as plain text (task, input/output format, constraints; no samples): "
        "the prompt of preference pairs. No row, and a reject, when the page is missing or has no text.",
        STATEMENT_SCHEMA,
        {
            "problem_id": "the problem (partition)",
            "statement": "plain text, paragraphs separated by blank lines, math flattened (≤, 10^9); "
            "AtCoder: the English copy when the page has one",
            "statement_sha256": "sha256 of the statement's UTF-8 bytes",
            "source_path": "the problem page, relative to the CodeNet root",
        },
    ),
    "problem_list_rejects": TableDoc(
        "Rows and values of metadata/problem_list.csv that `problems` could not use (ingest_rejects' columns).",
        REJECT_SCHEMA,
        _REJECT_COLUMNS,
    ),
}
