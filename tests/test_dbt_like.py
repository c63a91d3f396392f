"""SQL models from sql/: lineage from the parse tree, views in the catalog, tests as asset checks."""

from __future__ import annotations

import dagster as dg
import pytest

from dbt_like.assets import build_sql_assets
from dbt_like.models import load_models, referenced_tables
from pie_assets.definitions import build_defs
from pie_assets.defs.partitions import PROBLEMS
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runs import partition_range_tags


def test_lineage_comes_from_the_sql():
    models = {m.name: m for m in load_models()}
    assert models["problem_summary"].deps == ("problems", "submissions", "test_cases")
    assert {t.name for t in models["problem_summary"].tests} >= {"problem_id_unique", "problem_id_not_null"}
    assert referenced_tables("with x as (select * from a) select * from x join b using (k)") == ("a", "b")
    with pytest.raises(ValueError, match="cannot parse"):
        referenced_tables("select from where")


def _ingest(settings, instance):
    defs = build_defs(settings)
    instance.add_dynamic_partitions(PROBLEMS, ["p00001", "p00003", "p00004"])
    assets, resources = list(defs.assets), dict(defs.resources)
    dg.materialize(assets, instance=instance, resources=resources, selection=["problems"])
    dg.materialize(assets, instance=instance, resources=resources, tags=partition_range_tags("p00001", "p00004"),
                   selection=["submissions", "test_cases", "ingest_rejects"])
    return resources


def test_model_materializes_as_a_catalog_view_with_passing_checks(quirky_settings, instance):
    resources = _ingest(quirky_settings, instance)
    result = dg.materialize(build_sql_assets(), instance=instance, resources=resources)
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"problem_id_not_null": True, "problem_id_unique": True, "n_submissions_not_null": True,
                      "accepted_within_submissions": True}
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
    (sql / "by_user.yml").write_text("columns:\n  user_id: [not_null]\n")  # s000000009 has no user_id
    (sql / "top_user.sql").write_text("select * from by_user order by n desc limit 1")
    result = dg.materialize(build_sql_assets(sql), instance=instance, resources=resources)
    assert [(c.check_name, c.passed) for c in result.get_asset_check_evaluations()] == [("user_id_not_null", False)]
    with Catalog(Warehouse(quirky_settings.warehouse)).connect() as con:
        assert con.execute("select n from top_user").fetchone()[0] == 3  # u000000001: 2 in p00001, 1 in p00003

    (sql / "broken.sql").write_text("select no_such_column from submissions")
    broken = [a for a in build_sql_assets(sql) if a.key == dg.AssetKey("broken")]
    failed = dg.materialize(broken, instance=instance, resources=resources, raise_on_error=False)
    error = failed.get_step_failure_events()[0].step_failure_data.error
    message = error.cause.message if error.cause else error.message
    assert "SQL model 'broken' does not bind" in message and "no_such_column" in message
    with Catalog(Warehouse(quirky_settings.warehouse)).connect() as con:  # the catalog is intact
        assert con.execute("select count(*) from top_user").fetchone()[0] == 1
