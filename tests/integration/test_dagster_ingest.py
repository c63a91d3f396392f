"""The ingest graph through Dagster with a real instance: materialize, sensor, partition status."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
from dagster._core.definitions.automation_tick_evaluation_context import build_run_requests_with_backfill_policies
from dagster._core.definitions.events import AssetKeyPartitionKey
from dagster._core.definitions.partitions.context import partition_loading_context
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from pie_assets.code_location import build_defs
from pie_assets.defs.codenet.jobs import PROBLEM_LIST_KEYS
from pie_assets.defs.codenet.sensors import codenet_problem_sensor
from pie_assets.defs.shared.partitions import MAX_PARTITIONS_PER_RUN, PROBLEMS, partition_ranges
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runner import StageProgress, _failures, run_pipeline
from pie_assets.runs import partition_range_tags


def _materialize(settings, instance, keys):
    defs = build_defs(settings)
    assets, resources = list(defs.assets), dict(defs.resources)
    first = dg.materialize(
        assets, instance=instance, resources=resources, selection=["problems", "problem_list_rejects"]
    )
    assert first.success
    return dg.materialize(
        assets,
        instance=instance,
        resources=resources,
        selection=["submissions", "test_cases", "ingest_rejects", "problem_statements"],
        tags=partition_range_tags(keys[0], keys[-1]),
        raise_on_error=False,
    )


def test_one_ranged_run_lands_good_partitions_and_fails_only_the_bad_one(quirky_settings, instance):
    keys = ["p00001", "p00002", "p00003", "p00004"]
    instance.add_dynamic_partitions(PROBLEMS, keys)
    result = _materialize(quirky_settings, instance, keys)
    assert not result.success  # p00002's metadata CSV is malformed
    failure = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "1 of 4 partitions failed" in failure and "p00002: metadata/p00002.csv:1: header" in failure

    assert instance.get_materialized_partitions(dg.AssetKey("submissions")) == {"p00001", "p00003", "p00004"}
    assert instance.get_materialized_partitions(dg.AssetKey("ingest_rejects")) == set(keys)

    con = Catalog(Warehouse(quirky_settings.warehouse)).connect()
    assert con.execute("select count(*) from submissions").fetchone()[0] == 6
    assert con.execute("select count(*) from problems").fetchone()[0] == 3  # p00005 has too few fields
    row = con.execute("select path, line, action from ingest_rejects where problem_id = 'p00002'").fetchone()
    assert row == ("metadata/p00002.csv", 1, "file_rejected")
    # The problem list's own rejects (bad id, too few fields, duplicate, bad limit) have their table;
    # a problem missing from the list is its partition's reject.
    assert con.execute("select count(*) from problem_list_rejects").fetchone()[0] == 4
    not_listed = con.execute("select problem_id, action from ingest_rejects where path = 'metadata/problem_list.csv'")
    assert not_listed.fetchall() == [("p00004", "missing")]


def test_a_partition_whose_write_fails_fails_alone(quirky_settings, instance):
    """Partitions are written from the pool: a write error is that partition's failure."""
    keys = ["p00001", "p00003", "p00004"]
    instance.add_dynamic_partitions(PROBLEMS, keys)
    blocker = Warehouse(quirky_settings.warehouse).partition_path("submissions", "p00003")
    blocker.mkdir(parents=True)  # a directory where p00003's file must go: os.replace fails
    result = _materialize(quirky_settings, instance, keys)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "1 of 3 partitions failed" in failure and "p00003:" in failure and "directory" in failure.lower()
    assert instance.get_materialized_partitions(dg.AssetKey("submissions")) == {"p00001", "p00004"}
    assert not [p for p in blocker.parent.iterdir() if p.name.endswith(".tmp")]  # no temp file left behind


def test_materialized_tables_match_what_duckdb_reads(quirky_settings, instance):
    keys = ["p00001", "p00003"]
    instance.add_dynamic_partitions(PROBLEMS, keys)
    assert _materialize(quirky_settings, instance, keys).success
    # A plain DuckDB client, as docs/how-to/query.md tells it: the views name their files relative to the warehouse.
    con = duckdb.connect(str(Warehouse(quirky_settings.warehouse).root / "pie.duckdb"), read_only=True)
    con.execute(f"set file_search_path = '{quirky_settings.warehouse}'")
    views = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    assert views == {
        "problems",
        "problem_list_rejects",
        "submissions",
        "test_cases",
        "ingest_rejects",
        "problem_statements",
    }
    schema = dict(con.execute("describe submissions").fetchall()[i][:2] for i in range(16))
    assert schema["submitted_at"] == "TIMESTAMP WITH TIME ZONE" and schema["cpu_time_ms"] == "BIGINT"
    by_problem = dict(con.execute("select problem_id, count(*) from test_cases group by 1").fetchall())
    assert by_problem == {"p00001": 4}


def test_sensor_adds_partitions_and_requests_batched_ranged_runs(quirky_settings, instance):
    resources = {name: build_defs(quirky_settings).resources[name] for name in ("codenet", "lake")}
    context = dg.build_sensor_context(instance=instance, resources=resources)
    result = codenet_problem_sensor(context)
    # The sensor registers the new partitions itself, in one call, rather than asking the daemon to.
    assert result.dynamic_partitions_requests == []
    assert instance.get_dynamic_partitions(PROBLEMS) == ["p00001", "p00002", "p00003", "p00004"]
    ranged = [r for r in result.run_requests if r.partition_key_range]
    assert [(r.partition_key_range.start, r.partition_key_range.end) for r in ranged] == [("p00001", "p00004")]
    assert {k.to_user_string() for k in ranged[0].asset_selection} == {
        "submissions",
        "test_cases",
        "ingest_rejects",
        "problem_statements",
    }
    assert [r.asset_selection for r in result.run_requests if not r.partition_key_range] == [PROBLEM_LIST_KEYS]

    # Once the partitions exist and problem_list.csv is unchanged, the sensor requests nothing.
    again = codenet_problem_sensor(
        dg.build_sensor_context(instance=instance, resources=resources, cursor=result.cursor)
    )
    assert again.run_requests == [] and again.dynamic_partitions_requests == []
    assert instance.get_dynamic_partitions(PROBLEMS) == ["p00001", "p00002", "p00003", "p00004"]

    # A new problem appears: one partition added, one run for just it.
    (Path(quirky_settings.codenet_root) / "metadata" / "p00010.csv").write_text(
        "submission_id,problem_id,user_id,date,language,original_language,filename_ext,status,cpu_time,memory,code_size,accuracy\n"
    )
    third = codenet_problem_sensor(dg.build_sensor_context(instance=instance, resources=resources, cursor=again.cursor))
    assert instance.get_dynamic_partitions(PROBLEMS) == ["p00001", "p00002", "p00003", "p00004", "p00010"]
    assert [(r.partition_key_range.start, r.partition_key_range.end) for r in third.run_requests] == [
        ("p00010", "p00010")
    ]
    assert json.loads(third.cursor)["problem_list"] == json.loads(again.cursor)["problem_list"]


def test_sensor_run_request_executes_as_one_run(quirky_settings, instance):
    """The sensor's ranged RunRequest is runnable: its tags drive a single multi-partition run."""
    resources = {name: build_defs(quirky_settings).resources[name] for name in ("codenet", "lake")}
    result = codenet_problem_sensor(dg.build_sensor_context(instance=instance, resources=resources))
    request = next(r for r in result.run_requests if r.partition_key_range)
    defs = build_defs(quirky_settings)
    run = dg.materialize(
        list(defs.assets),
        instance=instance,
        resources=dict(defs.resources),
        selection=request.asset_selection,
        tags=request.tags,
        raise_on_error=False,
    )
    assert len(instance.get_runs()) == 1
    assert instance.get_materialized_partitions(dg.AssetKey("test_cases")) == {"p00001", "p00003", "p00004"}
    assert not run.success


def test_partition_ranges_cut_runs_as_dagsters_backfill_policy_does(quirky_settings, instance):
    """The sensors, `pie run` and the bench cut with partition_ranges; the backfills Dagster
    launches itself (UI, automation sensors) follow problem_backfill_policy: the same runs."""
    ordered = ["a", "b", "c", "d", "e", "f"]
    assert partition_ranges(ordered, {"a", "b", "d", "e", "f"}, 2) == [["a", "b"], ["d", "e"], ["f"]]
    assert partition_ranges(ordered, set()) == []

    keys = [f"p{i:05d}" for i in range(250)]
    instance.add_dynamic_partitions(PROBLEMS, keys)
    selected = set(keys) - {"p00007", "p00150"}
    graph = build_defs(quirky_settings).resolve_asset_graph()
    with partition_loading_context(dynamic_partitions_store=instance):
        requests = build_run_requests_with_backfill_policies(
            [AssetKeyPartitionKey(dg.AssetKey("submissions"), key) for key in selected], graph, instance
        )
    by_dagster = sorted(
        (r.tags[ASSET_PARTITION_RANGE_START_TAG], r.tags[ASSET_PARTITION_RANGE_END_TAG]) for r in requests
    )
    ours = [(chunk[0], chunk[-1]) for chunk in partition_ranges(keys, selected)]
    assert (
        by_dagster == ours == [("p00000", "p00006"), ("p00008", "p00107"), ("p00108", "p00149"), ("p00151", "p00249")]
    )
    assert max(map(len, partition_ranges(keys, selected))) == MAX_PARTITIONS_PER_RUN


def test_run_pipeline_subset_and_selection(quirky_settings, instance):
    outcome = run_pipeline(quirky_settings, instance, problems=["p00001", "p00003"], selection="submissions")
    assert outcome.failed_steps == [] and outcome.partitions == 2
    # can_subset=False: selecting one table of the per-problem asset materializes its siblings too.
    assert instance.get_materialized_partitions(dg.AssetKey("submissions")) == {"p00001", "p00003"}
    assert instance.get_materialized_partitions(dg.AssetKey("test_cases")) == {"p00001", "p00003"}
    assert instance.get_latest_materialization_event(dg.AssetKey("problems")) is None


def test_run_pipeline_reports_progress_per_named_stage(quirky_settings, instance):
    reports: list[StageProgress] = []
    outcome = run_pipeline(
        quirky_settings, instance, problems=["p00001", "p00003"], selection="group:codenet", on_progress=reports.append
    )
    assert outcome.failed_steps == []
    assert {r.stage for r in reports} == {"codenet_problem"}  # `problems` is one table: no bar
    assert reports[-1] == StageProgress("codenet_problem", 2, 2, "problem")
    assert all(0 <= r.done <= r.total == 2 for r in reports)


def test_the_runtime_stage_reports_programs_and_tests(quirky_settings, instance):
    """Finer than problems: the bar moves with every program, and ends at every test measured."""
    reports: list[StageProgress] = []
    outcome = run_pipeline(quirky_settings, instance, problems=["p00001", "p00003"], on_progress=reports.append)
    assert outcome.failed_steps == []
    runtime = [r for r in reports if r.stage == "problem_runtimes"]
    # p00001: 5 C++ programs (every status) x its 1 PIE test (the default set, auto, is PIE's tests
    # where a problem has some: extra input.0); p00003: 1 program x 0 tests (none).
    assert runtime[-1] == StageProgress("problem_runtimes", 5, 5, "test", "6/6 programs, 2/2 problems")
    # Until the run has planned its work the bar counts problems; from then on, tests.
    units = "".join("t" if r.unit == "test" else "p" for r in runtime)
    assert units.lstrip("p") == "t" * units.count("t") and all(0 <= r.done <= r.total for r in runtime)


def test_a_failed_step_is_one_line_with_its_exception_and_cause(instance):
    """Not Dagster's 'Error occurred while executing op': what the code raised, and why."""

    @dg.asset
    def reads_config() -> None:
        try:
            {}["simulator"]
        except KeyError as err:
            raise RuntimeError("cannot read the config") from err

    result = dg.materialize([reads_config], instance=instance, raise_on_error=False)
    assert _failures(result) == ["reads_config: RuntimeError: cannot read the config; caused by: KeyError: 'simulator'"]
