"""What the lake tells Dagster and SQL users: row counts, columns, previews, data versions and
staleness through a real instance; partitioned tables as Dagster inputs; two-dimensional
partitions; the runtime test set of distinct inputs; problems that do not exist."""

import json
import shutil

import dagster as dg
import polars as pl
import pytest
from dagster._core.definitions.data_version import StaleStatus
from dagster._utils.test.data_versions import get_stale_status_resolver

from pie_assets.code_location import build_defs
from pie_assets.codenet.layout import CodeNetLayout
from pie_assets.codenet.test_cases import collect_test_cases
from pie_assets.defs.shared.partitions import PROBLEMS, problems_partitions
from pie_assets.defs.shared.resources import LakeParquetIOManager
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runs import partition_range_tags
from pie_assets.runtime.config import DEFAULT_CONFIG_PATH
from pie_assets.settings import Settings
from pie_assets.table_metadata import TABLE_ROWS

INGEST = ["submissions", "test_cases", "ingest_rejects", "problem_statements"]
RUNTIME = ["runtime_annotations", "submission_runtimes"]


def _run(defs: dg.Definitions, instance, selection, **kwargs) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        list(defs.assets),
        instance=instance,
        resources=dict(defs.resources),
        selection=selection,
        raise_on_error=False,
        **kwargs,
    )


def _status(defs: dg.Definitions, instance, key: str, partition: str) -> StaleStatus:
    """What the UI's "Unsynced" label reads: Dagster's stale status of one partition."""
    return get_stale_status_resolver(instance, list(defs.assets)).get_status(dg.AssetKey(key), partition)


def test_partition_materialisations_record_table_metadata_and_content_versions(quirky_settings, instance):
    defs = build_defs(quirky_settings)
    instance.add_dynamic_partitions(PROBLEMS, ["p00001"])
    assert _run(defs, instance, INGEST, partition_key="p00001").success
    event = instance.get_latest_materialization_event(dg.AssetKey("submissions")).asset_materialization
    metadata = event.metadata
    assert metadata["dagster/row_count"].value == 5
    columns = {c.name: c for c in metadata["dagster/column_schema"].schema.columns}
    assert columns["code_sha256"].description.startswith("sha256 of the exact source bytes")
    assert columns["submitted_at"].type.startswith("Datetime")
    preview = metadata["preview"].records
    assert len(preview) == 5 and all(len(r.data["code"]) <= 121 for r in preview)
    first = event.tags["dagster/data_version"]

    # Re-ingesting unchanged input gives the same data version: downstream stays synced.
    assert _run(defs, instance, INGEST, partition_key="p00001").success
    again = instance.get_latest_materialization_event(dg.AssetKey("submissions")).asset_materialization
    assert again.tags["dagster/data_version"] == first and again.tags["dagster/code_version"]

    # The unpartitioned tables go through the IO manager and record the same things.
    assert _run(defs, instance, ["problems", "problem_list_rejects"]).success
    problems = instance.get_latest_materialization_event(dg.AssetKey("problems")).asset_materialization
    assert problems.metadata["dagster/row_count"].value == 3 and "dagster/data_version" in problems.tags
    rejects = instance.get_latest_materialization_event(dg.AssetKey("problem_list_rejects")).asset_materialization
    assert rejects.metadata["dagster/row_count"].value == 4  # 3 rows rejected, 1 value nulled
    with Catalog(Warehouse(quirky_settings.warehouse)).connect() as con:
        assert con.execute("select count(*) from problem_list_rejects").fetchone()[0] == 4


def test_runtime_partitions_are_unsynced_only_after_a_real_change(quirky, instance, tmp_path):
    root, extra = quirky
    config = tmp_path / "simulator.toml"
    shutil.copy(DEFAULT_CONFIG_PATH, config)
    settings = Settings(
        codenet_root=str(root), warehouse=str(tmp_path / "wh"), extra_tests=str(extra), simulator_config=str(config)
    )
    defs = build_defs(settings)
    instance.add_dynamic_partitions(PROBLEMS, ["p00003"])
    assert _run(defs, instance, INGEST, partition_key="p00003").success
    assert _run(defs, instance, RUNTIME, partition_key="p00003").success
    assert _status(defs, instance, "runtime_annotations", "p00003") == StaleStatus.FRESH

    # Unchanged re-ingestion: the inputs' data versions are the same, still fresh.
    assert _run(defs, instance, INGEST, partition_key="p00003").success
    assert _status(defs, instance, "runtime_annotations", "p00003") == StaleStatus.FRESH

    # A changed test input: a new data version upstream, so the runtimes are stale.
    page = root / "problem_descriptions" / "p00003.html"
    page.write_text("<H2>Sample Input 1</H2><pre>\n1 1\n</pre><H2>Sample Output 1</H2><pre>\n2\n</pre>")
    assert _run(defs, instance, INGEST, partition_key="p00003").success
    assert _status(defs, instance, "runtime_annotations", "p00003") == StaleStatus.STALE
    assert _run(defs, instance, RUNTIME, partition_key="p00003").success
    assert _status(defs, instance, "runtime_annotations", "p00003") == StaleStatus.FRESH

    # A changed simulator config is a new code version: stale until re-simulated.
    config.write_text(config.read_text().replace("Bcm = 10", "Bcm = 11"))
    changed = build_defs(settings)
    assert _status(changed, instance, "runtime_annotations", "p00003") == StaleStatus.STALE
    assert _run(changed, instance, RUNTIME, partition_key="p00003").success
    assert _status(changed, instance, "runtime_annotations", "p00003") == StaleStatus.FRESH


def test_a_downstream_asset_takes_partitioned_lake_tables_as_inputs(quirky_settings, instance):
    defs = build_defs(quirky_settings)
    instance.add_dynamic_partitions(PROBLEMS, ["p00001", "p00003", "p00004"])
    _run(defs, instance, INGEST, tags=partition_range_tags("p00001", "p00004"))

    @dg.asset(partitions_def=problems_partitions)
    def submissions_per_user(submissions: pl.DataFrame) -> None:
        """One partition in, one frame."""
        assert submissions["problem_id"].unique().to_list() == ["p00001"]
        assert submissions.height == 5

    @dg.asset(ins={"submissions": dg.AssetIn(partition_mapping=dg.AllPartitionMapping())})
    def users_everywhere(submissions: dict[str, pl.DataFrame]) -> None:
        """A range in: one frame per partition."""
        assert {key: frame.height for key, frame in submissions.items()} == {"p00001": 5, "p00003": 1, "p00004": 0}

    everything = [*defs.assets, submissions_per_user, users_everywhere]
    resources = dict(defs.resources)
    one = dg.materialize(
        everything, instance=instance, resources=resources, selection=["submissions_per_user"], partition_key="p00001"
    )
    assert one.success
    assert dg.materialize(everything, instance=instance, resources=resources, selection=["users_everywhere"]).success


def test_a_runs_last_materialisation_of_a_table_carries_the_tables_total_rows(quirky_settings, instance):
    """A partitioned table's Overview shows its latest materialisation: one partition's
    `dagster/row_count`, and `pie/table_rows`, every partition's, counted once the run published."""
    defs = build_defs(quirky_settings)
    instance.add_dynamic_partitions(PROBLEMS, ["p00001", "p00003", "p00004"])
    assert _run(defs, instance, ["problems"]).success

    def submissions_events() -> list[dg.AssetMaterialization]:
        records = instance.fetch_materializations(dg.AssetKey("submissions"), limit=100, ascending=True).records
        return [r.asset_materialization for r in records]

    assert _run(defs, instance, INGEST, tags=partition_range_tags("p00001", "p00003")).success
    first, last = submissions_events()
    assert (first.partition, first.metadata["dagster/row_count"].value) == ("p00001", 5)
    assert TABLE_ROWS not in first.metadata  # the total is known once every partition of the run landed
    assert (last.partition, last.metadata["dagster/row_count"].value, last.metadata[TABLE_ROWS].value) == (
        "p00003",
        1,
        6,
    )
    # A later run of another partition counts the partitions written before it too.
    assert _run(defs, instance, INGEST, partition_key="p00004").success
    latest = submissions_events()[-1]
    assert (latest.partition, latest.metadata["dagster/row_count"].value) == ("p00004", 0)
    with Catalog(Warehouse(quirky_settings.warehouse)).connect() as con:
        total = con.execute("select count(*) from submissions").fetchone()[0]
    assert latest.metadata[TABLE_ROWS].value == total == 6


def test_two_dimensional_partitions_are_hive_paths_queryable_with_sql(tmp_path, instance):
    checkpoints = dg.StaticPartitionsDefinition(["ckpt-a", "ckpt-b"])
    problems = dg.StaticPartitionsDefinition(["p00001", "p00002"])
    grid = dg.MultiPartitionsDefinition({"checkpoint": checkpoints, "problem": problems})

    @dg.asset(partitions_def=grid, io_manager_key="lake_io_manager")
    def evaluation_scores(context: dg.AssetExecutionContext) -> pl.DataFrame:
        keys = context.partition_key.keys_by_dimension
        return pl.DataFrame(
            {"problem_id": [keys["problem"]], "score": [len(keys["checkpoint"]) + int(keys["problem"][-1])]}
        )

    @dg.asset(partitions_def=grid)
    def evaluation_echo(evaluation_scores: pl.DataFrame) -> None:
        assert evaluation_scores.height == 1

    warehouse = str(tmp_path / "wh")
    resources = {"lake_io_manager": LakeParquetIOManager(base_dir=warehouse)}
    for key in grid.get_partition_keys():
        assert dg.materialize(
            [evaluation_scores, evaluation_echo], instance=instance, resources=resources, partition_key=key
        ).success
    assert (tmp_path / "wh" / "evaluation_scores" / "checkpoint=ckpt-a" / "problem=p00002" / "data.parquet").is_file()
    # The Overview shows the latest materialisation: its partition's row count and the table's.
    latest = instance.get_latest_materialization_event(dg.AssetKey("evaluation_scores")).asset_materialization
    assert latest.metadata["dagster/row_count"].value == 1 and latest.metadata[TABLE_ROWS].value == 4
    with Catalog(Warehouse(warehouse)).connect() as con:
        rows = con.execute(
            "select checkpoint, problem, problem_id, score from evaluation_scores order by all"
        ).fetchall()
    assert rows == [
        ("ckpt-a", "p00001", "p00001", 7),
        ("ckpt-a", "p00002", "p00002", 8),
        ("ckpt-b", "p00001", "p00001", 7),
        ("ckpt-b", "p00002", "p00002", 8),
    ]


def test_a_problem_that_does_not_exist_fails_and_says_so(quirky_settings, instance):
    defs = build_defs(quirky_settings)
    instance.add_dynamic_partitions(PROBLEMS, ["p00042"])
    result = _run(defs, instance, INGEST, partition_key="p00042")
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "p00042: problem p00042 has no metadata CSV, no source files and no test cases" in message
    assert instance.get_materialized_partitions(dg.AssetKey("submissions")) == set()
    with Catalog(Warehouse(quirky_settings.warehouse)).connect() as con:
        reasons = {
            r[0] for r in con.execute("select reason from ingest_rejects where problem_id = 'p00042'").fetchall()
        }
    assert "no metadata CSV for this problem" in reasons


def test_runtime_test_set_is_the_distinct_inputs_within_pies_tests_list(quirky):
    root, extra = quirky
    layout = CodeNetLayout(str(root))
    tests, _ = collect_test_cases(layout, "p00001", str(extra))
    # 1 2 arrives twice (page sample 1 and derived input.txt): one row stands for both.
    by_id = dict(zip(tests["test_id"], tests["runtime_test_id"], strict=True))
    assert by_id == {
        "html_sample_1": "codenet_derived_0",
        "html_sample_2": "html_sample_2",
        "codenet_derived_0": "codenet_derived_0",
        "extra_dir_0": "extra_dir_0",
    }

    # PIE's `tests` field restricts the set to the listed extra tests.
    for n, (inp, out) in enumerate([("1 2\n", "3\n"), ("5 6\n", "11\n"), ("9 9\n", "18\n")]):
        (extra / "p00001" / f"input.{n}.txt").write_text(inp)
        (extra / "p00001" / f"output.{n}.txt").write_text(out)
    (extra / "p00001" / "tests.json").write_text(json.dumps([0, 2, 7]))
    tests, rejects = collect_test_cases(layout, "p00001", str(extra))
    by_id = dict(zip(tests["test_id"], tests["runtime_test_id"], strict=True))
    assert by_id == {
        "html_sample_1": "extra_dir_0",
        "html_sample_2": None,
        "codenet_derived_0": "extra_dir_0",
        "extra_dir_0": "extra_dir_0",
        "extra_dir_1": None,
        "extra_dir_2": "extra_dir_2",
    }
    assert any("lists test 7" in r.reason for r in rejects)


@pytest.mark.parametrize("listing", ['{"tests": [0]}', "[0, true]", "not json"])
def test_an_unusable_tests_list_is_a_reject_and_uses_every_test(quirky, listing):
    root, extra = quirky
    (extra / "p00001" / "tests.json").write_text(listing)
    tests, rejects = collect_test_cases(CodeNetLayout(str(root)), "p00001", str(extra))
    assert tests["runtime_test_id"].null_count() == 0
    assert [r.action for r in rejects if "tests.json" in r.path] == ["file_rejected"]
