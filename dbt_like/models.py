"""Reading `sql/`: one model per `<name>.sql`, its properties in `<name>.yml` beside it, dbt's shape.

The SQL is a Jinja template, as in dbt: `{{ var('name') }}` is a value of the dataset config's
`[vars]` and `{{ ref('model') }}` names a table or model. The rendered SQL is what runs, what the
lineage is parsed from and what the code version hashes, so a changed value makes the models that
use it stale, and only them.

The YAML is a dbt properties file for that one model:

    version: 2
    models:
      - name: <name>
        description: ...
        config: {materialized: view | table}
        columns:
          - name: <column>
            description: ...
            data_type: <DuckDB type>
            data_tests: [not_null, unique, {accepted_values: {arguments: {values: [...]}}},
                         {relationships: {arguments: {to: "ref('other')", field: <column>}}}]
        data_tests:
          - expression_is_true: {arguments: {expression: "<SQL true on every row>"}, config: {severity: warn}}
          - unique_combination_of_columns: {arguments: {combination_of_columns: [a, b]}}

`expression_is_true` and `unique_combination_of_columns` are dbt_utils' tests of those names.

Test arguments may also sit directly under the test name (dbt before 1.10). `severity` is
`error` (the default: a blocking check) or `warn`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import sqlglot
import yaml
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from pie_assets.versions import digest

DEFAULT_SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
MATERIALIZATIONS = ("view", "table")
SEVERITIES = ("error", "warn")
# A lake table is an asset, so its name is a Dagster name; a quoted file path read by DuckDB's
# replacement scan (`from 'x.parquet'`) parses as a table too, and is not one.
TABLE_NAME = re.compile(r"^[A-Za-z0-9_]+$")
REF = re.compile(r"""^\s*ref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)\s*$""")
RELATION = "{relation}"  # where a test's SQL names the relation under test


@dataclass(frozen=True)
class ModelTest:
    name: str
    sql: str  # returns one number, the rows that break the test (0 = pass); RELATION marks the model
    description: str
    severity: str = "error"

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    def failing_rows_sql(self, relation: str) -> str:
        return self.sql.replace(RELATION, f'"{relation}"')


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    description: str = ""
    data_type: str | None = None


@dataclass(frozen=True)
class SqlModel:
    name: str
    sql: str  # rendered
    deps: tuple[str, ...]  # tables and models the SQL reads, from its parse tree
    description: str = ""
    materialized: str = "view"
    columns: tuple[ColumnDoc, ...] = ()
    tests: tuple[ModelTest, ...] = field(default_factory=tuple)
    vars_used: Mapping[str, Any] = field(default_factory=dict)
    # Why the model could not be read ("<path>: <reason>"); it still becomes an asset, which fails
    # with this, so one bad file never keeps the code location from loading.
    error: str | None = None

    @property
    def code_version(self) -> str:
        """What the model computes: its rendered SQL (var values included) and how it is stored."""
        return digest(f"{self.materialized}\n{self.sql}")


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
        if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier) and TABLE_NAME.match(source.name)
    }
    return tuple(sorted(tables))


def _parse_error(err: sqlglot.errors.SqlglotError) -> str:
    """sqlglot's first error without the terminal underlining its message carries."""
    details = getattr(err, "errors", None)
    if not details:
        return str(err)
    first = details[0]
    return f"{first['description']} (line {first['line']}, column {first['col']})"


def template_functions(variables: Mapping[str, Any], used: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a template calls: `var(name[, default])`, a value of `variables` (recorded in `used`),
    and `ref(name)`, the relation's quoted name. sqlfluff renders `sql/` with these too
    (`dbt_like/jinja_context`), so what it lints is what runs."""
    used = {} if used is None else used

    def var(name: str, *default: Any) -> Any:
        if name in variables:
            used[name] = variables[name]
        elif default:
            used[name] = default[0]
        else:
            raise ValueError(f"var({name!r}) is not set in the dataset config's [vars]")
        return used[name]

    return {"var": var, "ref": lambda name: f'"{name}"'}


def render(template: str, variables: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The template (a model's SQL or YAML) with `var()` and `ref()` filled in, and the vars it used."""
    used: dict[str, Any] = {}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
    try:
        text = env.from_string(template).render(**template_functions(variables, used))
    except jinja2.TemplateError as err:
        raise ValueError(f"cannot render the template: {err}") from err
    return text, used


# ---- tests ------------------------------------------------------------------------------------


def sql_literal(value: Any) -> str:
    """A Python value as a DuckDB literal (test arguments, connection settings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _ref_target(value: str) -> str:
    match = REF.match(value)
    name = match.group(1) if match else value.strip()
    if not TABLE_NAME.match(name):
        raise ValueError(f"relationships: `to` must be ref('name') or a table name, not {value!r}")
    return name


def _column_test(kind: str, column: str | None, args: dict[str, Any]) -> tuple[str, str]:
    """(failing-rows SQL, description) of one generic test."""
    col = f'"{column}"' if column else None
    if kind == "not_null":
        return f"select count(*) from {RELATION} where {col} is null", f"No row has a null `{column}`."
    if kind == "unique":
        return (
            f"select count(*) from (select {col} from {RELATION} where {col} is not null group by 1 "
            f"having count(*) > 1)",
            f"No two rows share a `{column}`.",
        )
    if kind == "accepted_values":
        values = args.get("values")
        if not isinstance(values, list) or not values:
            raise ValueError(f"accepted_values on {column} needs a non-empty `values` list")
        listed = ", ".join(sql_literal(v) for v in values)
        return (
            f"select count(*) from {RELATION} where {col} is not null and {col} not in ({listed})",
            f"`{column}` is one of {', '.join(map(str, values))}.",
        )
    if kind == "relationships":
        target, target_col = _ref_target(str(args.get("to", ""))), args.get("field")
        if not target_col:
            raise ValueError(f"relationships on {column} needs `to` and `field`")
        return (
            f"select count(*) from {RELATION} c where c.{col} is not null and not exists "
            f'(select 1 from "{target}" p where p."{target_col}" = c.{col})',
            f"Every `{column}` is a `{target_col}` of `{target}`.",
        )
    if kind == "expression_is_true":
        expression = args.get("expression")
        if not expression:
            raise ValueError("expression_is_true needs an `expression`")
        expression = f"{col} {expression}" if col else expression
        return (f"select count(*) from {RELATION} where not ({expression})", f"Every row satisfies `{expression}`.")
    if kind == "unique_combination_of_columns":
        combination = args.get("combination_of_columns")
        if not isinstance(combination, list) or not combination:
            raise ValueError("unique_combination_of_columns needs a `combination_of_columns` list")
        cols = ", ".join(f'"{c}"' for c in combination)
        return (
            f"select count(*) from (select {cols} from {RELATION} group by all having count(*) > 1)",
            f"No two rows share ({', '.join(combination)}).",
        )
    known = "not_null, unique, accepted_values, relationships, expression_is_true, unique_combination_of_columns"
    raise ValueError(f"unknown test {kind!r}" + (f" on {column}" if column else "") + f" (known: {known})")


def _tests(entries: list[Any] | None, column: str | None) -> list[ModelTest]:
    tests = []
    spec: dict[str, Any]
    for entry in entries or []:
        if isinstance(entry, str):
            kind, spec = entry, {}
        elif isinstance(entry, dict) and len(entry) == 1:
            kind, spec = next(iter(entry.items()))
            spec = spec or {}
        else:
            raise ValueError(f"a test is a name or a one-key mapping, not {entry!r}")
        config = spec.get("config") or {}
        args = spec.get("arguments") or {k: v for k, v in spec.items() if k not in ("config", "arguments", "name")}
        severity = str(config.get("severity", spec.get("severity", "error"))).lower()
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be error or warn, not {severity!r}")
        sql, description = _column_test(kind, column, args)
        name = config.get("name") or spec.get("name") or (f"{column}_{kind}" if column else kind)
        tests.append(ModelTest(str(name), sql, str(config.get("description") or description), severity))
    return tests


def _unique_names(tests: list[ModelTest]) -> tuple[ModelTest, ...]:
    """Two tests of one kind on one model (say two expressions) get numbered names."""
    counts: dict[str, int] = {}
    named = []
    for test in tests:
        counts[test.name] = counts.get(test.name, 0) + 1
        seen = counts[test.name]
        named.append(test if seen == 1 else ModelTest(f"{test.name}_{seen}", test.sql, test.description, test.severity))
    return tuple(named)


# ---- loading ----------------------------------------------------------------------------------


def _properties(name: str, spec_path: Path, variables: Mapping[str, Any]) -> dict[str, Any]:
    """This model's entry of its properties file ({} when there is none); var() works there too,
    but does not enter the code version (tests do not change the data)."""
    if not spec_path.exists():
        return {}
    document = yaml.safe_load(render(spec_path.read_text(), variables)[0]) or {}
    models = document.get("models")
    if not isinstance(models, list):
        raise ValueError("a properties file holds `version: 2` and a `models:` list")
    entries = [m for m in models if isinstance(m, dict) and m.get("name") == name]
    if len(entries) != 1 or len(models) != 1:
        raise ValueError(f"the `models:` list must hold exactly one entry, named {name!r}")
    return entries[0]


def load_model(path: Path, variables: Mapping[str, Any]) -> SqlModel:
    """`path` and the `.yml` beside it as a model; one that cannot be read comes back with its
    error (naming the file at fault) set, and no deps or tests."""
    name = path.stem
    try:
        sql, used = render(path.read_text(), variables)
        sql = sql.strip().rstrip(";")
        deps = referenced_tables(sql)
    except ValueError as err:
        return SqlModel(name, path.read_text(), (), error=f"{path}: {err}")
    spec_path = path.with_suffix(".yml")
    try:
        spec = _properties(name, spec_path, variables)
        materialized = (spec.get("config") or {}).get("materialized", "view")
        if materialized not in MATERIALIZATIONS:
            raise ValueError(f"materialized must be view or table, not {materialized!r}")
        columns, tests = [], []
        for column in spec.get("columns") or []:
            columns.append(ColumnDoc(column["name"], column.get("description", ""), column.get("data_type")))
            tests += _tests(column.get("data_tests") or column.get("tests"), column["name"])
        tests += _tests(spec.get("data_tests") or spec.get("tests"), None)
        return SqlModel(
            name, sql, deps, spec.get("description", ""), materialized, tuple(columns), _unique_names(tests), used
        )
    except (ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError) as err:
        return SqlModel(name, sql, (), error=f"{spec_path}: {type(err).__name__}: {err}")


def load_models(directory: Path | None, variables: Mapping[str, Any]) -> list[SqlModel]:
    """Every model of `directory` (None: `$PIE_SQL_DIR` or `sql/`), with `variables` for var()
    (the dataset config's [vars])."""
    return [load_model(path, variables) for path in sorted((directory or sql_dir()).glob("*.sql"))]
