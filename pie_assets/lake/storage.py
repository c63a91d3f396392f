"""Parquet layout and atomic writes under a warehouse root (local path or fsspec URL).

Layout (the same one dagster-polars' UPathIOManager uses, so its loaders read what we write):
partitioned assets at `<root>/<asset>/<partition>.parquet`, unpartitioned at `<root>/<asset>.parquet`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
from upath import UPath

LOCAL_PROTOCOLS = ("", "file", "local")
# One file per problem means thousands of small files: zstd's per-file setup made writes ~1.6x
# costlier than lz4 there (bench/ingest_metadata.py), for little size gain. Statistics stay on
# so DuckDB can prune by min/max.
PARQUET_OPTIONS = {"compression": "lz4", "statistics": True}


def is_local(path: UPath) -> bool:
    return path.protocol in LOCAL_PROTOCOLS


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
        self.root = UPath(root)
        self.local = is_local(self.root)
        self._made_dirs: set[str] = set()

    def partition_path(self, table: str, partition_key: str) -> UPath:
        return self.root / table / f"{partition_key}.parquet"

    def write_partition(self, table: str, partition_key: str, df: pl.DataFrame) -> str:
        """Write one partition atomically; returns its location. Plain os paths locally: this is
        called once per problem per table, and UPath's per-call overhead showed up there."""
        if not self.local:
            path = self.partition_path(table, partition_key)
            write_parquet_atomic(df, path)
            return str(path)
        directory = os.path.join(self.root.path, table)
        if directory not in self._made_dirs:
            os.makedirs(directory, exist_ok=True)
            self._made_dirs.add(directory)
        target = os.path.join(directory, f"{partition_key}.parquet")
        write_local_atomic(df, target)
        return target

    def tables(self) -> dict[str, str]:
        """Table name → Parquet glob (or file) for every table that has data."""
        found: dict[str, str] = {}
        if not self.root.exists():
            return found
        for entry in sorted(self.root.iterdir(), key=lambda p: p.name):
            name = entry.name
            if name.startswith((".", "_")):
                continue
            location = entry.path if self.local else str(entry)
            if entry.is_dir() and any(p.name.endswith(".parquet") and p.is_file() for p in entry.iterdir()):
                found[name] = f"{location.rstrip('/')}/*.parquet"
            elif name.endswith(".parquet") and entry.is_file():
                found[name[: -len(".parquet")]] = location
        return found
