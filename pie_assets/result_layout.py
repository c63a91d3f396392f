"""How `pie sql` (and `pie eval`'s summary) lays a query result out on the terminal.

A table is shown at its natural column widths or not at all: squeezing 25 columns into 80
characters breaks headers into pieces (`checkp/oint`). When the table would be wider than the
terminal, `auto` prints each row as `column = value` lines instead (duckdb's `.mode line`)."""

from __future__ import annotations

import json
import shutil

import polars as pl

FORMATS = ("auto", "table", "line", "csv", "json")
MAX_ROWS = 200  # table and line layouts; csv and json print every row
MAX_CELL_CHARS = 60  # a table cell's longest string; the line layout prints values whole
_POLARS_MAX_WIDTH = 65535  # polars' table width is a u16: the most it takes, i.e. never wrap


def render(frame: pl.DataFrame, fmt: str = "auto", width: int | None = None) -> str:
    """`frame` in `fmt` (one of FORMATS) for a terminal `width` characters wide (default: this
    terminal's, $COLUMNS first), ending in a newline."""
    if fmt == "csv":
        return frame.write_csv()
    if fmt == "json":
        return json.dumps(json.loads(frame.write_json()), indent=1, ensure_ascii=False) + "\n"
    shown = frame.head(MAX_ROWS)
    note = (
        f"({frame.height} rows; first {MAX_ROWS} shown, use --format csv for all)\n" if frame.height > MAX_ROWS else ""
    )
    if fmt == "line":
        return _lines(shown) + note
    table = _table(shown)
    if fmt == "table" or _widest(table) <= (width or shutil.get_terminal_size().columns):
        return table + note
    return _lines(shown) + note


def _table(frame: pl.DataFrame) -> str:
    with pl.Config(
        tbl_rows=MAX_ROWS,
        tbl_cols=-1,
        fmt_str_lengths=MAX_CELL_CHARS,
        tbl_width_chars=_POLARS_MAX_WIDTH,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
    ):
        return f"{frame}\n"


def _widest(text: str) -> int:
    return max(map(len, text.splitlines()), default=0)


def _lines(frame: pl.DataFrame) -> str:
    """One `column = value` line per column, a blank line between rows; a value's own line
    breaks are indented under its first line so the next column name still stands out."""
    if frame.height == 0:
        return f"(no rows; columns: {', '.join(frame.columns)})\n"
    name_width = max(map(len, frame.columns))
    indent = "\n" + " " * (name_width + 3)
    rows = (
        "\n".join(
            f"{name:<{name_width}} = {_value(value).replace(chr(10), indent)}"
            for name, value in zip(frame.columns, row, strict=True)
        )
        for row in frame.iter_rows()
    )
    return "\n\n".join(rows) + "\n"


def _value(value: object) -> str:
    return "null" if value is None else str(value)
