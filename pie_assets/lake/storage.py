"""Parquet layout and atomic writes under a warehouse root (local path or fsspec URL).

Layout (the same one dagster-polars' UPathIOManager uses, so its loaders read what we write):
partitioned assets at `<root>/<asset>/<partition>.parquet`, unpartitioned at `<root>/<asset>.parquet`.
"""

from __future__ import annotations

import os
import uuid

import polars as pl
from upath import UPath

LOCAL_PROTOCOLS = ("", "file", "local")


def is_local(path: UPath) -> bool:
    return path.protocol in LOCAL_PROTOCOLS


def write_parquet_atomic(df: pl.DataFrame, path: UPath) -> None:
    """Readers never see a half-written file.

    Locally: write a hidden temp file in the same directory (its name does not end in
    `.parquet`, so catalog globs skip it) and `os.replace` it into place. Object stores publish
    an object only when its upload completes, so a direct write is already atomic there.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_local(path):
        target = path.path
        tmp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{uuid.uuid4().hex}.tmp")
        try:
            df.write_parquet(tmp, compression="zstd", statistics=True)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    else:
        with path.open("wb") as f:
            df.write_parquet(f, compression="zstd", statistics=True)


class Warehouse:
    """Paths of tables in the lake."""

    def __init__(self, root: str) -> None:
        self.root = UPath(root)

    @property
    def local(self) -> bool:
        return is_local(self.root)

    def partition_path(self, table: str, partition_key: str) -> UPath:
        return self.root / table / f"{partition_key}.parquet"

    def table_path(self, table: str) -> UPath:
        return self.root / f"{table}.parquet"

    def write_partition(self, table: str, partition_key: str, df: pl.DataFrame) -> UPath:
        path = self.partition_path(table, partition_key)
        write_parquet_atomic(df, path)
        return path

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
            if entry.is_dir() and any(p.name.endswith(".parquet") for p in entry.iterdir()):
                found[name] = f"{location.rstrip('/')}/*.parquet"
            elif name.endswith(".parquet") and entry.is_file():
                found[name[: -len(".parquet")]] = location
        return found
