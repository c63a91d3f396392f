"""Splitting CodeNet CSV files into fields, vectorised across many files at once.

CodeNet's metadata CSVs are unquoted, LF or CRLF, sometimes with empty fields. All files of a
batch are split into one polars frame (file key, line number, raw line, fields), so the per-row
work runs once per batch in polars kernels instead of once per file: that is what keeps
ingestion near DuckDB's own CSV reader (see bench/ingest_metadata.py). A file containing quotes
goes through the `csv` module so quoted commas are honoured. Every row keeps its 1-based line
number, so rejects can point at it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

import polars as pl

from pie_assets.codenet.rejects import MalformedFileError


def split_files(
    files: Mapping[str, tuple[str, bytes]], expected_header: tuple[str, ...], keep: pl.Expr | None = None
) -> tuple[pl.DataFrame, dict[str, MalformedFileError]]:
    """files: key → (path, bytes). Rows of all usable files, and the error of each unusable one.

    Rows come as (key, line, raw, n_fields, <one column per header name>, stripped).
    `keep`, over the unstripped fields and n_fields, drops rows the caller has no use for before
    the per-field work (stripping) is spent on them.
    A file whose bytes are not text or whose header is not `expected_header` is malformed as a
    whole: its MalformedFileError names the file and the line.
    """
    keys: list[str] = []
    texts: list[str] = []
    header_lines: list[int] = []
    quoted: list[pl.DataFrame] = []
    errors: dict[str, MalformedFileError] = {}
    for key, (path, data) in files.items():
        try:
            text = _text(data, path)
            if '"' in text:
                frame = _split_quoted(text)
                _check_header(
                    frame["fields"][0].to_list(), frame["raw"][0], int(frame["line"][0]), path, expected_header
                )
                quoted.append(frame.slice(1).select(pl.lit(key).alias("key"), "line", "raw", "fields"))
                continue
            body = text.lstrip("\r\n")
            header_line = text.count("\n", 0, len(text) - len(body)) + 1
            header = body.split("\n", 1)[0].rstrip("\r")
            _check_header(header.split(","), header, header_line, path, expected_header)
        except MalformedFileError as err:
            errors[key] = err
            continue
        keys.append(key)
        texts.append(text)
        header_lines.append(header_line)
    raw = pl.col("raw")
    plain = (
        pl.DataFrame(
            {"key": keys, "raw": texts, "header_line": header_lines},
            schema={"key": pl.Utf8, "raw": pl.Utf8, "header_line": pl.Int64},
        )
        # Split every file's text into lines inside polars: no Python string per row.
        .with_columns(raw.str.split("\n"))
        .with_columns(line=pl.int_ranges(1, raw.list.len() + 1, dtype=pl.Int64))
        .explode("raw", "line", empty_as_null=True)
        .filter(pl.col("line") > pl.col("header_line"))
        .drop("header_line")
        .with_columns(raw.str.strip_suffix("\r"))
        .filter(raw.str.strip_chars() != "")
        .select("key", "line", "raw", fields=raw.str.split(","))
    )
    rows = pl.concat([plain, *quoted]) if quoted else plain
    return _columns(rows, expected_header, keep), errors


def _columns(frame: pl.DataFrame, header: tuple[str, ...], keep: pl.Expr | None = None) -> pl.DataFrame:
    """(key, line, raw, fields: list) → (key, line, raw, n_fields, one stripped column per name)."""
    fields = pl.col("fields")
    frame = frame.select(
        "key",
        "line",
        "raw",
        fields.list.len().cast(pl.Int64).alias("n_fields"),
        *[fields.list.get(i, null_on_oob=True).alias(name) for i, name in enumerate(header)],
    )
    if keep is not None:
        frame = frame.filter(keep)
    return frame.with_columns(pl.col(name).str.strip_chars() for name in header)


def read_lines(data: bytes, path: str, expected_header: tuple[str, ...]) -> pl.DataFrame:
    """One file's rows; raises MalformedFileError when it is unusable."""
    frame, errors = split_files({path: (path, data)}, expected_header)
    if errors:
        raise errors[path]
    return frame.drop("key")


def _text(data: bytes, path: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise MalformedFileError(path, line, f"not UTF-8 text ({err.reason} at byte {err.start})") from err
    if "\x00" in text:
        raise MalformedFileError(path, text.count("\n", 0, text.index("\x00")) + 1, "NUL byte: binary file")
    if not text.strip():
        raise MalformedFileError(path, 1, "empty file, expected a header")
    return text


def _check_header(fields: list[str], raw: str, line: int, path: str, expected: tuple[str, ...]) -> None:
    if tuple(f.strip() for f in fields) != expected:
        raise MalformedFileError(path, line, f"header {raw!r} is not {','.join(expected)!r}")


def _split_quoted(text: str) -> pl.DataFrame:
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""))
    for fields in reader:
        if fields and any(f.strip() for f in fields):
            rows.append((reader.line_num, ",".join(fields), fields))
    return pl.DataFrame(rows, schema={"line": pl.Int64, "raw": pl.Utf8, "fields": pl.List(pl.Utf8)}, orient="row")
