"""PIE's released dataset (a directory of `*.jsonl` files) → one `pie_pairs` frame + its rejects.

Every `*.jsonl` under the directory is read (subdirectories too; hidden files and directories
are skipped), in path order. Each line becomes one row that keeps the whole released object:
PIE's known fields as typed columns (`pie_format.FIELD_DTYPES`; a field a file lacks is NULL),
the fields PIE's schema does not name verbatim in `extra_fields` (one JSON object), and
`field_order`, the keys as the line had them, so the object can be written back exactly
(`pie_format.restore_record`). `split` and `hq` come from the file name
(`pie_format.split_of_file`), `source_file` (relative to the directory) and `line` (1-based) say
where the row came from.

A line that cannot be a pair (not UTF-8, not JSON, not an object, a required field missing, a
field of the wrong type) is a `row_rejected` reject with the file, line, reason and the raw line;
a file whose name names no split gets one `value_nulled` reject (its rows keep split NULL). Blank
lines carry nothing and are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from pie_assets.codenet.rejects import Reject, rejects_frame
from pie_assets.dataset.pie_format import (
    FIELD_DTYPES,
    column_value,
    is_text,
    parse_record,
    split_of_file,
    unknown_fields,
)
from pie_assets.lake.schema import ColumnTypes

TABLE = "pie_pairs"
PIE_PAIRS_SCHEMA: ColumnTypes = {
    **FIELD_DTYPES,
    "extra_fields": pl.Utf8,
    "field_order": pl.List(pl.Utf8),
    "split": pl.Utf8,
    "hq": pl.Boolean,
    "source_file": pl.Utf8,
    "line": pl.Int64,
}


class PieDatasetError(FileNotFoundError):
    """The configured directory is not a PIE dataset at all (absent, or no `*.jsonl` in it)."""


def dataset_files(directory: str) -> list[Path]:
    root = Path(directory)
    if not root.is_dir():
        raise PieDatasetError(f"PIE dataset directory {directory} is not a directory")
    files = sorted(
        p
        for p in root.rglob("*.jsonl")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if not files:
        raise PieDatasetError(f"no *.jsonl file under the PIE dataset directory {directory}")
    return files


def read_pie_dataset(directory: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(pie_pairs, pie_pairs_rejects) for every `*.jsonl` under `directory`."""
    columns: dict[str, list[Any]] = {name: [] for name in PIE_PAIRS_SCHEMA}
    rejects: list[Reject] = []
    root = Path(directory)
    for path in dataset_files(directory):
        source_file = path.relative_to(root).as_posix()
        split, hq = split_of_file(path.name)
        if split is None:
            rejects.append(
                Reject(
                    None,
                    TABLE,
                    source_file,
                    None,
                    "value_nulled",
                    "the file name names no split (one of train, val, test): its rows have split NULL",
                )
            )
        for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as err:
                rejects.append(
                    Reject(
                        None,
                        TABLE,
                        source_file,
                        number,
                        "row_rejected",
                        f"not UTF-8: {err}",
                        raw.decode("utf-8", "replace"),
                    )
                )
                continue
            obj, reason = parse_record(text)
            if reason is not None:
                problem_id = obj.get("problem_id") if isinstance(obj, dict) else None
                rejects.append(
                    Reject(
                        problem_id if is_text(problem_id) else None,
                        TABLE,
                        source_file,
                        number,
                        "row_rejected",
                        reason,
                        text,
                    )
                )
                continue
            for name in FIELD_DTYPES:
                columns[name].append(column_value(name, obj.get(name)))
            columns["extra_fields"].append(unknown_fields(obj))
            columns["field_order"].append(list(obj))
            columns["split"].append(split)
            columns["hq"].append(hq)
            columns["source_file"].append(source_file)
            columns["line"].append(number)
    return pl.DataFrame(columns, schema=PIE_PAIRS_SCHEMA), rejects_frame(rejects)
