"""Parquet layout and atomic writes under a warehouse root (local path or fsspec URL).

Layout: unpartitioned tables at `<root>/<table>.parquet`; partitioned tables hive-style, one
directory per dimension: `<root>/<table>/problem_id=<p>/data.parquet` per problem,
`<table>/checkpoint=<c>/problem_id=<p>/data.parquet` per checkpoint x problem. Each dimension is
also a column of the files, and DuckDB's hive partitioning prunes on it before it opens a file:
a per-problem lookup over CodeNet's 4,053 partitions opens one file, not 4,053 footers
(bench/codenet_scale.py). `LakeParquetIOManager` reads and writes through
`Warehouse.partition_path`, so assets and Dagster inputs share one layout.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import polars as pl
from upath import UPath

LOCAL_PROTOCOLS = ("", "file", "local")
# One file per problem means thousands of small files: zstd's per-file setup made writes ~1.6x
# costlier than lz4 there (bench/ingest_metadata.py), for little size gain. Statistics stay on
# so DuckDB can prune by min/max.
PARQUET_OPTIONS: dict[str, Any] = {"compression": "lz4", "statistics": True}
# The file of one partition: every dimension is a directory.
HIVE_FILE = "data.parquet"
# The dimension of a partition given as a plain key: most partitioned tables are per problem.
PROBLEM_COLUMN = "problem_id"

PartitionKey = str | Mapping[str, str]  # a problem, or dimension name -> key (in dimension order)


def is_local(path: UPath) -> bool:
    return path.protocol in LOCAL_PROTOCOLS


def read_whole(path: UPath) -> bytes:
    """The file's bytes in one request. Object storage replaces a file whole while others read:
    a read that opens it (a HEAD, then GETs pinned to its ETag) fails when the replacement lands
    in between (s3fs's FileExpired); one GET reads either the old or the new object."""
    return path.read_bytes() if is_local(path) else path.fs.cat_file(path.path)


@contextmanager
def atomic_local_target(target: str) -> Iterator[str]:
    """Yields a hidden temp path in the target's directory (its name does not end in `.parquet`,
    so catalog globs skip it) to write; on success `os.replace`s it into place, so readers never
    see half a file; on failure removes it."""
    tmp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_local_atomic(df: pl.DataFrame, target: str) -> None:
    with atomic_local_target(target) as tmp:
        df.write_parquet(tmp, **PARQUET_OPTIONS)


def write_parquet_atomic(df: pl.DataFrame, path: UPath) -> None:
    """Atomic everywhere: locally by rename; object stores publish an object only when its
    upload completes, so a direct write is already atomic there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_local(path):
        write_local_atomic(df, path.path)
    else:
        with path.open("wb") as f:
            df.write_parquet(f, **PARQUET_OPTIONS)


class Warehouse:
    """Paths of tables in the lake."""

    def __init__(self, root: str) -> None:
        path = UPath(root)
        self.local = is_local(path)
        # Other processes write the lake: a cached listing (s3fs keeps them forever by default)
        # would hide their tables and partitions from this process's catalog and queries.
        self.root = path if self.local else UPath(root, use_listings_cache=False)

    def location(self, path: UPath) -> str:
        """A path as DuckDB and polars take it: an os path locally, a URL on object storage."""
        return path.path if self.local else str(path)

    def partition_path(self, table: str, partition_key: PartitionKey) -> UPath:
        return self.root / self._relative_partition_path(table, partition_key)

    @staticmethod
    def _relative_partition_path(table: str, partition_key: PartitionKey) -> str:
        if isinstance(partition_key, str):
            partition_key = {PROBLEM_COLUMN: partition_key}
        dims = "/".join(f"{dim}={_safe_segment(key)}" for dim, key in partition_key.items())
        return f"{table}/{dims}/{HIVE_FILE}"

    def write_partition(self, table: str, partition_key: PartitionKey, df: pl.DataFrame) -> str:
        """Write one partition atomically; returns its location. Plain os paths locally: this is
        called once per problem per table, and UPath's per-call overhead showed up there."""
        if not self.local:
            path = self.partition_path(table, partition_key)
            write_parquet_atomic(df, path)
            return str(path)
        target = os.path.join(self.root.path, self._relative_partition_path(table, partition_key))
        os.makedirs(os.path.dirname(target), exist_ok=True)  # every time: a directory removed meanwhile comes back
        write_local_atomic(df, target)
        return target

    @contextmanager
    def table_file(self, table: str) -> Iterator[str]:
        """A local temp path to write an unpartitioned table's Parquet file to (e.g. DuckDB's
        COPY); when the block succeeds it becomes `<root>/<table>.parquet` at once (rename
        locally, one upload to object storage); when it raises, nothing is published."""
        target = self.root / f"{table}.parquet"
        if self.local:
            self.root.mkdir(parents=True, exist_ok=True)
            with atomic_local_target(target.path) as tmp:
                yield tmp
            return
        with tempfile.TemporaryDirectory() as tmpdir:
            staged = os.path.join(tmpdir, f"{table}.parquet")
            yield staged
            self.root.fs.put_file(staged, str(target))

    def tables(self) -> dict[str, str]:
        """Table name -> Parquet glob (or file) for every table that has data: one `*/` per
        dimension for partitioned tables (`<t>/*/*.parquet` per problem)."""
        found: dict[str, str] = {}
        if not self.root.exists():
            return found
        for entry in sorted(self.root.iterdir(), key=lambda p: p.name):
            name = entry.name
            if name.startswith((".", "_")):
                continue
            location = self.location(entry)
            if entry.is_dir():
                depth = _hive_depth(entry)
                if depth:
                    found[name] = f"{location.rstrip('/')}/{'*/' * depth}*.parquet"
            elif name.endswith(".parquet") and entry.is_file():
                found[name[: -len(".parquet")]] = location
        return found

    def flat_partitions(self) -> list[UPath]:
        """Partition files of the layout before hive paths (`<table>/<problem>.parquet`)."""
        if not self.root.exists():
            return []
        return [
            child
            for entry in self.root.iterdir()
            if entry.is_dir() and not entry.name.startswith((".", "_"))
            for child in entry.iterdir()
            if child.name.endswith(".parquet") and child.is_file()
        ]

    def upgrade_layout(self) -> int:
        """Moves each partition file of the earlier layout to its hive path (the key was its name;
        its dimension is the column that holds that key in every row, `problem_id` for per-problem
        tables, `checkpoint` for per-checkpoint ones). A partition already written at its hive path
        is newer, so the old file is dropped. Returns the number of files moved or dropped."""
        moved = 0
        for old in self.flat_partitions():
            table, key = old.parent.name, old.name[: -len(".parquet")]
            with old.open("rb") as f:
                frame = pl.read_parquet(f)
            target = self.partition_path(table, {_key_column(frame, key): key})
            try:
                if target.exists():
                    old.unlink()
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if self.local:
                        os.replace(old.path, target.path)
                    else:
                        self.root.fs.mv(old.path, target.path)
            except FileNotFoundError:  # another process moved it first
                continue
            moved += 1
        return moved


def _hive_depth(table_dir: UPath) -> int:
    """How many `<dim>=<key>` directory levels lead to a table's files (0: not a partitioned table)."""
    depth, level = 0, table_dir
    while True:
        entries = list(level.iterdir())  # listed once per level (a request per level on S3)
        child = next((p for p in entries if "=" in p.name and p.is_dir()), None)
        if child is None:
            has_files = any(p.name.endswith(".parquet") and p.is_file() for p in entries)
            return depth if depth and has_files else 0
        depth, level = depth + 1, child


def _key_column(frame: pl.DataFrame, key: str) -> str:
    """The column whose every value is `key` (the partition's dimension); `problem_id` first."""
    columns = [PROBLEM_COLUMN] + [c for c in frame.columns if c != PROBLEM_COLUMN]
    for column in columns:
        if (
            column in frame.columns
            and frame.height
            and frame[column].dtype == pl.String
            and (frame[column] == key).all()
        ):
            return column
    return PROBLEM_COLUMN


def _safe_segment(key: str) -> str:
    """A partition key as one path segment: it may not climb out of its table or nest."""
    if not key or key in (".", "..") or "/" in key or "\\" in key or key.startswith("."):
        raise ValueError(f"partition key {key!r} cannot be a file name in the lake")
    return key
