"""SQL models from sql/ as parsed: lineage from the parse tree, each test's check description."""

from __future__ import annotations

import dagster as dg
import pytest

from dbt_like.assets import build_sql_assets
from dbt_like.models import load_models, referenced_tables
from pie_assets.dataset.config import DatasetConfig


def test_lineage_comes_from_the_sql():
    models = {m.name: m for m in load_models(None, DatasetConfig.load().vars)}
    assert models["problem_summary"].deps == ("problems", "submissions", "test_cases")
    assert {t.name for t in models["problem_summary"].tests} >= {"problem_id_unique", "problem_id_not_null"}
    assert referenced_tables("with x as (select * from a) select * from x join b using (k)") == ("a", "b")
    assert referenced_tables("select * from t where k in (select k from main.u)") == ("t", "u")
    # Table functions, values lists and file paths read no lake table.
    for sql in (
        "select * from range(10)",
        "select * from read_parquet('x.parquet')",
        "select * from 'data/*.parquet'",
        "select * from unnest([1, 2]) u(x)",
        "select * from (values (1), (2)) v(x)",
        "select * from generate_series(1, 3)",
    ):
        assert referenced_tables(sql) == (), sql
    assert referenced_tables("select * from read_csv('a.csv', header = true) r join t using (k)") == ("t",)
    with pytest.raises(ValueError, match="cannot parse"):
        referenced_tables("select from where")
    with pytest.raises(ValueError, match="one query"):
        referenced_tables("select 1; select 2")


def test_every_model_check_says_what_it_checks():
    (summary,) = [a for a in build_sql_assets(None, DatasetConfig.load()) if a.key == dg.AssetKey("problem_summary")]
    descriptions = {spec.name: spec.description for spec in summary.check_specs}
    assert descriptions["problem_id_unique"] == "No two rows share a `problem_id`."
    assert descriptions["accepted_within_submissions"] == "Every row satisfies `n_accepted <= n_submissions`."
    assert all(spec.blocking for spec in summary.check_specs)  # severity error, the default
    assert all(descriptions.values())
