"""Row-level unit tests of the SQL models, dbt's `unit_tests`: given rows in, expected rows out.

A model's properties file (`sql/<model>.yml`) may end with a `unit_tests:` list, in dbt's shape:

    unit_tests:
      - name: <test name, unique within the model>
        model: <the model of this file>
        description: ...                  # optional
        overrides: {vars: {name: value}}  # optional: var() values over the ones given to the runner
        given:
          - input: ref('<table or model>')   # or source('<any>', '<table>')
            rows:                             # format: dict (the default), one mapping per row
              - {column: value, ...}
          - input: ref('<other>')
            format: sql                       # or a query giving the rows, for types YAML cannot say
            rows: "select 1::integer as n"
        expect:
          rows: [{column: value, ...}]        # or format: sql with a query

Each test runs in its own in-memory DuckDB: every given input becomes a table named as the model's
SQL names it, then the model's SQL (rendered with the vars) runs against them. The model must read
only given inputs and every input must be read, so a typo fails at the test, not as a silent
empty table. A dict input's column types are what DuckDB infers from the values (integers BIGINT,
decimals DOUBLE, text VARCHAR, a column of nulls only INTEGER; `format: sql` gives other types); a column a row
leaves out is null there. Like dbt, only the columns `expect` names are compared; unlike dbt the
rows are compared as a multiset, so a duplicated row fails, and floats compare to 9 decimals.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml

from dbt_like.models import referenced_tables, render

INPUT = re.compile(
    r"""^\s*(?:ref\(\s*['"](?P<ref>[A-Za-z0-9_]+)['"]\s*\)"""
    r"""|source\(\s*['"][A-Za-z0-9_]+['"]\s*,\s*['"](?P<source>[A-Za-z0-9_]+)['"]\s*\))\s*$"""
)
FORMATS = ("dict", "sql")
FLOAT_DIGITS = 9


@dataclass(frozen=True)
class Rows:
    """Rows as the YAML gives them: a list of mappings (`dict`) or a query (`sql`)."""

    format: str
    rows: Any

    def create(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        if self.format == "sql":
            con.execute(f'create table "{table}" as {self.rows}')
            return
        columns = list(dict.fromkeys(name for row in self.rows for name in row))
        if not columns:
            raise ValueError(f"input {table!r} has no columns: give at least one row, or format: sql")
        values = [[row.get(name) for name in columns] for row in self.rows]
        selects = " union all ".join(
            "select " + ", ".join(f'${i * len(columns) + j + 1} as "{name}"' for j, name in enumerate(columns))
            for i in range(len(values))
        )
        con.execute(f'create table "{table}" as {selects}', [v for row in values for v in row])

    def fetch(self, con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        """The rows as mappings over every column any row names (null where a row leaves one out)."""
        if self.format == "sql":
            relation = con.sql(self.rows)
            return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
        columns = list(dict.fromkeys(name for row in self.rows for name in row))
        return [{name: row.get(name) for name in columns} for row in self.rows]


@dataclass(frozen=True)
class UnitTest:
    model: str
    name: str
    given: Mapping[str, Rows]  # table name as the SQL reads it -> its rows
    expect: Rows
    overrides: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def id(self) -> str:
        return f"{self.model}::{self.name}"


class UnitTestFailure(AssertionError):
    """A unit test whose model gave other rows than expected, or could not run; says which and why."""


def _rows(spec: Any, where: str) -> Rows:
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: a mapping with `rows` (and optionally `format`), not {spec!r}")
    fmt = spec.get("format", "dict")
    if fmt not in FORMATS:
        raise ValueError(f"{where}: format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    rows = spec.get("rows")
    if fmt == "sql" and not isinstance(rows, str):
        raise ValueError(f"{where}: format sql takes `rows` as one query")
    if fmt == "dict" and not (isinstance(rows, list) and all(isinstance(r, dict) for r in rows)):
        raise ValueError(f"{where}: `rows` is a list of mappings (column: value), one per row")
    return Rows(fmt, rows)


def _unit_test(entry: Any, model: str, where: str) -> UnitTest:
    if not isinstance(entry, dict) or not entry.get("name"):
        raise ValueError(f"{where}: each unit test is a mapping with a `name`")
    where = f"{where} {entry['name']!r}"
    if entry.get("model") != model:
        raise ValueError(f"{where}: `model` must be {model!r}, the model of this file, not {entry.get('model')!r}")
    given: dict[str, Rows] = {}
    for item in entry.get("given") or []:
        match = INPUT.match(str(item.get("input", ""))) if isinstance(item, dict) else None
        if not match:
            raise ValueError(f"{where}: each `given` has an `input: ref('name')` or `source('src', 'name')`")
        table = match.group("ref") or match.group("source")
        if table in given:
            raise ValueError(f"{where}: input {table!r} is given twice")
        given[table] = _rows(item, f"{where} input {table!r}")
    if "expect" not in entry:
        raise ValueError(f"{where}: `expect` (the rows the model gives) is missing")
    overrides = (entry.get("overrides") or {}).get("vars") or {}
    return UnitTest(
        model,
        str(entry["name"]),
        given,
        _rows(entry["expect"], f"{where} expect"),
        overrides,
        str(entry.get("description", "")),
    )


def load_unit_tests(directory: Path, variables: Mapping[str, Any]) -> list[UnitTest]:
    """Every unit test of the properties files of `directory` (`<model>.yml` beside `<model>.sql`);
    the file is a template as the models read it, so `variables` fill its var() calls."""
    tests: list[UnitTest] = []
    for path in sorted(directory.glob("*.sql")):
        spec = path.with_suffix(".yml")
        if not spec.exists():
            continue
        try:
            entries = (yaml.safe_load(render(spec.read_text(), variables)[0]) or {}).get("unit_tests") or []
        except yaml.YAMLError as err:
            raise ValueError(f"{spec}: not YAML: {err}") from err
        if not isinstance(entries, list):
            raise ValueError(f"{spec}: `unit_tests` is a list")
        loaded = [_unit_test(entry, path.stem, f"{spec}: unit test") for entry in entries]
        names = [t.name for t in loaded]
        if len(set(names)) != len(names):
            raise ValueError(f"{spec}: two unit tests share a name: {sorted(n for n in names if names.count(n) > 1)}")
        tests += loaded
    return tests


def _comparable(value: Any) -> Any:
    """A value that compares and hashes as its meaning: floats to FLOAT_DIGITS decimals, lists as tuples."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (float, Decimal)):
        number = float(value)
        return number if math.isnan(number) or math.isinf(number) else round(number, FLOAT_DIGITS) + 0.0
    if isinstance(value, (list, tuple)):
        return tuple(_comparable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _comparable(v)) for k, v in value.items()))
    return value


def _show(rows: Counter) -> str:
    return "\n".join(f"    {dict(row)}" + (f"  (x{n})" if n > 1 else "") for row, n in sorted(rows.items(), key=repr))


def run_unit_test(test: UnitTest, directory: Path, variables: Mapping[str, Any]) -> None:
    """Run `test` on the model `directory/<model>.sql`; raise UnitTestFailure with the rows that differ."""
    where = f"unit test {test.id}"
    sql, _ = render((directory / f"{test.model}.sql").read_text(), {**variables, **test.overrides})
    sql = sql.strip().rstrip(";")
    reads = set(referenced_tables(sql))
    if reads - set(test.given) or set(test.given) - reads:
        raise UnitTestFailure(
            f"{where}: the model reads {sorted(reads)}; given {sorted(test.given)}"
            + (f"; give {sorted(reads - set(test.given))}" if reads - set(test.given) else "")
            + (f"; not read: {sorted(set(test.given) - reads)}" if set(test.given) - reads else "")
        )
    with duckdb.connect(":memory:") as con:
        try:
            for table, rows in test.given.items():
                rows.create(con, table)
            relation = con.sql(sql)
            produced = [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
            expected = test.expect.fetch(con)
        except duckdb.Error as err:
            raise UnitTestFailure(f"{where}: {type(err).__name__}: {err}") from err
    columns = list(expected[0]) if expected else []
    unknown = [c for c in columns if c not in relation.columns]
    if unknown:
        raise UnitTestFailure(f"{where}: expect names columns the model does not give: {unknown}")
    got = Counter(tuple((c, _comparable(row[c])) for c in columns) for row in produced)
    want = Counter(tuple((c, _comparable(row[c])) for c in columns) for row in expected)
    if got != want:
        missing, extra = want - got, got - want
        raise UnitTestFailure(
            f"{where}: {sum(got.values())} rows, {sum(want.values())} expected "
            f"(compared on {', '.join(columns) or 'the row count'})"
            + (f"\n  expected, not produced:\n{_show(missing)}" if missing else "")
            + (f"\n  produced, not expected:\n{_show(extra)}" if extra else "")
        )
