"""The PIE dataset models of sql/ on a hand-built lake with known answers, and the dbt-like
layer's table materialisation, tests, severities and var()s."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from support.model_runs import materialize_on, rows

from dbt_like.assets import build_sql_assets
from dbt_like.models import load_models
from pie_assets.codenet.ingest import SUBMISSIONS_SCHEMA
from pie_assets.codenet.problem_list import PROBLEMS_SCHEMA
from pie_assets.dataset.config import DatasetConfig
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.runtime.annotate import SUBMISSION_RUNTIME_SCHEMA

PIE_MODELS = ["trajectories", "trajectory_pairs", "problem_splits", "hq_pairs", "fastest_human", "tier_labels"]
T0 = datetime(2020, 1, 1)
# (submission, problem, user, minutes after T0, CodeNet status, all_pass here, agg_cost, lines of code)
PROGRAMS = [
    ("s1", "pA", "u1", 10, "Accepted", True, 100.0, 3),
    ("s2", "pA", "u1", 20, "Accepted", True, 50.0, 3),
    ("s5", "pA", "u1", 25, "Wrong Answer", False, None, 3),  # not correct: no trajectory place
    ("s3", "pA", "u1", 30, "Accepted", True, 80.0, 3),  # a regression after s2
    ("s4", "pA", "u1", 40, "Accepted", True, 40.0, 5),
    ("s6", "pA", "u1", 50, "Accepted", False, None, 3),  # Accepted by CodeNet, fails a test here
    ("s7", "pA", "u2", 10, "Accepted", True, 100.0, 3),
    ("s8", "pA", "u2", 20, "Accepted", True, 95.0, 3),  # only 5% faster
    ("s9", "pA", "u3", 100, "Accepted", True, 40.0, 3),  # ties s4's cost, submitted later
    ("s10", "pB", "u1", 10, "Accepted", True, 7.0, 3),  # the problem's only correct program
]


def _write_lake(root: Path, programs=PROGRAMS) -> None:
    warehouse = Warehouse(str(root))
    subs, runtimes = [], []
    for sid, pid, uid, minutes, status, all_pass, cost, lines in programs:
        code = "\n".join(f"line {i} of {sid}" for i in range(lines)) + "\n"
        subs.append(
            {
                **dict.fromkeys(SUBMISSIONS_SCHEMA),
                "submission_id": sid,
                "problem_id": pid,
                "user_id": uid,
                "submitted_at": T0 + timedelta(minutes=minutes),
                "language": "C++",
                "status": status,
                "code": code,
                "code_encoding": "utf-8",
                "code_sha256": sid,
            }
        )
        runtimes.append(
            {
                **dict.fromkeys(SUBMISSION_RUNTIME_SCHEMA),
                "submission_id": sid,
                "problem_id": pid,
                "backend": "cachegrind",
                "config_hash": "c0",
                "status": "OK" if all_pass else "WA",
                "all_pass": all_pass,
                "n_tests": 2,
                "n_passed": 2 if all_pass else 1,
                "agg_cost": cost,
                "agg_instructions": int(cost) if cost else None,
            }
        )
    for pid in sorted({p[1] for p in programs}):
        warehouse.write_partition(
            "submissions",
            pid,
            pl.DataFrame([s for s in subs if s["problem_id"] == pid], schema=SUBMISSIONS_SCHEMA, orient="row"),
        )
        warehouse.write_partition(
            "submission_runtimes",
            pid,
            pl.DataFrame(
                [r for r in runtimes if r["problem_id"] == pid], schema=SUBMISSION_RUNTIME_SCHEMA, orient="row"
            ),
        )
    problems = [
        {**dict.fromkeys(PROBLEMS_SCHEMA), "problem_id": pid, "name": pid, "dataset": "AIZU"}
        for pid in ("pA", "pB", "pC")
    ]  # pC: a problem without programs still gets a split
    (root / "problems.parquet").parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(problems, schema=PROBLEMS_SCHEMA, orient="row").write_parquet(root / "problems.parquet")
    Catalog(warehouse).rebuild()


def _config(**overrides) -> DatasetConfig:
    config = DatasetConfig.load()
    return dataclasses.replace(config, vars={**config.vars, **overrides})


def _build(
    root: Path,
    config: DatasetConfig | None = None,
    sql_dir: Path | None = None,
    selection: list[str] | None = PIE_MODELS,
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    return materialize_on(root, build_sql_assets(sql_dir, config or DatasetConfig.load()), selection, raise_on_error)


@pytest.fixture
def lake(tmp_path) -> Path:
    root = tmp_path / "warehouse"
    _write_lake(root)
    return root


def test_the_yaml_documents_every_column_a_model_selects(lake):
    """What the UI describes is what the model holds: the YAML lists every column, in order."""
    assert _build(lake).success
    documented = {model.name: [c.name for c in model.columns] for model in load_models(None, DatasetConfig.load().vars)}
    actual = {name: [row[0] for row in rows(lake, f"describe {name}")] for name in PIE_MODELS}
    assert actual == {name: documented[name] for name in PIE_MODELS}


def test_models_give_the_known_answers(lake):
    result = _build(lake)
    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())

    assert rows(
        lake,
        "select user_id, submission_id, position, trajectory_length from trajectories "
        "where problem_id = 'pA' order by user_id, position",
    ) == [
        ("u1", "s1", 1, 4),
        ("u1", "s2", 2, 4),
        ("u1", "s3", 3, 4),
        ("u1", "s4", 4, 4),
        ("u2", "s7", 1, 2),
        ("u2", "s8", 2, 2),
        ("u3", "s9", 1, 1),
    ]
    # u1's regression s2 -> s3 gives no pair; u2's 5% gives none; s5 (WA) and s6 (fails here) are in none.
    pairs = rows(lake, "select src_id, tgt_id, speedup, improvement from trajectory_pairs order by all")
    assert [(s, t) for s, t, *_ in pairs] == [("s1", "s2"), ("s1", "s3"), ("s1", "s4"), ("s2", "s4"), ("s3", "s4")]
    assert {(s, t): (round(sp, 6), round(im, 6)) for s, t, sp, im in pairs}[("s1", "s4")] == (2.5, 0.6)
    code = rows(lake, "select src_code, tgt_code from trajectory_pairs where src_id = 's1' and tgt_id = 's4'")[0]
    assert code == ("line 0 of s1\nline 1 of s1\nline 2 of s1\n", "\n".join(f"line {i} of s4" for i in range(5)) + "\n")

    # HQ: the top 4 speedups of pA (2.5, then the tie 2.0 by src_id, then the tie 1.25 by src_id).
    assert rows(lake, "select src_id, tgt_id, hq_rank from hq_pairs order by hq_rank") == [
        ("s1", "s4", 1),
        ("s1", "s2", 2),
        ("s3", "s4", 3),
        ("s1", "s3", 4),
    ]
    # Fastest: s4 and s9 tie at 40; s4 was submitted first. pB's only program is its fastest.
    assert rows(lake, "select problem_id, submission_id, agg_cost, n_correct from fastest_human order by 1") == [
        ("pA", "s4", 40.0, 7),
        ("pB", "s10", 7.0, 1),
    ]
    # Tiers over pA's 7 correct programs: ties share rank and tier; monotone in cost; pB's single one gets 10.
    tiers = dict(
        (
            (sid, (tier, round(reward, 6)))
            for sid, tier, reward in rows(lake, "select submission_id, tier, reward from tier_labels")
        )
    )
    assert tiers == {
        "s4": (10, 1.0),
        "s9": (10, 1.0),
        "s2": (8, 0.8),
        "s3": (6, 0.5),
        "s8": (5, round(40 / 95, 6)),
        "s1": (3, 0.4),
        "s7": (3, 0.4),
        "s10": (10, 1.0),
    }
    splits = dict(rows(lake, "select problem_id, split from problem_splits"))
    assert set(splits) == {"pA", "pB", "pC"} and set(splits.values()) <= {"train", "val", "test"}


def test_every_model_records_rows_schema_preview_and_vars(lake):
    result = _build(lake)
    pairs = result.asset_materializations_for_node("trajectory_pairs")[0].metadata
    assert pairs["dagster/row_count"].value == 5 and len(pairs["preview"].value.records) == 5
    columns = {c.name: c for c in pairs["dagster/column_schema"].value.columns}
    assert columns["speedup"].description == "src_agg_cost / tgt_agg_cost" and columns["speedup"].type == "Float64"
    assert pairs["vars"].value["min_improvement"] == 0.1 and pairs["path"].value.endswith("trajectory_pairs.parquet")
    (spec,) = [
        s
        for a in build_sql_assets(None, DatasetConfig.load())
        for s in a.specs
        if s.key == dg.AssetKey("trajectory_pairs")
    ]
    assert {c.name for c in spec.metadata["dagster/column_schema"].columns} >= {"src_id", "tgt_code", "improvement"}
    assert (lake / "trajectory_pairs.parquet").is_file()  # a table model is a Parquet file of the lake
    assert "trajectory_pairs" in Warehouse(str(lake)).tables()


def test_vars_switch_filters_and_change_only_the_models_that_use_them(lake):
    default = {a.key.path[-1]: a.code_versions_by_key[a.key] for a in build_sql_assets(None, DatasetConfig.load())}
    looser = _config(min_improvement=0.04, filter_max_lines=True, max_lines=4)
    changed = {a.key.path[-1]: a.code_versions_by_key[a.key] for a in build_sql_assets(None, looser)}
    assert changed["trajectory_pairs"] != default["trajectory_pairs"]
    assert changed["tier_labels"] == default["tier_labels"] and changed["trajectories"] == default["trajectories"]
    _build(lake, looser)
    # s8 now pairs with s7 (5% > 4%); every pair with s4 (5 lines) is gone.
    assert rows(lake, "select src_id, tgt_id from trajectory_pairs order by all") == [
        ("s1", "s2"),
        ("s1", "s3"),
        ("s7", "s8"),
    ]
    _build(lake, _config(filter_min_improvement=False))
    assert rows(lake, "select count(*) from trajectory_pairs")[0][0] == 6 + 1  # every i < j of u1 and u2


def test_splits_are_seeded_disjoint_and_overridable(lake, tmp_path):
    _build(lake)
    first = rows(lake, "select problem_id, split, split_draw from problem_splits order by 1")
    _build(lake)
    assert rows(lake, "select problem_id, split, split_draw from problem_splits order by 1") == first
    _build(lake, _config(split_seed=7))
    assert [r[2] for r in rows(lake, "select * from problem_splits order by 1")] != [r[2] for r in first]
    overrides = tmp_path / "split.csv"
    overrides.write_text("problem_id,split\npA,test\n")
    _build(lake, _config(split_file=str(overrides), split_test_ratio=0.0, split_val_ratio=0.0))
    assert rows(lake, "select problem_id, split, split_source from problem_splits order by 1") == [
        ("pA", "test", "file"),
        ("pB", "train", "seed"),
        ("pC", "train", "seed"),
    ]


def _private_models(tmp_path: Path, severity: str) -> Path:
    sql = tmp_path / f"sql_{severity}"
    sql.mkdir()
    (sql / "costs.sql").write_text("select submission_id, status, agg_cost from submission_runtimes")
    (sql / "costs.yml").write_text(f"""version: 2
models:
  - name: costs
    config: {{materialized: table}}
    columns:
      - name: status
        data_tests:
          - accepted_values:
              arguments: {{values: [OK]}}
              config: {{severity: {severity}}}
      - name: submission_id
        data_tests:
          - relationships:
              arguments: {{to: "ref('submissions')", field: submission_id}}
""")
    (sql / "cheapest.sql").write_text("select min(agg_cost) c from {{ ref('costs') }}")
    return sql


def test_a_failing_error_test_blocks_downstream_and_keeps_the_last_good_table(lake, tmp_path):
    sql = _private_models(tmp_path, "error")
    good = [p for p in PROGRAMS if p[4] == "Accepted" and p[5]]
    _write_lake(lake, good)  # only OK rows: every test passes
    assert _build(lake, sql_dir=sql, selection=None).success
    assert rows(lake, "select count(*) from costs")[0][0] == len(good)

    _write_lake(lake)  # now WA rows: accepted_values fails
    result = _build(lake, sql_dir=sql, selection=None, raise_on_error=False)
    checks = {c.check_name: (c.passed, c.severity) for c in result.get_asset_check_evaluations()}
    assert checks == {
        "status_accepted_values": (False, dg.AssetCheckSeverity.ERROR),
        "submission_id_relationships": (True, dg.AssetCheckSeverity.ERROR),
    }
    (failure,) = result.get_step_failure_events()
    assert (
        failure.step_key == "costs"
        and "blocking tests failed: status_accepted_values (2 rows)" in failure.step_failure_data.error.message
    )
    assert not result.asset_materializations_for_node("cheapest")  # downstream did not run
    assert rows(lake, "select count(*) from costs")[0][0] == len(good)  # the last good version stays


def test_a_failing_warn_test_reports_and_publishes(lake, tmp_path):
    result = _build(lake, sql_dir=_private_models(tmp_path, "warn"), selection=None)
    checks = {c.check_name: (c.passed, c.severity) for c in result.get_asset_check_evaluations()}
    assert checks["status_accepted_values"] == (False, dg.AssetCheckSeverity.WARN)
    assert rows(lake, "select count(*) from costs")[0][0] == len(PROGRAMS)
    assert rows(lake, "select c from cheapest")[0][0] == 7.0


def test_a_view_model_switched_to_table_and_back(lake, tmp_path):
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "n.sql").write_text("select count(*) n from submissions")
    (sql / "n.yml").write_text("version: 2\nmodels:\n  - name: n\n    config: {materialized: table}\n")
    _build(lake, sql_dir=sql, selection=None)
    assert (lake / "n.parquet").exists() and rows(lake, "select n from n") == [(len(PROGRAMS),)]
    (sql / "n.yml").write_text("version: 2\nmodels:\n  - name: n\n    config: {materialized: view}\n")
    _build(lake, sql_dir=sql, selection=None)
    assert not (lake / "n.parquet").exists() and rows(lake, "select n from n") == [(len(PROGRAMS),)]


@pytest.mark.parametrize(
    "yml, error",
    [
        ("version: 2\nmodels:\n  - name: other\n", "exactly one entry, named 'm'"),
        (
            "version: 2\nmodels:\n  - name: m\n    config: {materialized: incremental}\n",
            "materialized must be view or table",
        ),
        (
            "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: a\n        data_tests:\n"
            "          - accepted_values: {arguments: {values: []}}\n",
            "needs a non-empty `values` list",
        ),
        (
            "version: 2\nmodels:\n  - name: m\n    data_tests:\n"
            "      - expression_is_true: {config: {severity: fatal}}\n",
            "severity must be error or warn",
        ),
    ],
)
def test_bad_properties_name_the_file(tmp_path, yml, error):
    from dbt_like.models import load_model

    (tmp_path / "m.sql").write_text("select 1 a")
    (tmp_path / "m.yml").write_text(yml)
    model = load_model(tmp_path / "m.sql", {})
    assert model.error and str(tmp_path / "m.yml") in model.error and error in model.error


def test_an_unknown_var_names_it(tmp_path):
    from dbt_like.models import load_model

    (tmp_path / "m.sql").write_text("select {{ var('nope') }} a")
    model = load_model(tmp_path / "m.sql", {})
    assert "var('nope') is not set" in model.error
    (tmp_path / "m.sql").write_text("select {{ var('nope', 3) }} a")
    assert load_model(tmp_path / "m.sql", {}).sql == "select 3 a"


def test_a_table_model_whose_columns_change_gets_a_new_view(lake, tmp_path):
    """Re-publishing a table with the same columns needs no catalog rebuild; new columns do."""
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "n.yml").write_text("version: 2\nmodels:\n  - name: n\n    config: {materialized: table}\n")
    (sql / "n.sql").write_text("select count(*) n from submissions")
    _build(lake, sql_dir=sql, selection=None)
    catalog = lake / "pie.duckdb"
    before = catalog.stat().st_mtime_ns
    _build(lake, sql_dir=sql, selection=None)
    assert catalog.stat().st_mtime_ns == before and rows(lake, "select n from n") == [(len(PROGRAMS),)]
    (sql / "n.sql").write_text("select count(*) n, count(distinct user_id) users from submissions")
    _build(lake, sql_dir=sql, selection=None)
    assert rows(lake, "select n, users from n") == [(len(PROGRAMS), 3)]
