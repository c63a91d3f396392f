"""Versioned exports under the warehouse: `<root>/exports/<export>/<version>/` + `LATEST`.

`<version>` is a hash of the data files (their names and sha256), computed from their bytes in
memory before anything is written, so identical content is the same directory: publishing it
again writes nothing (its first manifest stays) and only moves `LATEST` back to it when another
version was published since. A new version's files and `manifest.json` are written into a
hidden staging directory beside the versions, which is then renamed into place in one step, so a
reader never sees half a version; object stores have no directory rename, so there the files are
uploaded and `manifest.json` comes last (a version without a manifest is incomplete). `LATEST`
(the version, one line) is written atomically and last. Later steps read an export by version:
`latest_export()` or `<export>/<version>/`.

The files sit two levels below `exports/` and no export is named `k=v`, so
`Warehouse.tables()` never takes `exports/` for a lake table.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from upath import UPath

from pie_assets.dataset.pie_format import dumps_record
from pie_assets.lake.storage import PARQUET_OPTIONS, Warehouse, atomic_local_target
from pie_assets.versions import digest

EXPORTS_DIR = "exports"
MANIFEST_FILE = "manifest.json"
LATEST_FILE = "LATEST"
VERSION_CHARS = 16


@dataclass(frozen=True)
class ExportFile:
    """One file of an export: its path inside the version directory, its row count, its bytes."""

    name: str
    rows: int
    data: bytes


def jsonl_file(name: str, records: Sequence[Mapping[str, Any]]) -> ExportFile:
    return ExportFile(name, len(records), "".join(dumps_record(record) for record in records).encode("utf-8"))


def parquet_file(name: str, frame: pl.DataFrame) -> ExportFile:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, **PARQUET_OPTIONS)
    return ExportFile(name, frame.height, buffer.getvalue())


@dataclass(frozen=True)
class Published:
    version: str
    location: str  # the version directory
    new: bool  # False: this content was already published, nothing was written
    manifest: dict[str, Any]


def export_root(warehouse: Warehouse, export: str) -> UPath:
    if not export or "=" in export or "/" in export or export.startswith("."):
        raise ValueError(f"{export!r} cannot name an export directory")
    return warehouse.root / EXPORTS_DIR / export


def latest_export(warehouse: Warehouse, export: str) -> UPath:
    """The version directory `LATEST` points to."""
    pointer = export_root(warehouse, export) / LATEST_FILE
    try:
        version = pointer.read_text().strip()
    except FileNotFoundError:
        raise FileNotFoundError(f"export {export!r} has no published version under {warehouse.root}") from None
    return export_root(warehouse, export) / version


def publish_export(
    warehouse: Warehouse, export: str, files: Sequence[ExportFile], info: Mapping[str, Any]
) -> Published:
    """Write `files` as a version of `export` (unless that content exists) and point LATEST at
    it. `info` goes into a new version's manifest beside export, version, created_at and files."""
    root = export_root(warehouse, export)
    listed = sorted(
        (
            {"name": f.name, "rows": f.rows, "bytes": len(f.data), "sha256": hashlib.sha256(f.data).hexdigest()}
            for f in files
        ),
        key=lambda f: str(f["name"]),
    )
    version = digest("".join(f"{f['name']}\0{f['sha256']}\n" for f in listed), VERSION_CHARS)
    target = root / version
    new = not (target / MANIFEST_FILE).exists()
    if new:
        manifest = {
            "export": export,
            "version": version,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": listed,
            **info,
        }
        contents = {
            **{f.name: f.data for f in files},
            MANIFEST_FILE: json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8"),
        }
        new = _write_version(warehouse, root, target, contents)
    _point_latest(warehouse, root, version)
    return Published(version, str(target), new, json.loads((target / MANIFEST_FILE).read_text()))


def _write_version(warehouse: Warehouse, root: UPath, target: UPath, contents: dict[str, bytes]) -> bool:
    """Files then the manifest (the last key); False when another writer published the same
    version first (its directory stands)."""
    if not warehouse.local:
        for name, data in contents.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
        return True
    os.makedirs(root.path, exist_ok=True)
    stage = os.path.join(root.path, f".stage-{uuid.uuid4().hex}")
    try:
        for name, data in contents.items():
            path = os.path.join(stage, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        os.rename(stage, target.path)
    except OSError:
        if os.path.exists(os.path.join(target.path, MANIFEST_FILE)):
            return False
        raise
    finally:
        if os.path.exists(stage):
            shutil.rmtree(stage)
    return True


def _point_latest(warehouse: Warehouse, root: UPath, version: str) -> None:
    pointer = root / LATEST_FILE
    if pointer.exists() and pointer.read_text().strip() == version:
        return
    if warehouse.local:
        with atomic_local_target(pointer.path) as tmp, open(tmp, "w") as f:
            f.write(version + "\n")
    else:
        pointer.write_text(version + "\n")
