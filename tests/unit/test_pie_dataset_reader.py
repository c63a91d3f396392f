"""PIE's released dataset read from files: every field and value kept, bad lines rejected with file,
line and reason."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from support.pie_dataset import BAD_LINES, OLD_FIELDS, SLOW, pair, write_pie_dataset

from pie_assets.dataset.pie_format import TEST_FIELDS, TRAIN_FIELDS
from pie_assets.dataset.pie_import import PIE_PAIRS_SCHEMA, read_pie_dataset


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_pie_dataset(tmp_path / "pie")


def test_every_field_and_value_is_kept(dataset: Path) -> None:
    pairs, rejects = read_pie_dataset(str(dataset))
    assert pairs.schema == pl.Schema(PIE_PAIRS_SCHEMA)
    assert pairs.height == 4 + 2 + 2 + 1 + 1
    by_file = {f: g for (f,), g in pairs.group_by("source_file")}
    assert sorted(by_file) == ["more/pairs.jsonl", "test.jsonl", "train.jsonl", "train_hq_only.jsonl", "val.jsonl"]

    train = by_file["train.jsonl"].sort("line").to_dicts()
    assert [r["line"] for r in train] == [1, 2, 3, 4]
    assert all(r["split"] == "train" and r["hq"] is False for r in train)
    assert train[0]["src_code"] == SLOW + "0" and train[0]["src_code"].encode() == (SLOW + "0").encode()
    assert train[0]["field_order"] == list(OLD_FIELDS) and train[0]["fastest_agg_runtime_updated"] is None
    assert train[1]["field_order"] == list(TRAIN_FIELDS) and train[1]["target_reward_updated_pct_bin"] == 9
    assert isinstance(train[1]["src_reward_updated_pct_bin"], int) and isinstance(train[1]["speedup"], float)
    assert json.loads(train[2]["extra_fields"]) == {"generated": [{"code": "x", "score": 0.5}], "note": None}
    assert train[2]["field_order"][-2:] == ["generated", "note"] and train[1]["extra_fields"] is None
    assert train[3]["speedup"] == 3.0  # a JSON integer in a float field: the same number

    test = by_file["test.jsonl"].sort("line").to_dicts()
    assert test[0]["tests"] == [0, 3, 7] and test[0]["n_tests"] == 3 and test[0]["fastest_accuracy"] == 1.0
    assert test[0]["field_order"] == list(TEST_FIELDS) and test[0]["split"] == "test"
    hq = by_file["train_hq_only.jsonl"].row(0, named=True)
    assert hq["split"] == "train" and hq["hq"] is True
    assert by_file["more/pairs.jsonl"]["split"].to_list() == [None]
    val = by_file["val.jsonl"].sort("line")
    assert val["line"].to_list() == [1, 2 + len(BAD_LINES) + 2] and val["split"].to_list() == ["val", "val"]

    # Rejects: every bad line with its file, line and reason; the blank line is not one.
    rows = rejects.to_dicts()
    by_line = {r["line"]: r for r in rows if r["path"] == "val.jsonl"}
    for number, (text, reason) in enumerate(BAD_LINES, start=2):
        assert by_line[number]["reason"].startswith(reason), (number, by_line[number])
        assert by_line[number]["raw"] == text and by_line[number]["action"] == "row_rejected"
        assert by_line[number]["table_name"] == "pie_pairs"
    assert by_line[2 + len(BAD_LINES) + 1]["reason"].startswith("not UTF-8")
    assert sorted(by_line) == [*range(2, 2 + len(BAD_LINES)), 2 + len(BAD_LINES) + 1]
    assert by_line[4]["problem_id"] == pair(50)["problem_id"]  # known even though the line is rejected
    nulled = [r for r in rows if r["action"] == "value_nulled"]
    assert [(r["path"], r["line"]) for r in nulled] == [("more/pairs.jsonl", None)]
    assert len(rows) == len(BAD_LINES) + 2
