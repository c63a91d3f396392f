"""CSV splitting, metadata validation, problem list, decoding: the unit level of ingestion."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from pie_assets.codenet.csv_lines import read_lines
from pie_assets.codenet.problem_list import read_problem_list
from pie_assets.codenet.rejects import MalformedFileError
from pie_assets.codenet.submission_metadata import METADATA_HEADER, parse_submission_metadata
from pie_assets.codenet.text import decode_exact

HEADER = ",".join(METADATA_HEADER)


def test_real_rows_parse_with_their_types():
    data = (
        HEADER + "\r\n"
        "s127352617,p04050,u168026006,1600301172,C++,C++ (GCC 9.2.1),cpp,Accepted,5,3644,3394,\r\n"
        "s300682070,p04050,u558442027,1480319506,JavaScript,JavaScript,js,Accepted,60,15496,219,4/4\r\n"
    ).encode()
    frame, rejects = parse_submission_metadata(data, "metadata/p04050.csv", "p04050")
    assert rejects == []
    assert frame["submission_id"].to_list() == ["s127352617"]  # C++ only
    row = frame.row(0, named=True)
    assert row["cpu_time_ms"] == 5 and row["memory_kb"] == 3644 and row["code_size"] == 3394
    assert row["accuracy"] is None and row["original_language"] == "C++ (GCC 9.2.1)"
    assert row["submitted_at"] == datetime.fromtimestamp(1600301172, UTC)
    assert frame.schema["submitted_at"] == pl.Datetime("us", "UTC")


def test_bad_rows_and_values_are_rejected_with_their_line():
    data = "\n".join(
        [
            HEADER,
            "s000000001,p00001,u1,1480319506,C++,C++14,cpp,Runtime Error,-1,abc,80,0/4",
            "s000000002,p00001,u1,1480319506,C++,C++14,cpp,Accepted,1,2",
            "",
            "s00000000X,p00001,u1,1480319506,C++,C++14,cpp,Accepted,1,2,3,",
            "s000000001,p00001,u1,1480319506,C++,C++14,cpp,Accepted,1,2,3,",
        ]
    ).encode()
    frame, rejects = parse_submission_metadata(data, "m.csv", "p00001")
    assert frame["submission_id"].to_list() == ["s000000001"]
    assert frame["cpu_time_ms"].to_list() == [None] and frame["memory_kb"].to_list() == [None]
    got = {(r.line, r.action, r.reason) for r in rejects}
    assert got == {
        (2, "value_nulled", "s000000001: invalid cpu_time '-1' set to NULL"),
        (2, "value_nulled", "s000000001: invalid memory 'abc' set to NULL"),
        (3, "row_rejected", "expected 12 fields, found 10"),
        (5, "row_rejected", "invalid submission_id 's00000000X'"),
        (6, "row_rejected", "duplicate submission_id s000000001"),
    }
    assert all(r.path == "m.csv" and r.raw for r in rejects)


def test_other_languages_are_skipped_unless_too_malformed_to_tell():
    data = "\n".join(
        [
            HEADER,
            "bogus,p00001,u1,1480319506,Java,Java8,java,Accepted,1,2,3,",  # out of scope: skipped
            "s000000002,p00001,u1,1480319506,Python,Python3,py",  # too few fields: language unknowable
            "s000000003,p00001,u1,1480319506, C++ ,C++14,cpp,Accepted,1,2,3,",  # padded: still C++
        ]
    ).encode()
    frame, rejects = parse_submission_metadata(data, "m.csv", "p00001")
    assert frame["submission_id"].to_list() == ["s000000003"] and frame["language"].to_list() == ["C++"]
    assert [(r.line, r.reason) for r in rejects] == [(3, "expected 12 fields, found 7")]


@pytest.mark.parametrize(
    "data, line, fragment",
    [
        (b"submission_id;problem_id\ns1;p1\n", 1, "header"),
        (b"", 1, "empty file"),
        ((HEADER + "\ns000000001,p00001\xff\n").encode("latin-1"), 2, "not UTF-8"),
        ((HEADER + "\nok\n\x00\x00\n").encode(), 3, "NUL byte"),
    ],
)
def test_malformed_files_name_file_and_line(data, line, fragment):
    with pytest.raises(MalformedFileError) as info:
        parse_submission_metadata(data, "metadata/p00001.csv", "p00001")
    assert info.value.line == line
    assert str(info.value).startswith(f"metadata/p00001.csv:{line}: ")
    assert fragment in str(info.value)


def test_quoted_fields_keep_their_commas():
    data = b'a,b\n"x, y",2\n'
    frame = read_lines(data, "q.csv", ("a", "b"))
    assert frame.select("a", "b", "n_fields").rows() == [("x, y", "2", 2)]


def test_problem_list_rows(tmp_path):
    path = tmp_path / "problem_list.csv"
    path.write_text(
        "id,name,dataset,time_limit,memory_limit,rating,tags,complexity\n"
        'p00001,"A, B",AIZU,1000,131072,,,\n'
        "p00002,X,AtCoder,-5,,,,\n"
        "junk,Y,AIZU,1,1,,,\n"
    )
    frame, rejects = read_problem_list(str(path))
    assert frame.select("problem_id", "name", "time_limit_ms", "memory_limit_kb").rows() == [
        ("p00001", "A, B", 1000, 131072),
        ("p00002", "X", None, None),
    ]
    assert sorted((r.line, r.action) for r in rejects) == [(3, "value_nulled"), (4, "row_rejected")]


@pytest.mark.parametrize(
    "data, encoding",
    [
        ("int main(){} // 日本語\n".encode(), "utf-8"),
        ("// 足し算\n".encode("cp932"), "cp932"),
        (b"\x81\xff\xfe odd", "latin-1"),
    ],
)
def test_decoding_round_trips_to_the_exact_bytes(data, encoding):
    text, used = decode_exact(data)
    assert used == encoding
    assert text.encode(used) == data
