"""Exports: PIE-schema pairs, performance-conditioned prompts and the PIE dataset written back,
as versioned directories under `<warehouse>/exports/` with a manifest and a LATEST pointer.

The models the exports read are written here as plain `<root>/<name>.parquet` files (and the
per-problem tables in their lake layout), so nothing depends on the SQL models' code."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from support.pie_dataset import good_records, write_pie_dataset
from upath import UPath

from pie_assets.dataset.exports import jsonl_file, latest_export, parquet_file, publish_export
from pie_assets.dataset.pie_format import PROMPT_TEMPLATE, TEST_FIELDS, TRAIN_FIELDS
from pie_assets.dataset.pie_import import read_pie_dataset
from pie_assets.defs.dataset.exports import build_export_assets
from pie_assets.defs.dataset.pie_import import PieDatasetSource, build_pie_import_assets
from pie_assets.defs.shared.resources import LakeParquetIOManager, LakeResource
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse

COSTS = {
    "s1": 100.0,
    "s2": 50.0,
    "s3": 20.0,
    "s9": 40.0,
    "s4": 90.0,
    "s5": 30.0,
    "s6": 80.0,
    "s7": 10.0,
    "s10": 60.0,
    "s11": 30.0,
}
PROBLEM = {
    "s1": "p1",
    "s2": "p1",
    "s3": "p1",
    "s9": "p1",
    "s4": "p2",
    "s5": "p2",
    "s6": "p3",
    "s7": "p3",
    "s10": "p4",
    "s11": "p4",
}
PAIRS = [("s1", "s2"), ("s1", "s3"), ("s2", "s3"), ("s1", "s9"), ("s4", "s5"), ("s6", "s7"), ("s10", "s11")]
TIERS = {"s1": 1, "s2": 6, "s3": 10, "s4": 3, "s5": 10, "s6": 2, "s7": 10, "s10": 4, "s11": 10}  # s9: none
LONG = "// " + "é" * 1600 + "\nint main(){}\n"  # longer than the prompt's 1,500 characters

DATASET_CONFIG_HASH = "dataset-cfg"  # what the SQL models rendered with: recorded in each manifest
pie_export, perf_prompts_export, _, pie_pairs_export = build_export_assets(DATASET_CONFIG_HASH)


def code(submission: str) -> str:
    return LONG if submission == "s1" else f"int main(){{ /* {submission} */ }}\n"


def _pairs_frame(pairs: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "src_id": s,
                "tgt_id": t,
                "user_id": "u1",
                "problem_id": PROBLEM[s],
                "src_code": code(s),
                "tgt_code": code(t),
                "src_agg_cost": COSTS[s],
                "tgt_agg_cost": COSTS[t],
                "speedup": COSTS[s] / COSTS[t],
                "improvement": (COSTS[s] - COSTS[t]) / COSTS[s],
                "src_status": "Accepted",
                "tgt_status": "Accepted",
            }
            for s, t in pairs
        ]
    )


def build_warehouse(root: Path, tiers: dict[str, int] = TIERS) -> Warehouse:
    """p1 train, p2 val, p3 test, p4 in no split; p3 has six test rows of four distinct inputs."""
    warehouse = Warehouse(str(root))
    root.mkdir(parents=True, exist_ok=True)
    _pairs_frame(PAIRS).write_parquet(root / "trajectory_pairs.parquet")
    _pairs_frame([("s1", "s3"), ("s4", "s5")]).write_parquet(root / "hq_pairs.parquet")
    pl.DataFrame({"problem_id": ["p1", "p2", "p3"], "split": ["train", "val", "test"]}).write_parquet(
        root / "problem_splits.parquet"
    )
    pl.DataFrame(
        {"problem_id": ["p1", "p2", "p3"], "submission_id": ["s3", "s5", "s7"], "agg_cost": [20.0, 30.0, 10.0]}
    ).write_parquet(root / "fastest_human.parquet")
    fastest = {"p1": 20.0, "p2": 30.0, "p3": 10.0, "p4": 30.0}
    pl.DataFrame(
        [
            {
                "submission_id": s,
                "problem_id": PROBLEM[s],
                "agg_cost": COSTS[s],
                "reward": fastest[PROBLEM[s]] / COSTS[s],
                "tier": tier,
            }
            for s, tier in tiers.items()
        ]
    ).write_parquet(root / "tier_labels.parquet")
    for problem in ("p1", "p2", "p3", "p4"):
        runtimes = pl.DataFrame(
            [
                {
                    "submission_id": s,
                    "problem_id": problem,
                    "backend": "cachegrind",
                    "config_hash": "cfg1",
                    "status": "OK",
                    "all_pass": True,
                    "n_tests": 4,
                    "n_passed": 4,
                    "agg_cost": COSTS[s],
                    "agg_instructions": int(COSTS[s]),
                    "mean_accuracy": 1.0,
                    "binary_sha256": "b",
                }
                for s in COSTS
                if PROBLEM[s] == problem
            ]
        )
        warehouse.write_partition("submission_runtimes", problem, runtimes)
    tests = pl.DataFrame(
        {
            "problem_id": ["p3"] * 6,
            "test_id": [
                "extra_dir_0",
                "extra_dir_2",
                "extra_dir_3",
                "codenet_derived_1",
                "html_sample_1",
                "html_sample_2",
            ],
            "origin": ["extra_dir", "extra_dir", "extra_dir", "codenet_derived", "html_sample", "html_sample"],
            "input": ["a", "b", "a", "c", "c", "d"],
            "runtime_test_id": [
                "extra_dir_0",
                "extra_dir_2",
                "extra_dir_0",
                "codenet_derived_1",
                "codenet_derived_1",
                "html_sample_2",
            ],
        }
    )
    warehouse.write_partition("test_cases", "p3", tests)
    return warehouse


def _resources(root: Path, dataset: Path | None = None) -> dict:
    return {
        "lake": LakeResource(warehouse=str(root)),
        "lake_io_manager": LakeParquetIOManager(base_dir=str(root)),
        "pie_dataset": PieDatasetSource(directory=str(dataset) if dataset else None),
    }


def _jsonl(path: Path) -> list[dict]:
    """Split on LF only: str.splitlines() would also break at a U+2028 inside a code."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def _tree(root: Path) -> dict[str, float]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


def test_pie_export_writes_pie_schema_files_with_a_manifest(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    warehouse = build_warehouse(root)
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(
        dg.AssetMaterialization("submission_runtimes", partition="p1", tags={"dagster/data_version": "v-p1"})
    )
    result = dg.materialize([pie_export], resources=_resources(root), instance=instance)
    assert result.success

    version = (root / "exports" / "pie_export" / "LATEST").read_text().strip()
    directory = root / "exports" / "pie_export" / version
    assert latest_export(warehouse, "pie_export").path == str(directory)
    names = sorted(p.name for p in directory.iterdir())
    assert names == [
        "hq_train.jsonl",
        "hq_train.parquet",
        "manifest.json",
        "test.jsonl",
        "test.parquet",
        "train.jsonl",
        "train.parquet",
        "val.jsonl",
        "val.parquet",
    ]
    train, val, test, hq = (_jsonl(directory / f"{n}.jsonl") for n in ("train", "val", "test", "hq_train"))
    assert all(list(row) == list(TRAIN_FIELDS) for row in train + val + hq)
    assert all(list(row) == list(TEST_FIELDS) for row in test)
    assert [(r["src_id"], r["tgt_id"]) for r in train] == [("s1", "s2"), ("s1", "s3"), ("s1", "s9"), ("s2", "s3")]
    assert [(r["src_id"], r["tgt_id"]) for r in hq] == [("s1", "s3")]  # s4→s5 is HQ but in val
    assert [(r["src_id"], r["tgt_id"]) for r in val] == [("s4", "s5")]

    row = train[0]  # s1 → s2
    assert row["src_agg_runtime"] == 100.0 and row["tgt_agg_runtime"] == 50.0 and row["speedup"] == 2.0
    assert row["fastest_agg_runtime"] == row["fastest_agg_runtime_updated"] == 20.0
    assert row["target_reward"] == 20.0 / 50.0 and row["src_reward"] == 20.0 / 100.0
    assert row["target_reward_updated"] == 20.0 / 50.0 and row["src_reward_updated"] == 20.0 / 100.0
    assert row["target_reward_updated_pct_bin"] == 6 and row["src_reward_updated_pct_bin"] == 1
    assert row["src_code"] == LONG and row["src_status"] == "Accepted" and row["user_id"] == "u1"
    untiered = train[2]  # s1 → s9: s9 has no tier
    assert untiered["target_reward_updated_pct_bin"] is None and untiered["target_reward_updated"] is None
    assert untiered["target_reward"] == 20.0 / 40.0
    # p3's runtime set: extra_dir_0 → 0, extra_dir_2 → 2, then after the highest extra index (3):
    # codenet_derived_1 → 4, html_sample_2 → 5.
    assert test[0]["tests"] == [0, 2, 4, 5] and test[0]["n_tests"] == 4
    assert test[0]["fastest_runtime"] == 10.0 and test[0]["fastest_accuracy"] == 1.0

    for name in ("train", "test"):  # the Parquet files hold the same rows
        assert pl.read_parquet(directory / f"{name}.parquet").to_dicts() == _jsonl(directory / f"{name}.jsonl")

    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["export"] == "pie_export" and manifest["version"] == version and manifest["created_at"]
    files = {f["name"]: f for f in manifest["files"]}
    assert (
        files["train.jsonl"]["rows"] == 4
        and files["test.jsonl"]["rows"] == 1
        and files["hq_train.parquet"]["rows"] == 1
    )
    for name, entry in files.items():
        assert entry["sha256"] == hashlib.sha256((directory / name).read_bytes()).hexdigest()
    assert manifest["runtime"]["backend"] == "cachegrind" and manifest["runtime"]["unit"].startswith("CEst")
    assert manifest["runtime"]["simulator_config_hashes"] == ["cfg1"]
    assert manifest["left_out"] == {"pairs_without_split": 1, "hq_pairs_without_split": 0}
    assert manifest["dataset_config_hash"] == DATASET_CONFIG_HASH
    assert manifest["upstream"]["trajectory_pairs"] is None  # written outside Dagster: no materialisation
    runtimes = manifest["upstream"]["submission_runtimes"]
    assert runtimes["partitions"] == 1 and runtimes["data_version"] == hashlib.sha256(b"p1:v-p1\n").hexdigest()[:24]

    event = instance.get_latest_materialization_event(dg.AssetKey("pie_export")).asset_materialization
    assert event.tags["dagster/data_version"] == version and event.metadata["new_version"].value is True
    assert event.metadata["dagster/row_count"].value == 4 + 1 + 1 + 1

    # The exports folder is never a lake table, and the catalog still builds.
    assert "exports" not in warehouse.tables()
    assert "exports" not in Catalog(warehouse).rebuild()

    # Unchanged inputs: the same version, nothing written (not even LATEST).
    before = _tree(root / "exports")
    assert dg.materialize([pie_export], resources=_resources(root), instance=instance).success
    assert _tree(root / "exports") == before
    again = instance.get_latest_materialization_event(dg.AssetKey("pie_export")).asset_materialization
    assert again.tags["dagster/data_version"] == version and again.metadata["new_version"].value is False

    # Changed input: a new version beside the old one, and LATEST moves to it.
    build_warehouse(root, {**TIERS, "s2": 7})
    assert dg.materialize([pie_export], resources=_resources(root), instance=instance).success
    newer = (root / "exports" / "pie_export" / "LATEST").read_text().strip()
    assert newer != version and (root / "exports" / "pie_export" / version / "manifest.json").exists()
    assert _jsonl(root / "exports" / "pie_export" / newer / "train.jsonl")[0]["target_reward_updated_pct_bin"] == 7
    assert not [p for p in (root / "exports" / "pie_export").iterdir() if p.name.startswith(".")]


def test_perf_prompts_use_pies_template(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    build_warehouse(root)
    assert dg.materialize(
        [perf_prompts_export], resources=_resources(root), instance=dg.DagsterInstance.ephemeral()
    ).success
    directory = (
        root
        / "exports"
        / "perf_prompts_export"
        / (root / "exports" / "perf_prompts_export" / "LATEST").read_text().strip()
    )
    train, val, test = (_jsonl(directory / f"{n}.jsonl") for n in ("train", "val", "test"))
    assert [(r["src_id"], r["tgt_id"], r["tier"]) for r in train] == [
        ("s1", "s2", 6),
        ("s1", "s3", 10),
        ("s2", "s3", 10),
    ]
    first = train[0]
    assert first["prompt"] == (
        "This is a slow program we want to optimize 6/10. ### Program:\n"
        + LONG[:1500]
        + "\n\n### Optimized Version with score 6/10:\n"
    )
    assert len(LONG) > 1500 and first["completion"] == code("s2")
    assert [(r["src_id"], r["tier"]) for r in val] == [("s4", 10)] and [(r["src_id"], r["tier"]) for r in test] == [
        ("s6", 10)
    ]
    assert test[0]["prompt"] == PROMPT_TEMPLATE.format(tier=10, src_code=code("s6"))
    assert pl.read_parquet(directory / "train.parquet").to_dicts() == train
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["left_out"] == {"train_pairs_without_target_tier": 1, "pairs_without_split": 1}
    assert manifest["runtime"]["backend"] == "cachegrind"


def test_an_export_without_its_inputs_fails_saying_which(tmp_path: Path) -> None:
    root = tmp_path / "wh"
    root.mkdir()
    pl.DataFrame({"problem_id": ["p1"], "split": ["train"]}).write_parquet(root / "problem_splits.parquet")
    result = dg.materialize(
        [pie_export], resources=_resources(root), instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    message = result.get_step_failure_events()[0].step_failure_data.user_failure_data.description
    assert message.startswith("not in the catalog yet: trajectory_pairs, hq_pairs, fastest_human, tier_labels")
    result = dg.materialize(
        [pie_pairs_export], resources=_resources(root), instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    message = result.get_step_failure_events()[0].step_failure_data.user_failure_data.description
    assert message.startswith("not in the catalog yet: pie_pairs (materialise them first")
    assert not (root / "exports").exists()


def test_a_pie_file_imported_and_exported_again_keeps_every_field_and_value(tmp_path: Path) -> None:
    dataset = write_pie_dataset(tmp_path / "pie")
    root = tmp_path / "wh"
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [build_pie_import_assets(str(dataset)), pie_pairs_export],
        resources=_resources(root, dataset),
        instance=instance,
    )
    assert result.success
    directory = latest_export(Warehouse(str(root)), "pie_pairs_export")
    exported = Path(directory.path)
    originals = sorted(p.relative_to(dataset).as_posix() for p in dataset.rglob("*.jsonl") if ".cache" not in p.parts)
    assert sorted(str(p.relative_to(exported)) for p in exported.rglob("*.jsonl")) == originals
    for name in originals:
        before, after = good_records(dataset / name), _jsonl(exported / name)
        assert len(before) == len(after) > 0
        for old, new in zip(before, after, strict=True):
            assert list(new) == list(old) and new == old  # keys in their order, every value
            assert new["src_code"].encode() == old["src_code"].encode()
            assert all(type(new[k]) is type(old[k]) for k in old if k not in ("speedup",)), name

    # And through the importer once more: the same rows.
    again, _ = read_pie_dataset(str(exported))
    first, _ = read_pie_dataset(str(dataset))
    assert again.drop("line").sort("source_file", "src_id").equals(first.drop("line").sort("source_file", "src_id"))

    manifest = json.loads((exported / "manifest.json").read_text())
    entry = instance.get_latest_materialization_event(dg.AssetKey("pie_pairs"))
    assert manifest["upstream"]["pie_pairs"]["run_id"] == entry.run_id == result.run_id
    assert manifest["upstream"]["pie_pairs"]["data_version"] == entry.asset_materialization.tags["dagster/data_version"]
    assert manifest["runtime"]["unit"].startswith("seconds")


def test_publishing_to_an_object_store_url(tmp_path: Path) -> None:
    url = f"memory://pie-{uuid.uuid4().hex}"
    warehouse = Warehouse(url)
    frame = pl.DataFrame({"a": [1, 2]})
    files = [jsonl_file("a.jsonl", frame.to_dicts()), parquet_file("a.parquet", frame)]
    first = publish_export(warehouse, "demo", files, {"runtime": {"unit": "n/a"}})
    assert first.new and (UPath(url) / "exports" / "demo" / "LATEST").read_text().strip() == first.version
    assert (latest_export(warehouse, "demo") / "a.jsonl").read_text() == '{"a": 1}\n{"a": 2}\n'
    assert json.loads((latest_export(warehouse, "demo") / "manifest.json").read_text())["files"][0]["rows"] == 2
    again = publish_export(warehouse, "demo", files, {"runtime": {"unit": "n/a"}})
    assert again.version == first.version and not again.new and again.manifest == first.manifest
    assert "exports" not in warehouse.tables()


@pytest.mark.parametrize("name", ["a=b", "../up", ".hidden", ""])
def test_an_export_name_that_would_look_like_a_table_or_escape_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="cannot name an export"):
        publish_export(Warehouse(str(tmp_path)), name, [], {})
    assert not os.path.exists(tmp_path / "exports")


def test_exports_follow_their_inputs_under_automation(sample_settings, instance):
    """Declarative automation (what `pie ui`'s sensors evaluate): an export is requested once its
    inputs were updated and every required one has data; pie_export does not wait for
    selfplay_pairs; nothing is requested again until an input changes."""
    from pie_assets.code_location import build_defs
    from pie_assets.defs.shared.partitions import PROBLEMS

    defs = build_defs(sample_settings)
    instance.add_dynamic_partitions(PROBLEMS, ["p00001"])
    exports = ["pie_export", "perf_prompts_export", "preference_export", "pie_pairs_export"]

    def tick(cursor=None):
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        return result, {name for name in exports if result.get_num_requested(dg.AssetKey(name))}

    def updated(*names, partition=None):
        for name in names:
            instance.report_runless_asset_event(dg.AssetMaterialization(name, partition=partition))

    result, requested = tick()
    assert requested == set()
    updated("trajectory_pairs", "problem_splits", "tier_labels")
    updated("submission_runtimes", partition="p00001")
    result, requested = tick(result.cursor)
    assert requested == {"perf_prompts_export"}  # pie_export still lacks test_cases, hq_pairs, fastest_human
    updated("hq_pairs", "fastest_human")
    updated("test_cases", partition="p00001")
    result, requested = tick(result.cursor)
    assert requested == {"pie_export"}  # selfplay_pairs was never materialised: optional
    result, requested = tick(result.cursor)
    assert requested == set()
    updated("pie_pairs")
    result, requested = tick(result.cursor)
    assert requested == {"pie_pairs_export"}
