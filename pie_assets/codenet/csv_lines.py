"""Splitting CodeNet CSV files into fields, vectorised, keeping each row's line number.

CodeNet's metadata CSVs are unquoted, LF or CRLF, sometimes with empty fields. The fast path
splits lines and fields with polars string kernels (this is what the ingestion benchmark
measures); a file that contains quotes goes through the `csv` module so quoted commas are
honoured. Either way a row keeps its 1-based line number, so rejects can point at it.
"""

from __future__ import annotations

import csv
import io

import polars as pl

from pie_assets.codenet.rejects import MalformedFileError


def read_lines(data: bytes, path: str, expected_header: tuple[str, ...]) -> pl.DataFrame:
    """Rows of a CSV as (line: int, raw: str, fields: list[str]); the header is checked, not kept.

    A file whose bytes are not text or whose header is not `expected_header` is malformed as a
    whole: MalformedFileError names the file and the line.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise MalformedFileError(path, line, f"not UTF-8 text ({err.reason} at byte {err.start})") from err
    if "\x00" in text:
        raise MalformedFileError(path, text.count("\n", 0, text.index("\x00")) + 1, "NUL byte: binary file")
    if not text.strip():
        raise MalformedFileError(path, 1, "empty file, expected a header")
    if '"' in text:
        frame = _split_quoted(text)
    else:
        frame = _split_plain(text)
    header = frame.row(0, named=True)
    if tuple(h.strip() for h in header["fields"]) != expected_header:
        raise MalformedFileError(
            path, header["line"], f"header {header['raw']!r} is not {','.join(expected_header)!r}"
        )
    return frame.slice(1)


def _split_plain(text: str) -> pl.DataFrame:
    lines = pl.Series("raw", text.split("\n"), dtype=pl.Utf8).str.strip_suffix("\r")
    return (
        pl.DataFrame({"raw": lines})
        .with_row_index("line", offset=1)
        .with_columns(pl.col("line").cast(pl.Int64))
        .filter(pl.col("raw").str.strip_chars() != "")
        .with_columns(fields=pl.col("raw").str.split(","))
    )


def _split_quoted(text: str) -> pl.DataFrame:
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""))
    for fields in reader:
        if fields and any(f.strip() for f in fields):
            rows.append((reader.line_num, ",".join(fields), fields))
    return pl.DataFrame(
        rows,
        schema={"line": pl.Int64, "raw": pl.Utf8, "fields": pl.List(pl.Utf8)},
        orient="row",
    )
