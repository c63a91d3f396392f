"""The runtime test set end to end: the runtime assets on a problem with PIE's tests, samples and a
written `generated_tests` partition (the table's contract, `testgen.candidates`), under each set;
the config sensor re-simulating when the set changes, `--test-set` (the resource's) included."""

from __future__ import annotations

import shutil

import dagster as dg
import polars as pl

from pie_assets.code_location import build_defs
from pie_assets.codenet.text import sha256_hex
from pie_assets.defs.runtime.sensors import RUNTIME_KEYS, runtime_config_sensor
from pie_assets.defs.shared.partitions import PROBLEMS
from pie_assets.defs.shared.resources import SimulatorResource
from pie_assets.lake.storage import Warehouse
from pie_assets.runtime.config import DEFAULT_CONFIG_PATH, SimulatorConfig
from pie_assets.settings import Settings
from pie_assets.testgen.candidates import GENERATED_TEST_SCHEMA, ORIGIN

INGESTION = ["submissions", "test_cases", "ingest_rejects", "problem_statements"]
# p00001 of the quirky corpus is A + B: the page's samples "1 2" (also CodeNet's derived input) and
# "10 20", PIE's extra test "5 6"; two generated tests, one of them the same input as a sample.
GENERATED = {"generated_mutate_0": ("100 200\n", "300\n"), "generated_mutate_1": ("10 20\n", "30\n")}


def generated_tests(problem_id: str, tests: dict[str, tuple[str, str]]) -> pl.DataFrame:
    """Rows of the generated_tests table, as the testgen asset writes them."""
    rows = [
        {
            "problem_id": problem_id,
            "test_id": test_id,
            "origin": ORIGIN,
            "input": text,
            "expected_output": expected,
            "input_sha256": sha256_hex(text.encode()),
            "source_path": "mutate",
            "runtime_test_id": test_id,
            "generator": "mutate",
            "generator_version": "v1",
            "seed": 0,
            "scale": 10,
            "parent_test_id": "html_sample_2",
            "consensus_size": 2,
            "native_cost_min_s": 0.001,
            "native_cost_median_s": 0.001,
            "native_cost_max_s": 0.002,
        }
        for test_id, (text, expected) in tests.items()
    ]
    return pl.DataFrame(rows, schema=GENERATED_TEST_SCHEMA)


def _runtimes(quirky, instance, tmp_path, test_set: str) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    root, extra = quirky
    settings = Settings(
        codenet_root=str(root), warehouse=str(tmp_path / "wh"), extra_tests=str(extra), test_set=test_set
    )
    defs = build_defs(settings)
    assets, resources = list(defs.assets), dict(defs.resources)
    instance.add_dynamic_partitions(PROBLEMS, ["p00001"])
    if not Warehouse(settings.warehouse).partition_path("test_cases", "p00001").exists():
        dg.materialize(assets, instance=instance, resources=resources, partition_key="p00001", selection=INGESTION)
    dg.materialize(
        assets,
        instance=instance,
        resources=resources,
        partition_key="p00001",
        selection=[k.to_user_string() for k in RUNTIME_KEYS],
    )
    event = instance.get_latest_materialization_event(RUNTIME_KEYS[1])
    store = Warehouse(settings.warehouse)
    read = {
        table: pl.read_parquet(store.partition_path(table, "p00001").path)
        for table in ("runtime_annotations", "submission_runtimes")
    }
    return (
        read["runtime_annotations"],
        read["submission_runtimes"],
        event.asset_materialization.tags["dagster/code_version"],
    )


def test_each_set_is_measured_and_recorded_in_every_row(quirky, instance, tmp_path):
    Warehouse(str(tmp_path / "wh")).write_partition("generated_tests", "p00001", generated_tests("p00001", GENERATED))
    expected = {
        # auto: p00001 has PIE's tests, so PIE's (parity).
        "auto": ("pie", {"extra_dir_0"}),
        "samples": ("samples", {"codenet_derived_0", "html_sample_2"}),
        "generated": ("generated", {"generated_mutate_0", "generated_mutate_1"}),
        # "10 20" is a sample and a generated test: counted once, as the sample.
        "samples+generated": ("samples+generated", {"codenet_derived_0", "html_sample_2", "generated_mutate_0"}),
    }
    versions = {}
    for name, (resolved, test_ids) in expected.items():
        annotations, summaries, versions[name] = _runtimes(quirky, instance, tmp_path, name)
        accepted = summaries.filter(pl.col("submission_id") == "s000000001").row(0, named=True)
        assert (accepted["test_set"], accepted["n_tests"], accepted["all_pass"]) == (resolved, len(test_ids), True)
        assert set(summaries["test_set"]) == set(annotations["test_set"]) == {resolved}
        assert set(annotations.filter(pl.col("submission_id") == "s000000001")["test_id"]) == test_ids
        assert versions[name] == SimulatorConfig.load(test_set=name).hash
    assert len(set(versions.values())) == len(expected)  # the set is in the config hash
    # The agg cost sums over the set: the samples and the generated tests add up to their union.
    by_set = {}
    for name in ("samples", "generated", "samples+generated"):
        _, summaries, _ = _runtimes(quirky, instance, tmp_path, name)
        by_set[name] = summaries.filter(pl.col("submission_id") == "s000000001")["agg_cost"].item()
    generated_only_new = by_set["samples+generated"] - by_set["samples"]
    assert 0 < generated_only_new < by_set["generated"]  # the shared "10 20" is not summed twice


def test_a_problem_without_generated_tests_is_measured_on_the_rest(quirky, instance, tmp_path):
    annotations, summaries, _ = _runtimes(quirky, instance, tmp_path, "samples+generated")
    assert set(annotations["test_id"]) == {"codenet_derived_0", "html_sample_2"}
    _, summaries, _ = _runtimes(quirky, instance, tmp_path, "generated")
    assert set(summaries["status"]) == {"NO_TESTS"} and summaries["agg_cost"].is_null().all()


def test_runtime_assets_depend_on_the_generated_tests(quirky_settings):
    graph = build_defs(quirky_settings).resolve_asset_graph()
    for key in RUNTIME_KEYS:
        assert dg.AssetKey("generated_tests") in graph.get(key).parent_keys


def test_config_sensor_re_simulates_when_the_runtime_set_changes(tmp_path, instance):
    config_file = tmp_path / "simulator.toml"
    shutil.copy(DEFAULT_CONFIG_PATH, config_file)
    instance.add_dynamic_partitions(PROBLEMS, ["p00001", "p00002"])

    def tick(cursor: str | None, test_set: str = "") -> dg.SensorResult | dg.SkipReason:
        simulator = SimulatorResource(config_path=str(config_file), cache_dir=str(tmp_path / "c"), test_set=test_set)
        context = dg.build_sensor_context(instance=instance, resources={"simulator": simulator}, cursor=cursor)
        return runtime_config_sensor(context)

    baseline = tick(None)
    assert isinstance(tick(baseline.cursor), dg.SkipReason)
    config_file.write_text(config_file.read_text().replace('runtime_set = "auto"', 'runtime_set = "samples+generated"'))
    fired = tick(baseline.cursor)
    assert [(r.partition_key_range.start, r.partition_key_range.end) for r in fired.run_requests] == [
        ("p00001", "p00002")
    ]
    assert isinstance(tick(fired.cursor), dg.SkipReason)
    # `--test-set` (the resource's test_set) counts as the file's value would.
    assert isinstance(tick(fired.cursor, test_set="samples+generated"), dg.SkipReason)
    assert len(tick(fired.cursor, test_set="pie").run_requests) == 1
