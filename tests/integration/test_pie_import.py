"""PIE's released dataset as a source: the asset in Dagster (tests/unit/test_pie_dataset_reader.py:
the reader), and `pie run --pie-dataset DIR --select pie_pairs` without any CodeNet."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from support.pie_dataset import BAD_LINES, write_pie_dataset

from pie_assets.code_location import build_defs
from pie_assets.dataset.pie_format import FIELD_DTYPES
from pie_assets.defs.dataset.pie_import import PieDatasetSource, build_pie_import_assets
from pie_assets.defs.shared.resources import LakeParquetIOManager, LakeResource
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runner import default_selection
from pie_assets.settings import Settings


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_pie_dataset(tmp_path / "pie")


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
