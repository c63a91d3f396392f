"""The DuckDB catalog: `<warehouse>/pie.duckdb`, one view per table over its Parquet files.

Writers never open the catalog file in place, so a user's duckdb CLI, `pie sql` or a notebook
can hold it open while runs write: views glob the Parquet files at query time (new partitions
appear without touching the catalog), and when a new table appears the catalog is rebuilt in a
temp file and renamed over the old one under a file lock. Parallel partitions therefore never
contend for DuckDB's single-writer lock. On S3 the rebuild is uploaded under a lock object
(`remote_lock.ObjectLock`), so concurrent writers on any machine publish one after another and
`pie.duckdb` and `_catalog.json` always name the same views: none is lost.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb
from filelock import FileLock

from pie_assets.lake.remote_lock import ObjectLock
from pie_assets.lake.storage import Warehouse

log = logging.getLogger(__name__)
CATALOG_FILE = "pie.duckdb"
MANIFEST_FILE = "_catalog.json"
LOCK_FILE = ".catalog.lock"
S3_PROTOCOLS = ("s3", "s3a")
# memory:// lives in one process, so a process-wide mutex serialises its rebuilds.
_MEMORY_LOCK = threading.Lock()


class WarehouseNotFound(RuntimeError):
    """Raised when a reader points at a warehouse that has no tables yet."""


def view_sql(name: str, location: str) -> str:
    """Hive partitioning turns the `<dim>=<key>` directories of multi-dimensional tables into
    columns; per-problem tables have none, so it adds nothing there."""
    quoted = location.replace("'", "''")
    return (
        f'CREATE OR REPLACE VIEW "{name}" AS '
        f"SELECT * FROM read_parquet('{quoted}', union_by_name = true, hive_partitioning = true)"
    )


def _create_views(con: duckdb.DuckDBPyConnection, tables: dict[str, str], models: dict[str, str],
                  required: frozenset[str] = frozenset()) -> None:
    """Table views, then model views (a model reading another one is retried after it).

    A model in `required` (being registered now) must bind, or this raises; an older model that
    no longer binds (say a column it reads is gone) is left out with a warning, so it can never
    block ingestion, and comes back once it binds again.
    """
    for name, location in tables.items():
        con.execute(view_sql(name, location))
    pending = dict(models)
    errors: dict[str, duckdb.Error] = {}
    while pending:
        errors = {}
        for name, sql in list(pending.items()):
            try:
                con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {sql}')
                del pending[name]
            except duckdb.Error as err:
                errors[name] = err
        if len(errors) == len(pending):
            break
    for name, err in errors.items():
        if name in required:
            raise ValueError(f"SQL model {name!r} does not bind: {err}")
        log.warning(f"SQL model {name!r} left out of the catalog, it does not bind: {err}")


def _write_views(db_path: str, tables: dict[str, str], models: dict[str, str],
                 required: frozenset[str], filesystem=None) -> None:
    """DuckDB binds a view when it is created, so a remote root's filesystem must be readable here."""
    con = duckdb.connect(db_path)
    try:
        if filesystem is not None:
            con.register_filesystem(filesystem)
        _create_views(con, tables, models, required)
    finally:
        con.close()


class Catalog:
    """Keeps `pie.duckdb` in step with the tables present in a warehouse."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._known: set[str] = set()
        self._mutex = threading.Lock()

    @property
    def path(self):
        return self.warehouse.root / CATALOG_FILE

    def _manifest(self) -> dict:
        """{"views": [table names], "models": {name: sql}} as last published."""
        path = self.warehouse.root / MANIFEST_FILE
        try:
            manifest = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            return {"views": [], "models": {}}
        return {"views": manifest.get("views", []), "models": manifest.get("models", {})}

    def ensure(self, table: str) -> None:
        """Make sure `table` has a view; cheap after the first call (a memo, then a JSON read)."""
        if table in self._known:
            return
        with self._mutex:
            if table not in self._manifest()["views"]:
                self.rebuild()
            self._known.add(table)

    def register_model(self, name: str, sql: str) -> None:
        """Publish a SQL model as a view (kept across rebuilds); its SQL must bind now."""
        self.rebuild({name: sql})

    def publish_table(self, name: str) -> None:
        """A model materialised as `<name>.parquet`: its view reads the file, and a view model
        of that name registered earlier is dropped. When the catalog already has that table's
        view with the new file's columns, the rename alone published it (a rebuild reads every
        table's file schemas: ~0.4 s at CodeNet scale, bench/dataset_models.py)."""
        manifest = self._manifest()
        if self.warehouse.local and name in manifest["views"] and name not in manifest["models"] \
                and os.path.exists(self.path.path) and self._columns_unchanged(name):
            return
        self.rebuild(dropped_models=frozenset({name}))

    def _columns_unchanged(self, name: str) -> bool:
        """DuckDB binds a view's columns when it is created: a file with other columns needs a new view."""
        quoted = (self.warehouse.root / f"{name}.parquet").path.replace("'", "''")
        with duckdb.connect(self.path.path, read_only=True) as con:
            view = con.execute("select column_name, data_type from duckdb_columns() where table_name = ? "
                               "order by column_index", [name]).fetchall()
            new = [(r[0], r[1]) for r in con.execute(f"describe select * from read_parquet('{quoted}')").fetchall()]
        return bool(view) and view == new

    @contextmanager
    def _rebuild_lock(self) -> Iterator[Callable[[], None]]:
        """Serialises rebuilds of this warehouse between threads, processes and (on S3) machines.
        Yields a fence to call before and after publishing: it raises if the lock was lost."""
        root = self.warehouse.root
        if self.warehouse.local:
            root.mkdir(parents=True, exist_ok=True)
            with FileLock(os.path.join(root.path, LOCK_FILE)):
                yield lambda: None
        elif root.protocol in S3_PROTOCOLS:
            with ObjectLock(root.fs, f"{root.path}/{LOCK_FILE}") as lock:
                yield lock.renew
        elif root.protocol == "memory":
            with _MEMORY_LOCK:
                yield lambda: None
        else:
            raise ValueError(f"warehouse {root}: the catalog can be published to a local directory, s3:// "
                             f"or memory://, not {root.protocol}:// (it has no lock there for concurrent writers)")

    def rebuild(self, new_models: dict[str, str] | None = None,
                dropped_models: frozenset[str] = frozenset()) -> list[str]:
        """Write a fresh catalog beside the old one and swap it in atomically: a view per table,
        then the registered SQL models. Tables are listed and models read under the lock, so
        a rebuild never publishes less than the one before it."""
        with self._rebuild_lock() as fence:
            tables = self.warehouse.tables()
            models = {name: sql for name, sql in {**self._manifest()["models"], **(new_models or {})}.items()
                      if name not in dropped_models}
            manifest = json.dumps({"views": sorted(tables), "models": models}, indent=1)
            if self.warehouse.local:
                root = self.warehouse.root.path
                staged = os.path.join(root, f".{CATALOG_FILE}.{uuid.uuid4().hex}.tmp")
                try:
                    _write_views(staged, tables, models, frozenset(new_models or ()))
                except ValueError:
                    os.unlink(staged)
                    raise
                os.replace(staged, self.path.path)
                staged_manifest = os.path.join(root, f".{MANIFEST_FILE}.{uuid.uuid4().hex}.tmp")
                with open(staged_manifest, "w") as f:
                    f.write(manifest)
                os.replace(staged_manifest, os.path.join(root, MANIFEST_FILE))
            else:
                with tempfile.TemporaryDirectory() as tmpdir:
                    staged = os.path.join(tmpdir, CATALOG_FILE)
                    _write_views(staged, tables, models, frozenset(new_models or ()), self.warehouse.root.fs)
                    fence()
                    self.warehouse.root.fs.put_file(staged, str(self.path))
                (self.warehouse.root / MANIFEST_FILE).write_text(manifest)
                fence()
        self._known.update(tables)
        return sorted(tables)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection for queries, usable while runs write."""
        if not self.warehouse.local:
            return self._connect_remote()
        if not os.path.exists(self.path.path):
            if not self.warehouse.tables():
                raise WarehouseNotFound(
                    f"no tables in warehouse {self.warehouse.root} (run `pie run` first)"
                )
            self.rebuild()
        return duckdb.connect(self.path.path, read_only=True)

    def _connect_remote(self) -> duckdb.DuckDBPyConnection:
        """Object storage: views in memory over the fsspec filesystem, no httpfs needed."""
        tables = self.warehouse.tables()
        if not tables:
            raise WarehouseNotFound(f"no tables in warehouse {self.warehouse.root}")
        con = duckdb.connect()
        con.register_filesystem(self.warehouse.root.fs)
        _create_views(con, tables, self._manifest()["models"])
        return con
