"""SQL models as Dagster assets.

A model is computed and tested before anything is published: its result is staged (a `table`
model's Parquet file in a temp file, a `view` model's query as a temporary view), its tests run
against the staged result, and only when no `error` test fails does it become the catalog's
`<name>` (the file renamed into `<warehouse>/<name>.parquet`, or the view registered). A failing
`error` test is a failed blocking check: the last good version stays, and downstream models of
the run do not run. A failing `warn` test is reported and the model is published.

The models' interface to the project is small: the `lake` resource (anything with the warehouse
and its catalog, `Lake`) and the config they are rendered with (`ModelConfig`, which the dataset
config is), passed in by `pie_assets.defs.sql_models`; nothing here imports `pie_assets.defs`.
"""

import os
import re
from collections.abc import Generator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import dagster as dg
import duckdb
import polars as pl

from dbt_like.models import SqlModel, load_models, sql_literal
from pie_assets.lake.catalog import Catalog
from pie_assets.lake.storage import Warehouse
from pie_assets.table_metadata import PREVIEW_ROWS, table_metadata

GROUP = "sql_models"
LAKE = "lake"  # the resource key of the warehouse the models read and write


class Lake(Protocol):
    """What a model needs of the `lake` resource: the warehouse and its DuckDB catalog."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def store(self) -> Warehouse: ...


class ModelConfig(Protocol):
    """What the models are rendered and computed with (the dataset config): `var()` values, DuckDB
    settings, and where the config is and its hash, recorded with each materialisation."""

    @property
    def vars(self) -> Mapping[str, Any]: ...

    @property
    def duckdb(self) -> Mapping[str, str | int | float | bool]: ...

    @property
    def path(self) -> Path | str: ...

    @property
    def hash(self) -> str: ...


def follows_inputs(label: str, optional: dg.AssetSelection | None = None) -> dg.AutomationCondition:
    """Refresh after any input was updated (or the code changed), once every input but the
    `optional` ones has some data to bind to, and not while an input or the asset is in progress.
    Not eager(): its ~any_deps_missing() maps an unpartitioned asset onto every partition of a
    per-problem table, so one failed problem would block it for good; here a table counts as
    present once any of its partitions is."""
    have_data = dg.AutomationCondition.all_deps_match(
        ~dg.AutomationCondition.missing() | dg.AutomationCondition.will_be_requested()
    )
    if optional is not None:
        have_data = have_data.ignore(optional)
    # Unparameterised: since_last_handled() is typed for AutomationCondition[AssetKey | AssetCheckKey], and
    # the type parameter is invariant, so an AutomationCondition[AssetKey] would not do.
    updated: dg.AutomationCondition = (
        dg.AutomationCondition.any_deps_updated() | dg.AutomationCondition.code_version_changed()
    )
    return (
        updated.since_last_handled()
        & have_data.with_label("all_deps_have_data")
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label(label)


MODEL_AUTOMATION = follows_inputs("sql_model")


@dataclass(frozen=True)
class Evaluation:
    rows: int
    head: pl.DataFrame
    data_version: str
    failing: dict[str, int]  # test name -> rows breaking it


def _staged_name(model: SqlModel) -> str:
    return f"__staged_{model.name}"


def _evaluate(con: duckdb.DuckDBPyConnection, model: SqlModel) -> Evaluation:
    """Counts, first rows, a content version and every test, on the staged result. The version is
    the sum of DuckDB's row hashes: the same rows in any order give the same version."""
    staged = _staged_name(model)
    rows, digest = con.execute(f'select count(*), coalesce(sum(hash(t)), 0) from "{staged}" t').fetchall()[0]
    head = con.execute(f'select * from "{staged}" limit {PREVIEW_ROWS}').pl()
    failing = {test.name: con.execute(test.failing_rows_sql(staged)).fetchall()[0][0] for test in model.tests}
    return Evaluation(rows, head, f"{rows}-{digest}", failing)


def _bind_error(model: SqlModel, err: duckdb.Error) -> ValueError:
    """Names the input to materialise first when the error is a table the warehouse lacks."""
    absent = isinstance(err, duckdb.CatalogException) and re.search(r"Table with name (\w+) does not exist", str(err))
    hint = f" (its input {absent.group(1)} is not in the warehouse: materialise it first)" if absent else ""
    return ValueError(f"SQL model {model.name!r} does not bind{hint}: {err}")


def _apply_settings(con: duckdb.DuckDBPyConnection, settings: Mapping[str, str | int | float | bool] | None) -> None:
    """[duckdb] of the dataset config (memory_limit: DuckDB spills past it; threads) on the
    connection a model is computed and tested on: how it is computed, never what."""
    for name, value in (settings or {}).items():
        con.execute(f"set {name} = {sql_literal(value)}")


def _stage_table(
    lake: Lake, model: SqlModel, settings: Mapping[str, str | int | float | bool] | None = None
) -> Generator[Evaluation, None, None]:
    """Yields the evaluation of the staged file; the file is published when the caller returns
    normally to this generator, and discarded when it raises into it."""
    with lake.store.table_file(model.name) as tmp, lake.catalog.connect() as con:
        _apply_settings(con, settings)
        quoted = tmp.replace("'", "''")
        try:
            con.execute(f"copy ({model.sql}) to '{quoted}' (format parquet, compression lz4)")
        except duckdb.Error as err:
            raise _bind_error(model, err) from err
        con.execute(f"create temp view \"{_staged_name(model)}\" as select * from read_parquet('{quoted}')")
        yield _evaluate(con, model)
    lake.catalog.publish_table(model.name)


def _stage_view(
    lake: Lake, model: SqlModel, settings: Mapping[str, str | int | float | bool] | None = None
) -> Generator[Evaluation, None, None]:
    with lake.catalog.connect() as con:
        _apply_settings(con, settings)
        try:
            con.execute(f'create temp view "{_staged_name(model)}" as {model.sql}')
        except duckdb.Error as err:
            raise _bind_error(model, err) from err
        evaluation = _evaluate(con, model)
    yield evaluation
    lake.catalog.register_model(model.name, model.sql)
    if lake.store.local:  # a model that was a table before: its old file would shadow nothing, but mislead
        stale = lake.store.root / f"{model.name}.parquet"
        if stale.exists():
            os.unlink(stale.path)


class _Blocked(Exception):
    pass


def _column_schema(model: SqlModel) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.data_type or "unknown", description=c.description or None) for c in model.columns
        ]
    )


def _model_asset(model: SqlModel, config: ModelConfig) -> dg.AssetsDefinition:
    descriptions = {c.name: c.description for c in model.columns if c.description}
    by_name = {test.name: test for test in model.tests}

    @dg.asset(
        name=model.name,
        deps=[dg.AssetKey(dep) for dep in model.deps],
        group_name=GROUP,
        kinds={"duckdb", "sql", "parquet"} if model.materialized == "table" else {"duckdb", "sql"},
        description=model.error or model.description or None,
        code_version=model.code_version,
        automation_condition=MODEL_AUTOMATION,
        required_resource_keys={LAKE},
        check_specs=[
            dg.AssetCheckSpec(test.name, asset=model.name, description=test.description, blocking=test.blocking)
            for test in model.tests
        ],
        metadata={
            "sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```"),
            "materialized": model.materialized,
            **({"dagster/column_schema": _column_schema(model)} if model.columns else {}),
        },
    )
    def _asset(context: dg.AssetExecutionContext):
        lake: Lake = getattr(context.resources, LAKE)
        if model.error:
            raise dg.Failure(description=f"SQL model {model.name!r} cannot be read: {model.error}")
        stage = (_stage_table if model.materialized == "table" else _stage_view)(lake, model, config.duckdb)
        evaluation = next(stage)
        blocked = sorted(name for name, count in evaluation.failing.items() if count and by_name[name].blocking)
        if blocked:
            with suppress(_Blocked):
                stage.throw(_Blocked())
        else:
            next(stage, None)
            metadata = table_metadata(evaluation.head, rows=evaluation.rows, descriptions=descriptions)
            metadata["dataset_config"] = dg.MetadataValue.text(f"{config.path} ({config.hash})")
            metadata["vars"] = dg.MetadataValue.json(dict(model.vars_used))
            if model.materialized == "table":
                metadata["path"] = dg.MetadataValue.path(str(lake.store.root / f"{model.name}.parquet"))
            yield dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(evaluation.data_version))
        for name, count in evaluation.failing.items():
            test = by_name[name]
            yield dg.AssetCheckResult(
                check_name=name,
                passed=count == 0,
                metadata={"failing_rows": count},
                severity=dg.AssetCheckSeverity.ERROR if test.blocking else dg.AssetCheckSeverity.WARN,
            )
        if blocked:
            counts = ", ".join(f"{name} ({evaluation.failing[name]} rows)" for name in blocked)
            raise dg.Failure(
                description=f"SQL model {model.name!r} not published: blocking tests failed: {counts}; "
                "the previous version stays and downstream models do not run"
            )

    return _asset


def build_sql_assets(directory: Path | None, config: ModelConfig) -> list[dg.AssetsDefinition]:
    """One asset per model of `directory` (None: `$PIE_SQL_DIR` or `sql/`), unreadable ones
    included, with `var()` from `config`."""
    return [_model_asset(model, config) for model in load_models(directory, config.vars)]
