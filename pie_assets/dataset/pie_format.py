"""PIE's released JSONL schema, the one place that knows it: field names in PIE's order, their
types, how a line is checked and read, how a record is written, and the performance-conditioned
prompt template. The import (`pie_import`) and every export (`export_rows`) go through here, so a
file read in and written out again keeps its fields and values.

Types: ids, codes and statuses are strings; runtimes, speedups, rewards and accuracies are JSON
numbers (an integer there is read as a float: `1` comes back as `1.0`, the same number); the
percentile bins and `n_tests` are integers; `tests` is a list of integers. Any field may be null
or absent except the five of `REQUIRED_FIELDS`. Lines are written with `json.dumps`
(`ensure_ascii=False`: code stays readable, and json escapes every control character, so a code
never breaks a line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import polars as pl

from pie_assets.lake.schema import ColumnTypes

TRAIN_FIELDS: tuple[str, ...] = (
    "src_id",
    "tgt_id",
    "src_agg_runtime",
    "tgt_agg_runtime",
    "problem_id",
    "user_id",
    "speedup",
    "src_code",
    "tgt_code",
    "fastest_agg_runtime",
    "src_status",
    "tgt_status",
    "target_reward",
    "src_reward",
    "fastest_agg_runtime_updated",
    "target_reward_updated",
    "src_reward_updated",
    "target_reward_updated_pct_bin",
    "src_reward_updated_pct_bin",
)
TEST_ONLY_FIELDS: tuple[str, ...] = ("tests", "n_tests", "fastest_runtime", "fastest_accuracy")
TEST_FIELDS: tuple[str, ...] = TRAIN_FIELDS + TEST_ONLY_FIELDS
REQUIRED_FIELDS: tuple[str, ...] = ("src_id", "tgt_id", "problem_id", "src_code", "tgt_code")

_STRING = ("src_id", "tgt_id", "problem_id", "user_id", "src_code", "tgt_code", "src_status", "tgt_status")
_INTEGER = ("target_reward_updated_pct_bin", "src_reward_updated_pct_bin", "n_tests")
_INT_LIST = ("tests",)
FIELD_DTYPES: ColumnTypes = {
    name: (
        pl.Utf8
        if name in _STRING
        else pl.Int64
        if name in _INTEGER
        else pl.List(pl.Int64)
        if name in _INT_LIST
        else pl.Float64
    )
    for name in TEST_FIELDS
}
_INT64 = (-(2**63), 2**63 - 1)

SPLITS = ("train", "val", "test")
_SPLIT_TOKENS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}

# PIE's performance-conditioned template; training fills the target's tier, evaluation asks for 10.
PROMPT_TEMPLATE = (
    "This is a slow program we want to optimize {tier}/10. ### Program:\n{src_code}\n\n"
    "### Optimized Version with score {tier}/10:\n"
)
PROMPT_SRC_CHARS = 1500
TOP_TIER = 10


def performance_prompt(src_code: str, tier: int) -> str:
    return PROMPT_TEMPLATE.format(tier=tier, src_code=src_code[:PROMPT_SRC_CHARS])


def split_of_file(name: str) -> tuple[str | None, bool]:
    """(split, hq) from a file name: the split is the one train/val/test word of the name (None
    when there is none, or more than one), hq whether the name contains `hq`."""
    stem = name.lower().removesuffix(".jsonl")
    found = {_SPLIT_TOKENS[t] for t in re.split(r"[^a-z0-9]+", stem) if t in _SPLIT_TOKENS}
    return (found.pop() if len(found) == 1 else None), "hq" in stem


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and _INT64[0] <= value <= _INT64[1]


def is_text(value: Any) -> bool:
    """A string that is Unicode text: JSON can escape lone surrogates, which no UTF-8 column holds."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _field_error(name: str, value: Any) -> str | None:
    if value is None:
        return None
    dtype = FIELD_DTYPES[name]
    if dtype == pl.Utf8:
        ok = is_text(value)
        expected = "a string of Unicode text"
    elif dtype == pl.Int64:
        ok = _is_int(value)
        expected = "a 64-bit integer"
    elif dtype == pl.Float64:
        ok = (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and (isinstance(value, float) or abs(value) < 2**1023)
        )
        expected = "a number"
    else:
        ok = isinstance(value, list) and all(_is_int(v) for v in value)
        expected = "a list of 64-bit integers"
    if ok:
        return None
    return f"field {name!r} must be {expected}, got {type(value).__name__} {json.dumps(value)[:80]}"


def parse_record(text: str) -> tuple[Any, str | None]:
    """One JSONL line → (the parsed value, None) for a valid PIE pair object, or (the parsed
    value, None when it is not JSON, and why it cannot be a pair)."""
    try:
        obj = json.loads(text)
    except ValueError as err:
        return None, f"not JSON: {err}"
    if not isinstance(obj, dict):
        return obj, f"not a JSON object: a {type(obj).__name__}"
    missing = [name for name in REQUIRED_FIELDS if obj.get(name) is None]
    if missing:
        return obj, "missing required field(s): " + ", ".join(missing)
    for name, value in obj.items():
        error = _field_error(name, value) if name in FIELD_DTYPES else None
        if error:
            return obj, error
    unknown = unknown_fields(obj)
    if unknown is not None and not is_text(unknown):
        return obj, "an unknown field holds a lone surrogate (not Unicode text)"
    return obj, None


def column_value(name: str, value: Any) -> Any:
    """A checked field's value as its column holds it (JSON integers in float fields as floats)."""
    if value is not None and FIELD_DTYPES[name] == pl.Float64 and not isinstance(value, float):
        return float(value)
    return value


def unknown_fields(obj: Mapping[str, Any]) -> str | None:
    """The fields PIE's schema does not name, as one JSON object (None when there are none)."""
    unknown = {k: v for k, v in obj.items() if k not in FIELD_DTYPES}
    return json.dumps(unknown, ensure_ascii=False) if unknown else None


def restore_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A `pie_pairs` row back to the object it was read from: its keys in their original order
    (`field_order`), known fields from their columns, unknown ones from `extra_fields`."""
    extra = json.loads(row["extra_fields"]) if row["extra_fields"] else {}
    return {name: row[name] if name in FIELD_DTYPES else extra[name] for name in row["field_order"]}


def dumps_record(record: Mapping[str, Any]) -> str:
    """One JSONL line (with its newline). A NaN or infinity read from a file is written back as
    Python's json writes it (`NaN`, `Infinity`), which Python's json reads again."""
    return json.dumps(record, ensure_ascii=False) + "\n"
