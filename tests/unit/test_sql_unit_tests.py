"""Row-level unit tests of the SQL models (dbt's `unit_tests`, in each model's YAML), each run on
its given rows in an in-memory DuckDB; and the runner itself: a wrong model fails with the rows
that differ, a missing or unread input and a malformed entry fail naming what to give."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbt_like.models import DEFAULT_SQL_DIR
from dbt_like.unit_tests import UnitTestFailure, load_unit_tests, run_unit_test
from pie_assets.dataset.config import DatasetConfig

VARIABLES = DatasetConfig.load().vars
UNIT_TESTS = load_unit_tests(DEFAULT_SQL_DIR, VARIABLES)


def test_the_models_that_hold_the_rules_have_unit_tests():
    tested = {t.model for t in UNIT_TESTS}
    assert tested >= {
        "trajectory_pairs",
        "hq_pairs",
        "tier_labels",
        "problem_splits",
        "leaderboard",
        "rrtf_rankings",
        "program_test_links",
    }


@pytest.mark.parametrize("unit_test", UNIT_TESTS, ids=lambda t: t.id)
def test_sql_model_unit_test(unit_test):
    run_unit_test(unit_test, DEFAULT_SQL_DIR, VARIABLES)


MODEL = "select problem_id, count(*) as n, max(cost) as top from runs where cost > {{ var('floor') }} group by all"


def _write(directory: Path, unit_tests: str, sql: str = MODEL) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "per_problem.sql").write_text(sql)
    (directory / "per_problem.yml").write_text(
        "version: 2\nmodels:\n  - name: per_problem\n    description: d\n" + unit_tests
    )
    return directory


GIVEN = """
    given:
      - input: ref('runs')
        rows:
          - {problem_id: p1, cost: 1.0}
          - {problem_id: p1, cost: 3.0}
          - {problem_id: p2, cost: 2.0}
"""


def _one(directory: Path, body: str):
    (test,) = load_unit_tests(_write(directory, body), {"floor": 0})
    return test


def test_a_passing_test_with_a_var_override(tmp_path):
    test = _one(
        tmp_path / "sql",
        "unit_tests:\n  - name: t\n    model: per_problem\n    overrides: {vars: {floor: 1.5}}"
        + GIVEN
        + "    expect:\n      rows: [{problem_id: p1, n: 1, top: 3.0}, {problem_id: p2, n: 1, top: 2.0}]\n",
    )
    run_unit_test(test, tmp_path / "sql", {"floor": 0})


def test_a_wrong_result_names_the_rows_that_differ(tmp_path):
    test = _one(
        tmp_path / "sql",
        "unit_tests:\n  - name: t\n    model: per_problem"
        + GIVEN
        + "    expect:\n      rows: [{problem_id: p1, n: 2}, {problem_id: p2, n: 1}, {problem_id: p2, n: 1}]\n",
    )
    with pytest.raises(UnitTestFailure) as failure:
        run_unit_test(test, tmp_path / "sql", {"floor": 0})
    assert str(failure.value) == (
        "unit test per_problem::t: 2 rows, 3 expected (compared on problem_id, n)\n"
        "  expected, not produced:\n    {'problem_id': 'p2', 'n': 1}"
    )


def test_inputs_must_be_exactly_what_the_model_reads(tmp_path):
    sql = tmp_path / "sql"
    test = _one(sql, "unit_tests:\n  - name: t\n    model: per_problem\n    given: []\n    expect: {rows: []}\n")
    with pytest.raises(UnitTestFailure, match=r"the model reads \['runs'\]; given \[\]; give \['runs'\]$"):
        run_unit_test(test, sql, {"floor": 0})
    extra = GIVEN + "      - {input: \"source('lake', 'other')\", rows: [{x: 1}]}\n"
    test = _one(sql, "unit_tests:\n  - name: t\n    model: per_problem" + extra + "    expect: {rows: []}\n")
    with pytest.raises(UnitTestFailure, match=r"given \['other', 'runs'\]; not read: \['other'\]$"):
        run_unit_test(test, sql, {"floor": 0})


def test_an_expected_column_the_model_lacks_and_a_failing_query_are_clear(tmp_path):
    sql = tmp_path / "sql"
    test = _one(sql, "unit_tests:\n  - name: t\n    model: per_problem" + GIVEN + "    expect: {rows: [{nope: 1}]}\n")
    with pytest.raises(UnitTestFailure, match=r"expect names columns the model does not give: \['nope'\]"):
        run_unit_test(test, sql, {"floor": 0})
    given = "\n    given:\n      - {input: \"ref('runs')\", rows: [{problem_id: p1}]}\n"
    test = _one(sql, "unit_tests:\n  - name: t\n    model: per_problem" + given + "    expect: {rows: []}\n")
    with pytest.raises(UnitTestFailure, match=r"^unit test per_problem::t: BinderException: .*cost"):
        run_unit_test(test, sql, {"floor": 0})


@pytest.mark.parametrize(
    "body, message",
    [
        ("  - name: t\n    model: other\n    expect: {rows: []}\n", "`model` must be 'per_problem'"),
        ("  - name: t\n    model: per_problem\n", "`expect` (the rows the model gives) is missing"),
        (
            "  - name: t\n    model: per_problem\n    given: [{input: runs, rows: []}]\n    expect: {rows: []}\n",
            "each `given` has an `input: ref('name')`",
        ),
        (
            "  - name: t\n    model: per_problem\n    expect: {format: csv, rows: 'a\\n1'}\n",
            "format must be one of dict, sql, not 'csv'",
        ),
        ("  - name: t\n    model: per_problem\n    expect: {rows: [1, 2]}\n", "`rows` is a list of mappings"),
        (
            "  - {name: t, model: per_problem, expect: {rows: []}}\n" * 2,
            "two unit tests share a name: ['t', 't']",
        ),
    ],
)
def test_malformed_unit_tests_name_the_file_the_test_and_what_to_give(tmp_path, body, message):
    directory = _write(tmp_path / "sql", "unit_tests:\n" + body)
    with pytest.raises(ValueError) as err:
        load_unit_tests(directory, {"floor": 0})
    assert str(err.value).startswith(f"{directory / 'per_problem.yml'}: ") and message in str(err.value)
