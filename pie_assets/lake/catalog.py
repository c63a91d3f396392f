"""The DuckDB catalog: `<warehouse>/pie.duckdb`, one view per table over its Parquet files.

Writers never open the catalog file in place, so a user's duckdb CLI, `pie sql` or a notebook
can hold it open while runs write: views glob the Parquet files at query time (new partitions
appear without touching the catalog), and when a new table appears the catalog is rebuilt in a
temp file and renamed over the old one under a file lock. Parallel partitions therefore never
contend for DuckDB's single-writer lock. On S3 the rebuild is uploaded under a lock object
(`remote_lock.ObjectLock`), so concurrent writers on any machine publish one after another and
`pie.duckdb` and `_catalog.json` always name the same views: none is lost.

A warehouse is a directory (or prefix) that can be moved or copied: nothing in it names its own
absolute location. Local views name their files relative to the root (`submissions/*/*.parquet`),
and every connection this module opens sets DuckDB's `file_search_path` to the root it was given,
so a moved warehouse needs no rebuild and a copy reads its own files, never the original's. A
rebuild on each move was the alternative; it would make every first read of a moved warehouse a
write, and a copy opened by another client would still read the original's files until then.
Relative names are always globs (`[p]roblems.parquet` for a one-file table): DuckDB looks a
plain relative file name up in the working directory before the search path, a glob only under
the search path. A plain DuckDB client sets the search path itself (docs/how-to/query.md). DuckDB cannot
resolve a relative name under a remote root, so on object storage the uploaded `pie.duckdb` names
its objects by URL and the manifest records the root it was built for: a catalog of another root
(a prefix copied elsewhere) is rebuilt on first use. `pie sql` and the assets never read the
uploaded file there: they build their views in memory from a fresh listing, as they do for a
reader that cannot rewrite a stale catalog (a read-only copy of a warehouse of an older layout).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb
import polars as pl
from filelock import FileLock

from pie_assets.lake.remote_lock import ObjectLock
from pie_assets.lake.storage import Warehouse, read_whole, write_parquet_atomic

log = logging.getLogger(__name__)
CATALOG_FILE = "pie.duckdb"
MANIFEST_FILE = "_catalog.json"
LOCK_FILE = ".catalog.lock"
# The manifest's layout: 2 = hive paths for every partitioned table; 3 = and local views name
# their files relative to the root. A catalog of an earlier layout is rebuilt on first use, which
# first moves the old partition files (layout 1) to their hive paths.
LAYOUT = 3
S3_PROTOCOLS = ("s3", "s3a")
# memory:// lives in one process, so a process-wide mutex serialises its rebuilds.
_MEMORY_LOCK = threading.Lock()


class WarehouseNotFound(RuntimeError):
    """Raised when a reader points at a warehouse that has no tables yet."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_sql(name: str, location: str, union_by_name: bool) -> str:
    """Hive partitioning reads the `<dim>=<key>` directories of partitioned tables as their
    columns (the files hold the same column), so a filter on `problem_id` or `checkpoint` prunes
    files before any is opened. Keys stay strings, as in the files (no autocast of "0042").
    `union_by_name` reads every file's schema whenever the view is queried, so it is set only for
    tables whose files differ in schema."""
    return (
        f'CREATE OR REPLACE VIEW "{name}" AS '
        f"SELECT * FROM read_parquet({_literal(location)}, union_by_name = {str(union_by_name).lower()}, "
        f"hive_partitioning = true, hive_types_autocast = false)"
    )


def _relative_location(root: str, location: str) -> str:
    """A local table's file or glob as its view names it: relative to the warehouse root, and a
    glob even for one file (`[p]roblems.parquet`), since DuckDB resolves a relative glob only
    under `file_search_path` but a plain relative name in the working directory first."""
    relative = os.path.relpath(location, root)
    return relative if "*" in relative else f"[{relative[0]}]{relative[1:]}"


def _search_root(warehouse: Warehouse) -> str:
    """The absolute root a local catalog's relative names resolve under (`file_search_path`)."""
    root = os.path.abspath(warehouse.root.path)
    if "," in root:  # DuckDB splits file_search_path on commas
        raise ValueError(
            f"warehouse {root}: DuckDB cannot search a directory whose path holds ','; "
            "move the warehouse to a path without one"
        )
    return root


def _reach_files(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    """Lets `con` read the warehouse's files as its views name them: locally by resolving
    relative names under the root, for every connection to this database (GLOBAL: a cursor or a
    second connection to the same file in this process shares it); remotely through the fsspec
    filesystem (no httpfs needed)."""
    if warehouse.local:
        con.execute(f"SET GLOBAL file_search_path = {_literal(_search_root(warehouse))}")
    else:
        con.register_filesystem(warehouse.root.fs)


# One row per Parquet file: a digest of its schema (names, DuckDB types, nesting).
_SIGNATURES_SQL = """
select file_name, sha256(string_agg(concat_ws(':', name, coalesce(duckdb_type, type), repetition_type,
                                              num_children), ',' order by column_id nulls first, name))
from parquet_schema(?) group by file_name
"""


def schema_signatures(con: duckdb.DuckDBPyConnection, location: str) -> set[str]:
    """The distinct schema digests of the files a table location (file or glob) names."""
    return {row[1] for row in con.execute(_SIGNATURES_SQL, [location]).fetchall()}


def file_signature(location: str, filesystem=None) -> str:
    """One file's schema digest, as `schema_signatures` computes it."""
    with duckdb.connect() as con:
        if filesystem is not None:
            con.register_filesystem(filesystem)
        (signature,) = schema_signatures(con, location)
    return signature


def _create_views(
    con: duckdb.DuckDBPyConnection,
    tables: dict[str, str],
    models: dict[str, str],
    required: frozenset[str] = frozenset(),
    uniform: dict[str, str] | None = None,
) -> dict[str, str]:
    """Table views, then model views (a model reading another one is retried after it).
    Returns table -> schema digest for the tables whose files share one schema (their views need
    no `union_by_name`); `uniform` gives that map instead of reading every file's schema here.

    A model in `required` (being registered now) must bind, or this raises; an older model that
    no longer binds (say a column it reads is gone) is left out with a warning, so it can never
    block ingestion, and comes back once it binds again.
    """
    if uniform is None:
        uniform = {}
        for name, location in tables.items():
            signatures = schema_signatures(con, location)
            if len(signatures) == 1:
                uniform[name] = signatures.pop()
            else:
                log.warning(
                    f"table {name!r}: its files have {len(signatures)} different schemas, so its view "
                    f"reads every file's schema at each query (rewrite the old partitions to speed it up)"
                )
    for name, location in tables.items():
        con.execute(view_sql(name, location, union_by_name=name not in uniform))
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
    for name, error in errors.items():
        if name in required:
            raise ValueError(f"SQL model {name!r} does not bind: {error}")
        log.warning(f"SQL model {name!r} left out of the catalog, it does not bind: {error}")
    return {name: uniform[name] for name in tables if name in uniform}


def _write_views(
    db_path: str, warehouse: Warehouse, tables: dict[str, str], models: dict[str, str], required: frozenset[str]
) -> dict[str, str]:
    """DuckDB binds a view when it is created, so the files must be reachable here."""
    con = duckdb.connect(db_path)
    try:
        _reach_files(con, warehouse)
        return _create_views(con, tables, models, required)
    finally:
        con.close()


def _manifest_json(tables: dict[str, str], models: dict[str, str], schemas: dict[str, str], root: str | None) -> str:
    """`root`: the URL the views of a remote catalog name (local views name no root)."""
    located = {} if root is None else {"root": root}
    return json.dumps(
        {"layout": LAYOUT, **located, "views": sorted(tables), "models": models, "schemas": schemas}, indent=1
    )


def _current_layout(manifest: dict) -> bool:
    """A published catalog of the current layout, or none yet."""
    return manifest["layout"] in (0, LAYOUT)


def _unwritable(err: OSError) -> bool:
    """The warehouse cannot be written by this reader (permissions, a read-only mount)."""
    return isinstance(err, PermissionError) or err.errno == errno.EROFS


class Catalog:
    """Keeps `pie.duckdb` in step with the tables present in a warehouse."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._known: set[tuple[str, str | None]] = set()  # (table, frame schema) seen to have a view
        self._mutex = threading.Lock()

    @property
    def path(self):
        return self.warehouse.root / CATALOG_FILE

    def _manifest(self) -> dict:
        """{"layout": n, "root": the URL a remote catalog's views name (None locally), "views":
        [table names], "models": {name: sql}, "schemas": {table: digest of the schema all its
        files share}} as last published (layout 1 when the manifest predates the field, 0 when
        there is none)."""
        path = self.warehouse.root / MANIFEST_FILE
        try:
            manifest = json.loads(read_whole(path))
        except (FileNotFoundError, ValueError):
            return {"layout": 0, "root": None, "views": [], "models": {}, "schemas": {}}
        return {
            "layout": manifest.get("layout", 1),
            "root": manifest.get("root"),
            "views": manifest.get("views", []),
            "models": manifest.get("models", {}),
            "schemas": manifest.get("schemas", {}),
        }

    def _serves_here(self, manifest: dict) -> bool:
        """Whether the published catalog reads this warehouse's files: of the current layout and,
        on object storage, built for this root (its views name objects by URL). A remote root
        with no catalog yet is served too: its readers build their views in memory."""
        if self.warehouse.local:
            return _current_layout(manifest) and os.path.exists(self.path.path)
        return manifest["layout"] == 0 or (
            manifest["layout"] == LAYOUT and manifest["root"] == str(self.warehouse.root)
        )

    def _view_locations(self) -> dict[str, str]:
        """Table -> the file or glob its view reads: relative to a local root, a URL remotely."""
        tables = self.warehouse.tables()
        if not self.warehouse.local:
            return tables
        return {name: _relative_location(self.warehouse.root.path, location) for name, location in tables.items()}

    def ensure(self, table: str, written: tuple[str, pl.Schema] | None = None) -> None:
        """Make sure `table` has a view, and one that reads `written` (a file just written, with
        its frame's schema): a view over files of one schema skips `union_by_name`, so a file of
        another schema needs a rebuild. Cheap after the first call per table and schema (a memo,
        then a JSON read and one file's footer)."""
        memo = (table, repr(written[1]) if written else None)
        if memo in self._known:
            return
        with self._mutex:
            manifest = self._manifest()
            stale = (
                table not in manifest["views"]
                or not self._serves_here(manifest)
                or (written is not None and manifest["schemas"].get(table) != self._signature(written[0]))
            )
            if stale:
                self.rebuild()
            self._known.add(memo)

    def write_table(self, name: str, frame: pl.DataFrame) -> str:
        """An unpartitioned table an asset writes itself: `<root>/<name>.parquet` atomically, then
        its view. Returns the file's location."""
        path = self.warehouse.root / f"{name}.parquet"
        write_parquet_atomic(frame, path)
        location = self.warehouse.location(path)
        self.ensure(name, (location, frame.schema))
        return location

    def _signature(self, location: str) -> str:
        return file_signature(location, None if self.warehouse.local else self.warehouse.root.fs)

    def register_model(self, name: str, sql: str) -> None:
        """Publish a SQL model as a view (kept across rebuilds); its SQL must bind now."""
        self.rebuild({name: sql})

    def publish_table(self, name: str) -> None:
        """A model materialised as `<name>.parquet`: its view reads the file, and a view model
        of that name registered earlier is dropped. When the catalog already has that table's
        view with the new file's columns, the rename alone published it (a rebuild reads every
        table's file schemas: ~0.4 s at CodeNet scale, bench/dataset_models.py)."""
        manifest = self._manifest()
        if (
            self.warehouse.local
            and name in manifest["views"]
            and name not in manifest["models"]
            and _current_layout(manifest)
            and os.path.exists(self.path.path)
            and manifest["schemas"].get(name)
            == self._signature(self.warehouse.location(self.warehouse.root / f"{name}.parquet"))
        ):
            return  # DuckDB binds a view's columns when it is created: only a new schema needs a new view
        self.rebuild(dropped_models=frozenset({name}))

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
            raise ValueError(
                f"warehouse {root}: the catalog can be published to a local directory, s3:// "
                f"or memory://, not {root.protocol}:// (it has no lock there for concurrent writers)"
            )

    def rebuild(
        self, new_models: dict[str, str] | None = None, dropped_models: frozenset[str] = frozenset()
    ) -> list[str]:
        """Write a fresh catalog beside the old one and swap it in atomically: a view per table,
        then the registered SQL models. Tables are listed and models read under the lock, so
        a rebuild never publishes less than the one before it."""
        with self._rebuild_lock() as fence:
            published = self._manifest()
            if published["layout"] != LAYOUT and (moved := self.warehouse.upgrade_layout()):
                log.warning(f"warehouse {self.warehouse.root}: {moved} partition files moved to hive paths")
            tables = self._view_locations()
            models = {
                name: sql
                for name, sql in {**published["models"], **(new_models or {})}.items()
                if name not in dropped_models
            }
            required = frozenset(new_models or ())
            if self.warehouse.local:
                root = self.warehouse.root.path
                staged = os.path.join(root, f".{CATALOG_FILE}.{uuid.uuid4().hex}.tmp")
                try:
                    schemas = _write_views(staged, self.warehouse, tables, models, required)
                except ValueError:
                    os.unlink(staged)
                    raise
                manifest = _manifest_json(tables, models, schemas, root=None)
                os.replace(staged, self.path.path)
                staged_manifest = os.path.join(root, f".{MANIFEST_FILE}.{uuid.uuid4().hex}.tmp")
                with open(staged_manifest, "w") as f:
                    f.write(manifest)
                os.replace(staged_manifest, os.path.join(root, MANIFEST_FILE))
            else:
                with tempfile.TemporaryDirectory() as tmpdir:
                    staged = os.path.join(tmpdir, CATALOG_FILE)
                    schemas = _write_views(staged, self.warehouse, tables, models, required)
                    manifest = _manifest_json(tables, models, schemas, root=str(self.warehouse.root))
                    fence()
                    self.warehouse.root.fs.put_file(staged, str(self.path))
                (self.warehouse.root / MANIFEST_FILE).write_text(manifest)
                fence()
        self._known.update((name, None) for name in tables)
        return sorted(tables)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection for queries, usable while runs write, that reads this
        warehouse's own files wherever it lies. A missing or stale catalog is rebuilt first; a
        reader that cannot write the warehouse gets views built in memory for its session."""
        if not self._serves_here(self._manifest()):
            if not self.warehouse.tables() and not self.warehouse.flat_partitions():
                raise WarehouseNotFound(f"no tables in warehouse {self.warehouse.root} (run `pie run` first)")
            try:
                self.rebuild()
            except OSError as err:
                if not _unwritable(err):
                    raise
                log.warning(
                    f"warehouse {self.warehouse.root}: its catalog is out of date and this process cannot "
                    f"rewrite it ({err}); this connection's views are built in memory"
                )
                return self._session()
        if not self.warehouse.local:
            return self._session()
        con = duckdb.connect(self.path.path, read_only=True)
        _reach_files(con, self.warehouse)
        return con

    def row_count(self, table: str) -> int:
        """Rows of `table` across all its partitions, as a query sees it now (DuckDB counts a
        Parquet file from its footer, so no row is read)."""
        with self.connect() as con:
            return con.execute(f'select count(*) from "{table}"').fetchall()[0][0]

    def _session(self) -> duckdb.DuckDBPyConnection:
        """Views in memory for one connection, from a fresh listing: how object storage is read
        (no file to download), and how a reader answers where it cannot rebuild the catalog."""
        tables = self._view_locations()
        if not tables:
            raise WarehouseNotFound(f"no tables in warehouse {self.warehouse.root} (run `pie run` first)")
        con = duckdb.connect()
        _reach_files(con, self.warehouse)
        manifest = self._manifest()
        _create_views(con, tables, manifest["models"], uniform=manifest["schemas"])
        return con
