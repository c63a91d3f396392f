"""Reading `sql/`: one model per `<name>.sql`, its tests in `<name>.yml` beside it."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

DEFAULT_SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
COLUMN_TESTS = {
    "not_null": 'select count(*) from "{model}" where "{column}" is null',
    "unique": 'select count(*) from (select "{column}" from "{model}" group by 1 having count(*) > 1)',
}
COLUMN_TEST_DESCRIPTIONS = {
    "not_null": "No row has a null `{column}`.",
    "unique": "No two rows share a `{column}`.",
}
# A lake table is an asset, so its name is a Dagster name; a quoted file path read by DuckDB's
# replacement scan (`from 'x.parquet'`) parses as a table too, and is not one.
TABLE_NAME = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class ModelTest:
    name: str
    failing_rows_sql: str  # returns one number: the rows that break the test (0 = pass)
    description: str


@dataclass(frozen=True)
class SqlModel:
    name: str
    sql: str
    deps: tuple[str, ...]  # tables and models the SQL reads, from its parse tree
    description: str = ""
    tests: tuple[ModelTest, ...] = field(default_factory=tuple)
    # Why the model could not be read ("<path>: <reason>"); it still becomes an asset, which fails
    # with this, so one bad file never keeps the code location from loading.
    error: str | None = None

    @property
    def code_version(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]


def sql_dir() -> Path:
    return Path(os.environ.get("PIE_SQL_DIR") or DEFAULT_SQL_DIR)


def referenced_tables(sql: str) -> tuple[str, ...]:
    """Named tables a query reads, parsed as DuckDB SQL: the sources of its scopes, so CTEs are
    not tables, and table functions (`range`, `read_parquet`, `unnest`), values lists and file
    paths are not either."""
    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.SqlglotError as err:
        raise ValueError(f"cannot parse SQL: {_parse_error(err)}") from err
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ValueError("cannot parse SQL: a model is one query (select ...)")
    tree = statements[0]
    tables = {
        source.name
        for scope in traverse_scope(tree)
        for source in scope.sources.values()
        if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier)
        and TABLE_NAME.match(source.name)
    }
    return tuple(sorted(tables))


def _parse_error(err: sqlglot.errors.SqlglotError) -> str:
    """sqlglot's first error without the terminal underlining its message carries."""
    details = getattr(err, "errors", None)
    if not details:
        return str(err)
    first = details[0]
    return f"{first['description']} (line {first['line']}, column {first['col']})"


def _tests(model: str, spec: dict) -> tuple[ModelTest, ...]:
    tests = []
    for column, names in (spec.get("columns") or {}).items():
        for test in names:
            if test not in COLUMN_TESTS:
                raise ValueError(f"unknown test {test!r} on {column} (known: {', '.join(COLUMN_TESTS)})")
            tests.append(ModelTest(f"{column}_{test}", COLUMN_TESTS[test].format(model=model, column=column),
                                   COLUMN_TEST_DESCRIPTIONS[test].format(column=column)))
    for test in spec.get("tests") or []:
        tests.append(ModelTest(test["name"], f'select count(*) from "{model}" where not ({test["condition"]})',
                               test.get("description") or f"Every row satisfies `{test['condition']}`."))
    return tuple(tests)


def load_model(path: Path) -> SqlModel:
    """`path` and the `.yml` beside it as a model; one that cannot be read comes back with its
    error (naming the file at fault) set, and no deps or tests."""
    name = path.stem
    sql = path.read_text().strip().rstrip(";")
    try:
        deps = referenced_tables(sql)
    except ValueError as err:
        return SqlModel(name, sql, (), error=f"{path}: {err}")
    spec_path = path.with_suffix(".yml")
    try:
        spec = (yaml.safe_load(spec_path.read_text()) if spec_path.exists() else None) or {}
        return SqlModel(name, sql, deps, spec.get("description", ""), _tests(name, spec))
    except (ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError) as err:
        return SqlModel(name, sql, (), error=f"{spec_path}: {type(err).__name__}: {err}")


def load_models(directory: Path | None = None) -> list[SqlModel]:
    return [load_model(path) for path in sorted((directory or sql_dir()).glob("*.sql"))]
