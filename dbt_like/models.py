"""Reading `sql/`: one model per `<name>.sql`, its tests in `<name>.yml` beside it."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
import yaml
from sqlglot import exp

DEFAULT_SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
COLUMN_TESTS = {
    "not_null": 'select count(*) from "{model}" where "{column}" is null',
    "unique": 'select count(*) from (select "{column}" from "{model}" group by 1 having count(*) > 1)',
}


@dataclass(frozen=True)
class ModelTest:
    name: str
    failing_rows_sql: str  # returns one number: the rows that break the test (0 = pass)


@dataclass(frozen=True)
class SqlModel:
    name: str
    sql: str
    deps: tuple[str, ...]  # tables and models the SQL reads, from its parse tree
    description: str = ""
    tests: tuple[ModelTest, ...] = field(default_factory=tuple)

    @property
    def code_version(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]


def sql_dir() -> Path:
    return Path(os.environ.get("PIE_SQL_DIR") or DEFAULT_SQL_DIR)


def referenced_tables(sql: str) -> tuple[str, ...]:
    """Tables a query reads (CTE names excluded), by parsing it as DuckDB SQL."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as err:
        raise ValueError(f"cannot parse SQL: {err}") from err
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return tuple(sorted({t.name for t in tree.find_all(exp.Table)} - ctes))


def _tests(model: str, spec: dict) -> tuple[ModelTest, ...]:
    tests = []
    for column, names in (spec.get("columns") or {}).items():
        for test in names:
            if test not in COLUMN_TESTS:
                raise ValueError(f"{model}.yml: unknown test {test!r} on {column} (known: {', '.join(COLUMN_TESTS)})")
            tests.append(ModelTest(f"{column}_{test}", COLUMN_TESTS[test].format(model=model, column=column)))
    for test in spec.get("tests") or []:
        tests.append(ModelTest(test["name"], f'select count(*) from "{model}" where not ({test["condition"]})'))
    return tuple(tests)


def load_models(directory: Path | None = None) -> list[SqlModel]:
    directory = directory or sql_dir()
    models = []
    for path in sorted(directory.glob("*.sql")):
        name = path.stem
        sql = path.read_text().strip().rstrip(";")
        spec_path = path.with_suffix(".yml")
        spec = yaml.safe_load(spec_path.read_text()) if spec_path.exists() else {}
        try:
            deps = referenced_tables(sql)
            tests = _tests(name, spec or {})
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from err
        models.append(SqlModel(name, sql, deps, (spec or {}).get("description", ""), tests))
    return models
