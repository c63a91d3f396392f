"""One problem's ingestion over a corpus with every real CodeNet quirk."""

from __future__ import annotations

import pytest
from quirky_corpus import CPP_OK, CPP_SJIS

from pie_assets.codenet.ingest import ingest_problem
from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.codenet.rejects import MalformedFileError


def test_discovery_lists_problems_with_metadata_or_data(quirky):
    root, _ = quirky
    assert CodeNetLayout(str(root)).discover_problem_ids() == ["p00001", "p00002", "p00003", "p00004"]


def test_every_quirk_is_kept_or_rejected_with_a_reason(quirky):
    root, extra = quirky
    tables = ingest_problem(CodeNetLayout(str(root)), "p00001", str(extra))
    subs = {r["submission_id"]: r for r in tables.submissions.iter_rows(named=True)}
    # Kept: accepted, WA with cpu_time -1 (nulled), C++ file in the C/ folder, odd bytes, compile error.
    assert sorted(subs) == ["s000000001", "s000000002", "s000000004", "s000000008", "s000000009"]
    assert subs["s000000002"]["cpu_time_ms"] is None and subs["s000000002"]["status"] == "Wrong Answer"
    assert subs["s000000004"]["source_path"] == "data/p00001/C/s000000004.cpp"
    assert subs["s000000009"]["user_id"] is None
    # Code survives any encoding, byte-exact.
    assert subs["s000000002"]["code"].encode(subs["s000000002"]["code_encoding"]) == CPP_SJIS
    assert subs["s000000001"]["code"].encode() == CPP_OK
    assert subs["s000000001"]["code_sha256"] == subs["s000000004"]["code_sha256"]

    rejects = {(r["path"], r["line"], r["action"]): r["reason"] for r in tables.rejects.iter_rows(named=True)}
    csv = "metadata/p00001.csv"
    assert rejects[(csv, 3, "value_nulled")] == "s000000002: invalid cpu_time '-1' set to NULL"
    assert rejects[(csv, 6, "row_rejected")] == "s000000005: source file missing under data/p00001/"
    assert rejects[(csv, 7, "row_rejected")] == "expected 12 fields, found 10"
    assert rejects[(csv, 8, "row_rejected")] == "duplicate submission_id s000000001"
    assert rejects[(csv, 9, "row_rejected")] == "invalid submission_id 'bogus'"
    assert rejects[(csv, 10, "row_rejected")] == "row belongs to problem 'p00009', not p00001"
    assert rejects[("data/p00001/C++/s999999999.cpp", None, "file_rejected")] == "source file has no C++ metadata row"
    assert any(reason.startswith("extra test 1 has only one") for reason in rejects.values())
    assert any(reason.startswith("not a PIE test file name") for reason in rejects.values())
    assert len(rejects) == 9
    # Java row filtered by language, not rejected; nothing else went missing: 11 rows = 5 kept + 5 rejected + 1 Java.

    tests = tables.test_cases
    assert tests["test_id"].to_list() == ["html_sample_1", "html_sample_2", "codenet_derived_0", "extra_dir_0"]
    assert tests.filter(tests["origin"] == "codenet_derived")["input"].item() == "1 2\n"
    assert tests.filter(tests["origin"] == "codenet_derived")["expected_output"].item() == "3\n"


def test_malformed_metadata_file_raises_with_file_and_line(quirky):
    root, extra = quirky
    with pytest.raises(MalformedFileError, match=r"^metadata/p00002.csv:1: header"):
        ingest_problem(CodeNetLayout(str(root)), "p00002", str(extra))


def test_problem_without_tests_and_problem_not_listed(quirky):
    root, extra = quirky
    layout = CodeNetLayout(str(root))
    no_tests = ingest_problem(layout, "p00003", str(extra))
    assert no_tests.test_cases.is_empty() and len(no_tests.submissions) == 1
    missing = no_tests.rejects.filter(no_tests.rejects["action"] == "missing")
    assert (
        missing.filter(missing["table_name"] == "test_cases")["reason"].item().startswith("problem has no test cases")
    )
    unlisted = ingest_problem(layout, "p00004", str(extra))
    assert unlisted.rejects["reason"].to_list() == [
        "problem not listed in problem_list.csv (no name or limits)",
        "problem page has no statement text (empty, or only samples)",
    ]
    assert unlisted.test_cases["test_id"].to_list() == ["html_sample_1"]
