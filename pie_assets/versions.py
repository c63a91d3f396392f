"""Every code and data version in one place, so they hash the same way and a reader finds them.

Dagster's staleness is only as truthful as these: a code version must change when what shapes an
asset's output changes (its modules' source, a reader file, the one setting that matters), a data
version when the rows do, a config hash when any value of the config does (comments are not
values). All are truncated sha256 hex digests.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from array import array
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

# Fixed seeds: the same content gives the same data version in every process (polars' row
# hashes are stable within one polars release, which pyproject.toml pins).
_HASH_SEEDS = (0x5049, 0x45, 0x4C, 0x4B)


def digest(data: str | bytes, chars: int = 16) -> str:
    """The first `chars` hex digits of the sha256 of `data` (text as UTF-8)."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:chars]


def config_hash(values: Mapping[str, Any]) -> str:
    """A config's values, canonically serialised: reordering keys or editing comments changes nothing."""
    return digest(json.dumps(values, sort_keys=True, separators=(",", ":")))


def source_version(sources: Iterable[tuple[str, bytes]], setting: str = "") -> str:
    """Named sources plus the one setting that changes their output: editing either is a new version."""
    hashed = hashlib.sha256(setting.encode() + b"\0")
    for name, source in sources:
        hashed.update(name.encode() + b"\0" + source)
    return hashed.hexdigest()[:16]


def modules_version(*modules: ModuleType, setting: str = "") -> str:
    """Editing one of `modules`, or changing `setting`, makes the asset stale in the UI."""
    return source_version(((m.__name__, inspect.getsource(m).encode()) for m in modules), setting)


def files_version(paths: Iterable[Path], setting: str = "") -> str:
    """Editing one of the files (named by file name), or changing `setting`, is a new version."""
    return source_version(((p.name, p.read_bytes()) for p in paths), setting)


def directory_version(path: Path) -> str:
    """Names, sizes and mtimes of every file below `path`: a rewritten file is a new version,
    read without hashing gigabytes of weights (a sensor reads it every 30 s)."""
    hashed = hashlib.sha256()
    _hash_stats(hashed, path)
    return hashed.hexdigest()[:16]


def paths_version(paths: Iterable[Path]) -> str:
    """`directory_version` over several files and directories, each named, an absent one too: a
    file that appears, disappears or is rewritten (new size or mtime) is a new version, so the
    sources a partition reads are observed without reading their bytes."""
    hashed = hashlib.sha256()
    for path in paths:
        hashed.update(f"{path}\0".encode())
        if path.is_dir():
            _hash_stats(hashed, path)
        elif path.is_file():
            st = path.stat()
            hashed.update(f"\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        else:
            hashed.update(b"absent\n")
    return hashed.hexdigest()[:16]


def _hash_stats(hashed: Any, path: Path) -> None:
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            file = Path(root) / name
            st = file.stat()
            hashed.update(f"{file.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())


def content_version(frame: pl.DataFrame) -> str:
    """A data version from the frame's schema and rows: re-ingesting unchanged input gives the
    same version, so downstream partitions stay Synced instead of turning stale."""
    hashed = hashlib.sha256(repr(list(frame.schema.items())).encode())
    if frame.height:
        hashed.update(array("Q", frame.hash_rows(*_HASH_SEEDS).to_list()).tobytes())
    return hashed.hexdigest()[:24]
