"""PIE's released dataset as a source: every field kept, bad lines rejected with file and line,
the asset in Dagster, and `pie run --pie-dataset DIR --select pie_pairs` without any CodeNet."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pie_assets.dataset.pie_format import FIELD_DTYPES, TEST_FIELDS, TRAIN_FIELDS, parse_record
from pie_assets.dataset.pie_import import PIE_PAIRS_SCHEMA, read_pie_dataset
from pie_assets.definitions import build_defs
from pie_assets.defs.dataset.pie_import import PieDatasetSource, build_pie_import_assets
from pie_assets.defs.resources import LakeParquetIOManager, LakeResource
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runner import default_selection
from pie_assets.settings import Settings

# Code that a careless writer or reader would change: CRLF, a tab, non-ASCII, U+2028 (a line
# break for str.splitlines, not for JSONL), an emoji, a trailing space.
SLOW = '#include <cstdio>\r\nint main() {\tputs("h\u00e9llo \u2028 \U0001f600"); } \n'
FAST = '#include <bits/stdc++.h>\nint main(){puts("x");}\n'
OLD_FIELDS = TRAIN_FIELDS[:14]  # the first released files: no *_updated fields


def pair(i: int, fields: tuple[str, ...] = TRAIN_FIELDS, **extra) -> dict:
    """A PIE row with every field of `fields`, in PIE's order, then `extra` (unknown fields)."""
    values = {
        "src_id": f"s{i:09d}",
        "tgt_id": f"s{i + 1:09d}",
        "src_agg_runtime": 0.0123 + i,
        "tgt_agg_runtime": 0.0041,
        "problem_id": f"p{i % 3:05d}",
        "user_id": f"u{i:09d}",
        "speedup": 3.0,
        "src_code": SLOW + str(i),
        "tgt_code": FAST,
        "fastest_agg_runtime": 0.004,
        "src_status": "Accepted",
        "tgt_status": "Accepted",
        "target_reward": 0.975609756097561,
        "src_reward": 0.3252032520325203,
        "fastest_agg_runtime_updated": 0.0039,
        "target_reward_updated": 0.95,
        "src_reward_updated": 0.31,
        "target_reward_updated_pct_bin": 9,
        "src_reward_updated_pct_bin": 2,
        "tests": [0, 3, 7],
        "n_tests": 3,
        "fastest_runtime": 0.0039,
        "fastest_accuracy": 1.0,
    }
    return {**{name: values[name] for name in fields}, **extra}


BAD_LINES = [
    ("this is not json", "not JSON"),
    ('["a", "list"]', "not a JSON object: a list"),
    (json.dumps({k: v for k, v in pair(50).items() if k != "src_id"}), "missing required field(s): src_id"),
    (json.dumps({**pair(51), "tgt_code": None}), "missing required field(s): tgt_code"),
    (json.dumps({**pair(52), "speedup": "fast"}), "field 'speedup' must be a number"),
    (
        json.dumps({**pair(53), "target_reward_updated_pct_bin": 2.5}),
        "field 'target_reward_updated_pct_bin' must be a 64-bit integer",
    ),
    (
        json.dumps({**pair(54), "src_reward_updated_pct_bin": True}),
        "field 'src_reward_updated_pct_bin' must be a 64-bit integer",
    ),
    (json.dumps({**pair(55, TEST_FIELDS), "tests": ["0", "1"]}), "field 'tests' must be a list of 64-bit integers"),
    (json.dumps({**pair(56), "src_code": 12}), "field 'src_code' must be a string"),
    (json.dumps({**pair(57), "user_id": "\ud800"}), "field 'user_id' must be a string of Unicode text"),
]


def _line(obj: dict, ascii_only: bool) -> str:
    return json.dumps(obj, ensure_ascii=ascii_only) + "\n"


def write_pie_dataset(directory: Path) -> Path:
    """train (old and updated fields, an unknown field, an integer in a float field), val (with
    bad lines of each kind, a blank line and a line that is not UTF-8), test (tests, n_tests),
    an HQ file, a file naming no split and a hidden file that is not read."""
    directory.mkdir(parents=True)
    train = [
        pair(0, OLD_FIELDS),
        pair(1),
        pair(2, TRAIN_FIELDS, generated=[{"code": "x", "score": 0.5}], note=None),
        {**pair(3), "speedup": 3},
    ]
    (directory / "train.jsonl").write_text("".join(_line(o, i % 2 == 0) for i, o in enumerate(train)), encoding="utf-8")
    with open(directory / "val.jsonl", "wb") as f:
        f.write(_line(pair(10), False).encode())
        for text, _ in BAD_LINES:
            f.write(text.encode() + b"\n")
        f.write(b"   \n")
        f.write(b'{"src_id": "s\xff"}\n')
        f.write(_line(pair(11, OLD_FIELDS), True).encode().replace(b"\n", b"\r\n"))  # a CRLF line
    (directory / "test.jsonl").write_text(
        "".join(_line(pair(i, TEST_FIELDS), False) for i in (20, 21)), encoding="utf-8"
    )
    (directory / "train_hq_only.jsonl").write_text(_line(pair(1), False), encoding="utf-8")
    (directory / "more").mkdir()
    (directory / "more" / "pairs.jsonl").write_text(_line(pair(30, OLD_FIELDS), True), encoding="utf-8")
    (directory / ".cache").mkdir()
    (directory / ".cache" / "train.jsonl").write_text("garbage\n")
    return directory


def good_records(path: Path) -> list[dict]:
    """The lines of a file that are PIE pairs, parsed with the json module alone."""
    records = []
    for raw in path.read_bytes().split(b"\n"):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if text.strip():
            obj, reason = parse_record(text)
            if reason is None:
                records.append(json.loads(text))
    return records


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


def test_pie_pairs_materialises_with_table_metadata(dataset: Path, tmp_path: Path) -> None:
    warehouse = str(tmp_path / "wh")
    resources = {
        "pie_dataset": PieDatasetSource(directory=str(dataset)),
        "lake": LakeResource(warehouse=warehouse),
        "lake_io_manager": LakeParquetIOManager(base_dir=warehouse),
    }
    instance = dg.DagsterInstance.ephemeral()
    assets = [build_pie_import_assets(str(dataset))]
    assert dg.materialize(assets, resources=resources, instance=instance).success
    event = instance.get_latest_materialization_event(dg.AssetKey("pie_pairs")).asset_materialization
    assert event.metadata["dagster/row_count"].value == 10
    columns = {c.name: c for c in event.metadata["dagster/column_schema"].schema.columns}
    assert columns["field_order"].description.startswith("the line's keys") and set(FIELD_DTYPES) <= set(columns)
    assert len(event.metadata["preview"].records) == 5
    version = event.tags["dagster/data_version"]
    rejects = instance.get_latest_materialization_event(dg.AssetKey("pie_pairs_rejects")).asset_materialization
    assert rejects.metadata["dagster/row_count"].value == len(BAD_LINES) + 2
    with Catalog(Warehouse(warehouse)).connect() as con:
        assert con.execute("select count(*) from pie_pairs where split = 'train' and hq").fetchone()[0] == 1
        assert con.execute("select count(*) from pie_pairs_rejects").fetchone()[0] == len(BAD_LINES) + 2

    assert dg.materialize(assets, resources=resources, instance=instance).success  # unchanged files
    again = instance.get_latest_materialization_event(dg.AssetKey("pie_pairs")).asset_materialization
    assert again.tags["dagster/data_version"] == version


def test_without_a_directory_the_location_loads_and_the_asset_says_how_to_set_it(tmp_path: Path) -> None:
    settings = Settings(codenet_root=str(tmp_path), warehouse=str(tmp_path / "wh"), extra_tests=None)
    defs = build_defs(settings)
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    chosen = {k.to_user_string() for k in default_selection(settings).resolve(graph)}
    assert chosen & {"pie_pairs", "pie_pairs_rejects", "pie_pairs_export"} == set()
    assert {"pie_export", "perf_prompts_export"} <= chosen  # our own exports are built by default
    with_dataset = dataclasses.replace(settings, pie_dataset=str(tmp_path))
    assert dg.AssetKey("pie_pairs") in default_selection(with_dataset).resolve(graph)

    result = dg.materialize(
        list(defs.assets),
        resources=dict(defs.resources),
        selection=["pie_pairs", "pie_pairs_rejects"],
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.user_failure_data.description
    assert "no PIE dataset directory configured" in message and "--pie-dataset" in message and "$PIE_DATASET" in message

    empty = tmp_path / "empty"
    empty.mkdir()
    missing = dg.materialize(
        [build_pie_import_assets(str(empty))],
        raise_on_error=False,
        instance=dg.DagsterInstance.ephemeral(),
        resources={**dict(defs.resources), "pie_dataset": PieDatasetSource(directory=str(empty))},
    )
    failure = missing.get_step_failure_events()[0].step_failure_data.user_failure_data.description
    assert f"no *.jsonl file under the PIE dataset directory {empty}" in failure


def test_pie_run_selects_pie_pairs_without_codenet(dataset: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIE_")}
    env["DAGSTER_HOME"] = str(tmp_path / ".dagster")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pie_assets.cli",
            "run",
            "--quiet",
            "--codenet",
            str(tmp_path / "none"),
            "--pie-dataset",
            str(dataset),
            "--select",
            "pie_pairs",
            "--warehouse",
            str(tmp_path / "wh"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "pie_pairs" in run.stdout and "pie_pairs_rejects" in run.stdout
    with Catalog(Warehouse(str(tmp_path / "wh"))).connect() as con:
        assert con.execute("select count(*) from pie_pairs").fetchone()[0] == 10
