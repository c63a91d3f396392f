"""SQL models from sql/ in Dagster: views in the catalog, tests as asset checks, automation."""

from __future__ import annotations

import dagster as dg
import duckdb
import polars as pl
import pytest
from dagster._core.definitions.asset_daemon_cursor import AssetDaemonCursor

from dbt_like.assets import build_sql_assets
from dbt_like.models import load_models
from pie_assets.code_location import build_defs
from pie_assets.dataset.codedpo import SCORES_SCHEMA
from pie_assets.dataset.config import DatasetConfig
from pie_assets.dataset.pie_import import PIE_PAIRS_SCHEMA
from pie_assets.defs.codenet.tables import CODENET_TABLES
from pie_assets.defs.evaluation.tables import EVALUATION_TABLES
from pie_assets.defs.runtime.tables import RUNTIME_TABLES
from pie_assets.defs.shared.partitions import PROBLEMS
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runner import run_pipeline
from pie_assets.runs import partition_range_tags


def test_an_unreadable_model_loads_and_fails_alone(quirky_settings, instance, tmp_path, monkeypatch):
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "garbled.sql").write_text("select from where")
    (sql / "bad_spec.sql").write_text("select * from submissions")
    (sql / "bad_spec.yml").write_text(
        "version: 2\nmodels:\n  - name: bad_spec\n    columns:\n"
        "      - name: submission_id\n        data_tests: [sorted]\n"
    )
    (sql / "good.sql").write_text("select count(*) n from submissions")
    monkeypatch.setenv("PIE_SQL_DIR", str(sql))
    defs = build_defs(quirky_settings)
    dg.Definitions.validate_loadable(defs)  # the code location still loads
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("garbled")).parent_keys == set()
    assert graph.get(dg.AssetKey("good")).parent_keys == {dg.AssetKey("submissions")}

    resources = _ingest(quirky_settings, instance)
    result = dg.materialize(
        build_sql_assets(sql, DatasetConfig.load()), instance=instance, resources=resources, raise_on_error=False
    )
    failures = {e.step_key: e.step_failure_data.error.message for e in result.get_step_failure_events()}
    assert set(failures) == {"garbled", "bad_spec"}
    assert f"{sql / 'garbled.sql'}: cannot parse SQL: Expected table name" in failures["garbled"]
    assert f"{sql / 'bad_spec.yml'}: ValueError: unknown test 'sorted' on submission_id" in failures["bad_spec"]
    assert instance.get_latest_materialization_event(dg.AssetKey("good")) is not None


def test_pie_run_orders_models_by_lineage_and_reports_causes(quirky_settings, instance, tmp_path, monkeypatch):
    """`a_top` reads `z_base`: alphabetical order would run it first and fail; the graph's order does not."""
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "z_base.sql").write_text("select problem_id, count(*) n from submissions group by 1")
    (sql / "a_top.sql").write_text("select * from z_base order by n desc limit 1")
    (sql / "broken.sql").write_text("select no_such_column from submissions")
    (sql / "garbled.sql").write_text("select from where")
    monkeypatch.setenv("PIE_SQL_DIR", str(sql))
    outcome = run_pipeline(
        quirky_settings, instance, problems=["p00001", "p00003"], selection="group:codenet or group:sql_models"
    )
    assert instance.get_latest_materialization_event(dg.AssetKey("a_top")) is not None
    with Catalog(Warehouse(quirky_settings.warehouse)).connect() as con:
        assert con.execute("select problem_id, n from a_top").fetchall() == [("p00001", 5)]
    # One line per failure, with the error itself rather than Dagster's "error in step" wrapper.
    failed = dict(line.split(": ", 1) for line in outcome.failed_steps)
    assert set(failed) == {"broken", "garbled"} and all("\n" not in line for line in outcome.failed_steps)
    assert failed["broken"].startswith("ValueError: SQL model 'broken' does not bind: Binder Error")
    assert "no_such_column" in failed["broken"]
    assert failed["garbled"].startswith(f"SQL model 'garbled' cannot be read: {sql / 'garbled.sql'}: cannot parse SQL")


def _ingest(settings, instance):
    defs = build_defs(settings)
    instance.add_dynamic_partitions(PROBLEMS, ["p00001", "p00003", "p00004"])
    assets, resources = list(defs.assets), dict(defs.resources)
    dg.materialize(assets, instance=instance, resources=resources, selection=["problems"])
    dg.materialize(
        assets,
        instance=instance,
        resources=resources,
        tags=partition_range_tags("p00001", "p00004"),
        selection=["submissions", "test_cases", "ingest_rejects", "problem_statements"],
    )
    return resources


def test_model_materializes_as_a_catalog_view_with_passing_checks(quirky_settings, instance):
    resources = _ingest(quirky_settings, instance)
    result = dg.materialize(
        build_sql_assets(None, DatasetConfig.load()),
        instance=instance,
        resources=resources,
        selection=["problem_summary"],
    )
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        "problem_id_not_null": True,
        "problem_id_unique": True,
        "n_submissions_not_null": True,
        "accepted_within_submissions": True,
    }
    with Catalog(Warehouse(quirky_settings.warehouse)).connect() as con:
        rows = dict(con.execute("select problem_id, n_submissions from problem_summary").fetchall())
    assert rows == {"p00001": 5, "p00002": 0, "p00003": 1}
    # The model survives later catalog rebuilds (a new table appearing).
    Catalog(Warehouse(quirky_settings.warehouse)).rebuild()
    with Catalog(Warehouse(quirky_settings.warehouse)).connect() as con:
        assert con.execute("select count(*) from problem_summary").fetchone()[0] == 3


def test_failing_tests_broken_models_and_models_on_models(quirky_settings, instance, tmp_path):
    resources = _ingest(quirky_settings, instance)
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "by_user.sql").write_text("select user_id, count(*) n from submissions group by 1")
    (sql / "by_user.yml").write_text(  # s000000009 has no user_id; a warning, so the model is published
        "version: 2\nmodels:\n  - name: by_user\n    columns:\n      - name: user_id\n"
        "        data_tests: [{not_null: {config: {severity: warn}}}]\n"
    )
    (sql / "top_user.sql").write_text("select * from by_user order by n desc limit 1")
    result = dg.materialize(build_sql_assets(sql, DatasetConfig.load()), instance=instance, resources=resources)
    assert [(c.check_name, c.passed) for c in result.get_asset_check_evaluations()] == [("user_id_not_null", False)]
    with Catalog(Warehouse(quirky_settings.warehouse)).connect() as con:
        assert con.execute("select n from top_user").fetchone()[0] == 3  # u000000001: 2 in p00001, 1 in p00003

    (sql / "broken.sql").write_text("select no_such_column from submissions")
    broken = [a for a in build_sql_assets(sql, DatasetConfig.load()) if a.key == dg.AssetKey("broken")]
    failed = dg.materialize(broken, instance=instance, resources=resources, raise_on_error=False)
    error = failed.get_step_failure_events()[0].step_failure_data.error
    message = error.cause.message if error.cause else error.message
    assert "SQL model 'broken' does not bind" in message and "no_such_column" in message
    with Catalog(Warehouse(quirky_settings.warehouse)).connect() as con:  # the catalog is intact
        assert con.execute("select count(*) from top_user").fetchone()[0] == 1


def _requested(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: AssetDaemonCursor | None = None
) -> tuple[set[str | None], AssetDaemonCursor]:
    """One automation tick: problem_summary's requested partitions (None: the unpartitioned model)."""
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    return set(result.get_requested_partitions(dg.AssetKey("problem_summary"))), result.cursor


def test_ingesting_a_partition_refreshes_the_models_despite_a_failed_problem(quirky_settings, instance):
    """A failed problem (p00002: malformed metadata) never gets its submissions partition; the
    model still refreshes, with its checks, when other partitions land, which eager() would not do."""
    defs = build_defs(quirky_settings)
    assets, resources = list(defs.assets), dict(defs.resources)
    eager = dg.Definitions(
        resources=resources,
        assets=[
            a.map_asset_specs(lambda spec: spec.replace_attributes(automation_condition=dg.AutomationCondition.eager()))
            if isinstance(a, dg.AssetsDefinition) and a.keys == {dg.AssetKey("problem_summary")}
            else a
            for a in assets
        ],
    )
    instance.add_dynamic_partitions(PROBLEMS, ["p00001", "p00002", "p00003"])
    dg.materialize(assets, instance=instance, resources=resources, selection=["problems", "problem_list_rejects"])
    _, cursor = _requested(defs, instance)  # the sensor's first tick: its baseline
    _, eager_cursor = _requested(eager, instance)

    ingest = ["submissions", "test_cases", "ingest_rejects", "problem_statements"]
    dg.materialize(
        assets,
        instance=instance,
        resources=resources,
        tags=partition_range_tags("p00001", "p00003"),
        selection=ingest,
        raise_on_error=False,
    )
    assert instance.get_materialized_partitions(dg.AssetKey("submissions")) == {"p00001", "p00003"}
    requested, cursor = _requested(defs, instance, cursor)
    assert requested == {None}
    assert _requested(eager, instance, eager_cursor)[0] == set()  # eager waits for p00002 forever

    summary = dg.materialize(assets, instance=instance, resources=resources, selection=["problem_summary"])
    assert summary.success and len(summary.get_asset_check_evaluations()) == 4  # as the sensor's run does
    requested, cursor = _requested(defs, instance, cursor)
    assert requested == set()  # nothing changed since
    dg.materialize(assets, instance=instance, resources=resources, partition_key="p00003", selection=ingest)
    requested, cursor = _requested(defs, instance, cursor)
    assert requested == {None}


def _input_schemas() -> dict[str, dict[str, pl.DataType]]:
    """Every table a model of sql/ can read that no model makes, with the schema it has in the lake."""
    return {
        **{name: doc.schema for name, doc in (CODENET_TABLES | RUNTIME_TABLES | EVALUATION_TABLES).items()},
        "codedpo_scores": SCORES_SCHEMA,
        "pie_pairs": PIE_PAIRS_SCHEMA,
    }


@pytest.mark.parametrize(
    "overrides",
    [{}, {"eval_pairs_from": "pie", "split_from_pie_pairs": True}],
    ids=["default_vars", "pie_pairs_vars"],
)
def test_every_models_yaml_lists_exactly_the_columns_its_sql_selects(overrides):
    """Every model of sql/ created as a view over empty inputs of the lake's schemas, in lineage
    order: DuckDB's `describe` of each is its YAML's columns, in order, with their data types, and
    every column is described."""
    models = load_models(None, {**DatasetConfig.load().vars, **overrides})
    con = duckdb.connect()
    for name, schema in _input_schemas().items():
        con.register(f"__{name}", pl.DataFrame(schema=schema))
        con.execute(f'create view "{name}" as select * from "__{name}"')
    pending = {model.name: model for model in models}
    while pending:
        ready = [m for m in pending.values() if not set(m.deps) & set(pending)]
        assert ready, f"a cycle among {sorted(pending)}"
        for model in ready:
            con.execute(f'create view "{model.name}" as {model.sql}')
            del pending[model.name]
    described = {
        m.name: [(name, kind) for name, kind, *_ in con.execute(f'describe "{m.name}"').fetchall()] for m in models
    }
    documented = {m.name: [(c.name, c.data_type) for c in m.columns] for m in models}
    assert described == documented
    assert {m.name: [c.name for c in m.columns if not c.description.strip()] for m in models} == {
        m.name: [] for m in models
    }
